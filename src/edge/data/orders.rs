//! Meter orders and add-on products:
//! * `GET /api/meter-orders` (cursor pages, filters on status and subscription) and
//!   `GET /api/meter-orders/{id}`: Nomos `MeterOrder` (status path created → placed →
//!   check_submitted → check_reviewed → scheduled → installed → activated, or cancelled; the
//!   blocked state and its reason; the appointment) plus `blocked`, the `timeline` of every
//!   status reached (and blocks lifted or set) and the customer's `swap_request`, if any.
//! * `POST /api/subscriptions/{id}/meter-swap {reason, message?}`: the customer asks for a new
//!   meter — a smart meter instead of an analog one (`upgrade`), a defective one replaced
//!   (`defective`) or `other` (described in `message`). It becomes a meter order in status
//!   `created`, by the provider of the subscription's previous order; while the subscription
//!   has an open order (neither activated nor cancelled) another is 409
//!   `duplicate_meter_order`.
//! * `GET /api/products`: the add-on products the customer has booked (cursor pages, filters on
//!   subscription and status).

use rusqlite::TransactionBehavior;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use tiny_http::Method;

use super::account::{bad_field, ended, field_error, has_ended, iso, new_id};
use super::pagination::{self, FieldKind, FilterField, list_json, query_params};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::auth::sessions;
use crate::edge::documents::format::Locale;
use crate::edge::store::audit::{self, Actor, AuditEvent, Changes};
use crate::edge::store::customers::MeterType;
use crate::edge::store::listing::After;
use crate::edge::store::orders::{self, MeterOrderEvent, MeterOrderRecord, ProductRecord};
use crate::edge::store::subscription_of;

const STATUSES: &[&str] = &[
    "created",
    "placed",
    "check_submitted",
    "check_reviewed",
    "scheduled",
    "installed",
    "activated",
    "cancelled",
];

const ORDER_FIELDS: &[FilterField] = &[
    FilterField {
        name: "status",
        column: "o.status",
        kind: FieldKind::Enum(STATUSES),
    },
    FilterField {
        name: "subscription",
        column: "o.subscription_id",
        kind: FieldKind::Id,
    },
];

const PRODUCT_FIELDS: &[FilterField] = &[
    FilterField {
        name: "subscription",
        column: "p.subscription_id",
        kind: FieldKind::Id,
    },
    FilterField {
        name: "status",
        column: "p.status",
        kind: FieldKind::Enum(&["active", "ended"]),
    },
];

/// Who installs the meter when the subscription had no order before.
const DEFAULT_PROVIDER: &str = "energy-metering";
const MAX_MESSAGE: usize = 500;

pub fn route(call: &mut Call, segments: &[&str]) -> Option<Result<Answer, ApiError>> {
    let method = call.req.method.clone();
    let answer = match (segments, method) {
        (["meter-orders"], Method::Get) => list_orders(call),
        (["meter-orders", id], Method::Get) => show_order(call, id),
        (["products"], Method::Get) => list_products(call),
        (["subscriptions", id, "meter-swap"], Method::Post) => request_swap(call, id),
        (["meter-orders"] | ["meter-orders", _] | ["products"], _)
        | (["subscriptions", _, "meter-swap"], _) => Err(ApiError::method_not_allowed()),
        _ => return None,
    };
    Some(answer)
}

fn list_orders(call: &mut Call) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let customer = &me.customer.id;
    let params = query_params(&call.req.query, ORDER_FIELDS, &[])?;
    let secret = &call.edge.secret;
    let request = pagination::parse(secret, "meter-orders", customer, &params, ORDER_FIELDS, &[])?;
    let rows = orders::meter_orders_of(call.conn, customer, &request.conditions, &request.page)?;
    let (rows, next_page) = request.page_of(secret, rows, |last| After {
        key: last.created_at,
        id: last.id.clone(),
    });
    let ids: Vec<&str> = rows.iter().map(|o| o.id.as_str()).collect();
    let events = orders::events_of(call.conn, &ids)?;
    let items = rows.iter().map(|o| order_json(o, &events)).collect();
    Ok(Answer::json(200, list_json(items, next_page)))
}

fn show_order(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let order =
        orders::meter_order_of(call.conn, &me.customer.id, id)?.ok_or_else(ApiError::not_found)?;
    let events = orders::events_of(call.conn, &[order.id.as_str()])?;
    Ok(Answer::json(200, order_json(&order, &events)))
}

/// Nomos `MeterOrder` with `blocked`, `timeline` and `swap_request`; `events` may hold other
/// orders' events too.
fn order_json(order: &MeterOrderRecord, events: &[MeterOrderEvent]) -> Json {
    let timeline: Vec<Json> = events
        .iter()
        .filter(|e| e.meter_order_id == order.id)
        .map(|e| json!({ "event": e.event, "occurred_at": iso(e.occurred_at) }))
        .collect();
    let swap_request = match &order.request_reason {
        Some(reason) => json!({ "reason": reason, "message": order.request_message }),
        None => Json::Null,
    };
    let at = |at: Option<i64>| at.map_or(Json::Null, iso);
    json!({
        "object": "meter_order",
        "id": order.id,
        "subscription": order.subscription_id,
        "customer": order.customer_id,
        "provider": order.provider,
        "status": order.status,
        "created_at": iso(order.created_at),
        "installed_at": at(order.installed_at),
        "activated_at": at(order.activated_at),
        "cancelled_at": at(order.cancelled_at),
        "cancelled_reason": order.cancelled_reason,
        "blocked_at": at(order.blocked_at),
        "blocked_reason": order.blocked_reason,
        "appointment_at": at(order.appointment_at),
        "blocked": order.blocked_at.is_some(),
        "timeline": timeline,
        "swap_request": swap_request,
    })
}

