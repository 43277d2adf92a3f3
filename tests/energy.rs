//! API tests of the energy endpoints of `portalgen serve` (issue 5, points 2–4): prices, usage
//! and the dashboard, against the real binary with its demo data. Time is moved with the clock
//! file: the servers start at 2026-05-28 22:26:40 Berlin (after the day-ahead publication), one
//! at 2026-10-26 12:00 Berlin (the day after the autumn DST change, before publication).

mod common;

use std::collections::BTreeMap;

use common::serve::{Req, Response, ServeOptions, Server, T0, prepare, serve};
use serde_json::Value;

/// 2026-05-28 00:00 Berlin (CEST).
const MAY_28: i64 = 1_779_919_200;
const HOUR: i64 = 3600;
const QUARTER: i64 = 900;
/// 2026-10-26 12:00 Berlin (CET), the day after the autumn change.
const OCT_26_NOON: i64 = 1_793_012_400;

/// A signed-in demo customer and their subscriptions (from the store, oldest first).
struct Customer {
    slug: String,
    cookie: String,
    subscriptions: Vec<Subscription>,
}

#[derive(Debug, Clone)]
struct Subscription {
    id: String,
    meter_type: String,
    status: String,
}

impl Customer {
    fn smart(&self) -> &Subscription {
        self.subscriptions
            .iter()
            .find(|s| s.meter_type == "smart")
            .expect("a smart meter")
    }

    fn analog(&self) -> &Subscription {
        self.subscriptions
            .iter()
            .find(|s| s.meter_type == "analog")
            .expect("an analog meter")
    }
}

/// Signs in the demo customer of `slug` whose banner line contains `description`.
fn customer(server: &Server, slug: &str, description: &str) -> Customer {
    let account = server
        .demo_accounts(slug)
        .into_iter()
        .find(|a| a.description.contains(description))
        .unwrap_or_else(|| panic!("no demo account `{description}` on {slug}"));
    let signed_in = server.sign_in(slug, &account.email);
    let customer_id = signed_in.customer["id"].as_str().unwrap().to_owned();
    let db = rusqlite::Connection::open(server.ws.path("data/db.sqlite")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT s.id, m.type, s.status FROM subscriptions s JOIN meters m ON m.id = s.meter_id
             WHERE s.customer_id = ?1 ORDER BY s.created_at, s.id",
        )
        .unwrap();
    let subscriptions = stmt
        .query_map([&customer_id], |r| {
            Ok(Subscription {
                id: r.get(0)?,
                meter_type: r.get(1)?,
                status: r.get(2)?,
            })
        })
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    assert!(!subscriptions.is_empty());
    Customer {
        slug: slug.to_owned(),
        cookie: signed_in.cookie,
        subscriptions,
    }
}

fn get(server: &Server, who: &Customer, path: &str) -> Response {
    server.send(&Req::new("GET", &server.host(&who.slug), path).header("Cookie", &who.cookie))
}

/// A 200 answer's JSON.
fn ok(server: &Server, who: &Customer, path: &str) -> Value {
    let response = get(server, who, path);
    assert_eq!(response.status, 200, "{response}");
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{response}"
    );
    response.json()
}

/// A 400 naming `field` in `errors[]` with `code`.
fn bad_request(server: &Server, who: &Customer, path: &str, field: &str, code: &str) {
    let response = get(server, who, path);
    assert_eq!(response.status, 400, "{response}");
    let body = response.json();
    assert_eq!(body["code"], "BAD_REQUEST", "{response}");
    assert_eq!(
        response.header("x-request-id"),
        body["requestId"].as_str(),
        "{response}"
    );
    let errors = body["errors"].as_array().expect("errors[]");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["code"] == code && e["message"].is_string()),
        "errors[] names {field} with {code}: {response}"
    );
}

fn prices_path(id: &str, start: &str, end: &str) -> String {
    format!("/api/subscriptions/{id}/prices?start={start}&end={end}")
}

fn unix(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .as_second()
}

fn items(price: &Value) -> &Vec<Value> {
    price["items"].as_array().expect("items")
}

/// Milli-units (mct/kWh or Wh) of a JSON number with at most three decimals.
fn milli(value: &Value) -> i64 {
    (value.as_f64().expect("a number") * 1000.0).round() as i64
}

