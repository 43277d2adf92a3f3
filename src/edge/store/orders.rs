//! Meter orders (smart meter installations, and the meter swaps customers request) with their
//! timelines, and the add-on products a customer has booked.

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::listing::{Condition, ListQuery, Page, customer_page};
use super::{Result, WithDbPath};

/// The statuses an order has not finished in.
const OPEN: &str = "status NOT IN ('activated', 'cancelled')";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterOrderRecord {
    pub id: String,
    pub subscription_id: String,
    pub customer_id: String,
    pub provider: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub installed_at: Option<i64>,
    pub activated_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub cancelled_reason: Option<String>,
    pub blocked_at: Option<i64>,
    pub blocked_reason: Option<String>,
    pub appointment_at: Option<i64>,
    /// Set on a swap the customer requested: `upgrade`, `defective` or `other`.
    pub request_reason: Option<String>,
    pub request_message: Option<String>,
}

/// One step of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterOrderEvent {
    pub meter_order_id: String,
    /// A status, or `blocked` / `unblocked`.
    pub event: String,
    pub occurred_at: i64,
}

/// The list's sort key: the newest order first, the id breaking ties.
pub const ORDER_SORT_KEY: &str = "o.created_at";
pub const ORDER_SORT_ID: &str = "o.id";

const ORDER_COLUMNS: &str = "o.id, o.subscription_id, o.customer_id, o.provider, o.status, \
     o.created_at, o.updated_at, o.installed_at, o.activated_at, o.cancelled_at, \
     o.cancelled_reason, o.blocked_at, o.blocked_reason, o.appointment_at, o.request_reason, \
     o.request_message FROM meter_orders o";

fn order_from_row(row: &Row<'_>) -> rusqlite::Result<MeterOrderRecord> {
    Ok(MeterOrderRecord {
        id: row.get(0)?,
        subscription_id: row.get(1)?,
        customer_id: row.get(2)?,
        provider: row.get(3)?,
        status: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        installed_at: row.get(7)?,
        activated_at: row.get(8)?,
        cancelled_at: row.get(9)?,
        cancelled_reason: row.get(10)?,
        blocked_at: row.get(11)?,
        blocked_reason: row.get(12)?,
        appointment_at: row.get(13)?,
        request_reason: row.get(14)?,
        request_message: row.get(15)?,
    })
}

/// A page of the customer's meter orders, newest first; up to `page.limit + 1` rows.
pub fn meter_orders_of(
    conn: &Connection,
    customer_id: &str,
    conditions: &[Condition],
    page: &Page,
) -> Result<Vec<MeterOrderRecord>> {
    let list = ListQuery {
        select: &format!("SELECT {ORDER_COLUMNS}"),
        owner: "o.customer_id",
        sort_key: ORDER_SORT_KEY,
        sort_id: ORDER_SORT_ID,
    };
    customer_page(conn, &list, customer_id, conditions, page, order_from_row)
}

/// One meter order, if it belongs to the customer.
pub fn meter_order_of(
    conn: &Connection,
    customer_id: &str,
    order_id: &str,
) -> Result<Option<MeterOrderRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} WHERE o.id = ?1 AND o.customer_id = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(params![order_id, customer_id], order_from_row)
            .optional()
    })
    .with_db_path(conn)
}

/// The timelines of `order_ids`, each in order, in one query.
pub fn events_of(conn: &Connection, order_ids: &[&str]) -> Result<Vec<MeterOrderEvent>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; order_ids.len()].join(", ");
    let sql = format!(
        "SELECT meter_order_id, event, occurred_at FROM meter_order_events
         WHERE meter_order_id IN ({marks}) ORDER BY meter_order_id, position"
    );
    conn.prepare(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(order_ids), |r| {
                Ok(MeterOrderEvent {
                    meter_order_id: r.get(0)?,
                    event: r.get(1)?,
                    occurred_at: r.get(2)?,
                })
            })?
            .collect()
        })
        .with_db_path(conn)
}

/// The newest order of the subscription that is neither activated nor cancelled.
pub fn open_order_of_subscription(
    conn: &Connection,
    subscription_id: &str,
) -> Result<Option<MeterOrderRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} WHERE o.subscription_id = ?1 AND o.{OPEN}
         ORDER BY o.created_at DESC, o.id DESC LIMIT 1"
    ))
    .and_then(|mut stmt| stmt.query_row([subscription_id], order_from_row).optional())
    .with_db_path(conn)
}

