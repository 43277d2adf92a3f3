use jiff::civil::date;
use rusqlite::Connection;
use rusqlite::types::Value;

use super::*;
use crate::edge::store::calendar::day_bounds;
use crate::edge::store::sync_tenants;
use crate::edge::store::test_support::{
    DEMO_SEED, at, example_demo_plans, example_tenants, seeded_lumio, seeded_store, temp_store,
};

/// A Wednesday morning in November: before 13:00 Berlin, so tomorrow's prices are not out yet.
const NOW: &str = "2026-11-04T08:30:00Z";

/// Every row of a query as text, sorted: comparable regardless of insertion order.
fn rows(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    let mut rows: Vec<String> = stmt
        .query_map([], |row| {
            let values: Vec<Value> = (0..columns)
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<_>>()?;
            Ok(format!("{values:?}"))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    rows.sort();
    rows
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The demo's customer data, leaving out what depends on when it was first seeded (the price
/// history's start) and the payments' surrogate keys.
const DATA: &[&str] = &[
    "SELECT * FROM customers",
    "SELECT * FROM addresses",
    "SELECT * FROM meters",
    "SELECT * FROM payment_methods",
    "SELECT * FROM subscriptions",
    "SELECT * FROM products",
    "SELECT * FROM plan_tariffs",
    "SELECT * FROM usage_15min",
    "SELECT * FROM usage_monthly",
    "SELECT * FROM meter_readings",
    "SELECT * FROM invoices",
    "SELECT * FROM invoice_lines",
    "SELECT invoice_id, status, amount_ct, attempted_at, failure_code FROM invoice_payments",
    "SELECT * FROM meter_orders",
    "SELECT * FROM meter_order_events",
];

fn dump(conn: &Connection, queries: &[&str]) -> Vec<Vec<String>> {
    queries.iter().map(|sql| rows(conn, sql)).collect()
}

#[test]
fn the_same_seed_gives_the_same_rows() {
    let (_a, first, summary_a) = seeded_lumio(NOW);
    let (_b, second, summary_b) = seeded_lumio(NOW);
    let everything: Vec<String> = DATA
        .iter()
        .map(|s| (*s).to_owned())
        .chain([
            "SELECT * FROM market_prices".to_owned(),
            "SELECT * FROM invoice_payments".to_owned(),
        ])
        .collect();
    let everything: Vec<&str> = everything.iter().map(String::as_str).collect();
    assert_eq!(dump(&first, &everything), dump(&second, &everything));
    assert_eq!(summary_a, summary_b);

    let (_c, mut other) = temp_store();
    sync_tenants(&other, &example_tenants()).unwrap();
    seed_demo(
        &mut other,
        &example_demo_plans()[..1],
        DEMO_SEED + 1,
        at(NOW),
    )
    .unwrap();
    assert_ne!(
        rows(&first, "SELECT * FROM market_prices"),
        rows(&other, "SELECT * FROM market_prices")
    );
}

#[test]
fn seeding_again_at_the_same_time_changes_nothing() {
    let (_dir, mut conn, summary) = seeded_lumio(NOW);
    let before = dump(&conn, DATA);
    let again = seed_demo(&mut conn, &example_demo_plans()[..1], DEMO_SEED, at(NOW)).unwrap();
    assert_eq!(dump(&conn, DATA), before);
    assert_eq!(again, summary);
}

#[test]
fn a_later_start_rolls_forward_like_a_fresh_seeding_of_the_same_anchor() {
    // Four weeks on: November is complete, the new contract has started, October is final.
    let later = "2026-12-03T14:00:00Z";
    let lumio = &example_demo_plans()[..1];
    let (_dir, mut rolled, _) = seeded_lumio(NOW);
    seed_demo(&mut rolled, lumio, DEMO_SEED, at(later)).unwrap();

    let (_fresh_dir, mut fresh) = temp_store();
    sync_tenants(&fresh, &example_tenants()).unwrap();
    fresh
        .execute(
            "INSERT INTO demo_state (singleton, seed, anchor_at) VALUES (1, ?1, ?2)",
            [DEMO_SEED as i64, at(NOW).as_second()],
        )
        .unwrap();
    seed_demo(&mut fresh, lumio, DEMO_SEED, at(later)).unwrap();

    for (sql, (rolled_rows, fresh_rows)) in DATA
        .iter()
        .zip(dump(&rolled, DATA).into_iter().zip(dump(&fresh, DATA)))
    {
        assert!(
            rolled_rows == fresh_rows,
            "{sql} differs after rolling forward"
        );
    }
    // Prices: the older history stays, the new days are added once.
    let (first, _) = day_bounds(date(2026, 9, 5)).unwrap();
    let (_, last) = day_bounds(date(2026, 12, 4)).unwrap();
    assert_eq!(
        count(&rolled, "SELECT count(*) FROM market_prices"),
        (last - first) / 900
    );
    let new_contract_status: String = rolled
        .query_row(
            "SELECT s.status FROM subscriptions s JOIN customers c ON c.id = s.customer_id
             WHERE c.plan_slug = 'lumio' AND s.start_at = ?1",
            [day_bounds(date(2026, 12, 1)).unwrap().0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(new_contract_status, "active");
}

#[test]
fn every_portal_has_the_promised_situations() {
    let (_dir, conn, summary) = seeded_store(NOW);
    assert_eq!(summary.portals.len(), 4);
    for plan in example_demo_plans() {
        let slug = &plan.slug;
        let per_plan = |sql: &str| conn.query_row(sql, [slug], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(
            per_plan("SELECT count(*) FROM customers WHERE plan_slug = ?1"),
            6
        );
        assert_eq!(
            per_plan(
                "SELECT count(*) FROM (SELECT customer_id FROM subscriptions WHERE plan_slug = ?1
                 GROUP BY customer_id HAVING count(*) >= 2)"
            ),
            1,
            "{slug}: one customer with two subscriptions"
        );
        for meter_type in ["smart", "analog"] {
            let meters = conn
                .query_row(
                    "SELECT count(*) FROM subscriptions s JOIN meters m ON m.id = s.meter_id
                     WHERE s.plan_slug = ?1 AND m.type = ?2",
                    [slug, meter_type],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap();
            assert!(meters >= 1, "{slug}: {meter_type} meter");
        }
        assert_eq!(
            per_plan(
                "SELECT count(*) FROM subscriptions WHERE plan_slug = ?1 AND status = 'ended'"
            ),
            1
        );
        assert_eq!(
            per_plan(
                "SELECT count(*) FROM invoices v JOIN invoices o ON o.id = v.voids
                 JOIN customers c ON c.id = v.customer_id
                 WHERE c.plan_slug = ?1 AND v.type = 'void' AND o.status = 'voided'
                   AND v.total_ct = -o.total_ct AND v.subscription_id = o.subscription_id"
            ),
            1,
            "{slug}: one Storno pair"
        );
        assert_eq!(
            per_plan(
                "SELECT count(*) FROM invoice_payments p JOIN invoices i ON i.id = p.invoice_id
                 JOIN customers c ON c.id = i.customer_id
                 WHERE c.plan_slug = ?1 AND p.status = 'failed' AND i.status = 'open'"
            ),
            1,
            "{slug}: one failed payment"
        );
        assert!(
            per_plan(
                "SELECT count(DISTINCT o.status) FROM meter_orders o
                 JOIN customers c ON c.id = o.customer_id WHERE c.plan_slug = ?1"
            ) >= 3
        );
        assert!(
            per_plan(
                "SELECT count(*) FROM meter_orders o JOIN customers c ON c.id = o.customer_id
                 WHERE c.plan_slug = ?1 AND o.status NOT IN ('activated', 'cancelled')"
            ) >= 1,
            "{slug}: an open meter order"
        );
        assert!(
            per_plan(
                "SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id
                 WHERE c.plan_slug = ?1 AND i.type = 'prepayment'"
            ) >= 12
        );
        let portal = summary.portals.iter().find(|p| &p.slug == slug).unwrap();
        assert_eq!(portal.sign_ins.len(), 6);
        assert_eq!(
            portal.sign_ins[0].email,
            format!("anna.schmidt@{slug}.example.com")
        );
    }
}

#[test]
fn two_years_of_monthly_invoices_add_up() {
    let (_dir, conn, _) = seeded_lumio(NOW);
    // The oldest contract has supplied since September 2024: 26 months billed by November 2026,
    // plus the Storno and its replacement.
    let most = count(
        &conn,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM invoices GROUP BY subscription_id)",
    );
    assert_eq!(most, 26 + 2);
    // Lines add up to the net amount, VAT to the total.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM invoices i
             WHERE net_ct <> (SELECT sum(amount_ct) FROM invoice_lines l WHERE l.invoice_id = i.id)
                OR total_ct <> net_ct + vat_ct"
        ),
        0
    );
    // A smart meter's monthly invoice bills exactly the stored quarter-hours of its period.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM invoices i JOIN subscriptions s ON s.id = i.subscription_id
             JOIN meters m ON m.id = s.meter_id
             WHERE m.type = 'smart' AND i.type = 'usage' AND i.status <> 'voided'
               AND i.period_start >= (SELECT min(start_at) FROM usage_15min u
                                      WHERE u.meter_key = m.meter_key)
               AND i.usage_wh <> (SELECT sum(energy_wh) FROM usage_15min u
                                  WHERE u.meter_key = m.meter_key
                                    AND u.start_at >= i.period_start
                                    AND u.start_at < i.period_end)"
        ),
        0
    );
    // Invoice numbers count up per subscription without gaps.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM (SELECT subscription_id, count(*) AS n,
                    max(CAST(substr(invoice_number, -3) AS INTEGER)) AS last
             FROM invoices GROUP BY subscription_id) WHERE n <> last"
        ),
        0
    );
    // A household's monthly bill is in a realistic range (30–300 EUR).
    let (low, high): (i64, i64) = conn
        .query_row(
            "SELECT min(total_ct), max(total_ct) FROM invoices i
             JOIN subscriptions s ON s.id = i.subscription_id
             WHERE i.type = 'usage' AND s.estimated_usage_kwh < 5000
               AND i.period_end - i.period_start < 32 * 86400
               AND i.period_end - i.period_start > 27 * 86400",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(low > 3_000 && high < 30_000, "{low}..{high} ct");
}