/// Every item: consecutive slots from `first`, components electricity/grid/levies that add up
/// to the amount (or a null amount when any is null).
fn assert_items(items: &[Value], first: i64, step: i64) {
    for (i, item) in items.iter().enumerate() {
        assert_eq!(
            unix(item["timestamp"].as_str().unwrap()),
            first + i as i64 * step,
            "{item}"
        );
        let components = item["components"].as_array().unwrap();
        let kinds: Vec<&str> = components
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["electricity", "grid", "levies"], "{item}");
        if components.iter().all(|c| c["amount"].is_number()) {
            let sum: i64 = components.iter().map(|c| milli(&c["amount"])).sum();
            assert_eq!(milli(&item["amount"]), sum, "components add up: {item}");
        } else {
            assert!(item["amount"].is_null(), "{item}");
        }
    }
}

#[test]
fn prices_cover_berlin_days_and_tomorrow_only_after_publication() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let smart = anna.smart().id.clone();

    // 2026-03-29 (spring forward): 92 quarter-hours, 23 hours, all known (60 days of history).
    let spring = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-03-29", "2026-03-29"),
    );
    assert_eq!(spring["object"], "price");
    assert_eq!(spring["subscription"], smart.as_str());
    assert_eq!(spring["period"]["start"], "2026-03-29");
    assert_eq!(spring["period"]["end"], "2026-03-29");
    assert_eq!(spring["unit"], "ct/kWh");
    assert_eq!(spring["currency"], "EUR");
    assert_eq!(spring["resolution"], "15min");
    assert!(spring["reference"].is_string());
    let quarters = items(&spring);
    assert_eq!(quarters.len(), 92);
    assert_items(quarters, unix("2026-03-28T23:00:00Z"), QUARTER);
    assert!(quarters.iter().all(|i| i["amount"].is_number()));
    let grid = &quarters[0]["components"][1]["amount"];
    assert!(
        quarters
            .iter()
            .all(|i| i["components"][1]["amount"] == *grid),
        "flat grid fee"
    );

    let hourly = ok(
        &server,
        &anna,
        &format!(
            "{}&resolution=hour",
            prices_path(&smart, "2026-03-29", "2026-03-29")
        ),
    );
    assert_eq!(hourly["resolution"], "hour");
    let hours = items(&hourly);
    assert_eq!(hours.len(), 23);
    assert_items(hours, unix("2026-03-28T23:00:00Z"), HOUR);
    for (h, hour) in hours.iter().enumerate() {
        let mean = quarters[h * 4..h * 4 + 4]
            .iter()
            .map(|q| milli(&q["components"][0]["amount"]))
            .sum::<i64>() as f64
            / 4.0;
        let electricity = milli(&hour["components"][0]["amount"]) as f64;
        assert!(
            (electricity - mean).abs() <= 2.0,
            "hour {h}: {electricity} vs {mean}"
        );
    }

    // end is inclusive: two days are 192 quarter-hours; tomorrow is published at 22:26.
    let two_days = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-28", "2026-05-29"),
    );
    let slots = items(&two_days);
    assert_eq!(slots.len(), 192);
    assert_items(slots, MAY_28, QUARTER);
    assert!(slots.iter().all(|i| i["amount"].is_number()));

    // At 12:59:59 tomorrow is not published yet: unknown electricity and total, known rest.
    server.set_time(MAY_28 + 13 * HOUR - 1);
    let morning = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-28", "2026-05-29"),
    );
    let slots = items(&morning);
    assert_eq!(slots.len(), 192);
    assert_items(slots, MAY_28, QUARTER);
    assert!(
        slots[..96].iter().all(|i| i["amount"].is_number()),
        "today is known"
    );
    for item in &slots[96..] {
        assert!(item["amount"].is_null(), "{item}");
        assert!(item["components"][0]["amount"].is_null(), "{item}");
        assert!(item["components"][1]["amount"].is_number(), "{item}");
        assert!(item["components"][2]["amount"].is_number(), "{item}");
    }
    server.set_time(MAY_28 + 13 * HOUR);
    let published = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-29", "2026-05-29"),
    );
    assert!(items(&published).iter().all(|i| i["amount"].is_number()));
    // Further ahead nothing is known.
    let later = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-30", "2026-05-30"),
    );
    assert!(items(&later).iter().all(|i| i["amount"].is_null()));
    server.set_time(T0);

    // The analog contract is active too: prices do not depend on the meter.
    let analog = ok(
        &server,
        &anna,
        &prices_path(&anna.analog().id, "2026-05-28", "2026-05-28"),
    );
    assert_eq!(items(&analog).len(), 96);

    // Parameters.
    let base = format!("/api/subscriptions/{smart}/prices");
    bad_request(&server, &anna, &base, "start", "invalid_type");
    bad_request(
        &server,
        &anna,
        &format!("{base}?start=2026-05-28"),
        "end",
        "invalid_type",
    );
    bad_request(
        &server,
        &anna,
        &prices_path(&smart, "2026-5-28", "2026-05-28"),
        "start",
        "invalid_format",
    );
    bad_request(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-28", "2026-02-30"),
        "end",
        "invalid_format",
    );
    bad_request(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-28", "2026-05-27"),
        "end",
        "too_small",
    );
    bad_request(
        &server,
        &anna,
        &prices_path(&smart, "2026-01-01", "2026-02-01"),
        "end",
        "too_big",
    );
    bad_request(
        &server,
        &anna,
        &format!(
            "{}&resolution=daily",
            prices_path(&smart, "2026-05-28", "2026-05-28")
        ),
        "resolution",
        "invalid_value",
    );
    bad_request(
        &server,
        &anna,
        &format!(
            "{}&currency=USD",
            prices_path(&smart, "2026-05-28", "2026-05-28")
        ),
        "currency",
        "unrecognized_keys",
    );
    // Thirty-one days at once are fine, percent-encoded dates too.
    let month = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-01", "2026%2D05%2D31"),
    );
    assert_eq!(items(&month).len(), 31 * 96);
}