/// Why the customer asks for a new meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SwapReason {
    Upgrade,
    Defective,
    Other,
}

impl SwapReason {
    fn as_str(self) -> &'static str {
        match self {
            SwapReason::Upgrade => "upgrade",
            SwapReason::Defective => "defective",
            SwapReason::Other => "other",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwapRequest {
    reason: SwapReason,
    #[serde(default)]
    message: Option<String>,
}

fn request_swap(call: &mut Call, id: &str) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let me = sessions::require(call)?;
    let body: SwapRequest = call.req.json()?;
    let message = body
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    if message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_MESSAGE)
    {
        return Err(bad_field(
            "too_big",
            "message",
            "The message must have at most 500 characters.",
        ));
    }
    if body.reason == SwapReason::Other && message.is_none() {
        return Err(bad_field(
            "too_small",
            "message",
            "Please describe in `message` why the meter should be swapped.",
        ));
    }
    let locale = Locale::from_tag(&me.customer.locale);
    let now = call.now;
    // One write transaction: two requests at once cannot both find no open order.
    let tx = call
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let subscription =
        subscription_of(&tx, &me.customer.id, id)?.ok_or_else(ApiError::not_found)?;
    if has_ended(&subscription, now) {
        return Err(ended(locale));
    }
    if body.reason == SwapReason::Upgrade && subscription.meter.meter_type == MeterType::Smart {
        let message = match locale {
            Locale::De => "Hier ist bereits ein intelligentes Messsystem eingebaut.",
            Locale::En => "A smart meter is already installed here.",
        };
        return Err(field_error(
            422,
            "unsupported_meter_order",
            "reason",
            message,
        ));
    }
    if let Some(open) = orders::open_order_of_subscription(&tx, &subscription.id)? {
        let message = match locale {
            Locale::De => format!(
                "Für diesen Vertrag läuft bereits ein Zählerauftrag ({}). Ein neuer ist erst möglich, wenn er abgeschlossen ist.",
                open.status
            ),
            Locale::En => format!(
                "There is already a meter order for this contract ({}). A new one is possible once it is finished.",
                open.status
            ),
        };
        return Err(field_error(
            409,
            "duplicate_meter_order",
            "subscription",
            &message,
        ));
    }
    let provider = orders::latest_provider(&tx, &subscription.id)?
        .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned());
    let order = MeterOrderRecord {
        id: new_id("prdo")?,
        subscription_id: subscription.id.clone(),
        customer_id: me.customer.id.clone(),
        provider,
        status: "created".to_owned(),
        created_at: now,
        updated_at: now,
        installed_at: None,
        activated_at: None,
        cancelled_at: None,
        cancelled_reason: None,
        blocked_at: None,
        blocked_reason: None,
        appointment_at: None,
        request_reason: Some(body.reason.as_str().to_owned()),
        request_message: message,
    };
    orders::insert_created_order(&tx, &order)?;
    let mut changes = Changes::new();
    changes.field(
        "meter_order",
        Json::Null,
        json!({
            "id": order.id,
            "status": order.status,
            "reason": order.request_reason,
            "message": order.request_message,
        }),
    );
    audit::record(
        &tx,
        &AuditEvent {
            occurred_at: now,
            customer_id: &me.customer.id,
            subscription_id: Some(&subscription.id),
            actor: Actor::Customer,
            action: "meter_order.request_swap",
            changes,
        },
    )?;
    tx.commit()?;
    let events = orders::events_of(call.conn, &[order.id.as_str()])?;
    Ok(Answer::json(200, order_json(&order, &events)))
}

fn list_products(call: &mut Call) -> Result<Answer, ApiError> {
    let me = sessions::require(call)?;
    let customer = &me.customer.id;
    let params = query_params(&call.req.query, PRODUCT_FIELDS, &[])?;
    let secret = &call.edge.secret;
    let request = pagination::parse(secret, "products", customer, &params, PRODUCT_FIELDS, &[])?;
    let rows = orders::products_of(call.conn, customer, &request.conditions, &request.page)?;
    let (rows, next_page) = request.page_of(secret, rows, |last| After {
        key: last.created_at,
        id: last.id.clone(),
    });
    let items = rows.iter().map(product_json).collect();
    Ok(Answer::json(200, list_json(items, next_page)))
}

fn product_json(p: &ProductRecord) -> Json {
    json!({
        "object": "product",
        "id": p.id,
        "subscription": p.subscription_id,
        "customer": p.customer_id,
        "code": p.code,
        "name": p.name,
        "price_per_month": p.price_ct_per_month as f64 / 100.0,
        "currency": "EUR",
        "status": p.status,
        "start_at": iso(p.start_at),
        "end_at": p.end_at.map_or(Json::Null, iso),
        "created_at": iso(p.created_at),
    })
}
