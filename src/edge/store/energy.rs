//! The energy queries of the edge API: a customer's subscription with its meter and tariff, the
//! market prices, and consumption summed in SQL — quarter-hours from the meter values; hours and
//! longer from the hourly totals that triggers keep (migration 0003), per bucket whose bounds
//! the caller computes in Europe/Berlin (days, weeks, months), so DST days come out right
//! without a local-time column.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::customers::{MeterType, SubscriptionStatus, TerminationReason};
use super::tariffs::{MARKET_ZONE, PlanTariff};
use super::{Result, WithDbPath};

/// What the price, usage and dashboard answers need of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergySubscription {
    pub id: String,
    pub status: SubscriptionStatus,
    pub meter_key: i64,
    pub meter_type: MeterType,
    pub monthly_prepayment_ct: Option<i64>,
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub termination_reason: Option<TerminationReason>,
    /// `None` when the plan has no known tariff.
    pub tariff: Option<PlanTariff>,
}

impl EnergySubscription {
    /// The supply period as `[from, to)`, `None` before a start date is known.
    pub fn supply(&self) -> Option<(i64, i64)> {
        self.start_at
            .map(|from| (from, self.end_at.unwrap_or(i64::MAX)))
    }
}

/// The subscription if it belongs to the customer (another customer's id is simply not found).
pub fn energy_subscription(
    conn: &Connection,
    customer_id: &str,
    subscription_id: &str,
) -> Result<Option<EnergySubscription>> {
    conn.prepare_cached(
        "SELECT s.id, s.status, m.meter_key, m.type, s.monthly_prepayment_ct, s.start_at,
                s.end_at, s.terminated_at, s.termination_reason,
                t.markup_mct_per_kwh, t.base_price_ct_per_month, t.grid_fee_mct_per_kwh,
                t.grid_base_ct_per_month, t.levies_mct_per_kwh, t.electricity_tax_mct_per_kwh,
                t.concession_fee_mct_per_kwh, t.vat_basis_points, t.notice_period_days
         FROM subscriptions s
         JOIN meters m ON m.id = s.meter_id
         LEFT JOIN plan_tariffs t ON t.plan_slug = s.plan_slug
         WHERE s.id = ?1 AND s.customer_id = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![subscription_id, customer_id], |r| {
            Ok(EnergySubscription {
                id: r.get(0)?,
                status: r.get(1)?,
                meter_key: r.get(2)?,
                meter_type: r.get(3)?,
                monthly_prepayment_ct: r.get(4)?,
                start_at: r.get(5)?,
                end_at: r.get(6)?,
                terminated_at: r.get(7)?,
                termination_reason: r.get(8)?,
                tariff: tariff_from_row(r, 9)?,
            })
        })
        .optional()
    })
    .with_db_path(conn)
}

fn tariff_from_row(r: &Row<'_>, first: usize) -> rusqlite::Result<Option<PlanTariff>> {
    let Some(markup_mct_per_kwh) = r.get(first)? else {
        return Ok(None);
    };
    Ok(Some(PlanTariff {
        markup_mct_per_kwh,
        base_price_ct_per_month: r.get(first + 1)?,
        grid_fee_mct_per_kwh: r.get(first + 2)?,
        grid_base_ct_per_month: r.get(first + 3)?,
        levies_mct_per_kwh: r.get(first + 4)?,
        electricity_tax_mct_per_kwh: r.get(first + 5)?,
        concession_fee_mct_per_kwh: r.get(first + 6)?,
        vat_basis_points: r.get(first + 7)?,
        notice_period_days: r.get(first + 8)?,
    }))
}

/// A market price over a slot: the sum of the stored quarter-hour prices in it and how many
/// there were (1 per quarter-hour, up to 4 per hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSlot {
    pub start_at: i64,
    pub sum_mct_per_kwh: i64,
    pub quarters: i64,
}

/// The day-ahead prices of the quarter-hours in `[from, to)`, in order.
pub fn market_quarter_hours(conn: &Connection, from: i64, to: i64) -> Result<Vec<MarketSlot>> {
    conn.prepare_cached(
        "SELECT start_at, price_mct_per_kwh FROM market_prices
         WHERE zone = ?1 AND start_at >= ?2 AND start_at < ?3 ORDER BY start_at",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![MARKET_ZONE, from, to], |r| {
            Ok(MarketSlot {
                start_at: r.get(0)?,
                sum_mct_per_kwh: r.get(1)?,
                quarters: 1,
            })
        })?
        .collect()
    })
    .with_db_path(conn)
}

