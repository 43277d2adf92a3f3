//! The store's records in the JSON shapes of the Nomos API (version 2026-05-27.curie): field
//! names, `object` tags, RFC 3339 instants, `null` for absent values, the IBAN masked.

use jiff::Timestamp;
use serde::Serialize;

use super::customers::{
    AddressRecord, CustomerRecord, CustomerType, MeterRecord, MeterType, PaymentMethodRecord,
    SubscriptionRecord, SubscriptionStatus, SubscriptionType,
};

/// Nomos `Customer` (the `Person` or `Company` variant).
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub object: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub customer_type: CustomerType,
    pub first_name: String,
    pub last_name: String,
    /// Only companies have the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    pub email: String,
    pub vat_id: Option<String>,
    pub created_at: Timestamp,
}

/// Nomos `Address`.
#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub object: &'static str,
    pub id: String,
    pub street: String,
    pub house_number: String,
    pub zip: String,
    pub city: String,
    pub created_at: Timestamp,
}

/// Nomos `Meter`.
#[derive(Debug, Clone, Serialize)]
pub struct Meter {
    pub object: &'static str,
    pub id: String,
    pub melo: Option<String>,
    pub number: String,
    #[serde(rename = "type")]
    pub meter_type: MeterType,
    pub malo: Option<String>,
    pub created_at: Timestamp,
}

/// Nomos `PaymentMethod`, always SEPA direct debit.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentMethod {
    pub object: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub method_type: &'static str,
    pub sepa_debit: SepaDebit,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct SepaDebit {
    /// Masked: `DE************6485`.
    pub iban: String,
    pub account_holder: String,
}

/// Nomos `Subscription` as `GET /subscriptions/{id}` returns it: related objects expanded.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub object: &'static str,
    pub id: String,
    pub plan: String,
    pub customer: Customer,
    pub address: Address,
    pub meter: Meter,
    pub payment_method: PaymentMethod,
    /// The previous supplier; the store does not know it.
    pub supplier: Option<()>,
    pub number: Option<String>,
    pub status: SubscriptionStatus,
    pub estimated_usage: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub start_at: Option<Timestamp>,
    pub terminated_at: Option<Timestamp>,
    pub end_at: Option<Timestamp>,
    pub metadata: Option<serde_json::Value>,
    #[serde(rename = "type")]
    pub subscription_type: SubscriptionType,
    pub billing_address: Address,
}

/// Nomos `Subscription` as an item of `GET /subscriptions`: related objects as ids.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionListItem {
    pub object: &'static str,
    pub id: String,
    pub plan: String,
    pub customer: String,
    pub address: String,
    pub meter: String,
    pub payment_method: String,
    pub supplier: Option<String>,
    pub number: Option<String>,
    pub status: SubscriptionStatus,
    pub estimated_usage: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub start_at: Option<Timestamp>,
    pub terminated_at: Option<Timestamp>,
    pub end_at: Option<Timestamp>,
    pub metadata: Option<serde_json::Value>,
    #[serde(rename = "type")]
    pub subscription_type: SubscriptionType,
    pub billing_address: String,
}

/// Shows the country code and the last four characters, as Nomos does: `DE************6485`.
pub fn mask_iban(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let country: String = chars[..2].iter().collect();
    let last: String = chars[chars.len() - 4..].iter().collect();
    format!("{country}************{last}")
}

