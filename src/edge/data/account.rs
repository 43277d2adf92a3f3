//! The customer's contracts and account, in the Nomos shapes:
//! * `GET /api/subscriptions` (cursor pages, filters on status, plan and the dates) and
//!   `GET /api/subscriptions/{id}` with customer, addresses, meter and mandate (IBAN masked)
//!   expanded; both add `termination` (reason, when received, the end date) or `null`.
//! * `PATCH /api/subscriptions/{id}` (Nomos `UpdateSubscription`): a new billing address (all
//!   four fields) and/or a new SEPA mandate. A new IBAN needs a sign-in within the last 15
//!   minutes: whoever holds an older session (a forgotten tab, a stolen cookie) cannot redirect
//!   the debits.
//! * `POST /api/subscriptions/{id}/terminate`: see [`super::termination`].
//! * `GET /api/customers/{id}` and `PATCH /api/customers/{id}` (names), the signed-in customer
//!   only.
//!
//! Every change is stored together with its audit record.

use jiff::Timestamp;
use rusqlite::TransactionBehavior;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use tiny_http::Method;

use super::iban::parse_iban;
use super::pagination::{self, FieldKind, FilterField, list_json, query_params};
use super::termination;
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError, FieldError};
use crate::edge::auth::sessions::{self, SignedIn};
use crate::edge::documents::format::Locale;
use crate::edge::store::account::{self, Names, PostalAddress};
use crate::edge::store::audit::{self, Actor, AuditEvent, Changes};
use crate::edge::store::calendar::berlin;
use crate::edge::store::customers::{
    self, AddressRecord, CustomerType, PaymentMethodRecord, SubscriptionRecord, SubscriptionStatus,
};
use crate::edge::store::ids::random_id;
use crate::edge::store::listing::After;
use crate::edge::store::nomos::{Customer, Subscription, SubscriptionListItem, mask_iban};
use crate::edge::store::{CustomerRecord, subscription_of};

const FIELDS: &[FilterField] = &[
    FilterField {
        name: "status",
        column: "s.status",
        kind: FieldKind::Enum(&["pending", "active", "ended"]),
    },
    FilterField {
        name: "plan",
        column: "p.id",
        kind: FieldKind::Id,
    },
    FilterField {
        name: "created_at",
        column: "s.created_at",
        kind: FieldKind::Instant,
    },
    FilterField {
        name: "updated_at",
        column: "s.updated_at",
        kind: FieldKind::Instant,
    },
];

/// How recent the sign-in must be to change the bank account.
const STEP_UP_SECONDS: i64 = 15 * 60;
const MAX_NAME: usize = 100;
/// The longest name a SEPA mandate carries.
const MAX_ACCOUNT_HOLDER: usize = 70;

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    let method = call.req.method.clone();
    let answer = match (segments, method) {
        (["subscriptions"], Method::Get) => list_subscriptions(call),
        (["subscriptions", id], Method::Get) => show_subscription(call, id),
        (["subscriptions", id], Method::Patch) => update_subscription(call, id),
        (["subscriptions", id, "terminate"], Method::Post) => termination::terminate(call, id),
        (["customers", id], Method::Get) => show_customer(call, id),
        (["customers", id], Method::Patch) => update_customer(call, id),
        (["subscriptions"] | ["subscriptions", _] | ["subscriptions", _, "terminate"], _)
        | (["customers", _], _) => Err(ApiError::method_not_allowed()),
        _ => return None,
    };
    Some(answer)
}

fn list_subscriptions(call: &mut Call) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let customer = &me.customer.id;
    let params = query_params(&call.req.query, FIELDS, &[])?;
    let secret = &call.edge.secret;
    let request = pagination::parse(secret, "subscriptions", customer, &params, FIELDS, &[])?;
    let rows =
        account::subscriptions_page(call.conn, customer, &request.conditions, &request.page)?;
    let (rows, next_page) = request.page_of(secret, rows, |last| After {
        key: last.created_at,
        id: last.id.clone(),
    });
    let items = rows
        .iter()
        .map(|s| {
            let mut item = to_json(&SubscriptionListItem::from(s))?;
            item["termination"] = termination_json(s);
            Ok(item)
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Answer::json(200, list_json(items, next_page)))
}

