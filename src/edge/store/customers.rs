//! Customers and their subscriptions. Every lookup is scoped: by plan slug (the portal a
//! request came to), by organization (an API key) or by customer (a session), so an id of
//! another tenant or customer is simply not found.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{Result, WithDbPath};

/// Text enums stored as their Nomos spelling.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                Self::parse(text).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} `{text}`", stringify!($name)).into())
                })
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
    };
}

text_enum!(CustomerType {
    Person = "person",
    Company = "company",
});

text_enum!(SubscriptionStatus {
    Pending = "pending",
    Active = "active",
    Ended = "ended",
});

text_enum!(SubscriptionType {
    Consumption = "consumption",
    FeedIn = "feed_in",
});

text_enum!(MeterType {
    Smart = "smart",
    Analog = "analog",
});

text_enum!(TerminationReason {
    Ordinary = "ORDINARY",
    MoveOut = "MOVE_OUT",
    Withdrawal = "WITHDRAWAL",
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    pub id: String,
    /// The one portal the customer belongs to.
    pub plan_slug: String,
    pub org_id: String,
    pub customer_type: CustomerType,
    pub first_name: String,
    pub last_name: String,
    pub company_name: Option<String>,
    pub email: String,
    pub vat_id: Option<String>,
    /// `de` or `en`: the language of e-mails and documents.
    pub locale: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRecord {
    pub id: String,
    pub street: String,
    pub house_number: String,
    pub zip: String,
    pub city: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRecord {
    pub id: String,
    pub number: String,
    pub meter_type: MeterType,
    pub melo: Option<String>,
    pub malo: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodRecord {
    pub id: String,
    /// The full IBAN: mask it with [`super::nomos::mask_iban`] before it leaves the server.
    pub iban: String,
    pub account_holder: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRecord {
    pub id: String,
    pub customer_id: String,
    pub plan_slug: String,
    /// The plan's `pln_…` id.
    pub plan_id: String,
    pub number: Option<String>,
    pub status: SubscriptionStatus,
    pub subscription_type: SubscriptionType,
    pub address: AddressRecord,
    pub billing_address: AddressRecord,
    pub meter: MeterRecord,
    pub payment_method: PaymentMethodRecord,
    pub estimated_usage_kwh: i64,
    pub monthly_prepayment_ct: Option<i64>,
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub termination_reason: Option<TerminationReason>,
    /// A JSON object, or `None`.
    pub metadata: Option<serde_json::Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How sign-in compares addresses: trimmed and lowercase.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

const CUSTOMER_COLUMNS: &str = "c.id, c.plan_slug, p.org_id, c.type, c.first_name, c.last_name, \
     c.company_name, c.email, c.vat_id, c.locale, c.created_at, c.updated_at \
     FROM customers c JOIN plans p ON p.slug = c.plan_slug";

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<CustomerRecord> {
    Ok(CustomerRecord {
        id: row.get(0)?,
        plan_slug: row.get(1)?,
        org_id: row.get(2)?,
        customer_type: row.get(3)?,
        first_name: row.get(4)?,
        last_name: row.get(5)?,
        company_name: row.get(6)?,
        email: row.get(7)?,
        vat_id: row.get(8)?,
        locale: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

/// The customer of this portal with this e-mail address (compared normalized).
pub fn customer_by_email(
    conn: &Connection,
    plan_slug: &str,
    email: &str,
) -> Result<Option<CustomerRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} WHERE c.plan_slug = ?1 AND c.email_normalized = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(
            params![plan_slug, normalize_email(email)],
            customer_from_row,
        )
        .optional()
    })
    .with_db_path(conn)
}

/// The customer with this id on this portal.
pub fn customer(
    conn: &Connection,
    plan_slug: &str,
    customer_id: &str,
) -> Result<Option<CustomerRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} WHERE c.id = ?1 AND c.plan_slug = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(params![customer_id, plan_slug], customer_from_row)
            .optional()
    })
    .with_db_path(conn)
}

/// The customer with this id on any plan of the organization (for its API keys).
pub fn customer_in_org(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<Option<CustomerRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} WHERE c.id = ?1 AND p.org_id = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(params![customer_id, org_id], customer_from_row)
            .optional()
    })
    .with_db_path(conn)
}

