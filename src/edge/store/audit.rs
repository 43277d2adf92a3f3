//! The audit trail: every change a customer (or a webhook, or an operator) makes to the data,
//! with when, whose data and what changed as `{"field": {"from": …, "to": …}}`. IBANs appear
//! only masked.

use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use super::{Result, WithDbPath};

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Customer,
    Webhook,
    Operator,
}

impl Actor {
    fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Webhook => "webhook",
            Actor::Operator => "operator",
        }
    }
}

/// The fields a change touched, each as `{from, to}`; unchanged fields are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes `field` going from `from` to `to`, unless they are equal.
    pub fn field(&mut self, field: &str, from: impl Into<Value>, to: impl Into<Value>) {
        let (from, to) = (from.into(), to.into());
        if from != to {
            self.0
                .insert(field.to_owned(), json!({ "from": from, "to": to }));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One change, about to be recorded.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub occurred_at: i64,
    pub customer_id: &'a str,
    pub subscription_id: Option<&'a str>,
    pub actor: Actor,
    /// What was done, e.g. `customer.update`, `subscription.terminate`.
    pub action: &'a str,
    pub changes: Changes,
}

/// Appends `event` to the trail (in the caller's transaction, so the change and its record
/// are stored together).
pub fn record(conn: &Connection, event: &AuditEvent<'_>) -> Result<()> {
    let changes = Value::Object(event.changes.0.clone()).to_string();
    conn.prepare_cached(
        "INSERT INTO audit_events (occurred_at, customer_id, subscription_id, actor, action,
             changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            event.occurred_at,
            event.customer_id,
            event.subscription_id,
            event.actor.as_str(),
            event.action,
            changes,
        ])
    })
    .with_db_path(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fields_that_changed_are_noted() {
        let mut changes = Changes::new();
        changes.field("first_name", "Anna", "Anna");
        assert!(changes.is_empty());
        changes.field("last_name", "Schmidt", "Schmitt");
        changes.field("end_at", Value::Null, "2026-07-01T00:00:00+02:00");
        assert_eq!(
            Value::Object(changes.0),
            json!({
                "last_name": {"from": "Schmidt", "to": "Schmitt"},
                "end_at": {"from": null, "to": "2026-07-01T00:00:00+02:00"},
            })
        );
    }
}