fn show_subscription(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let subscription =
        subscription_of(call.conn, &me.customer.id, id)?.ok_or_else(ApiError::not_found)?;
    Ok(Answer::json(
        200,
        subscription_json(&subscription, &me.customer)?,
    ))
}

/// Nomos `Subscription`, expanded, with `termination`.
fn subscription_json(
    subscription: &SubscriptionRecord,
    customer: &CustomerRecord,
) -> Result<Json, ApiError> {
    let mut json = to_json(&Subscription::new(subscription, customer))?;
    json["termination"] = termination_json(subscription);
    Ok(json)
}

/// The termination the subscription received, or `null`.
fn termination_json(s: &SubscriptionRecord) -> Json {
    match (s.termination_reason, s.terminated_at) {
        (Some(reason), Some(at)) => json!({
            "reason": reason.as_str(),
            "terminated_at": iso(at),
            "intended_end_at": s.end_at.map(berlin_iso),
        }),
        _ => Json::Null,
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Json, ApiError> {
    serde_json::to_value(value).map_err(|_| ApiError::internal())
}

/// Nomos `UpdateSubscription`, without `metadata` (the retailer's, not the customer's).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionChanges {
    #[serde(default)]
    billing_address: Option<AddressInput>,
    #[serde(default)]
    payment_method: Option<PaymentMethodInput>,
}

/// Nomos `InsertAddress`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressInput {
    street: String,
    house_number: String,
    zip: String,
    city: String,
}

/// Nomos `InsertPaymentMethod`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentMethodInput {
    #[serde(rename = "type")]
    _type: PaymentMethodType,
    sepa_debit: SepaDebitInput,
}

