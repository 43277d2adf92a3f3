//! Writing the demo data. Every insert ignores rows that exist (same deterministic id or key),
//! and the few updates only move state forward (pending → active → ended, open → paid,
//! preliminary → final), so seeding again — later — adds what is new and duplicates nothing.

use rusqlite::{Connection, OptionalExtension, params};

use super::DemoPlan;
use super::billing::{DemoInvoice, Payment};
use super::cast::{DemoContract, DemoCustomer};
use super::readings::{DemoReading, MonthlyTotal};
use super::series::{Horizon, MeterSeries};
use crate::edge::store::tariffs::MARKET_ZONE;
use crate::edge::store::{Result, StoreError, WithDbPath, db_path};

/// The instant the demo data of `seed` is anchored to: stored by the first seeding.
pub fn anchor(conn: &Connection, seed: u64, now: i64) -> Result<i64> {
    // SQLite integers are signed: the seed is stored as its two's complement.
    let seed_column = seed as i64;
    let stored: Option<(i64, i64)> = conn
        .query_row("SELECT seed, anchor_at FROM demo_state", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .with_db_path(conn)?;
    match stored {
        Some((stored, anchor_at)) if stored == seed_column => Ok(anchor_at),
        Some((stored, _)) => Err(StoreError::Demo {
            path: db_path(conn),
            message: format!(
                "holds the demo data of seed {}; seeding it with seed {seed} would mix two data \
                 sets (use another database file)",
                stored as u64
            ),
        }),
        None => {
            conn.execute(
                "INSERT INTO demo_state (singleton, seed, anchor_at) VALUES (1, ?1, ?2)",
                params![seed_column, now],
            )
            .with_db_path(conn)?;
            Ok(now)
        }
    }
}

/// Seeding needs the plan rows that `sync_tenants` writes, under the plan's organization.
pub fn require_plan(conn: &Connection, plan: &DemoPlan) -> Result<()> {
    let org_id: Option<String> = conn
        .query_row(
            "SELECT org_id FROM plans WHERE slug = ?1",
            [&plan.slug],
            |r| r.get(0),
        )
        .optional()
        .with_db_path(conn)?;
    let problem = match org_id {
        Some(org_id) if org_id == plan.org_id => return Ok(()),
        Some(org_id) => format!(
            "plan `{}` belongs to `{org_id}`, not to `{}`",
            plan.slug, plan.org_id
        ),
        None => format!(
            "no plan `{}`: sync the tenants before seeding demo data",
            plan.slug
        ),
    };
    Err(StoreError::Demo {
        path: db_path(conn),
        message: problem,
    })
}

/// The market prices of the slots `slots` of the horizon.
pub fn market_prices(
    conn: &Connection,
    horizon: &Horizon,
    slots: std::ops::Range<usize>,
) -> Result<()> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO market_prices (zone, start_at, price_mct_per_kwh) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )
        .with_db_path(conn)?;
    for i in slots {
        insert
            .execute(params![
                MARKET_ZONE,
                horizon.slot(i).start_at,
                horizon.price_mct(i)
            ])
            .with_db_path(conn)?;
    }
    Ok(())
}

pub fn customer(conn: &Connection, plan: &DemoPlan, customer: &DemoCustomer) -> Result<()> {
    let email_normalized = crate::edge::store::normalize_email(&customer.email);
    conn.execute(
        "INSERT INTO customers (id, plan_slug, type, first_name, last_name, company_name, email,
             email_normalized, vat_id, locale, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
         ON CONFLICT (id) DO NOTHING",
        params![
            customer.id,
            plan.slug,
            customer.customer_type,
            customer.first_name,
            customer.last_name,
            customer.company_name,
            customer.email,
            email_normalized,
            customer.vat_id,
            customer.locale,
            customer.created_at,
        ],
    )
    .with_db_path(conn)?;
    let payment = &customer.payment_method;
    conn.execute(
        "INSERT INTO payment_methods (id, customer_id, type, iban, account_holder, created_at)
         VALUES (?1, ?2, 'sepa_debit', ?3, ?4, ?5)
         ON CONFLICT (id) DO NOTHING",
        params![
            payment.id,
            customer.id,
            payment.iban,
            payment.account_holder,
            customer.created_at
        ],
    )
    .with_db_path(conn)?;
    Ok(())
}

