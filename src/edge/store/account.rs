//! What a customer changes on their account: names, a subscription's billing address and SEPA
//! mandate, its termination; and the page of subscriptions of the list endpoint. Callers run
//! the writes in one transaction with their audit record.

use rusqlite::{Connection, params};

use super::customers::{
    AddressRecord, PaymentMethodRecord, SUBSCRIPTION_COLUMNS, SubscriptionRecord,
    TerminationReason, subscription_from_row,
};
use super::listing::{Condition, ListQuery, Page, customer_page};
use super::{Result, WithDbPath};

/// The subscription list's sort key: the newest contract first, the id breaking ties.
pub const SORT_KEY: &str = "s.created_at";
pub const SORT_ID: &str = "s.id";

/// A page of the customer's subscriptions, newest first; up to `page.limit + 1` rows.
pub fn subscriptions_page(
    conn: &Connection,
    customer_id: &str,
    conditions: &[Condition],
    page: &Page,
) -> Result<Vec<SubscriptionRecord>> {
    let list = ListQuery {
        select: &format!("SELECT {SUBSCRIPTION_COLUMNS}"),
        owner: "s.customer_id",
        sort_key: SORT_KEY,
        sort_id: SORT_ID,
    };
    customer_page(
        conn,
        &list,
        customer_id,
        conditions,
        page,
        subscription_from_row,
    )
}

/// The names a customer may change; `company_name` only for companies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub first_name: String,
    pub last_name: String,
    pub company_name: Option<String>,
}

pub fn update_names(conn: &Connection, customer_id: &str, names: &Names, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE customers SET first_name = ?2, last_name = ?3,
             company_name = COALESCE(?4, company_name), updated_at = ?5
         WHERE id = ?1",
        params![
            customer_id,
            names.first_name,
            names.last_name,
            names.company_name,
            now
        ],
    )
    .with_db_path(conn)?;
    Ok(())
}

/// A postal address as entered (checked by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    pub street: String,
    pub house_number: String,
    pub zip: String,
    pub city: String,
}

/// Gives the subscription `address` as its billing address. The row is changed in place, as
/// Nomos does, so subscriptions sharing it as billing address all change; but a row that is
/// also a supply address (where a meter is) is never changed: the subscription gets a new row.
pub fn set_billing_address(
    conn: &Connection,
    subscription: &SubscriptionRecord,
    address: &PostalAddress,
    new_id: &str,
    now: i64,
) -> Result<AddressRecord> {
    let current = &subscription.billing_address;
    let supplies: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE address_id = ?1)",
            [&current.id],
            |r| r.get(0),
        )
        .with_db_path(conn)?;
    let record = if supplies {
        let record = AddressRecord {
            id: new_id.to_owned(),
            street: address.street.clone(),
            house_number: address.house_number.clone(),
            zip: address.zip.clone(),
            city: address.city.clone(),
            created_at: now,
        };
        conn.execute(
            "INSERT INTO addresses (id, street, house_number, zip, city, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.id,
                record.street,
                record.house_number,
                record.zip,
                record.city,
                record.created_at
            ],
        )
        .with_db_path(conn)?;
        record
    } else {
        conn.execute(
            "UPDATE addresses SET street = ?2, house_number = ?3, zip = ?4, city = ?5
             WHERE id = ?1",
            params![
                current.id,
                address.street,
                address.house_number,
                address.zip,
                address.city
            ],
        )
        .with_db_path(conn)?;
        AddressRecord {
            street: address.street.clone(),
            house_number: address.house_number.clone(),
            zip: address.zip.clone(),
            city: address.city.clone(),
            ..current.clone()
        }
    };
    conn.execute(
        "UPDATE subscriptions SET billing_address_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![subscription.id, record.id, now],
    )
    .with_db_path(conn)?;
    Ok(record)
}

/// Attaches a new SEPA mandate to the subscription; other subscriptions keep theirs.
pub fn replace_payment_method(
    conn: &Connection,
    subscription: &SubscriptionRecord,
    method: &PaymentMethodRecord,
    now: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO payment_methods (id, customer_id, type, iban, account_holder, created_at)
         VALUES (?1, ?2, 'sepa_debit', ?3, ?4, ?5)",
        params![
            method.id,
            subscription.customer_id,
            method.iban,
            method.account_holder,
            method.created_at
        ],
    )
    .with_db_path(conn)?;
    conn.execute(
        "UPDATE subscriptions SET payment_method_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![subscription.id, method.id, now],
    )
    .with_db_path(conn)?;
    Ok(())
}

/// Records a received termination: supply ends at `end_at` (exclusive, Berlin midnight).
pub fn terminate(
    conn: &Connection,
    subscription_id: &str,
    reason: TerminationReason,
    end_at: i64,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE subscriptions SET terminated_at = ?2, termination_reason = ?3, end_at = ?4,
             updated_at = ?2
         WHERE id = ?1",
        params![subscription_id, now, reason, end_at],
    )
    .with_db_path(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::customers::{customer_by_email, subscription_of, subscriptions_of};
    use crate::edge::store::test_support::{at, seeded_lumio};

    const NOW: &str = "2026-11-04T08:30:00Z";

    fn address(street: &str) -> PostalAddress {
        PostalAddress {
            street: street.to_owned(),
            house_number: "12a".to_owned(),
            zip: "10115".to_owned(),
            city: "Berlin".to_owned(),
        }
    }

    #[test]
    fn a_supply_address_is_never_changed_by_a_billing_address() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let now = at(NOW).as_second();
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let subs = subscriptions_of(&conn, &anna.id).unwrap();
        let (home, second) = (&subs[0], &subs[1]);
        // The second flat's bills go to the home address.
        assert_eq!(second.billing_address.id, home.address.id);

        let new =
            set_billing_address(&conn, second, &address("Torstraße"), "adr_new1", now).unwrap();
        assert_eq!(new.id, "adr_new1");
        let home_after = subscription_of(&conn, &anna.id, &home.id).unwrap().unwrap();
        assert_eq!(home_after.address, home.address, "supply address unchanged");
        let second_after = subscription_of(&conn, &anna.id, &second.id)
            .unwrap()
            .unwrap();
        assert_eq!(second_after.billing_address, new);
        assert_eq!(second_after.updated_at, now);

        // A row that is only a billing address changes in place.
        let again = set_billing_address(
            &conn,
            &second_after,
            &address("Invalidenstraße"),
            "adr_x",
            now,
        )
        .unwrap();
        assert_eq!(again.id, "adr_new1");
        assert_eq!(again.street, "Invalidenstraße");
        let count: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM addresses WHERE id = 'adr_x'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn pages_of_subscriptions_are_newest_first() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let page = Page {
            after: None,
            limit: 1,
        };
        let rows = subscriptions_page(&conn, &anna.id, &[], &page).unwrap();
        assert_eq!(rows.len(), 2, "one more than the limit");
        assert!(rows[0].created_at > rows[1].created_at);
    }
}