/// The columns [`subscription_from_row`] reads, with the joins they need (`s` the subscription).
pub(super) const SUBSCRIPTION_COLUMNS: &str = "s.id, s.customer_id, s.plan_slug, p.id, s.number, s.status, \
     s.type, s.estimated_usage_kwh, s.monthly_prepayment_ct, s.start_at, s.end_at, \
     s.terminated_at, s.termination_reason, s.metadata, s.created_at, s.updated_at, \
     a.id, a.street, a.house_number, a.zip, a.city, a.created_at, \
     b.id, b.street, b.house_number, b.zip, b.city, b.created_at, \
     m.id, m.number, m.type, m.melo, m.malo, m.created_at, \
     pm.id, pm.iban, pm.account_holder, pm.created_at \
     FROM subscriptions s \
     JOIN plans p ON p.slug = s.plan_slug \
     JOIN addresses a ON a.id = s.address_id \
     JOIN addresses b ON b.id = s.billing_address_id \
     JOIN meters m ON m.id = s.meter_id \
     JOIN payment_methods pm ON pm.id = s.payment_method_id";

fn address_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<AddressRecord> {
    Ok(AddressRecord {
        id: row.get(first)?,
        street: row.get(first + 1)?,
        house_number: row.get(first + 2)?,
        zip: row.get(first + 3)?,
        city: row.get(first + 4)?,
        created_at: row.get(first + 5)?,
    })
}

pub(super) fn subscription_from_row(row: &Row<'_>) -> rusqlite::Result<SubscriptionRecord> {
    let metadata: Option<String> = row.get(13)?;
    let metadata = metadata
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(13, rusqlite::types::Type::Text, e.into())
        })?;
    Ok(SubscriptionRecord {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        plan_slug: row.get(2)?,
        plan_id: row.get(3)?,
        number: row.get(4)?,
        status: row.get(5)?,
        subscription_type: row.get(6)?,
        estimated_usage_kwh: row.get(7)?,
        monthly_prepayment_ct: row.get(8)?,
        start_at: row.get(9)?,
        end_at: row.get(10)?,
        terminated_at: row.get(11)?,
        termination_reason: row.get(12)?,
        metadata,
        created_at: row.get(14)?,
        updated_at: row.get(15)?,
        address: address_from_row(row, 16)?,
        billing_address: address_from_row(row, 22)?,
        meter: MeterRecord {
            id: row.get(28)?,
            number: row.get(29)?,
            meter_type: row.get(30)?,
            melo: row.get(31)?,
            malo: row.get(32)?,
            created_at: row.get(33)?,
        },
        payment_method: PaymentMethodRecord {
            id: row.get(34)?,
            iban: row.get(35)?,
            account_holder: row.get(36)?,
            created_at: row.get(37)?,
        },
    })
}

/// The customer's subscriptions, oldest first.
pub fn subscriptions_of(conn: &Connection, customer_id: &str) -> Result<Vec<SubscriptionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} WHERE s.customer_id = ?1 ORDER BY s.created_at, s.id"
    ))
    .and_then(|mut stmt| {
        stmt.query_map([customer_id], subscription_from_row)?
            .collect()
    })
    .with_db_path(conn)
}

