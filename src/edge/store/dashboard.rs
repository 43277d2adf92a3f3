//! What the dashboard shows besides prices and consumption: a subscription's latest invoice and
//! its open meter order, one indexed lookup each.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, WithDbPath};

/// The latest invoice of a subscription, as the dashboard summarises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestInvoice {
    pub id: String,
    pub customer_id: String,
    pub subscription_id: String,
    pub invoice_number: String,
    /// `usage`, `prepayment` or `void`.
    pub invoice_type: String,
    /// `open`, `paid`, `voided` or `uncollectible`.
    pub status: String,
    pub year: i64,
    pub month: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub period_number: i64,
    pub usage_wh: Option<i64>,
    pub total_ct: i64,
    pub voids: Option<String>,
    pub issued_at: i64,
    pub due_at: Option<i64>,
    pub paid_at: Option<i64>,
    /// The status of the latest direct-debit attempt, if there was one.
    pub payment_status: Option<String>,
}

/// The invoice issued last by `now` (numbers count in the order of issue, so they break ties
/// between a Storno and its replacement).
pub fn latest_invoice(
    conn: &Connection,
    subscription_id: &str,
    now: i64,
) -> Result<Option<LatestInvoice>> {
    conn.prepare_cached(
        "SELECT i.id, i.customer_id, i.subscription_id, i.invoice_number, i.type, i.status,
                i.year, i.month, i.period_start, i.period_end, i.period_number, i.usage_wh,
                i.total_ct, i.voids, i.issued_at, i.due_at, i.paid_at,
                (SELECT p.status FROM invoice_payments p WHERE p.invoice_id = i.id
                 ORDER BY p.attempted_at DESC LIMIT 1)
         FROM invoices i
         WHERE i.subscription_id = ?1 AND i.issued_at <= ?2
         ORDER BY i.issued_at DESC, i.invoice_number DESC LIMIT 1",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![subscription_id, now], |r| {
            Ok(LatestInvoice {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                subscription_id: r.get(2)?,
                invoice_number: r.get(3)?,
                invoice_type: r.get(4)?,
                status: r.get(5)?,
                year: r.get(6)?,
                month: r.get(7)?,
                period_start: r.get(8)?,
                period_end: r.get(9)?,
                period_number: r.get(10)?,
                usage_wh: r.get(11)?,
                total_ct: r.get(12)?,
                voids: r.get(13)?,
                issued_at: r.get(14)?,
                due_at: r.get(15)?,
                paid_at: r.get(16)?,
                payment_status: r.get(17)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

/// A meter order in the columns of the Nomos `MeterOrder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterOrderRow {
    pub id: String,
    pub subscription_id: String,
    pub customer_id: String,
    pub provider: String,
    pub status: String,
    pub created_at: i64,
    pub installed_at: Option<i64>,
    pub activated_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub cancelled_reason: Option<String>,
    pub blocked_at: Option<i64>,
    pub blocked_reason: Option<String>,
    pub appointment_at: Option<i64>,
}

/// The newest order of the subscription that is neither activated nor cancelled.
pub fn open_meter_order(conn: &Connection, subscription_id: &str) -> Result<Option<MeterOrderRow>> {
    conn.prepare_cached(
        "SELECT id, subscription_id, customer_id, provider, status, created_at, installed_at,
                activated_at, cancelled_at, cancelled_reason, blocked_at, blocked_reason,
                appointment_at
         FROM meter_orders
         WHERE subscription_id = ?1 AND status NOT IN ('activated', 'cancelled')
         ORDER BY created_at DESC LIMIT 1",
    )
    .and_then(|mut stmt| {
        stmt.query_row([subscription_id], |r| {
            Ok(MeterOrderRow {
                id: r.get(0)?,
                subscription_id: r.get(1)?,
                customer_id: r.get(2)?,
                provider: r.get(3)?,
                status: r.get(4)?,
                created_at: r.get(5)?,
                installed_at: r.get(6)?,
                activated_at: r.get(7)?,
                cancelled_at: r.get(8)?,
                cancelled_reason: r.get(9)?,
                blocked_at: r.get(10)?,
                blocked_reason: r.get(11)?,
                appointment_at: r.get(12)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

/// The end of the last period a prepayment invoice issued by `now` covers.
pub fn prepaid_until(conn: &Connection, subscription_id: &str, now: i64) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT MAX(period_end) FROM invoices
         WHERE subscription_id = ?1 AND type = 'prepayment' AND issued_at <= ?2",
    )
    .and_then(|mut stmt| stmt.query_row(params![subscription_id, now], |r| r.get(0)))
    .with_db_path(conn)
}
