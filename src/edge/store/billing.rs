//! A customer's invoices: pages of the list (newest first) with filters, one invoice with the
//! invoices it is linked to (a Storno and the invoice it voids), its lines and payments, and the
//! consumption of its period summed in SQL per day or month.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::listing::{Condition, ListQuery, Page, customer_page};
use super::{Result, WithDbPath};

/// An invoice this one is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedInvoice {
    pub id: String,
    pub number: String,
    pub issued_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    pub id: String,
    pub customer_id: String,
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
    pub usage_wh: Option<i64>,
    pub net_ct: i64,
    pub vat_ct: i64,
    pub total_ct: i64,
    pub vat_basis_points: i64,
    pub issued_at: Option<i64>,
    pub due_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// What a Storno reverses.
    pub voids: Option<LinkedInvoice>,
    /// The Storno that reversed this invoice.
    pub voided_by: Option<LinkedInvoice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLineRecord {
    pub component: String,
    pub quantity_milli: i64,
    pub unit: String,
    pub unit_price_mct: i64,
    pub amount_ct: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub status: String,
    pub amount_ct: i64,
    pub attempted_at: i64,
    pub failure_code: Option<String>,
}

/// Consumption in `[start_at, end_at)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageBucket {
    pub start_at: i64,
    pub end_at: i64,
    pub energy_wh: i64,
    /// Every value in the bucket is final (and there is at least one).
    pub is_final: bool,
}

/// The list's sort key: newest first, the id breaking ties.
pub const SORT_KEY: &str = "i.created_at";
pub const SORT_ID: &str = "i.id";

const INVOICE_COLUMNS: &str = "i.id, i.customer_id, i.subscription_id, i.invoice_number, i.type, \
     i.status, i.year, i.month, i.period_start, i.period_end, i.period_number, i.usage_wh, \
     i.net_ct, i.vat_ct, i.total_ct, i.vat_basis_points, i.issued_at, i.due_at, i.paid_at, \
     i.created_at, i.updated_at, o.id, o.invoice_number, o.issued_at, \
     v.id, v.invoice_number, v.issued_at \
     FROM invoices i \
     LEFT JOIN invoices o ON o.id = i.voids \
     LEFT JOIN invoices v ON v.voids = i.id";

fn linked(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<LinkedInvoice>> {
    let id: Option<String> = row.get(first)?;
    Ok(match id {
        Some(id) => Some(LinkedInvoice {
            id,
            number: row.get(first + 1)?,
            issued_at: row.get(first + 2)?,
        }),
        None => None,
    })
}

fn invoice_from_row(row: &Row<'_>) -> rusqlite::Result<InvoiceRecord> {
    Ok(InvoiceRecord {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        subscription_id: row.get(2)?,
        number: row.get(3)?,
        invoice_type: row.get(4)?,
        status: row.get(5)?,
        year: row.get(6)?,
        month: row.get(7)?,
        period_start: row.get(8)?,
        period_end: row.get(9)?,
        period_number: row.get(10)?,
        usage_wh: row.get(11)?,
        net_ct: row.get(12)?,
        vat_ct: row.get(13)?,
        total_ct: row.get(14)?,
        vat_basis_points: row.get(15)?,
        issued_at: row.get(16)?,
        due_at: row.get(17)?,
        paid_at: row.get(18)?,
        created_at: row.get(19)?,
        updated_at: row.get(20)?,
        voids: linked(row, 21)?,
        voided_by: linked(row, 24)?,
    })
}

/// A page of the customer's invoices matching every condition, newest first; up to
/// `page.limit + 1` rows, so the caller sees whether more follow.
pub fn invoices_of(
    conn: &Connection,
    customer_id: &str,
    conditions: &[Condition],
    page: &Page,
) -> Result<Vec<InvoiceRecord>> {
    let list = ListQuery {
        select: &format!("SELECT {INVOICE_COLUMNS}"),
        owner: "i.customer_id",
        sort_key: SORT_KEY,
        sort_id: SORT_ID,
    };
    customer_page(conn, &list, customer_id, conditions, page, invoice_from_row)
}

/// One invoice, if it belongs to the customer.
pub fn invoice_of(
    conn: &Connection,
    customer_id: &str,
    invoice_id: &str,
) -> Result<Option<InvoiceRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {INVOICE_COLUMNS} WHERE i.id = ?1 AND i.customer_id = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row(params![invoice_id, customer_id], invoice_from_row)
            .optional()
    })
    .with_db_path(conn)
}

pub fn invoice_lines(conn: &Connection, invoice_id: &str) -> Result<Vec<InvoiceLineRecord>> {
    conn.prepare_cached(
        "SELECT component, quantity_milli, unit, unit_price_mct, amount_ct
         FROM invoice_lines WHERE invoice_id = ?1 ORDER BY position",
    )
    .and_then(|mut stmt| {
        stmt.query_map([invoice_id], |r| {
            Ok(InvoiceLineRecord {
                component: r.get(0)?,
                quantity_milli: r.get(1)?,
                unit: r.get(2)?,
                unit_price_mct: r.get(3)?,
                amount_ct: r.get(4)?,
            })
        })?
        .collect()
    })
    .with_db_path(conn)
}