#[test]
fn inactive_subscriptions_have_no_price_items_and_other_parties_ids_are_not_found() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let ended = customer(&server, "lumio", "contract ended");
    let pending = customer(&server, "lumio", "new contract");
    let other_portal = customer(&server, "nordwatt", "two contracts");

    for who in [&ended, &pending] {
        let subscription = &who.subscriptions[0];
        assert_ne!(subscription.status, "active", "{subscription:?}");
        let price = ok(
            &server,
            who,
            &prices_path(&subscription.id, "2026-05-28", "2026-05-28"),
        );
        assert!(price["items"].is_null(), "{price}");
        assert_eq!(price["object"], "price");
        let dashboard = ok(
            &server,
            who,
            &format!("/api/subscriptions/{}/dashboard", subscription.id),
        );
        assert!(
            dashboard["prices"]["today"]["items"].is_null(),
            "{dashboard}"
        );
        assert!(dashboard["prices"]["tomorrow"]["items"].is_null());
        assert!(dashboard["prices"]["today"]["cheapest_window"].is_null());
        assert!(dashboard["next_bill"].is_null());
        assert_eq!(
            dashboard["contract"]["status"],
            subscription.status.as_str()
        );
    }
    // The ended contract's history stays readable.
    let ended_id = &ended.subscriptions[0].id;
    let history = ok(
        &server,
        &ended,
        &format!(
            "/api/subscriptions/{ended_id}/usage?resolution=month&start=2025-01-01&end=2026-01-01"
        ),
    );
    assert!(!history["data"].as_array().unwrap().is_empty(), "{history}");

    // Someone else's subscription, on this portal or another one, is not found.
    let paths = |id: &str| {
        vec![
            prices_path(id, "2026-05-28", "2026-05-28"),
            format!("/api/subscriptions/{id}/usage"),
            format!("/api/subscriptions/{id}/dashboard"),
        ]
    };
    let foreign = [
        (&ended, anna.smart().id.clone()),
        (&anna, ended_id.clone()),
        (&other_portal, anna.smart().id.clone()),
        (&anna, other_portal.smart().id.clone()),
        (&anna, "sub_doesnotexist0000000000000".to_owned()),
    ];
    for (who, id) in foreign {
        for path in paths(&id) {
            let response = get(&server, who, &path);
            assert_eq!(response.status, 404, "{response}");
            assert_eq!(response.json()["code"], "NOT_FOUND");
            assert!(!response.text().contains("items"), "{response}");
        }
    }
    // A session works only on its own portal, and nothing works without one.
    for path in paths(&anna.smart().id) {
        let elsewhere = server
            .send(&Req::new("GET", &server.host("nordwatt"), &path).header("Cookie", &anna.cookie));
        assert_eq!(elsewhere.status, 401, "{elsewhere}");
        let anonymous = server.send(&Req::new("GET", &server.host("lumio"), &path));
        assert_eq!(anonymous.status, 401, "{anonymous}");
        // Even with bad parameters, the missing session is what counts.
        let separator = if path.contains('?') { '&' } else { '?' };
        let anonymous = server.send(&Req::new(
            "GET",
            &server.host("lumio"),
            &format!("{path}{separator}x=1"),
        ));
        assert_eq!(anonymous.status, 401, "{anonymous}");
        let post = server.send(
            &Req::new("POST", &server.host("lumio"), &path)
                .header("Cookie", &anna.cookie)
                .header("Sec-Fetch-Site", "same-origin")
                .json(&serde_json::json!({})),
        );
        assert_eq!(post.status, 405, "{post}");
    }
}