/// One subscription, if it belongs to the customer.
pub fn subscription_of(
    conn: &Connection,
    customer_id: &str,
    subscription_id: &str,
) -> Result<Option<SubscriptionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} WHERE s.id = ?1 AND s.customer_id = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(params![subscription_id, customer_id], subscription_from_row)
            .optional()
    })
    .with_db_path(conn)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::edge::store::nomos::{Subscription, SubscriptionListItem};
    use crate::edge::store::test_support::{seeded_lumio, seeded_store};

    const NOW: &str = "2026-11-04T08:30:00Z";

    fn keys(json: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn lookups_are_scoped_to_the_portal_and_the_organization() {
        let (_dir, conn, _) = seeded_store(NOW);
        let anna = customer_by_email(&conn, "lumio", "  Anna.Schmidt@LUMIO.example.com ")
            .unwrap()
            .unwrap();
        assert_eq!(anna.plan_slug, "lumio");
        assert_eq!(anna.org_id, "lumio");
        assert_eq!(anna.first_name, "Anna");
        assert!(
            customer_by_email(&conn, "nordwatt", "anna.schmidt@lumio.example.com")
                .unwrap()
                .is_none(),
            "an address of another portal"
        );

        assert_eq!(
            customer(&conn, "lumio", &anna.id).unwrap(),
            Some(anna.clone())
        );
        assert_eq!(customer(&conn, "lumio-business", &anna.id).unwrap(), None);
        assert_eq!(customer(&conn, "lumio", "cus_unknown").unwrap(), None);

        let business = customer_by_email(
            &conn,
            "lumio-business",
            "anna.schmidt@lumio-business.example.com",
        )
        .unwrap()
        .unwrap();
        let in_org = customer_in_org(&conn, "lumio", &business.id)
            .unwrap()
            .unwrap();
        assert_eq!(
            in_org.plan_slug, "lumio-business",
            "an organization reaches all its plans"
        );
        assert_eq!(
            customer_in_org(&conn, "nordwatt", &business.id).unwrap(),
            None
        );

        let subscriptions = subscriptions_of(&conn, &anna.id).unwrap();
        assert_eq!(subscriptions.len(), 2);
        assert_eq!(subscriptions[0].meter.meter_type, MeterType::Smart);
        assert_eq!(subscriptions[1].meter.meter_type, MeterType::Analog);
        assert_eq!(
            subscription_of(&conn, &anna.id, &subscriptions[1].id)
                .unwrap()
                .as_ref(),
            Some(&subscriptions[1])
        );
        assert_eq!(
            subscription_of(&conn, &business.id, &subscriptions[1].id).unwrap(),
            None
        );
    }

    #[test]
    fn subscriptions_serialize_in_the_nomos_shapes() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let home = &subscriptions_of(&conn, &anna.id).unwrap()[0];

        let json = serde_json::to_value(Subscription::new(home, &anna)).unwrap();
        assert_eq!(
            keys(&json),
            vec![
                "address",
                "billing_address",
                "created_at",
                "customer",
                "end_at",
                "estimated_usage",
                "id",
                "metadata",
                "meter",
                "number",
                "object",
                "payment_method",
                "plan",
                "start_at",
                "status",
                "supplier",
                "terminated_at",
                "type",
                "updated_at"
            ]
        );
        assert_eq!(json["object"], "subscription");
        assert_eq!(json["type"], "consumption");
        assert_eq!(json["status"], "active");
        assert_eq!(json["estimated_usage"], 3200);
        assert_eq!(
            json["start_at"], "2024-08-31T22:00:00Z",
            "1 September, Berlin midnight"
        );
        assert_eq!(json["end_at"], Value::Null);
        assert_eq!(json["metadata"]["channel"], "website");
        assert!(json["plan"].as_str().unwrap().starts_with("pln_"));
        assert_eq!(json["customer"]["object"], "customer");
        assert_eq!(json["customer"]["email"], "anna.schmidt@lumio.example.com");
        assert_eq!(json["meter"]["type"], "smart");
        assert_eq!(json["address"]["object"], "address");
        assert_eq!(
            keys(&json["address"]),
            vec![
                "city",
                "created_at",
                "house_number",
                "id",
                "object",
                "street",
                "zip"
            ]
        );
        assert_eq!(
            keys(&json["meter"]),
            vec![
                "created_at",
                "id",
                "malo",
                "melo",
                "number",
                "object",
                "type"
            ]
        );
        let iban = json["payment_method"]["sepa_debit"]["iban"]
            .as_str()
            .unwrap();
        assert!(
            iban.starts_with("DE************") && iban.len() == 18,
            "{iban}"
        );
        assert_eq!(
            json["payment_method"]["sepa_debit"]["account_holder"],
            "Anna Schmidt"
        );

        let item = serde_json::to_value(SubscriptionListItem::from(home)).unwrap();
        assert_eq!(keys(&item), keys(&json));
        assert_eq!(item["customer"], anna.id.as_str());
        assert_eq!(item["meter"], home.meter.id.as_str());
        assert_eq!(item["billing_address"], home.billing_address.id.as_str());

        // The company customer has a company name and a VAT id.
        let company_id: String = conn
            .query_row("SELECT id FROM customers WHERE type = 'company'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let company = customer(&conn, "lumio", &company_id).unwrap().unwrap();
        let json =
            serde_json::to_value(crate::edge::store::nomos::Customer::from(&company)).unwrap();
        assert_eq!(json["type"], "company");
        assert!(json["company_name"].is_string() && json["vat_id"].is_string());
    }
}
