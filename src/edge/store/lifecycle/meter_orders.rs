//! Meter order events: the status moves along its path, a block lasts until the next
//! milestone, and every change appends to the order's timeline.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Outcome, iso, record};
use crate::edge::store::audit::Changes;
use crate::edge::store::{Result, WithDbPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    Created,
    Placed,
    CheckSubmitted,
    CheckReviewed,
    Scheduled,
    Installed,
    Activated,
    Blocked,
    Cancelled,
}

/// The statuses an order moves through, in order; `cancelled` may end it at any point.
const ORDER_PATH: [&str; 7] = [
    "created",
    "placed",
    "check_submitted",
    "check_reviewed",
    "scheduled",
    "installed",
    "activated",
];

impl OrderEvent {
    pub const ALL: [Self; 9] = [
        Self::Created,
        Self::Placed,
        Self::CheckSubmitted,
        Self::CheckReviewed,
        Self::Scheduled,
        Self::Installed,
        Self::Activated,
        Self::Blocked,
        Self::Cancelled,
    ];

    /// The event's name on the order's timeline.
    fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Placed => "placed",
            Self::CheckSubmitted => "check_submitted",
            Self::CheckReviewed => "check_reviewed",
            Self::Scheduled => "scheduled",
            Self::Installed => "installed",
            Self::Activated => "activated",
            Self::Blocked => "blocked",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn topic(self) -> &'static str {
        match self {
            Self::Created => "meter_order.created",
            Self::Placed => "meter_order.placed",
            Self::CheckSubmitted => "meter_order.check_submitted",
            Self::CheckReviewed => "meter_order.check_reviewed",
            Self::Scheduled => "meter_order.scheduled",
            Self::Installed => "meter_order.installed",
            Self::Activated => "meter_order.activated",
            Self::Blocked => "meter_order.blocked",
            Self::Cancelled => "meter_order.cancelled",
        }
    }
}