/// Usage points as (start, Wh, type).
fn points(usage: &Value) -> Vec<(i64, i64, String)> {
    usage["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| {
            (
                unix(p["start"].as_str().unwrap()),
                milli(&p["usage"]),
                p["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn usage_resolutions_add_up_over_berlin_days_weeks_and_months() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let smart = anna.smart().id.clone();
    let usage = |query: &str| {
        ok(
            &server,
            &anna,
            &format!("/api/subscriptions/{smart}/usage?{query}"),
        )
    };

    // March 2026 has the spring change; April is final, May still preliminary (12th-day rule).
    let period = "start=2026-03-02&end=2026-05-28";
    let quarter = usage("resolution=15min&start=2026-03-29&end=2026-03-30");
    assert_eq!(quarter["object"], "usage");
    assert_eq!(quarter["meter_type"], "smart");
    assert_eq!(quarter["resolution"], "15min");
    let spring = points(&quarter);
    assert_eq!(spring.len(), 92);
    let hour = usage("resolution=hour&start=2026-03-29&end=2026-03-30");
    assert_eq!(points(&hour).len(), 23);
    let day = usage("resolution=day&start=2026-03-29&end=2026-03-30");
    let day = points(&day);
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].0, unix("2026-03-28T23:00:00Z"));
    assert_eq!(
        day[0].1,
        spring.iter().map(|p| p.1).sum::<i64>(),
        "a day is its quarter-hours"
    );

    let series: BTreeMap<&str, Vec<(i64, i64, String)>> = ["hour", "day", "week", "month"]
        .into_iter()
        .map(|r| {
            let answer = usage(&format!("resolution={r}&{period}"));
            assert_eq!(answer["resolution"], r);
            (r, points(&answer))
        })
        .collect();
    // The 15-minute series is limited to 31 days: fetch it month by month.
    let mut quarters = Vec::new();
    for (start, end) in [
        ("2026-03-02", "2026-04-01"),
        ("2026-04-01", "2026-05-01"),
        ("2026-05-01", "2026-05-28"),
    ] {
        quarters.extend(points(&usage(&format!(
            "resolution=15min&start={start}&end={end}"
        ))));
    }
    let total: i64 = quarters.iter().map(|p| p.1).sum();
    for (resolution, points) in &series {
        assert_eq!(
            points.iter().map(|p| p.1).sum::<i64>(),
            total,
            "{resolution}"
        );
    }
    // Every interval sums exactly its own quarter-hours and is final only when they all are.
    for (resolution, points) in &series {
        for (i, (start, wh, kind)) in points.iter().enumerate() {
            let end = points
                .get(i + 1)
                .map_or(unix("2026-05-27T22:00:00Z"), |p| p.0);
            let inside: Vec<_> = quarters
                .iter()
                .filter(|q| q.0 >= *start && q.0 < end)
                .collect();
            assert_eq!(
                *wh,
                inside.iter().map(|q| q.1).sum::<i64>(),
                "{resolution} at {start}"
            );
            let all_final = inside.iter().all(|q| q.2 == "final");
            assert_eq!(kind == "final", all_final, "{resolution} at {start}");
        }
    }
    let days = &series["day"];
    assert_eq!(days.len(), 87);
    let lengths: Vec<i64> = days.windows(2).map(|w| (w[1].0 - w[0].0) / HOUR).collect();
    assert!(lengths.iter().all(|h| [23, 24].contains(h)), "{lengths:?}");
    assert_eq!(lengths.iter().filter(|h| **h == 23).count(), 1);
    // Weeks start on Mondays at Berlin midnight (2026-03-02 is a Monday); months on the 1st.
    let weeks = &series["week"];
    assert_eq!(weeks[0].0, unix("2026-03-01T23:00:00Z"));
    assert_eq!(
        weeks[4].0,
        unix("2026-03-29T22:00:00Z"),
        "CEST from 29 March on"
    );
    let months: Vec<i64> = series["month"].iter().map(|p| p.0).collect();
    assert_eq!(
        months,
        [
            unix("2026-03-01T23:00:00Z"),
            unix("2026-03-31T22:00:00Z"),
            unix("2026-04-30T22:00:00Z")
        ]
    );
    let kinds: Vec<&str> = series["month"].iter().map(|p| p.2.as_str()).collect();
    assert_eq!(kinds, ["final", "final", "preliminary"]);

    // auto: the finest resolution with at most 100 points.
    for (query, expected) in [
        ("", "15min"),
        ("start=2026-05-20&end=2026-05-22", "hour"),
        ("start=2026-05-01&end=2026-05-28", "day"),
        ("start=2025-06-01&end=2026-05-28", "week"),
        ("resolution=auto&start=2024-03-01&end=2026-05-01", "month"),
    ] {
        assert_eq!(usage(query)["resolution"], expected, "{query}");
    }
    // Defaults: yesterday, in quarter-hours.
    let yesterday = points(&usage(""));
    assert_eq!(yesterday.len(), 96);
    assert_eq!(yesterday[0].0, MAY_28 - 86_400);

    // Analog meters: months only.
    let analog = &anna.analog().id;
    let monthly = ok(
        &server,
        &anna,
        &format!("/api/subscriptions/{analog}/usage"),
    );
    assert_eq!(monthly["meter_type"], "analog");
    assert_eq!(monthly["resolution"], "month");
    let months = points(&monthly);
    assert!((6..=12).contains(&months.len()), "{monthly}");
    assert!(months.iter().all(|p| p.1 > 0));
    assert!(months.iter().any(|p| p.2 == "final"));
    bad_request(
        &server,
        &anna,
        &format!("/api/subscriptions/{analog}/usage?resolution=day"),
        "resolution",
        "invalid_value",
    );

    // Parameters.
    let base = format!("/api/subscriptions/{smart}/usage");
    bad_request(
        &server,
        &anna,
        &format!("{base}?resolution=year"),
        "resolution",
        "invalid_value",
    );
    bad_request(
        &server,
        &anna,
        &format!("{base}?start=yesterday"),
        "start",
        "invalid_format",
    );
    bad_request(
        &server,
        &anna,
        &format!("{base}?start=2026-05-02&end=2026-05-02"),
        "end",
        "too_small",
    );
    bad_request(
        &server,
        &anna,
        &format!("{base}?resolution=15min&start=2026-01-01&end=2026-03-01"),
        "end",
        "too_big",
    );
    bad_request(
        &server,
        &anna,
        &format!("{base}?limit=10"),
        "limit",
        "unrecognized_keys",
    );
}

#[test]
fn the_dashboard_gathers_prices_consumption_bills_and_orders() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let with_order = customer(&server, "lumio", "installation scheduled");
    let smart = anna.smart().id.clone();
    let dashboard_path = format!("/api/subscriptions/{smart}/dashboard");

    let board = ok(&server, &anna, &dashboard_path);
    assert_eq!(board["object"], "dashboard");
    assert_eq!(board["subscription"], smart.as_str());
    assert_eq!(board["contract"]["status"], "active");
    assert_eq!(board["contract"]["meter_type"], "smart");
    let today = &board["prices"]["today"];
    assert_eq!(today["date"], "2026-05-28");
    assert_items(items(today), MAY_28, QUARTER);
    assert_eq!(items(today).len(), 96);
    // 22:26: fewer than two hours left today; tomorrow is published with a whole-day window.
    assert!(today["cheapest_window"].is_null(), "{today}");
    let tomorrow = &board["prices"]["tomorrow"];
    assert_eq!(tomorrow["published"], true);
    assert_eq!(tomorrow["date"], "2026-05-29");
    assert_eq!(items(tomorrow).len(), 96);
    assert_cheapest_window(
        &tomorrow["cheapest_window"],
        items(tomorrow),
        MAY_28 + 86_400,
    );
    // The same items as the prices endpoint.
    let prices = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-05-28", "2026-05-29"),
    );
    assert_eq!(items(today)[..], items(&prices)[..96]);
    assert_eq!(items(tomorrow)[..], items(&prices)[96..]);

    // Consumption agrees with the usage endpoint.
    let consumption = &board["consumption"];
    assert_eq!(consumption["meter_type"], "smart");
    let measured = unix(consumption["measured_until"].as_str().unwrap());
    assert_eq!(
        measured,
        T0 - T0 % QUARTER,
        "the demo measures up to the last quarter-hour"
    );
    let mut quarters = Vec::new();
    for (start, end) in [("2026-04-01", "2026-05-01"), ("2026-05-01", "2026-05-29")] {
        quarters.extend(points(&ok(
            &server,
            &anna,
            &format!("/api/subscriptions/{smart}/usage?resolution=15min&start={start}&end={end}"),
        )));
    }
    let sum = |from: i64, to: i64| -> i64 {
        quarters
            .iter()
            .filter(|q| q.0 >= from && q.0 < to)
            .map(|q| q.1)
            .sum()
    };
    let may = unix("2026-04-30T22:00:00Z");
    let april = unix("2026-03-31T22:00:00Z");
    assert_eq!(milli(&consumption["today"]["usage"]), sum(MAY_28, measured));
    assert_eq!(
        milli(&consumption["this_month"]["usage"]),
        sum(may, measured)
    );
    let last = &consumption["last_month_same_period"];
    assert_eq!(unix(last["start"].as_str().unwrap()), april);
    assert_eq!(
        unix(last["end"].as_str().unwrap()),
        measured - 30 * 86_400,
        "28 April, same time"
    );
    assert_eq!(milli(&last["usage"]), sum(april, measured - 30 * 86_400));
    let change = consumption["change_percent"].as_f64().unwrap();
    let expected =
        (sum(may, measured) - milli(&last["usage"])) as f64 / milli(&last["usage"]) as f64 * 100.0;
    assert!((change - expected).abs() < 0.051, "{change} vs {expected}");

    // The running month's bill, estimated; the latest invoice; no open order.
    let bill = &board["next_bill"];
    assert_eq!(bill["type"], "usage");
    assert_eq!(bill["date"], "2026-06-01");
    assert_eq!(bill["estimated"], true);
    let (so_far, whole) = (
        bill["amount_to_date"].as_f64().unwrap(),
        bill["amount"].as_f64().unwrap(),
    );
    assert!(so_far > 10.0 && whole > so_far, "{bill}");
    let invoice = &board["latest_invoice"];
    assert_eq!(invoice["object"], "invoice");
    assert!(
        invoice["invoice_number"].is_string() && invoice["total"].is_number(),
        "{invoice}"
    );
    assert!(unix(invoice["issued_at"].as_str().unwrap()) <= T0);
    assert!(board["open_meter_order"].is_null());

    // In the morning today's window lies ahead, tomorrow is not published yet.
    let eight = MAY_28 + 8 * HOUR;
    server.set_time(eight + 7 * 60);
    let morning = ok(&server, &anna, &dashboard_path);
    let today = &morning["prices"]["today"];
    assert_cheapest_window(&today["cheapest_window"], items(today), eight);
    let tomorrow = &morning["prices"]["tomorrow"];
    assert_eq!(tomorrow["published"], false);
    assert_eq!(
        unix(tomorrow["published_at"].as_str().unwrap()),
        MAY_28 + 13 * HOUR
    );
    assert!(
        tomorrow["items"].is_null() && tomorrow["cheapest_window"].is_null(),
        "{tomorrow}"
    );
    server.set_time(T0);

    // Analog meters: the next monthly advance, the latest monthly value, an open order.
    let analog = &anna.analog().id;
    let board = ok(
        &server,
        &anna,
        &format!("/api/subscriptions/{analog}/dashboard"),
    );
    assert_eq!(board["next_bill"]["type"], "prepayment");
    assert_eq!(board["next_bill"]["estimated"], false);
    assert!(board["next_bill"]["amount"].as_f64().unwrap() > 0.0);
    assert!(board["consumption"]["today"].is_null());
    assert!(
        board["consumption"]["latest_month"]["usage"].is_number(),
        "{board}"
    );
    let ordered = &with_order.subscriptions[0];
    let board = ok(
        &server,
        &with_order,
        &format!("/api/subscriptions/{}/dashboard", ordered.id),
    );
    let order = &board["open_meter_order"];
    assert_eq!(order["object"], "meter_order", "{board}");
    assert_eq!(order["subscription"], ordered.id.as_str());
    assert!(!["activated", "cancelled"].contains(&order["status"].as_str().unwrap()));

    bad_request(
        &server,
        &anna,
        &format!("{dashboard_path}?resolution=hourly"),
        "resolution",
        "unrecognized_keys",
    );
}