/// Unix seconds as a timestamp; the store only holds instants jiff can represent.
fn instant(at: i64) -> Timestamp {
    Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl From<&CustomerRecord> for Customer {
    fn from(c: &CustomerRecord) -> Self {
        Customer {
            object: "customer",
            id: c.id.clone(),
            customer_type: c.customer_type,
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            company_name: c.company_name.clone(),
            email: c.email.clone(),
            vat_id: c.vat_id.clone(),
            created_at: instant(c.created_at),
        }
    }
}

impl From<&AddressRecord> for Address {
    fn from(a: &AddressRecord) -> Self {
        Address {
            object: "address",
            id: a.id.clone(),
            street: a.street.clone(),
            house_number: a.house_number.clone(),
            zip: a.zip.clone(),
            city: a.city.clone(),
            created_at: instant(a.created_at),
        }
    }
}

impl From<&MeterRecord> for Meter {
    fn from(m: &MeterRecord) -> Self {
        Meter {
            object: "meter",
            id: m.id.clone(),
            melo: m.melo.clone(),
            number: m.number.clone(),
            meter_type: m.meter_type,
            malo: m.malo.clone(),
            created_at: instant(m.created_at),
        }
    }
}

impl From<&PaymentMethodRecord> for PaymentMethod {
    fn from(p: &PaymentMethodRecord) -> Self {
        PaymentMethod {
            object: "payment_method",
            id: p.id.clone(),
            method_type: "sepa_debit",
            sepa_debit: SepaDebit {
                iban: mask_iban(&p.iban),
                account_holder: p.account_holder.clone(),
            },
            created_at: instant(p.created_at),
        }
    }
}

impl Subscription {
    pub fn new(s: &SubscriptionRecord, customer: &CustomerRecord) -> Self {
        Subscription {
            object: "subscription",
            id: s.id.clone(),
            plan: s.plan_id.clone(),
            customer: customer.into(),
            address: (&s.address).into(),
            meter: (&s.meter).into(),
            payment_method: (&s.payment_method).into(),
            supplier: None,
            number: s.number.clone(),
            status: s.status,
            estimated_usage: s.estimated_usage_kwh,
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
            start_at: s.start_at.map(instant),
            terminated_at: s.terminated_at.map(instant),
            end_at: s.end_at.map(instant),
            metadata: s.metadata.clone(),
            subscription_type: s.subscription_type,
            billing_address: (&s.billing_address).into(),
        }
    }
}

impl From<&SubscriptionRecord> for SubscriptionListItem {
    fn from(s: &SubscriptionRecord) -> Self {
        SubscriptionListItem {
            object: "subscription",
            id: s.id.clone(),
            plan: s.plan_id.clone(),
            customer: s.customer_id.clone(),
            address: s.address.id.clone(),
            meter: s.meter.id.clone(),
            payment_method: s.payment_method.id.clone(),
            supplier: None,
            number: s.number.clone(),
            status: s.status,
            estimated_usage: s.estimated_usage_kwh,
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
            start_at: s.start_at.map(instant),
            terminated_at: s.terminated_at.map(instant),
            end_at: s.end_at.map(instant),
            metadata: s.metadata.clone(),
            subscription_type: s.subscription_type,
            billing_address: s.billing_address.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_is_masked_like_nomos() {
        assert_eq!(mask_iban("DE68500105178297336485"), "DE************6485");
        assert_eq!(
            mask_iban("DE68 5001 0517 8297 3364 85"),
            "DE************6485"
        );
        assert_eq!(mask_iban("DE12"), "****");
    }

    #[test]
    fn a_person_has_no_company_name_field_and_a_null_vat_id() {
        let record = CustomerRecord {
            id: "cus_mi4f0oda6x9m7gcsvjk0ole1".to_owned(),
            plan_slug: "lumio".to_owned(),
            org_id: "lumio".to_owned(),
            customer_type: CustomerType::Person,
            first_name: "John".to_owned(),
            last_name: "Doe".to_owned(),
            company_name: None,
            email: "john.doe@example.com".to_owned(),
            vat_id: None,
            locale: "de".to_owned(),
            created_at: 1_710_417_600,
            updated_at: 1_710_417_600,
        };
        let json = serde_json::to_value(Customer::from(&record)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "object": "customer",
                "id": "cus_mi4f0oda6x9m7gcsvjk0ole1",
                "type": "person",
                "first_name": "John",
                "last_name": "Doe",
                "email": "john.doe@example.com",
                "vat_id": null,
                "created_at": "2024-03-14T12:00:00Z"
            })
        );
    }
}