#[test]
fn analog_readings_agree_with_monthly_totals() {
    let (_dir, conn, _) = seeded_lumio(NOW);
    let mismatches = count(
        &conn,
        "SELECT count(*) FROM meter_readings a
         JOIN meter_readings b ON b.meter_id = a.meter_id AND b.read_at > a.read_at
         JOIN meters m ON m.id = a.meter_id
         WHERE m.type = 'analog'
           AND b.value_wh - a.value_wh <> (SELECT sum(energy_wh) FROM usage_monthly u
                                           WHERE u.meter_key = m.meter_key
                                             AND u.start_at >= a.read_at
                                             AND u.start_at < b.read_at)",
    );
    assert_eq!(mismatches, 0);
    assert!(
        count(
            &conn,
            "SELECT count(*) FROM usage_monthly WHERE is_final = 0"
        ) > 0,
        "months after the latest reading are estimated"
    );
    assert!(count(&conn, "SELECT count(DISTINCT type) FROM meter_readings") == 3);
}

#[test]
fn prices_cover_60_days_and_today_and_tomorrow_after_publication() {
    let (_dir, conn, _) = seeded_lumio(NOW);
    let day_count = |conn: &Connection, day: Date| {
        let (start, end) = day_bounds(day).unwrap();
        conn.query_row(
            "SELECT count(*) FROM market_prices WHERE start_at >= ?1 AND start_at < ?2",
            [start, end],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    assert_eq!(day_count(&conn, date(2026, 9, 5)), 96, "60 days back");
    assert_eq!(day_count(&conn, date(2026, 9, 4)), 0);
    assert_eq!(
        day_count(&conn, date(2026, 10, 25)),
        100,
        "the October change"
    );
    assert_eq!(day_count(&conn, date(2026, 11, 4)), 96, "today");
    assert_eq!(
        day_count(&conn, date(2026, 11, 5)),
        0,
        "tomorrow: not before 13:00"
    );

    let (_dir, afternoon, _) = seeded_lumio("2026-04-15T11:05:00Z");
    assert_eq!(
        day_count(&afternoon, date(2026, 4, 16)),
        96,
        "tomorrow after 13:00"
    );
    assert_eq!(
        day_count(&afternoon, date(2026, 3, 29)),
        92,
        "the March change"
    );
    let (min, max, mean): (i64, i64, f64) = afternoon
        .query_row(
            "SELECT min(price_mct_per_kwh), max(price_mct_per_kwh), avg(price_mct_per_kwh)
             FROM market_prices",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(min > -20_000 && max < 30_000 && (3_000.0..13_000.0).contains(&mean));
}

#[test]
fn smart_usage_reaches_the_last_complete_quarter_hour_and_turns_final() {
    let (_dir, conn, _) = seeded_lumio(NOW);
    let now = at(NOW).as_second();
    let latest = count(
        &conn,
        "SELECT max(u.start_at) FROM usage_15min u JOIN meters m ON m.meter_key = u.meter_key
         JOIN subscriptions s ON s.meter_id = m.id WHERE s.status = 'active'",
    );
    assert_eq!(latest, now - 900);
    // On 4 November, October is still preliminary and September final.
    let (october, _) = day_bounds(date(2026, 10, 1)).unwrap();
    let preliminary_before_october = conn
        .query_row(
            "SELECT count(*) FROM usage_15min WHERE is_final = 0 AND start_at < ?1",
            [october],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(preliminary_before_october, 0);
    assert!(count(&conn, "SELECT count(*) FROM usage_15min WHERE is_final = 0") > 0);
}

#[test]
fn another_seed_or_an_unknown_plan_is_refused() {
    let (_dir, mut conn, _) = seeded_lumio(NOW);
    let err = seed_demo(&mut conn, &example_demo_plans(), 1, at(NOW)).unwrap_err();
    assert!(err.to_string().contains("seed"), "{err}");

    let (_dir, mut empty) = temp_store();
    let err = seed_demo(&mut empty, &example_demo_plans(), DEMO_SEED, at(NOW)).unwrap_err();
    assert!(err.to_string().contains("sync the tenants"), "{err}");
    assert_eq!(
        count(&empty, "SELECT count(*) FROM demo_state"),
        0,
        "rolled back"
    );
}