/// The subscription with its addresses, meter, products and meter order; returns the meter's
/// key for the usage tables.
pub fn contract(
    conn: &Connection,
    plan: &DemoPlan,
    customer: &DemoCustomer,
    contract: &DemoContract,
    now: i64,
) -> Result<i64> {
    let (start_at, end_at) = contract.supply().map_err(|e| date_error(conn, e))?;
    let billing_address = contract
        .billing_address
        .as_ref()
        .unwrap_or(&contract.address);
    for address in [&contract.address, billing_address] {
        conn.execute(
            "INSERT INTO addresses (id, street, house_number, zip, city, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO NOTHING",
            params![
                address.id,
                address.postal.street,
                address.postal.house_number,
                address.postal.zip,
                address.postal.city,
                contract.created_at
            ],
        )
        .with_db_path(conn)?;
    }
    let meter = &contract.meter;
    conn.execute(
        "INSERT INTO meters (id, number, type, melo, malo, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO NOTHING",
        params![
            meter.id,
            meter.number,
            meter.meter_type,
            meter.melo,
            meter.malo,
            contract.created_at
        ],
    )
    .with_db_path(conn)?;
    // Status as of now; `updated_at` is when it last changed.
    let (status, changed_at) = match (end_at, start_at) {
        (Some(end), _) if end <= now => ("ended", end),
        (_, start) if start <= now => ("active", start),
        _ => ("pending", contract.created_at),
    };
    let updated_at = changed_at.max(contract.terminated_at.filter(|at| *at <= now).unwrap_or(0));
    conn.execute(
        "INSERT INTO subscriptions (id, customer_id, plan_slug, number, status, type, address_id,
             billing_address_id, meter_id, payment_method_id, estimated_usage_kwh,
             monthly_prepayment_ct, start_at, end_at, terminated_at, termination_reason, metadata,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'consumption', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
             ?16, ?17, ?18)
         ON CONFLICT (id) DO NOTHING",
        params![
            contract.id,
            customer.id,
            plan.slug,
            contract.number,
            status,
            contract.address.id,
            billing_address.id,
            meter.id,
            customer.payment_method.id,
            contract.estimated_usage_kwh,
            contract.monthly_prepayment_ct,
            start_at,
            end_at,
            contract.terminated_at,
            contract.termination_reason,
            contract.metadata,
            contract.created_at,
            updated_at,
        ],
    )
    .with_db_path(conn)?;
    // A later start moves the status on, by the subscription's own dates (the API may have
    // changed them), never back.
    conn.execute(
        "UPDATE subscriptions
         SET status = CASE WHEN end_at <= ?2 THEN 'ended' ELSE 'active' END,
             updated_at = CASE WHEN end_at <= ?2 THEN end_at ELSE start_at END
         WHERE id = ?1 AND start_at <= ?2 AND status <> 'ended'
           AND status <> CASE WHEN end_at <= ?2 THEN 'ended' ELSE 'active' END",
        params![contract.id, now],
    )
    .with_db_path(conn)?;
    for product in &contract.products {
        let ended = end_at.is_some_and(|end| end <= now);
        conn.execute(
            "INSERT INTO products (id, subscription_id, customer_id, code, name,
                 price_ct_per_month, status, start_at, end_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (id) DO NOTHING",
            params![
                product.id,
                contract.id,
                customer.id,
                product.code,
                product.name,
                product.price_ct_per_month,
                if ended { "ended" } else { "active" },
                start_at,
                end_at,
                contract.created_at
            ],
        )
        .with_db_path(conn)?;
    }
    if let Some(order) = &contract.meter_order {
        meter_order(conn, customer, contract, order, now)?;
    }
    conn.query_row(
        "SELECT meter_key FROM meters WHERE id = ?1",
        [&meter.id],
        |r| r.get(0),
    )
    .with_db_path(conn)
}