/// The day-ahead prices in `[from, to)` summed per hour. Berlin is a whole number of hours
/// off UTC, so its hours are UTC hours.
pub fn market_hours(conn: &Connection, from: i64, to: i64) -> Result<Vec<MarketSlot>> {
    conn.prepare_cached(
        "SELECT start_at / 3600 * 3600 AS hour, SUM(price_mct_per_kwh), COUNT(*)
         FROM market_prices
         WHERE zone = ?1 AND start_at >= ?2 AND start_at < ?3
         GROUP BY hour ORDER BY hour",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![MARKET_ZONE, from, to], |r| {
            Ok(MarketSlot {
                start_at: r.get(0)?,
                sum_mct_per_kwh: r.get(1)?,
                quarters: r.get(2)?,
            })
        })?
        .collect()
    })
    .with_db_path(conn)
}

/// Consumption over one point of a usage series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageSum {
    pub start_at: i64,
    pub energy_wh: i64,
    /// Every value in it is final.
    pub is_final: bool,
}

fn usage_sum_from_row(r: &Row<'_>) -> rusqlite::Result<UsageSum> {
    Ok(UsageSum {
        start_at: r.get(0)?,
        energy_wh: r.get(1)?,
        is_final: r.get::<_, i64>(2)? == 1,
    })
}

/// A smart meter's quarter-hours in `[from, to)`.
pub fn usage_quarter_hours(
    conn: &Connection,
    meter_key: i64,
    from: i64,
    to: i64,
) -> Result<Vec<UsageSum>> {
    usage_between(
        conn,
        "SELECT start_at, energy_wh, is_final FROM usage_15min
         WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?3 ORDER BY start_at",
        (meter_key, from, to),
    )
}

/// A smart meter's consumption per hour starting in `[from, to)` (UTC hours are Berlin hours),
/// from the hourly totals.
pub fn usage_hours(conn: &Connection, meter_key: i64, from: i64, to: i64) -> Result<Vec<UsageSum>> {
    conn.prepare_cached(
        "SELECT start_at, energy_wh, final_quarters = quarters FROM usage_hourly
         WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?3 ORDER BY start_at",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![meter_key, from, to], usage_sum_from_row)?
            .collect()
    })
    .with_db_path(conn)
}

/// A smart meter's consumption per bucket, from the hourly totals starting in `[from, to)`.
/// `bounds` are the buckets' edges in ascending order (n + 1 edges for n buckets), all on whole
/// hours; each sum is labelled with its bucket's start. Buckets without any value are left out.
pub fn usage_in_buckets(
    conn: &Connection,
    meter_key: i64,
    bounds: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<UsageSum>> {
    // The buckets go in as one JSON array of [start, end] pairs; every pair is a range lookup
    // on the primary key.
    let pairs: Vec<String> = bounds
        .windows(2)
        .map(|edge| format!("[{},{}]", edge[0], edge[1]))
        .collect();
    let pairs = format!("[{}]", pairs.join(","));
    conn.prepare_cached(
        "SELECT b.value ->> 0 AS bucket, SUM(h.energy_wh), MIN(h.final_quarters = h.quarters)
         FROM json_each(?2) b
         JOIN usage_hourly h ON h.meter_key = ?1
             AND h.start_at >= b.value ->> 0 AND h.start_at < b.value ->> 1
         WHERE h.start_at >= ?3 AND h.start_at < ?4
         GROUP BY b.key ORDER BY b.key",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![meter_key, pairs, from, to], usage_sum_from_row)?
            .collect()
    })
    .with_db_path(conn)
}

/// An analog meter's monthly values starting in `[from, to)`.
pub fn usage_months(
    conn: &Connection,
    meter_key: i64,
    from: i64,
    to: i64,
) -> Result<Vec<UsageSum>> {
    usage_between(
        conn,
        "SELECT start_at, energy_wh, is_final FROM usage_monthly
         WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?3 ORDER BY start_at",
        (meter_key, from, to),
    )
}

/// The rows of one of the usage tables for a meter and a time range, by `sql`.
fn usage_between(
    conn: &Connection,
    sql: &str,
    (meter_key, from, to): (i64, i64, i64),
) -> Result<Vec<UsageSum>> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_map(params![meter_key, from, to], usage_sum_from_row)?
                .collect()
        })
        .with_db_path(conn)
}

/// The latest monthly value of an analog meter starting before `before`.
pub fn latest_month(conn: &Connection, meter_key: i64, before: i64) -> Result<Option<UsageSum>> {
    conn.prepare_cached(
        "SELECT start_at, energy_wh, is_final FROM usage_monthly
         WHERE meter_key = ?1 AND start_at < ?2 ORDER BY start_at DESC LIMIT 1",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![meter_key, before], usage_sum_from_row)
            .optional()
    })
    .with_db_path(conn)
}

/// The end of the latest quarter-hour a smart meter has a value for, among those starting in
/// `[from, to)`.
pub fn measured_until(
    conn: &Connection,
    meter_key: i64,
    from: i64,
    to: i64,
) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT MAX(start_at) + 900 FROM usage_15min
         WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?3",
    )
    .and_then(|mut stmt| stmt.query_row(params![meter_key, from, to], |r| r.get(0)))
    .with_db_path(conn)
}