/// The direct-debit attempts and refunds of an invoice, oldest first.
pub fn invoice_payments(conn: &Connection, invoice_id: &str) -> Result<Vec<PaymentRecord>> {
    conn.prepare_cached(
        "SELECT status, amount_ct, attempted_at, failure_code
         FROM invoice_payments WHERE invoice_id = ?1 ORDER BY attempted_at, id",
    )
    .and_then(|mut stmt| {
        stmt.query_map([invoice_id], |r| {
            Ok(PaymentRecord {
                status: r.get(0)?,
                amount_ct: r.get(1)?,
                attempted_at: r.get(2)?,
                failure_code: r.get(3)?,
            })
        })?
        .collect()
    })
    .with_db_path(conn)
}

/// A smart meter's consumption summed per bucket (e.g. the Berlin days of a period).
pub fn metered_usage(
    conn: &Connection,
    meter_id: &str,
    buckets: &[(i64, i64)],
) -> Result<Vec<UsageBucket>> {
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    let values = vec!["(?, ?)"; buckets.len()].join(", ");
    let sql = format!(
        "WITH buckets (start_at, end_at) AS (VALUES {values})
         SELECT b.start_at, b.end_at, COALESCE(SUM(u.energy_wh), 0),
                COUNT(u.start_at) > 0 AND MIN(u.is_final) = 1
         FROM buckets b
         LEFT JOIN usage_15min u
           ON u.meter_key = (SELECT meter_key FROM meters WHERE id = ?)
          AND u.start_at >= b.start_at AND u.start_at < b.end_at
         GROUP BY b.start_at, b.end_at ORDER BY b.start_at"
    );
    let mut params: Vec<Value> = buckets
        .iter()
        .flat_map(|(start, end)| [Value::Integer(*start), Value::Integer(*end)])
        .collect();
    params.push(Value::Text(meter_id.to_owned()));
    conn.prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(params), |r| {
                Ok(UsageBucket {
                    start_at: r.get(0)?,
                    end_at: r.get(1)?,
                    energy_wh: r.get(2)?,
                    is_final: r.get(3)?,
                })
            })?
            .collect()
        })
        .with_db_path(conn)
}

/// An analog meter's monthly totals that start in `[start, end)`; each bucket ends where the
/// next month (or `end`) begins.
pub fn monthly_usage(
    conn: &Connection,
    meter_id: &str,
    start: i64,
    end: i64,
) -> Result<Vec<UsageBucket>> {
    let rows: Vec<(i64, i64, bool)> = conn
        .prepare_cached(
            "SELECT u.start_at, u.energy_wh, u.is_final
             FROM usage_monthly u JOIN meters m ON m.meter_key = u.meter_key
             WHERE m.id = ?1 AND u.start_at >= ?2 AND u.start_at < ?3
             ORDER BY u.start_at",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![meter_id, start, end], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect()
        })
        .with_db_path(conn)?;
    let ends: Vec<i64> = rows.iter().skip(1).map(|r| r.0).chain([end]).collect();
    Ok(rows
        .iter()
        .zip(ends)
        .map(|(&(start_at, energy_wh, is_final), end_at)| UsageBucket {
            start_at,
            end_at,
            energy_wh,
            is_final,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::customer_by_email;
    use crate::edge::store::listing::{After, Comparison};
    use crate::edge::store::test_support::seeded_lumio;

    const NOW: &str = "2026-05-28T20:26:40Z";

    #[test]
    fn pages_walk_every_invoice_once_newest_first() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let anna = customer_by_email(&conn, "lumio", "anna.schmidt@lumio.example.com")
            .unwrap()
            .unwrap();
        let all = invoices_of(
            &conn,
            &anna.id,
            &[],
            &Page {
                after: None,
                limit: 500,
            },
        )
        .unwrap();
        assert!(all.len() > 30, "{}", all.len());
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let page = Page { after, limit: 7 };
            let mut rows = invoices_of(&conn, &anna.id, &[], &page).unwrap();
            let more = rows.len() > 7;
            rows.truncate(7);
            after = rows.last().map(|r| After {
                key: r.created_at,
                id: r.id.clone(),
            });
            walked.extend(rows);
            if !more {
                break;
            }
        }
        assert_eq!(walked, all);
        assert!(all.windows(2).all(|w| w[0].created_at >= w[1].created_at));

        let storno = all.iter().find(|i| i.invoice_type == "void").unwrap();
        let original = storno.voids.as_ref().unwrap();
        let voided = invoice_of(&conn, &anna.id, &original.id).unwrap().unwrap();
        assert_eq!(voided.status, "voided");
        assert_eq!(voided.voided_by.as_ref().unwrap().id, storno.id);
        assert!(
            invoice_of(&conn, "cus_other", &storno.id)
                .unwrap()
                .is_none()
        );

        let only_void = invoices_of(
            &conn,
            &anna.id,
            &[Condition {
                column: "i.type",
                comparison: Comparison::Eq,
                values: vec![Value::Text("void".into())],
            }],
            &Page {
                after: None,
                limit: 10,
            },
        )
        .unwrap();
        assert_eq!(only_void, vec![storno.clone()]);
    }
}
