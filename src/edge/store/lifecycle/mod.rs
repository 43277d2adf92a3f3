//! What Nomos events change in an organization's data: a subscription's status and dates, an
//! invoice's status and payments, a meter order's status and timeline.
//!
//! Every object is looked up within the organization (through its plan), so another
//! organization's id is as unknown as one that does not exist, and is never changed. Deliveries
//! are at-least-once and may arrive out of order, so statuses only move forward: a late event
//! never undoes a later one. Every change is recorded in the audit trail, the webhook as actor.

mod invoices;
mod meter_orders;
mod subscriptions;

pub use invoices::{InvoiceEvent, NewInvoice, apply_invoice, create_invoice};
pub use meter_orders::{OrderEvent, apply_meter_order};
pub use subscriptions::{SubscriptionEvent, apply_subscription};

use jiff::Timestamp;
use rusqlite::Connection;
use serde_json::Value;

use super::Result;
use super::audit::{self, Actor, AuditEvent, Changes};
use super::calendar::{day_start, local_date};

/// What an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// The object already is in (or past) the state the event announces.
    Unchanged,
    /// No such object in the organization.
    NotFound,
}

/// Notes `changes` in the audit trail: the event applied.
fn record(
    conn: &Connection,
    customer_id: &str,
    subscription_id: &str,
    action: &str,
    changes: Changes,
    at: i64,
) -> Result<Outcome> {
    audit::record(
        conn,
        &AuditEvent {
            occurred_at: at,
            customer_id,
            subscription_id: Some(subscription_id),
            actor: Actor::Webhook,
            action,
            changes,
        },
    )?;
    Ok(Outcome::Applied)
}

fn iso(at: Option<i64>) -> Value {
    at.and_then(|at| Timestamp::from_second(at).ok())
        .map_or(Value::Null, |t| Value::String(t.to_string()))
}

fn dates(error: jiff::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}

/// The Berlin midnight that starts the day of `at`.
fn day_floor(at: i64) -> rusqlite::Result<i64> {
    local_date(at).and_then(day_start).map_err(dates)
}

/// The first Berlin midnight at or after `at`.
fn day_ceil(at: i64) -> rusqlite::Result<i64> {
    let floor = day_floor(at)?;
    if floor == at {
        return Ok(at);
    }
    local_date(at)
        .and_then(|date| date.tomorrow())
        .and_then(day_start)
        .map_err(dates)
}