/// `[from, to)` (on quarter-hours) split into the whole hours inside it and the quarter-hours
/// before and after them: `(head, hours, tail)`.
fn split_at_hours(from: i64, to: i64) -> ((i64, i64), (i64, i64), (i64, i64)) {
    let first_hour = from + (3600 - from.rem_euclid(3600)) % 3600;
    let last_hour = to - to.rem_euclid(3600);
    if first_hour >= last_hour {
        return ((from, to), (to, to), (to, to));
    }
    ((from, first_hour), (first_hour, last_hour), (last_hour, to))
}

/// A smart meter's consumption in `[from, to)`, in Wh: whole hours from the hourly totals, the
/// quarter-hours at the edges from the quarter-hour values.
pub fn usage_total(conn: &Connection, meter_key: i64, from: i64, to: i64) -> Result<i64> {
    let (head, hours, tail) = split_at_hours(from, to);
    conn.prepare_cached(
        "SELECT (SELECT COALESCE(SUM(energy_wh), 0) FROM usage_15min
                 WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?3)
              + (SELECT COALESCE(SUM(energy_wh), 0) FROM usage_hourly
                 WHERE meter_key = ?1 AND start_at >= ?4 AND start_at < ?5)
              + (SELECT COALESCE(SUM(energy_wh), 0) FROM usage_15min
                 WHERE meter_key = ?1 AND start_at >= ?6 AND start_at < ?7)",
    )
    .and_then(|mut stmt| {
        stmt.query_row(
            params![meter_key, head.0, head.1, hours.0, hours.1, tail.0, tail.1],
            |r| r.get(0),
        )
    })
    .with_db_path(conn)
}

/// Consumption of the running month and what it cost at the market so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthToDate {
    pub energy_wh: i64,
    /// The part from `today` on.
    pub today_wh: i64,
    /// Σ energy × day-ahead price, in Wh × mct/kWh (10⁶ of them make a cent).
    pub market_cost: i64,
    /// Quarter-hours with consumption but no stored market price.
    pub unpriced: i64,
}