fn meter_order(
    conn: &Connection,
    customer: &DemoCustomer,
    contract: &DemoContract,
    order: &super::cast::DemoMeterOrder,
    now: i64,
) -> Result<()> {
    let happened: Vec<(&str, i64)> = order
        .events
        .iter()
        .copied()
        .filter(|(_, at)| *at <= now)
        .collect();
    let Some(&(_, created_at)) = happened.first() else {
        return Ok(());
    };
    let when = |event: &str| {
        happened
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, at)| *at)
    };
    let status = happened
        .iter()
        .rev()
        .map(|(event, _)| *event)
        .find(|event| !matches!(*event, "blocked" | "unblocked"))
        .unwrap_or("created");
    let blocked_at = match happened.last() {
        Some(("blocked", at)) => Some(*at),
        _ => None,
    };
    let updated_at = happened.last().map_or(created_at, |(_, at)| *at);
    conn.execute(
        "INSERT INTO meter_orders (id, subscription_id, customer_id, provider, status, created_at,
             updated_at, installed_at, activated_at, cancelled_at, cancelled_reason, blocked_at,
             blocked_reason, appointment_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO NOTHING",
        params![
            order.id,
            contract.id,
            customer.id,
            order.provider,
            status,
            created_at,
            updated_at,
            when("installed"),
            when("activated"),
            when("cancelled"),
            when("cancelled").and(order.cancelled_reason),
            blocked_at,
            blocked_at.and(order.blocked_reason),
            order.appointment_at,
        ],
    )
    .with_db_path(conn)?;
    for (position, (event, at)) in happened.iter().enumerate() {
        conn.execute(
            "INSERT INTO meter_order_events (meter_order_id, position, event, occurred_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![order.id, position as i64 + 1, event, at],
        )
        .with_db_path(conn)?;
    }
    Ok(())
}

/// Rows per INSERT of quarter-hour usage: binding a day's worth at once makes the bulk of the
/// demo data several times faster to write than one statement per row.
const USAGE_ROWS_PER_INSERT: usize = 96;

/// Quarter-hour consumption of a smart meter in `slots`, continuing after what is stored;
/// values before `final_before` are final.
pub fn smart_usage(
    conn: &Connection,
    meter_key: i64,
    horizon: &Horizon,
    series: &MeterSeries,
    slots: std::ops::Range<usize>,
    final_before: i64,
) -> Result<()> {
    let stored_until: Option<i64> = conn
        .query_row(
            "SELECT max(start_at) + 900 FROM usage_15min WHERE meter_key = ?1",
            [meter_key],
            |r| r.get(0),
        )
        .with_db_path(conn)?;
    let first = stored_until.map_or(slots.start, |at| horizon.index(at).max(slots.start));
    let new_slots: Vec<usize> = (first..slots.end).collect();
    for chunk in new_slots.chunks(USAGE_ROWS_PER_INSERT) {
        let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
        let mut insert = conn
            .prepare_cached(&format!(
                "INSERT INTO usage_15min (meter_key, start_at, energy_wh, is_final)
                 VALUES {values} ON CONFLICT DO NOTHING"
            ))
            .with_db_path(conn)?;
        for (row, i) in chunk.iter().enumerate() {
            let start_at = horizon.slot(*i).start_at;
            let values = params![meter_key, start_at, series.wh(*i), start_at < final_before];
            for (column, value) in values.iter().enumerate() {
                insert
                    .raw_bind_parameter(row * 4 + column + 1, value)
                    .with_db_path(conn)?;
            }
        }
        insert.raw_execute().with_db_path(conn)?;
    }
    conn.execute(
        "UPDATE usage_15min SET is_final = 1
         WHERE meter_key = ?1 AND start_at < ?2 AND is_final = 0",
        params![meter_key, final_before],
    )
    .with_db_path(conn)?;
    Ok(())
}

/// Monthly totals of an analog meter; estimates become final once a reading covers them.
pub fn analog_usage(conn: &Connection, meter_key: i64, totals: &[MonthlyTotal]) -> Result<()> {
    let mut upsert = conn
        .prepare_cached(
            "INSERT INTO usage_monthly (meter_key, start_at, energy_wh, is_final, source)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (meter_key, start_at) DO UPDATE SET is_final = 1, source = 'reading'
             WHERE excluded.is_final = 1 AND usage_monthly.is_final = 0",
        )
        .with_db_path(conn)?;
    for total in totals {
        let source = if total.from_reading {
            "reading"
        } else {
            "estimation"
        };
        upsert
            .execute(params![
                meter_key,
                total.start_at,
                total.energy_wh,
                total.from_reading,
                source
            ])
            .with_db_path(conn)?;
    }
    Ok(())
}