#[derive(Debug, Deserialize)]
enum PaymentMethodType {
    #[serde(rename = "sepa_debit")]
    SepaDebit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SepaDebitInput {
    iban: String,
    account_holder: String,
}

fn update_subscription(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let me = sessions::require(call)?;
    let body: SubscriptionChanges = call.req.json()?;
    let locale = Locale::from_tag(&me.customer.locale);
    let now = call.now;
    // Read and changed in one write transaction: the audit's "from" is what was replaced.
    let tx = call
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let subscription =
        subscription_of(&tx, &me.customer.id, id)?.ok_or_else(ApiError::not_found)?;
    let address = body
        .billing_address
        .as_ref()
        .map(checked_address)
        .transpose()?;
    let mandate = match &body.payment_method {
        Some(input) => Some(checked_mandate(input, locale)?),
        None => None,
    };
    if mandate.is_some() {
        require_recent_sign_in(&me, now, locale)?;
    }
    let mut changes = Changes::new();
    if let Some(address) = address.filter(|a| *a != postal(&subscription.billing_address)) {
        let new_id = new_id("adr")?;
        let stored = account::set_billing_address(&tx, &subscription, &address, &new_id, now)?;
        changes.field(
            "billing_address",
            address_json(&subscription.billing_address),
            address_json(&stored),
        );
    }
    let current = &subscription.payment_method;
    if let Some((iban, holder)) =
        mandate.filter(|(iban, holder)| *iban != current.iban || *holder != current.account_holder)
    {
        let method = PaymentMethodRecord {
            id: new_id("pm")?,
            iban,
            account_holder: holder,
            created_at: now,
        };
        account::replace_payment_method(&tx, &subscription, &method, now)?;
        changes.field(
            "payment_method",
            mandate_json(current),
            mandate_json(&method),
        );
    }
    if !changes.is_empty() {
        audit::record(
            &tx,
            &AuditEvent {
                occurred_at: now,
                customer_id: &me.customer.id,
                subscription_id: Some(&subscription.id),
                actor: Actor::Customer,
                action: "subscription.update",
                changes,
            },
        )?;
    }
    tx.commit()?;
    let updated =
        subscription_of(call.conn, &me.customer.id, id)?.ok_or_else(ApiError::internal)?;
    Ok(Answer::json(
        200,
        subscription_json(&updated, &me.customer)?,
    ))
}

/// 403 `step_up_required` unless the session started (by a sign-in) in the last 15 minutes.
fn require_recent_sign_in(me: &SignedIn, now: i64, locale: Locale) -> Result<(), ApiError> {
    if now - me.session.created_at <= STEP_UP_SECONDS {
        return Ok(());
    }
    let message = match locale {
        Locale::De => {
            "Bitte melden Sie sich zur Sicherheit erneut an, um die Bankverbindung zu ändern."
        }
        Locale::En => "For your security, please sign in again to change your bank account.",
    };
    Err(field_error(
        403,
        "step_up_required",
        "payment_method",
        message,
    ))
}

fn postal(a: &AddressRecord) -> PostalAddress {
    PostalAddress {
        street: a.street.clone(),
        house_number: a.house_number.clone(),
        zip: a.zip.clone(),
        city: a.city.clone(),
    }
}

fn address_json(a: &AddressRecord) -> Json {
    json!({
        "id": a.id,
        "street": a.street,
        "house_number": a.house_number,
        "zip": a.zip,
        "city": a.city,
    })
}

/// A mandate as the audit trail keeps it: the IBAN masked.
fn mandate_json(p: &PaymentMethodRecord) -> Json {
    json!({
        "id": p.id,
        "iban": mask_iban(&p.iban),
        "account_holder": p.account_holder,
    })
}

/// The fields of Nomos `InsertAddress`, trimmed and checked.
fn checked_address(input: &AddressInput) -> Result<PostalAddress, ApiError> {
    let field = |name: &str| format!("billing_address.{name}");
    let street = text(&field("street"), &input.street, 2, 100)?;
    if !street.chars().any(char::is_alphabetic) {
        return Err(bad_field(
            "invalid_format",
            &field("street"),
            "The street must contain letters.",
        ));
    }
    let house_number = text(&field("house_number"), &input.house_number, 1, 10)?;
    if !house_number
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | ' '))
    {
        return Err(bad_field(
            "invalid_format",
            &field("house_number"),
            "The house number may contain digits, letters, spaces, '-' and '/'.",
        ));
    }
    let zip = input.zip.trim().to_owned();
    if zip.len() != 5 || !zip.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_field(
            "invalid_format",
            &field("zip"),
            "The postcode must have 5 digits.",
        ));
    }
    let city = text(&field("city"), &input.city, 2, 100)?;
    if city.chars().any(|c| c.is_ascii_digit()) {
        return Err(bad_field(
            "invalid_format",
            &field("city"),
            "The city must not contain digits.",
        ));
    }
    Ok(PostalAddress {
        street,
        house_number,
        zip,
        city,
    })
}

/// The electronic IBAN and the account holder of a new mandate.
fn checked_mandate(
    input: &PaymentMethodInput,
    locale: Locale,
) -> Result<(String, String), ApiError> {
    let iban = parse_iban(&input.sepa_debit.iban).map_err(|problem| {
        field_error(
            422,
            "invalid_iban",
            "payment_method.sepa_debit.iban",
            &problem.message(locale),
        )
    })?;
    let holder = text(
        "payment_method.sepa_debit.account_holder",
        &input.sepa_debit.account_holder,
        1,
        MAX_ACCOUNT_HOLDER,
    )?;
    Ok((iban, holder))
}

fn show_customer(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    if me.customer.id != id {
        return Err(ApiError::not_found());
    }
    Ok(Answer::json(200, to_json(&Customer::from(&me.customer))?))
}

/// Nomos `UpdateCustomer`: each name optional; `company_name` only for companies.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerChanges {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    company_name: Option<String>,
}