/// A smart meter's consumption in `[month, to)`, its part from `today` on, and its market
/// cost: whole hours from the hourly totals, the quarter-hours of a last partial hour priced
/// one by one. `month` and `today` are on whole hours.
pub fn month_to_date(
    conn: &Connection,
    meter_key: i64,
    month: i64,
    today: i64,
    to: i64,
) -> Result<MonthToDate> {
    let last_hour = (to - to.rem_euclid(3600)).max(month);
    let read = |r: &Row<'_>| {
        Ok(MonthToDate {
            energy_wh: r.get(0)?,
            today_wh: r.get(1)?,
            market_cost: r.get(2)?,
            unpriced: r.get(3)?,
        })
    };
    let hours = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(energy_wh), 0),
                    COALESCE(SUM(CASE WHEN start_at >= ?3 THEN energy_wh END), 0),
                    COALESCE(SUM(market_cost), 0), COALESCE(SUM(unpriced_quarters), 0)
             FROM usage_hourly WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?4",
        )
        .and_then(|mut stmt| stmt.query_row(params![meter_key, month, today, last_hour], read))
        .with_db_path(conn)?;
    let rest = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(u.energy_wh), 0),
                    COALESCE(SUM(CASE WHEN u.start_at >= ?3 THEN u.energy_wh END), 0),
                    COALESCE(SUM(u.energy_wh * p.price_mct_per_kwh), 0),
                    COUNT(*) - COUNT(p.price_mct_per_kwh)
             FROM usage_15min u
             LEFT JOIN market_prices p ON p.zone = ?5 AND p.start_at = u.start_at
             WHERE u.meter_key = ?1 AND u.start_at >= ?2 AND u.start_at < ?4",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![meter_key, last_hour, today, to, MARKET_ZONE], read)
        })
        .with_db_path(conn)?;
    Ok(MonthToDate {
        energy_wh: hours.energy_wh + rest.energy_wh,
        today_wh: hours.today_wh + rest.today_wh,
        market_cost: hours.market_cost + rest.market_cost,
        unpriced: hours.unpriced + rest.unpriced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::test_support::seeded_lumio;

    /// The hourly totals recomputed from the quarter-hours.
    fn recomputed(conn: &Connection) -> Vec<(i64, i64, i64, i64, i64, i64, i64)> {
        let mut stmt = conn
            .prepare(
                "SELECT u.meter_key, u.start_at / 3600 * 3600, SUM(u.energy_wh), COUNT(*),
                        SUM(u.is_final), COALESCE(SUM(u.energy_wh * p.price_mct_per_kwh), 0),
                        COUNT(*) - COUNT(p.price_mct_per_kwh)
                 FROM usage_15min u
                 LEFT JOIN market_prices p ON p.zone = 'DE-LU' AND p.start_at = u.start_at
                 GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        });
        rows.unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    fn stored(conn: &Connection) -> Vec<(i64, i64, i64, i64, i64, i64, i64)> {
        let mut stmt = conn
            .prepare(
                "SELECT meter_key, start_at, energy_wh, quarters, final_quarters, market_cost,
                        unpriced_quarters
                 FROM usage_hourly ORDER BY 1, 2",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        });
        rows.unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    #[test]
    fn hourly_totals_follow_every_write_of_the_quarter_hours() {
        let (_dir, conn, _) = seeded_lumio("2026-05-28T20:26:40Z");
        let after_seeding = stored(&conn);
        assert!(after_seeding.len() > 10_000, "{}", after_seeding.len());
        assert_eq!(after_seeding, recomputed(&conn));
        assert!(
            after_seeding.iter().any(|h| h.5 != 0),
            "recent hours have a market cost"
        );

        let (meter, hour): (i64, i64) = conn
            .query_row(
                "SELECT meter_key, MAX(start_at) / 3600 * 3600 FROM usage_15min GROUP BY meter_key",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        conn.execute(
            "UPDATE usage_15min SET energy_wh = energy_wh + 7, is_final = 1
             WHERE meter_key = ?1 AND start_at >= ?2",
            params![meter, hour - 3600],
        )
        .unwrap();
        conn.execute(
            "DELETE FROM usage_15min WHERE meter_key = ?1 AND start_at >= ?2",
            params![meter, hour],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO usage_15min (meter_key, start_at, energy_wh, is_final)
             VALUES (?1, ?2, 40, 0)",
            params![meter, hour + 900],
        )
        .unwrap();
        assert_eq!(stored(&conn), recomputed(&conn));
    }

    #[test]
    fn totals_over_any_quarter_hours_match_the_quarter_hours() {
        let (_dir, conn, _) = seeded_lumio("2026-05-28T20:26:40Z");
        let meter: i64 = conn
            .query_row("SELECT MIN(meter_key) FROM usage_15min", [], |r| r.get(0))
            .unwrap();
        let sum = |from: i64, to: i64| -> i64 {
            conn.query_row(
                "SELECT COALESCE(SUM(energy_wh), 0) FROM usage_15min
                 WHERE meter_key = ?1 AND start_at >= ?2 AND start_at < ?3",
                params![meter, from, to],
                |r| r.get(0),
            )
            .unwrap()
        };
        // 2026-05-01 00:00 Berlin, and instants on and off whole hours.
        let month = 1_777_586_400;
        for (from, to) in [
            (month, month + 27 * 86_400 + 4500),
            (month + 900, month + 2700),
            (month + 2700, month + 3 * 3600 + 900),
            (month, month),
        ] {
            assert_eq!(usage_total(&conn, meter, from, to).unwrap(), sum(from, to));
        }
        let today = month + 27 * 86_400;
        let to = today + 20 * 3600 + 2700;
        let mtd = month_to_date(&conn, meter, month, today, to).unwrap();
        assert_eq!(mtd.energy_wh, sum(month, to));
        assert_eq!(mtd.today_wh, sum(today, to));
        assert_eq!(mtd.unpriced, 0);
        let cost: i64 = conn
            .query_row(
                "SELECT SUM(u.energy_wh * p.price_mct_per_kwh) FROM usage_15min u
                 JOIN market_prices p ON p.zone = 'DE-LU' AND p.start_at = u.start_at
                 WHERE u.meter_key = ?1 AND u.start_at >= ?2 AND u.start_at < ?3",
                params![meter, month, to],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mtd.market_cost, cost);
    }
}

#[cfg(test)]
mod statement_reuse {
    use rusqlite::StatementStatus;

    use crate::edge::store::Store;

    /// Queries with a join, ORDER BY or MAX are not parsed again on every reuse (see
    /// `configure` in the store module).
    #[test]
    fn cached_statements_are_reused_without_preparing_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("edge.db")).unwrap();
        let conn = store.connect().unwrap();
        for sql in [
            "SELECT start_at FROM market_prices WHERE zone = ?1 AND start_at >= ?2 ORDER BY start_at",
            "SELECT MAX(start_at) FROM usage_15min WHERE meter_key = ?1 AND start_at >= ?2",
            "SELECT c.id FROM customers c JOIN plans p ON p.slug = c.plan_slug WHERE c.id = ?1
             AND ?2 IS NOT NULL",
        ] {
            for round in 0..3 {
                let mut stmt = conn.prepare_cached(sql).unwrap();
                stmt.query_map(rusqlite::params![round, round], |_| Ok(()))
                    .unwrap()
                    .for_each(drop);
                assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
            }
        }
    }
}
