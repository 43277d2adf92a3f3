//! Invoice events: status changes and the payment history (a failed attempt is kept whatever
//! the status), and an invoice the store does not have yet, stored by its totals.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::subscriptions::subscription_in_org;
use super::{Outcome, iso, record};
use crate::edge::store::audit::Changes;
use crate::edge::store::tariffs::plan_tariff;
use crate::edge::store::{Result, WithDbPath};

/// VAT of an invoice whose plan has no stored tariff: the German standard rate.
const STANDARD_VAT_BASIS_POINTS: i64 = 1900;

/// The failure code of a failed payment whose event names no SEPA return reason.
const UNSPECIFIED_FAILURE: &str = "unspecified";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceEvent {
    Created,
    Paid,
    PaymentFailed,
    Voided,
    Uncollectible,
}

impl InvoiceEvent {
    pub const ALL: [Self; 5] = [
        Self::Created,
        Self::Paid,
        Self::PaymentFailed,
        Self::Voided,
        Self::Uncollectible,
    ];

    pub fn topic(self) -> &'static str {
        match self {
            Self::Created => "invoice.created",
            Self::Paid => "invoice.paid",
            Self::PaymentFailed => "invoice.payment_failed",
            Self::Voided => "invoice.voided",
            Self::Uncollectible => "invoice.uncollectible",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct InvoiceState {
    customer_id: String,
    subscription_id: String,
    status: String,
    total_ct: i64,
    issued_at: Option<i64>,
    paid_at: Option<i64>,
}

fn invoice_in_org(conn: &Connection, org_id: &str, id: &str) -> Result<Option<InvoiceState>> {
    conn.prepare_cached(
        "SELECT i.customer_id, i.subscription_id, i.status, i.total_ct, i.issued_at, i.paid_at
         FROM invoices i
         JOIN subscriptions s ON s.id = i.subscription_id
         JOIN plans p ON p.slug = s.plan_slug
         WHERE i.id = ?1 AND p.org_id = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![id, org_id], |r| {
            Ok(InvoiceState {
                customer_id: r.get(0)?,
                subscription_id: r.get(1)?,
                status: r.get(2)?,
                total_ct: r.get(3)?,
                issued_at: r.get(4)?,
                paid_at: r.get(5)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

/// Applies an invoice event that happened at `at`. An event naming another subscription than
/// the invoice's is not about this invoice.
pub fn apply_invoice(
    conn: &Connection,
    org_id: &str,
    id: &str,
    subscription_id: Option<&str>,
    event: InvoiceEvent,
    at: i64,
) -> Result<Outcome> {
    let Some(old) = invoice_in_org(conn, org_id, id)? else {
        return Ok(Outcome::NotFound);
    };
    if subscription_id.is_some_and(|s| s != old.subscription_id) {
        return Ok(Outcome::NotFound);
    }
    let mut new = old.clone();
    let mut payment = None;
    match event {
        InvoiceEvent::Created => new.issued_at = old.issued_at.or(Some(at)),
        InvoiceEvent::Paid if matches!(old.status.as_str(), "open" | "uncollectible") => {
            new.status = "paid".to_owned();
            new.paid_at = Some(at);
            // A credit (a negative total) is paid out to the customer.
            let status = if old.total_ct < 0 {
                "refunded"
            } else {
                "succeeded"
            };
            payment = Some((status, None));
        }
        // A failed attempt joins the history whatever the status; it changes no status.
        InvoiceEvent::PaymentFailed => payment = Some(("failed", Some(UNSPECIFIED_FAILURE))),
        InvoiceEvent::Voided if old.status != "voided" => new.status = "voided".to_owned(),
        InvoiceEvent::Uncollectible if old.status == "open" => {
            new.status = "uncollectible".to_owned();
        }
        InvoiceEvent::Paid | InvoiceEvent::Voided | InvoiceEvent::Uncollectible => {}
    }
    let mut changes = Changes::new();
    changes.field("status", old.status.as_str(), new.status.as_str());
    changes.field("issued_at", iso(old.issued_at), iso(new.issued_at));
    changes.field("paid_at", iso(old.paid_at), iso(new.paid_at));
    if let Some((status, failure_code)) = payment {
        let inserted = conn
            .prepare_cached(
                "INSERT INTO invoice_payments (invoice_id, status, amount_ct, attempted_at,
                     failure_code)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
            )
            .and_then(|mut stmt| stmt.execute(params![id, status, old.total_ct, at, failure_code]))
            .with_db_path(conn)?;
        if inserted == 1 {
            changes.field("payment", Value::Null, status);
        }
    }
    if changes.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    conn.prepare_cached(
        "UPDATE invoices SET status = ?2, issued_at = ?3, paid_at = ?4,
             updated_at = MAX(updated_at, ?5)
         WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.execute(params![id, new.status, new.issued_at, new.paid_at, at]))
    .with_db_path(conn)?;
    record(
        conn,
        &old.customer_id,
        &old.subscription_id,
        event.topic(),
        changes,
        at,
    )
}

/// An invoice the store does not have yet, as the event's sender described it. Only its totals
/// are known (no lines); net and VAT follow from the plan's VAT rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub id: String,
    pub subscription_id: String,
    pub number: String,
    /// `usage`, `prepayment` or `void`.
    pub invoice_type: String,
    /// `open`, `paid`, `voided` or `uncollectible`.
    pub status: String,
    pub year: i64,
    pub month: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub period_number: i64,
    /// Usage invoices only.
    pub usage_wh: Option<i64>,
    pub total_ct: i64,
    /// What a Storno voids: an invoice of the same subscription.
    pub voids: Option<String>,
    pub issued_at: Option<i64>,
    pub paid_at: Option<i64>,
}

/// Stores a new invoice of a subscription of the organization. NotFound when the subscription
/// (or the invoice a Storno voids) is not the organization's, or the id or number is taken.
pub fn create_invoice(
    conn: &Connection,
    org_id: &str,
    invoice: &NewInvoice,
    at: i64,
) -> Result<Outcome> {
    let Some(subscription) = subscription_in_org(conn, org_id, &invoice.subscription_id)? else {
        return Ok(Outcome::NotFound);
    };
    if let Some(voided) = &invoice.voids {
        let same_subscription = conn
            .prepare_cached("SELECT 1 FROM invoices WHERE id = ?1 AND subscription_id = ?2")
            .and_then(|mut stmt| {
                stmt.query_row(params![voided, invoice.subscription_id], |_| Ok(()))
                    .optional()
            })
            .with_db_path(conn)?;
        if same_subscription.is_none() {
            return Ok(Outcome::NotFound);
        }
    }
    let vat_basis_points = plan_tariff(conn, &subscription.plan_slug)?
        .map_or(STANDARD_VAT_BASIS_POINTS, |t| t.vat_basis_points);
    let net_ct = div_round(invoice.total_ct * 10_000, 10_000 + vat_basis_points);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO invoices (id, customer_id, subscription_id, invoice_number, type, status,
                 year, month, period_start, period_end, period_number, usage_wh, net_ct, vat_ct,
                 total_ct, vat_basis_points, voids, issued_at, paid_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?20)
             ON CONFLICT DO NOTHING",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                invoice.id,
                subscription.customer_id,
                invoice.subscription_id,
                invoice.number,
                invoice.invoice_type,
                invoice.status,
                invoice.year,
                invoice.month,
                invoice.period_start,
                invoice.period_end,
                invoice.period_number,
                invoice.usage_wh,
                net_ct,
                invoice.total_ct - net_ct,
                invoice.total_ct,
                vat_basis_points,
                invoice.voids,
                invoice.issued_at,
                invoice.paid_at,
                at,
            ])
        })
        .with_db_path(conn)?;
    if inserted == 0 {
        return Ok(Outcome::NotFound);
    }
    let mut changes = Changes::new();
    changes.field("invoice_number", Value::Null, invoice.number.as_str());
    changes.field("status", Value::Null, invoice.status.as_str());
    changes.field("total_ct", Value::Null, invoice.total_ct);
    record(
        conn,
        &subscription.customer_id,
        &invoice.subscription_id,
        InvoiceEvent::Created.topic(),
        changes,
        at,
    )
}

/// `numerator / denominator` rounded half away from zero (`denominator` > 0).
fn div_round(numerator: i64, denominator: i64) -> i64 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::test_support::seeded_lumio;