pub fn readings(
    conn: &Connection,
    customer: &DemoCustomer,
    contract: &DemoContract,
    readings: &[DemoReading],
) -> Result<()> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO meter_readings (id, subscription_id, customer_id, meter_id, value_wh,
                 read_at, type, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT DO NOTHING",
        )
        .with_db_path(conn)?;
    for reading in readings {
        insert
            .execute(params![
                reading.id,
                contract.id,
                customer.id,
                contract.meter.id,
                reading.value_wh,
                reading.read_at,
                reading.reading_type,
                reading.created_at
            ])
            .with_db_path(conn)?;
    }
    Ok(())
}

/// New invoices with their lines; payments that happened by `now`; open invoices that have
/// been paid or voided since the last seeding move on.
pub fn invoices(
    conn: &Connection,
    customer: &DemoCustomer,
    contract: &DemoContract,
    invoices: &[DemoInvoice],
    now: i64,
) -> Result<()> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO invoices (id, customer_id, subscription_id, invoice_number, type, status,
                 year, month, period_start, period_end, period_number, usage_wh, net_ct, vat_ct,
                 total_ct, vat_basis_points, voids, issued_at, due_at, paid_at, created_at,
                 updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?18, ?21)
             ON CONFLICT (id) DO NOTHING",
        )
        .with_db_path(conn)?;
    let mut insert_line = conn
        .prepare_cached(
            "INSERT INTO invoice_lines (invoice_id, position, component, quantity_milli, unit,
                 unit_price_mct, amount_ct)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .with_db_path(conn)?;
    let mut move_on = conn
        .prepare_cached(
            "UPDATE invoices SET status = ?2, paid_at = ?3, updated_at = ?4
             WHERE id = ?1 AND status <> ?2
               AND (status = 'open' OR (status = 'paid' AND ?2 = 'voided'))",
        )
        .with_db_path(conn)?;
    let mut insert_payment = conn
        .prepare_cached(
            "INSERT INTO invoice_payments (invoice_id, status, amount_ct, attempted_at,
                 failure_code)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING",
        )
        .with_db_path(conn)?;
    for invoice in invoices {
        let status = invoice.status(now);
        let paid_at = invoice.paid_at(now);
        let updated_at = [Some(invoice.issued_at), paid_at, invoice.voided_at]
            .into_iter()
            .flatten()
            .filter(|at| *at <= now)
            .max()
            .unwrap_or(invoice.issued_at);
        let inserted = insert
            .execute(params![
                invoice.id,
                customer.id,
                contract.id,
                invoice.number,
                invoice.kind.as_str(),
                status,
                invoice.year,
                invoice.month,
                invoice.period_start,
                invoice.period_end,
                invoice.period_number,
                invoice.usage_wh,
                invoice.net_ct,
                invoice.vat_ct,
                invoice.total_ct,
                invoice.vat_basis_points,
                invoice.voids,
                invoice.issued_at,
                invoice.due_at,
                paid_at,
                updated_at,
            ])
            .with_db_path(conn)?
            == 1;
        if inserted {
            for (position, line) in invoice.lines.iter().enumerate() {
                insert_line
                    .execute(params![
                        invoice.id,
                        position as i64 + 1,
                        line.component,
                        line.quantity_milli,
                        line.unit,
                        line.unit_price_mct,
                        line.amount_ct
                    ])
                    .with_db_path(conn)?;
            }
        } else {
            move_on
                .execute(params![invoice.id, status, paid_at, updated_at])
                .with_db_path(conn)?;
        }
        let (payment_status, failure_code) = match invoice.payment {
            Payment::Debited { .. } => ("succeeded", None),
            Payment::Bounced { code, .. } => ("failed", Some(code)),
            Payment::Refunded { .. } => ("refunded", None),
        };
        if invoice.payment.at() <= now {
            insert_payment
                .execute(params![
                    invoice.id,
                    payment_status,
                    invoice.total_ct,
                    invoice.payment.at(),
                    failure_code
                ])
                .with_db_path(conn)?;
        }
    }
    Ok(())
}

pub fn date_error(conn: &Connection, error: jiff::Error) -> StoreError {
    StoreError::Demo {
        path: db_path(conn),
        message: format!("demo dates out of range: {error}"),
    }
}