/// The provider of the subscription's latest order: the one that operates its meter.
pub fn latest_provider(conn: &Connection, subscription_id: &str) -> Result<Option<String>> {
    conn.prepare_cached(
        "SELECT provider FROM meter_orders WHERE subscription_id = ?1
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .and_then(|mut stmt| stmt.query_row([subscription_id], |r| r.get(0)).optional())
    .with_db_path(conn)
}

/// Stores a new order in status `created`, with its first timeline entry.
pub fn insert_created_order(conn: &Connection, order: &MeterOrderRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO meter_orders (id, subscription_id, customer_id, provider, status,
             created_at, updated_at, request_reason, request_message)
         VALUES (?1, ?2, ?3, ?4, 'created', ?5, ?5, ?6, ?7)",
        params![
            order.id,
            order.subscription_id,
            order.customer_id,
            order.provider,
            order.created_at,
            order.request_reason,
            order.request_message,
        ],
    )
    .with_db_path(conn)?;
    conn.execute(
        "INSERT INTO meter_order_events (meter_order_id, position, event, occurred_at)
         VALUES (?1, 1, 'created', ?2)",
        params![order.id, order.created_at],
    )
    .with_db_path(conn)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: String,
    pub subscription_id: String,
    pub customer_id: String,
    pub code: String,
    pub name: String,
    /// Gross.
    pub price_ct_per_month: i64,
    /// `active` or `ended`.
    pub status: String,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub created_at: i64,
}

/// The product list's sort key: the latest booking first.
pub const PRODUCT_SORT_KEY: &str = "p.created_at";
pub const PRODUCT_SORT_ID: &str = "p.id";

/// A page of the customer's products, newest first; up to `page.limit + 1` rows.
pub fn products_of(
    conn: &Connection,
    customer_id: &str,
    conditions: &[Condition],
    page: &Page,
) -> Result<Vec<ProductRecord>> {
    let list = ListQuery {
        select: "SELECT p.id, p.subscription_id, p.customer_id, p.code, p.name, \
                 p.price_ct_per_month, p.status, p.start_at, p.end_at, p.created_at \
                 FROM products p",
        owner: "p.customer_id",
        sort_key: PRODUCT_SORT_KEY,
        sort_id: PRODUCT_SORT_ID,
    };
    customer_page(conn, &list, customer_id, conditions, page, |r| {
        Ok(ProductRecord {
            id: r.get(0)?,
            subscription_id: r.get(1)?,
            customer_id: r.get(2)?,
            code: r.get(3)?,
            name: r.get(4)?,
            price_ct_per_month: r.get(5)?,
            status: r.get(6)?,
            start_at: r.get(7)?,
            end_at: r.get(8)?,
            created_at: r.get(9)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::customers::{customer_by_email, subscriptions_of};
    use crate::edge::store::test_support::{at, seeded_lumio};

    const NOW: &str = "2026-11-04T08:30:00Z";

    #[test]
    fn orders_come_with_their_timelines_and_requests_are_stored() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let now = at(NOW).as_second();
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let page = Page {
            after: None,
            limit: 10,
        };
        let orders = meter_orders_of(&conn, &anna.id, &[], &page).unwrap();
        assert_eq!(
            orders.len(),
            2,
            "the home's activated and the flat's cancelled"
        );
        let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
        let events = events_of(&conn, &ids).unwrap();
        let activated: Vec<&str> = events
            .iter()
            .filter(|e| {
                orders
                    .iter()
                    .any(|o| o.status == "activated" && o.id == e.meter_order_id)
            })
            .map(|e| e.event.as_str())
            .collect();
        assert_eq!(
            activated,
            [
                "created",
                "placed",
                "check_submitted",
                "check_reviewed",
                "scheduled",
                "installed",
                "activated"
            ]
        );

        let second = &subscriptions_of(&conn, &anna.id).unwrap()[1];
        assert_eq!(open_order_of_subscription(&conn, &second.id).unwrap(), None);
        assert_eq!(
            latest_provider(&conn, &second.id).unwrap().as_deref(),
            Some("metrify")
        );
        let request = MeterOrderRecord {
            id: "prdo_test".to_owned(),
            subscription_id: second.id.clone(),
            customer_id: anna.id.clone(),
            provider: "metrify".to_owned(),
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
            request_reason: Some("upgrade".to_owned()),
            request_message: None,
        };
        insert_created_order(&conn, &request).unwrap();
        assert_eq!(
            open_order_of_subscription(&conn, &second.id).unwrap(),
            Some(request.clone())
        );
        assert_eq!(
            meter_order_of(&conn, &anna.id, "prdo_test").unwrap(),
            Some(request)
        );
        assert_eq!(
            meter_order_of(&conn, "cus_other", "prdo_test").unwrap(),
            None
        );
    }

    #[test]
    fn products_are_the_customers_own() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let page = Page {
            after: None,
            limit: 10,
        };
        let products = products_of(&conn, &anna.id, &[], &page).unwrap();
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].code, "green_plus");
        assert_eq!(products[0].customer_id, anna.id);
    }
}