    const NOW: &str = "2026-05-28T20:26:40Z";
    const T: i64 = 1_780_000_000;
    /// 2026-05-28 and 2026-05-29, 00:00 Berlin.
    const MAY_28: i64 = 1_779_919_200;
    const MAY_29: i64 = MAY_28 + 86_400;

    fn text(conn: &Connection, sql: &str) -> String {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn invoices_record_payments_and_move_status_forward() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let (id, subscription): (String, String) = conn
            .query_row(
                "SELECT id, subscription_id FROM invoices
                 WHERE status = 'open' AND total_ct > 0 ORDER BY id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let apply = |subscription: Option<&str>, event, at| {
            apply_invoice(&conn, "lumio", &id, subscription, event, at).unwrap()
        };
        assert_eq!(
            apply(Some("sub_other"), InvoiceEvent::PaymentFailed, T),
            Outcome::NotFound
        );
        assert_eq!(
            apply(Some(&subscription), InvoiceEvent::PaymentFailed, T),
            Outcome::Applied
        );
        let failed: (String, i64) = conn
            .query_row(
                "SELECT failure_code, attempted_at FROM invoice_payments
                 WHERE invoice_id = ?1 AND status = 'failed'",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(failed, ("unspecified".to_owned(), T));
        assert_eq!(apply(None, InvoiceEvent::Paid, T + 60), Outcome::Applied);
        assert_eq!(apply(None, InvoiceEvent::Paid, T + 90), Outcome::Unchanged);
        assert_eq!(
            apply(None, InvoiceEvent::Uncollectible, T + 120),
            Outcome::Unchanged
        );
        assert_eq!(apply(None, InvoiceEvent::Voided, T + 180), Outcome::Applied);
        let (status, paid_at): (String, i64) = conn
            .query_row(
                "SELECT status, paid_at FROM invoices WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((status.as_str(), paid_at), ("voided", T + 60));
        let statuses: Vec<String> = conn
            .prepare(
                "SELECT status FROM invoice_payments WHERE invoice_id = ?1
                 AND attempted_at >= ?2 ORDER BY attempted_at",
            )
            .unwrap()
            .query_map(params![id, T], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(statuses, ["failed", "succeeded"]);
    }

    #[test]
    fn a_new_invoice_is_stored_by_its_totals_once() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let subscription = text(
            &conn,
            "SELECT id FROM subscriptions WHERE status = 'active'",
        );
        let invoice = NewInvoice {
            id: "inv_webhook".into(),
            subscription_id: subscription,
            number: "WEBHOOK-001".into(),
            invoice_type: "prepayment".into(),
            status: "open".into(),
            year: 2026,
            month: 6,
            period_start: MAY_28,
            period_end: MAY_29,
            period_number: 99,
            usage_wh: None,
            total_ct: 11_904,
            voids: None,
            issued_at: Some(T),
            paid_at: None,
        };
        assert_eq!(
            create_invoice(&conn, "nordwatt", &invoice, T).unwrap(),
            Outcome::NotFound
        );
        assert_eq!(
            create_invoice(&conn, "lumio", &invoice, T).unwrap(),
            Outcome::Applied
        );
        let amounts: (i64, i64, i64) = conn
            .query_row(
                "SELECT net_ct, vat_ct, vat_basis_points FROM invoices WHERE id = 'inv_webhook'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(amounts, (10_003, 1_901, 1900));
        assert_eq!(
            create_invoice(&conn, "lumio", &invoice, T).unwrap(),
            Outcome::NotFound,
            "the id is taken"
        );
    }
}