/// The window is eight consecutive quarter-hours from `from` on with the lowest mean, the
/// earliest of equal ones, and its average is theirs.
fn assert_cheapest_window(window: &Value, day: &[Value], from: i64) {
    let amounts: Vec<(i64, i64)> = day
        .iter()
        .map(|i| (unix(i["timestamp"].as_str().unwrap()), milli(&i["amount"])))
        .filter(|(at, _)| *at >= from)
        .collect();
    let best = amounts
        .windows(8)
        .map(|w| (w.iter().map(|a| a.1).sum::<i64>(), w[0].0))
        .min()
        .unwrap();
    assert_eq!(unix(window["start"].as_str().unwrap()), best.1, "{window}");
    assert_eq!(unix(window["end"].as_str().unwrap()), best.1 + 2 * HOUR);
    assert_eq!(window["duration_minutes"], 120);
    assert!((milli(&window["average_amount"]) as f64 - best.0 as f64 / 8.0).abs() <= 1.0);
    assert!(
        window["day_average_amount"].as_f64().unwrap()
            >= window["average_amount"].as_f64().unwrap()
    );
}

#[test]
fn the_autumn_change_gives_a_day_of_100_quarter_hours() {
    let prepared = prepare();
    std::fs::write(prepared.ws.path("data/clock"), OCT_26_NOON.to_string()).unwrap();
    let server = prepared.start(ServeOptions::default());
    server.set_time(OCT_26_NOON);
    let anna = customer(&server, "lumio", "two contracts");
    let smart = anna.smart().id.clone();

    let autumn = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-10-25", "2026-10-25"),
    );
    let slots = items(&autumn);
    assert_eq!(slots.len(), 100);
    assert_items(slots, unix("2026-10-24T22:00:00Z"), QUARTER);
    assert!(slots.iter().all(|i| i["amount"].is_number()));
    let hourly = ok(
        &server,
        &anna,
        &format!(
            "{}&resolution=hour",
            prices_path(&smart, "2026-10-25", "2026-10-25")
        ),
    );
    assert_eq!(items(&hourly).len(), 25);
    // At noon tomorrow (27 October) is not published; March is beyond the stored history.
    let ahead = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-10-26", "2026-10-27"),
    );
    let ahead = items(&ahead);
    assert_eq!(ahead.len(), 192);
    assert!(ahead[..96].iter().all(|i| i["amount"].is_number()));
    assert!(ahead[96..].iter().all(|i| i["amount"].is_null()));
    let spring = ok(
        &server,
        &anna,
        &prices_path(&smart, "2026-03-29", "2026-03-29"),
    );
    assert_eq!(items(&spring).len(), 92);
    assert!(
        items(&spring)
            .iter()
            .all(|i| i["amount"].is_null() && i["components"][1]["amount"].is_number())
    );

    let usage = |resolution: &str| {
        points(&ok(
            &server,
            &anna,
            &format!(
                "/api/subscriptions/{smart}/usage?resolution={resolution}&start=2026-10-25&end=2026-10-26"
            ),
        ))
    };
    let quarters = usage("15min");
    assert_eq!(quarters.len(), 100);
    let hours = usage("hour");
    assert_eq!(hours.len(), 25);
    let day = usage("day");
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].1, quarters.iter().map(|q| q.1).sum::<i64>());
    assert_eq!(day[0].1, hours.iter().map(|q| q.1).sum::<i64>());
    assert_eq!(
        ok(
            &server,
            &anna,
            &format!("/api/subscriptions/{smart}/usage?start=2026-10-25&end=2026-10-26")
        )["resolution"],
        "15min"
    );

    let board = ok(
        &server,
        &anna,
        &format!("/api/subscriptions/{smart}/dashboard"),
    );
    assert_eq!(items(&board["prices"]["today"]).len(), 96);
    assert_eq!(board["prices"]["tomorrow"]["published"], false);
    assert!(board["prices"]["today"]["cheapest_window"].is_object());
}