fn path_rank(status: &str) -> Option<usize> {
    ORDER_PATH.iter().position(|s| *s == status)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OrderState {
    customer_id: String,
    subscription_id: String,
    status: String,
    installed_at: Option<i64>,
    activated_at: Option<i64>,
    cancelled_at: Option<i64>,
    blocked_at: Option<i64>,
    blocked_reason: Option<String>,
}

fn order_in_org(conn: &Connection, org_id: &str, id: &str) -> Result<Option<OrderState>> {
    conn.prepare_cached(
        "SELECT o.customer_id, o.subscription_id, o.status, o.installed_at, o.activated_at,
                o.cancelled_at, o.blocked_at, o.blocked_reason
         FROM meter_orders o
         JOIN subscriptions s ON s.id = o.subscription_id
         JOIN plans p ON p.slug = s.plan_slug
         WHERE o.id = ?1 AND p.org_id = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![id, org_id], |r| {
            Ok(OrderState {
                customer_id: r.get(0)?,
                subscription_id: r.get(1)?,
                status: r.get(2)?,
                installed_at: r.get(3)?,
                activated_at: r.get(4)?,
                cancelled_at: r.get(5)?,
                blocked_at: r.get(6)?,
                blocked_reason: r.get(7)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

/// Applies a meter order event that happened at `at`: the status moves forward along the path
/// (a milestone the order is already at or past changes nothing), a block lasts until the next
/// milestone, and every change appends to the order's timeline. A finished order (activated or
/// cancelled) stays as it is.
pub fn apply_meter_order(
    conn: &Connection,
    org_id: &str,
    id: &str,
    subscription_id: Option<&str>,
    event: OrderEvent,
    at: i64,
) -> Result<Outcome> {
    let Some(old) = order_in_org(conn, org_id, id)? else {
        return Ok(Outcome::NotFound);
    };
    if subscription_id.is_some_and(|s| s != old.subscription_id) {
        return Ok(Outcome::NotFound);
    }
    if matches!(old.status.as_str(), "activated" | "cancelled") {
        return Ok(Outcome::Unchanged);
    }
    let mut new = old.clone();
    let mut timeline = Vec::new();
    match event {
        OrderEvent::Blocked if old.blocked_at.is_none() => {
            new.blocked_at = Some(at);
            new.blocked_reason = Some(block_reason(&old.status).to_owned());
            timeline.push(event.name());
        }
        OrderEvent::Blocked => {}
        OrderEvent::Cancelled => {
            new.status = event.name().to_owned();
            new.cancelled_at = Some(at);
            new.blocked_at = None;
            new.blocked_reason = None;
            timeline.push(event.name());
        }
        _ if path_rank(event.name()) > path_rank(&old.status) => {
            if old.blocked_at.is_some() {
                new.blocked_at = None;
                new.blocked_reason = None;
                timeline.push("unblocked");
            }
            new.status = event.name().to_owned();
            if event == OrderEvent::Installed {
                new.installed_at = old.installed_at.or(Some(at));
            }
            if event == OrderEvent::Activated {
                new.activated_at = old.activated_at.or(Some(at));
            }
            timeline.push(event.name());
        }
        _ => {}
    }
    if timeline.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    let mut changes = Changes::new();
    changes.field("status", old.status.as_str(), new.status.as_str());
    changes.field(
        "blocked_reason",
        old.blocked_reason.as_deref(),
        new.blocked_reason.as_deref(),
    );
    changes.field("installed_at", iso(old.installed_at), iso(new.installed_at));
    changes.field("activated_at", iso(old.activated_at), iso(new.activated_at));
    changes.field("cancelled_at", iso(old.cancelled_at), iso(new.cancelled_at));
    conn.prepare_cached(
        "UPDATE meter_orders SET status = ?2, installed_at = ?3, activated_at = ?4,
             cancelled_at = ?5, blocked_at = ?6, blocked_reason = ?7,
             updated_at = MAX(updated_at, ?8)
         WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            id,
            new.status,
            new.installed_at,
            new.activated_at,
            new.cancelled_at,
            new.blocked_at,
            new.blocked_reason,
            at
        ])
    })
    .with_db_path(conn)?;
    for name in timeline {
        conn.prepare_cached(
            "INSERT INTO meter_order_events (meter_order_id, position, event, occurred_at)
             SELECT ?1, COALESCE(MAX(position), 0) + 1, ?2, ?3
             FROM meter_order_events WHERE meter_order_id = ?1",
        )
        .and_then(|mut stmt| stmt.execute(params![id, name, at]))
        .with_db_path(conn)?;
    }
    record(
        conn,
        &old.customer_id,
        &old.subscription_id,
        event.topic(),
        changes,
        at,
    )
}

/// Why an order is blocked, which the event does not say: before the installation partner had
/// the customer's check, the check is missing; after it, the grid operator's registration.
fn block_reason(status: &str) -> &'static str {
    if path_rank(status) < path_rank("check_submitted") {
        "check_missing"
    } else {
        "grid_operator_registration"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::test_support::seeded_lumio;

    const NOW: &str = "2026-05-28T20:26:40Z";
    const T: i64 = 1_780_000_000;

    fn text(conn: &Connection, sql: &str) -> String {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn meter_orders_move_along_their_path_with_a_timeline() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let id = text(
            &conn,
            "SELECT id FROM meter_orders WHERE status = 'created' AND blocked_at IS NOT NULL",
        );
        let apply = |event, at| apply_meter_order(&conn, "lumio", &id, None, event, at).unwrap();
        let state = || -> (String, Option<String>) {
            conn.query_row(
                "SELECT status, blocked_reason FROM meter_orders WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        let timeline = || -> Vec<String> {
            conn.prepare(
                "SELECT event FROM meter_order_events WHERE meter_order_id = ?1 ORDER BY position",
            )
            .unwrap()
            .query_map([&id], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
        };
        assert_eq!(timeline(), ["created", "blocked"]);
        assert_eq!(
            apply_meter_order(&conn, "nordwatt", &id, None, OrderEvent::Placed, T).unwrap(),
            Outcome::NotFound
        );
        assert_eq!(apply(OrderEvent::Placed, T), Outcome::Applied);
        assert_eq!(state(), ("placed".to_owned(), None));
        assert_eq!(apply(OrderEvent::Created, T + 1), Outcome::Unchanged);
        assert_eq!(apply(OrderEvent::Blocked, T + 2), Outcome::Applied);
        assert_eq!(state().1.as_deref(), Some("check_missing"));
        assert_eq!(apply(OrderEvent::Blocked, T + 3), Outcome::Unchanged);
        assert_eq!(apply(OrderEvent::Scheduled, T + 4), Outcome::Applied);
        assert_eq!(apply(OrderEvent::CheckReviewed, T + 5), Outcome::Unchanged);
        assert_eq!(apply(OrderEvent::Blocked, T + 6), Outcome::Applied);
        assert_eq!(state().1.as_deref(), Some("grid_operator_registration"));
        assert_eq!(apply(OrderEvent::Installed, T + 7), Outcome::Applied);
        assert_eq!(apply(OrderEvent::Activated, T + 8), Outcome::Applied);
        assert_eq!(apply(OrderEvent::Cancelled, T + 9), Outcome::Unchanged);
        assert_eq!(state(), ("activated".to_owned(), None));
        assert_eq!(
            timeline(),
            [
                "created",
                "blocked",
                "unblocked",
                "placed",
                "blocked",
                "unblocked",
                "scheduled",
                "blocked",
                "unblocked",
                "installed",
                "activated"
            ]
        );
        let (installed_at, activated_at): (i64, i64) = conn
            .query_row(
                "SELECT installed_at, activated_at FROM meter_orders WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((installed_at, activated_at), (T + 7, T + 8));
    }
}