fn update_customer(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let me = sessions::require(call)?;
    let body: CustomerChanges = call.req.json()?;
    if me.customer.id != id {
        return Err(ApiError::not_found());
    }
    let now = call.now;
    let tx = call
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let customer =
        customers::customer(&tx, &me.customer.plan_slug, id)?.ok_or_else(ApiError::not_found)?;
    let name = |field: &str, value: &Option<String>, current: &str| match value {
        Some(value) => text(field, value, 1, MAX_NAME),
        None => Ok(current.to_owned()),
    };
    let company_name = match (&body.company_name, customer.customer_type) {
        (None, _) => None,
        (Some(value), CustomerType::Company) => Some(text("company_name", value, 1, MAX_NAME)?),
        (Some(_), CustomerType::Person) => {
            return Err(bad_field(
                "invalid_value",
                "company_name",
                "Only a company customer has a company name.",
            ));
        }
    };
    let names = Names {
        first_name: name("first_name", &body.first_name, &customer.first_name)?,
        last_name: name("last_name", &body.last_name, &customer.last_name)?,
        company_name,
    };
    let mut changes = Changes::new();
    changes.field(
        "first_name",
        customer.first_name.as_str(),
        names.first_name.as_str(),
    );
    changes.field(
        "last_name",
        customer.last_name.as_str(),
        names.last_name.as_str(),
    );
    if let Some(company) = &names.company_name {
        changes.field(
            "company_name",
            customer.company_name.clone(),
            company.as_str(),
        );
    }
    if !changes.is_empty() {
        account::update_names(&tx, &customer.id, &names, now)?;
        audit::record(
            &tx,
            &AuditEvent {
                occurred_at: now,
                customer_id: &customer.id,
                subscription_id: None,
                actor: Actor::Customer,
                action: "customer.update",
                changes,
            },
        )?;
    }
    tx.commit()?;
    let updated = customers::customer(call.conn, &customer.plan_slug, &customer.id)?
        .ok_or_else(ApiError::internal)?;
    Ok(Answer::json(200, to_json(&Customer::from(&updated))?))
}

/// `value` trimmed, `min..=max` characters long and free of control characters.
fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars < min {
        let message = if min == 1 {
            format!("`{field}` must not be empty.")
        } else {
            format!("`{field}` must have at least {min} characters.")
        };
        return Err(bad_field("too_small", field, &message));
    }
    if chars > max {
        let message = format!("`{field}` must have at most {max} characters.");
        return Err(bad_field("too_big", field, &message));
    }
    if value.chars().any(char::is_control) {
        let message = format!("`{field}` must not contain control characters.");
        return Err(bad_field("invalid_format", field, &message));
    }
    Ok(value.to_owned())
}

/// 400 for one field of the body.
pub(super) fn bad_field(code: &'static str, field: &str, message: &str) -> ApiError {
    field_error(400, code, field, message)
}

/// An error answer naming one field, in the envelope of its status: 400, 403, 409 or 422.
pub(super) fn field_error(status: u16, code: &'static str, field: &str, message: &str) -> ApiError {
    let envelope = match status {
        403 => "FORBIDDEN",
        409 => "CONFLICT",
        422 => "UNPROCESSABLE_ENTITY",
        _ => "BAD_REQUEST",
    };
    let mut error = ApiError::new(status, envelope, message);
    error.errors.push(FieldError {
        code,
        field: Some(field.to_owned()),
        message: message.to_owned(),
    });
    error
}

/// Whether supply has ended for good: nothing can be changed or ordered for it any more.
pub(super) fn has_ended(subscription: &SubscriptionRecord, now: i64) -> bool {
    subscription.status == SubscriptionStatus::Ended
        || subscription.end_at.is_some_and(|end| end <= now)
}

/// 422 `ended_subscription`, in the customer's language.
pub(super) fn ended(locale: Locale) -> ApiError {
    let message = match locale {
        Locale::De => "Dieser Vertrag ist beendet und kann nicht mehr geändert werden.",
        Locale::En => "This contract has ended and can no longer be changed.",
    };
    field_error(422, "ended_subscription", "subscription", message)
}

pub(super) fn new_id(prefix: &str) -> Result<String, ApiError> {
    random_id(prefix).map_err(|e| {
        crate::edge::log(&format!("no randomness for an id: {e}"));
        ApiError::internal()
    })
}

/// RFC 3339 in UTC: `2026-05-28T20:26:40Z`.
pub(super) fn iso(at: i64) -> Json {
    Timestamp::from_second(at).map_or(Json::Null, |t| json!(t.to_string()))
}

/// RFC 3339 with the Berlin offset, as Nomos writes end dates: `2026-12-31T00:00:00+01:00`.
pub(super) fn berlin_iso(at: i64) -> Json {
    Timestamp::from_second(at).map_or(Json::Null, |t| {
        json!(
            t.to_zoned(berlin().clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        )
    })
}
