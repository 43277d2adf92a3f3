//! Subscription events: activated starts supply, terminated sets the end date (the plan's
//! notice period after the termination, unless one is known), ended archives the contract.

use jiff::ToSpan;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Outcome, dates, day_ceil, day_floor, iso, record};
use crate::edge::store::audit::Changes;
use crate::edge::store::calendar::{day_start, local_date};
use crate::edge::store::customers::{SubscriptionStatus, TerminationReason};
use crate::edge::store::tariffs::plan_tariff;
use crate::edge::store::{Result, WithDbPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionEvent {
    Created,
    Confirmed,
    Activated,
    Terminated,
    Ended,
}

impl SubscriptionEvent {
    pub const ALL: [Self; 5] = [
        Self::Created,
        Self::Confirmed,
        Self::Activated,
        Self::Terminated,
        Self::Ended,
    ];

    pub fn topic(self) -> &'static str {
        match self {
            Self::Created => "subscription.created",
            Self::Confirmed => "subscription.confirmed",
            Self::Activated => "subscription.activated",
            Self::Terminated => "subscription.terminated",
            Self::Ended => "subscription.ended",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct SubscriptionState {
    pub(super) customer_id: String,
    pub(super) plan_slug: String,
    pub(super) status: SubscriptionStatus,
    pub(super) start_at: Option<i64>,
    pub(super) end_at: Option<i64>,
    pub(super) terminated_at: Option<i64>,
    pub(super) termination_reason: Option<TerminationReason>,
}

pub(super) fn subscription_in_org(
    conn: &Connection,
    org_id: &str,
    id: &str,
) -> Result<Option<SubscriptionState>> {
    conn.prepare_cached(
        "SELECT s.customer_id, s.plan_slug, s.status, s.start_at, s.end_at, s.terminated_at,
                s.termination_reason
         FROM subscriptions s JOIN plans p ON p.slug = s.plan_slug
         WHERE s.id = ?1 AND p.org_id = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![id, org_id], |r| {
            Ok(SubscriptionState {
                customer_id: r.get(0)?,
                plan_slug: r.get(1)?,
                status: r.get(2)?,
                start_at: r.get(3)?,
                end_at: r.get(4)?,
                terminated_at: r.get(5)?,
                termination_reason: r.get(6)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

/// Applies a subscription event that happened at `at`.
pub fn apply_subscription(
    conn: &Connection,
    org_id: &str,
    id: &str,
    event: SubscriptionEvent,
    at: i64,
) -> Result<Outcome> {
    let Some(old) = subscription_in_org(conn, org_id, id)? else {
        return Ok(Outcome::NotFound);
    };
    let mut new = old.clone();
    // An ended subscription stays as it ended.
    if old.status != SubscriptionStatus::Ended {
        match event {
            // The store has the subscription and its expected start already.
            SubscriptionEvent::Created | SubscriptionEvent::Confirmed => {}
            SubscriptionEvent::Activated => {
                new.status = SubscriptionStatus::Active;
                // Supply has started: an expected later start moves to this day.
                if old.start_at.is_none_or(|start| start > at) {
                    new.start_at = Some(day_floor(at).with_db_path(conn)?);
                }
            }
            SubscriptionEvent::Terminated => {
                new.terminated_at = old.terminated_at.or(Some(at));
                new.termination_reason =
                    old.termination_reason.or(Some(TerminationReason::Ordinary));
                if old.end_at.is_none() {
                    new.end_at = notice_end(conn, &old, at)?;
                }
            }
            SubscriptionEvent::Ended => {
                new.status = SubscriptionStatus::Ended;
                if old.end_at.is_none_or(|end| end > at) {
                    let end = day_ceil(at).with_db_path(conn)?;
                    new.end_at = Some(old.start_at.map_or(end, |start| end.max(start)));
                }
            }
        }
    }
    let mut changes = Changes::new();
    changes.field("status", old.status.as_str(), new.status.as_str());
    changes.field("start_at", iso(old.start_at), iso(new.start_at));
    changes.field("end_at", iso(old.end_at), iso(new.end_at));
    changes.field(
        "terminated_at",
        iso(old.terminated_at),
        iso(new.terminated_at),
    );
    changes.field(
        "termination_reason",
        old.termination_reason.map(|r| r.as_str()),
        new.termination_reason.map(|r| r.as_str()),
    );
    if changes.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    conn.prepare_cached(
        "UPDATE subscriptions SET status = ?2, start_at = ?3, end_at = ?4, terminated_at = ?5,
             termination_reason = ?6, updated_at = MAX(updated_at, ?7)
         WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            id,
            new.status,
            new.start_at,
            new.end_at,
            new.terminated_at,
            new.termination_reason,
            at
        ])
    })
    .with_db_path(conn)?;
    if new.status == SubscriptionStatus::Ended {
        conn.prepare_cached(
            "UPDATE products SET status = 'ended', end_at = COALESCE(end_at, ?2)
             WHERE subscription_id = ?1 AND status = 'active'",
        )
        .and_then(|mut stmt| stmt.execute(params![id, new.end_at]))
        .with_db_path(conn)?;
    }
    record(conn, &old.customer_id, id, event.topic(), changes, at)
}

/// Where an ordinary termination received at `at` ends supply: the plan's notice period later,
/// at a Berlin midnight, never before supply starts. Unknown without the plan's tariff.
fn notice_end(conn: &Connection, subscription: &SubscriptionState, at: i64) -> Result<Option<i64>> {
    let Some(tariff) = plan_tariff(conn, &subscription.plan_slug)? else {
        return Ok(None);
    };
    let end = local_date(at)
        .and_then(|date| date.checked_add(tariff.notice_period_days.days()))
        .and_then(day_start)
        .map_err(dates)
        .with_db_path(conn)?;
    Ok(Some(
        subscription.start_at.map_or(end, |start| end.max(start)),
    ))
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

    fn webhook_audits(conn: &Connection, subscription_id: &str) -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM audit_events WHERE actor = 'webhook' AND subscription_id = ?1",
            [subscription_id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn a_termination_shows_the_end_and_an_ended_subscription_stays_ended() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let id = text(
            &conn,
            "SELECT s.id FROM subscriptions s JOIN customers c ON c.id = s.customer_id
             WHERE c.type = 'company'",
        );
        let terminate =
            |org, at| apply_subscription(&conn, org, &id, SubscriptionEvent::Terminated, at);
        assert_eq!(terminate("nordwatt", T).unwrap(), Outcome::NotFound);
        assert_eq!(terminate("lumio", T).unwrap(), Outcome::Applied);
        let notice: i64 = conn
            .query_row(
                "SELECT t.notice_period_days FROM plan_tariffs t WHERE t.plan_slug = 'lumio'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let row = |conn: &Connection| -> (String, Option<i64>, Option<i64>, Option<String>) {
            conn.query_row(
                "SELECT status, end_at, terminated_at, termination_reason FROM subscriptions
                 WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap()
        };
        let (status, end_at, terminated_at, reason) = row(&conn);
        assert_eq!(status, "active");
        assert_eq!(end_at, Some(MAY_28 + notice * 86_400));
        assert_eq!(terminated_at, Some(T));
        assert_eq!(reason.as_deref(), Some("ORDINARY"));
        assert_eq!(terminate("lumio", T + 60).unwrap(), Outcome::Unchanged);

        let apply = |event, at| apply_subscription(&conn, "lumio", &id, event, at).unwrap();
        assert_eq!(apply(SubscriptionEvent::Ended, T + 120), Outcome::Applied);
        let (status, end_at, ..) = row(&conn);
        assert_eq!((status.as_str(), end_at), ("ended", Some(MAY_29)));
        let active_products: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM products WHERE subscription_id = ?1 AND status = 'active'",
                [&id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(active_products, 0);
        // A late activation does not bring it back.
        assert_eq!(
            apply(SubscriptionEvent::Activated, T + 180),
            Outcome::Unchanged
        );
        assert_eq!(row(&conn).0, "ended");
        assert_eq!(webhook_audits(&conn, &id), 2);
    }

    #[test]
    fn an_activation_brings_an_expected_start_forward() {
        let (_dir, conn, _) = seeded_lumio(NOW);
        let id = text(
            &conn,
            "SELECT id FROM subscriptions WHERE status = 'pending'",
        );
        let apply = |event| apply_subscription(&conn, "lumio", &id, event, T).unwrap();
        assert_eq!(apply(SubscriptionEvent::Confirmed), Outcome::Unchanged);
        assert_eq!(apply(SubscriptionEvent::Activated), Outcome::Applied);
        let (status, start_at): (String, i64) = conn
            .query_row(
                "SELECT status, start_at FROM subscriptions WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((status.as_str(), start_at), ("active", MAY_28));
    }
}
