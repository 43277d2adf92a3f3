//! API tests of subscriptions, the customer, account changes, terminations, meter orders, meter
//! swaps and products (issue 5, points 1, 7 and 8) against the real binary with the demo data:
//! the Nomos shapes, every refusal with its `errors[].code`, the 15-minute step-up before a new
//! IBAN (moved along with the server's clock file), IBAN vectors, the withdrawal window, the
//! audit trail in the store, and the isolation of customers and portals.

mod common;

use std::collections::BTreeSet;

use common::serve::{Req, Response, ServeOptions, Server, SignedIn, T0, serve};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

/// A signed-in demo customer of a portal.
struct Customer<'s> {
    server: &'s Server,
    slug: &'static str,
    email: String,
    session: SignedIn,
}

impl Customer<'_> {
    fn id(&self) -> String {
        self.session.customer["id"].as_str().unwrap().to_owned()
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let mut req = Req::new(method, &self.server.host(self.slug), path)
            .header("Cookie", &self.session.cookie);
        if let Some(body) = body {
            req = req.header("Sec-Fetch-Site", "same-origin").json(body);
        }
        self.server.send(&req)
    }

    fn get(&self, path: &str) -> Response {
        self.send("GET", path, None)
    }

    fn json(&self, path: &str) -> Value {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "{answer}");
        answer.json()
    }

    fn patch(&self, path: &str, body: &Value) -> Response {
        self.send("PATCH", path, Some(body))
    }

    fn post(&self, path: &str, body: &Value) -> Response {
        self.send("POST", path, Some(body))
    }

    /// Signs in again (a new session, a fresh sign-in time).
    fn sign_in_again(&mut self) {
        self.session = self.server.sign_in(self.slug, &self.email);
    }

    /// The ids of the customer's subscriptions, oldest first.
    fn subscription_ids(&self) -> Vec<String> {
        let mut items = self.json("/api/subscriptions?limit=100")["items"]
            .as_array()
            .unwrap()
            .clone();
        items.sort_by_key(|s| s["created_at"].as_str().unwrap().to_owned());
        items
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Signs in the demo customer of `slug` whose banner description contains `role`.
fn customer<'s>(server: &'s Server, slug: &'static str, role: &str) -> Customer<'s> {
    let account = server
        .demo_accounts(slug)
        .into_iter()
        .find(|a| a.description.contains(role))
        .unwrap_or_else(|| panic!("no demo customer `{role}` on {slug}"));
    Customer {
        server,
        slug,
        session: server.sign_in(slug, &account.email),
        email: account.email,
    }
}

/// Asserts an error answer with `status`, its envelope code and `errors[0]` of `code` on
/// `field`; returns the body.
fn assert_refused(answer: &Response, status: u16, code: &str, field: &str) -> Value {
    assert_eq!(answer.status, status, "{answer}");
    let body = answer.json();
    let envelope = match status {
        400 => "BAD_REQUEST",
        403 => "FORBIDDEN",
        409 => "CONFLICT",
        422 => "UNPROCESSABLE_ENTITY",
        _ => panic!("unexpected status {status}"),
    };
    assert_eq!(body["code"], envelope, "{answer}");
    assert_eq!(
        answer.header("x-request-id"),
        body["requestId"].as_str(),
        "{answer}"
    );
    assert_eq!(body["errors"][0]["code"], code, "{answer}");
    assert_eq!(body["errors"][0]["field"], field, "{answer}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{answer}"
    );
    body
}

fn assert_not_found(answer: &Response) {
    assert_eq!(answer.status, 404, "{answer}");
    assert_eq!(answer.json()["code"], "NOT_FOUND", "{answer}");
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

/// The Berlin date of a unix time.
fn berlin_date(unix: i64) -> Date {
    Timestamp::from_second(unix)
        .unwrap()
        .to_zoned(berlin())
        .date()
}

/// Midnight of `date` in Berlin as Nomos writes end dates: `2026-06-27T00:00:00+02:00`.
fn berlin_midnight(date: Date) -> String {
    date.to_zoned(berlin())
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn instant(text: &Value) -> i64 {
    text.as_str()
        .unwrap()
        .parse::<Timestamp>()
        .unwrap()
        .as_second()
}

/// `DE************3000`.
fn is_masked(iban: &str) -> bool {
    iban.len() == 18
        && iban[..2].bytes().all(|b| b.is_ascii_uppercase())
        && &iban[2..14] == "************"
        && iban[14..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The IBAN of `country` and `bban` with the check digits that make its mod-97 sum right.
fn with_check_digits(country: &str, bban: &str) -> String {
    let digits: String = format!("{bban}{country}00")
        .chars()
        .map(|c| c.to_digit(36).unwrap().to_string())
        .collect();
    let remainder = digits
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("{country}{:02}{bban}", 98 - remainder)
}

fn db(server: &Server) -> rusqlite::Connection {
    rusqlite::Connection::open(server.ws.path("data/db.sqlite")).unwrap()
}

/// The audit trail: (customer, subscription, actor, action, changes, occurred_at), oldest first.
fn audit_rows(server: &Server) -> Vec<(String, Option<String>, String, String, Value, i64)> {
    let db = db(server);
    let mut stmt = db
        .prepare(
            "SELECT customer_id, subscription_id, actor, action, changes, occurred_at
             FROM audit_events ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let changes: String = r.get(4)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            serde_json::from_str(&changes).unwrap(),
            r.get(5)?,
        ))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn sepa(iban: &str, holder: &str) -> Value {
    json!({ "payment_method": {
        "type": "sepa_debit",
        "sepa_debit": { "iban": iban, "account_holder": holder }
    }})
}

fn billing_address(street: &str, house_number: &str, zip: &str, city: &str) -> Value {
    json!({ "billing_address": {
        "street": street, "house_number": house_number, "zip": zip, "city": city
    }})
}

const SUBSCRIPTION_KEYS: [&str; 20] = [
    "address",
    "billing_address",
    "created_at",
    "customer",
    "end_at",
    "estimated_usage",
    "id",
    "metadata",
    "meter",
    "number",
    "object",
    "payment_method",
    "plan",
    "start_at",
    "status",
    "supplier",
    "terminated_at",
    "termination",
    "type",
    "updated_at",
];

const METER_ORDER_KEYS: [&str; 17] = [
    "activated_at",
    "appointment_at",
    "blocked",
    "blocked_at",
    "blocked_reason",
    "cancelled_at",
    "cancelled_reason",
    "created_at",
    "customer",
    "id",
    "installed_at",
    "object",
    "provider",
    "status",
    "subscription",
    "swap_request",
    "timeline",
];

#[test]
fn subscriptions_customer_meter_orders_and_products_in_nomos_shapes() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");

    // The list: Nomos list shape, related objects as ids, newest first, cursor pages.
    let list = anna.json("/api/subscriptions");
    assert_eq!(list["object"], "list");
    assert_eq!(list["has_more"], false);
    assert_eq!(list["next_page"], Value::Null);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(keys(item), SUBSCRIPTION_KEYS);
        assert_eq!(item["object"], "subscription");
        assert_eq!(item["customer"], anna.id().as_str());
        assert!(item["plan"].as_str().unwrap().starts_with("pln_"));
        assert!(item["meter"].as_str().unwrap().starts_with("mtr_"));
        assert!(item["payment_method"].as_str().unwrap().starts_with("pm_"));
        assert_eq!(item["termination"], Value::Null);
    }
    assert!(items[0]["created_at"].as_str() > items[1]["created_at"].as_str());
    let first = anna.json("/api/subscriptions?limit=1");
    assert_eq!(first["has_more"], true);
    let cursor = first["next_page"].as_str().unwrap();
    let second = anna.json(&format!("/api/subscriptions?limit=1&cursor={cursor}"));
    assert_eq!(second["has_more"], false);
    assert_eq!(
        [ids(&first), ids(&second)].concat(),
        ids(&list),
        "pages walk the list"
    );
    // A changed character in the middle of the cursor.
    let mut tampered = cursor.as_bytes().to_vec();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_refused(
        &anna.get(&format!("/api/subscriptions?limit=1&cursor={tampered}")),
        400,
        "invalid_format",
        "cursor",
    );
    let active = anna.json("/api/subscriptions?filter[status][eq]=active");
    assert_eq!(ids(&active).len(), 2);
    let ended = anna.json("/api/subscriptions?filter[status][eq]=ended");
    assert!(ids(&ended).is_empty());
    assert_refused(
        &anna.get("/api/subscriptions?filter[status][eq]=paused"),
        400,
        "invalid_value",
        "filter[status][eq]",
    );

    // One subscription, expanded, the IBAN masked.
    let subscription_ids = anna.subscription_ids();
    let home = anna.json(&format!("/api/subscriptions/{}", subscription_ids[0]));
    assert_eq!(keys(&home), SUBSCRIPTION_KEYS);
    assert_eq!(home["customer"]["object"], "customer");
    assert_eq!(home["customer"]["id"], anna.id().as_str());
    assert_eq!(home["address"]["object"], "address");
    assert_eq!(home["billing_address"]["object"], "address");
    assert_eq!(home["meter"]["type"], "smart");
    assert_eq!(home["status"], "active");
    assert_eq!(home["estimated_usage"], 3200);
    assert!(home["start_at"].is_string() && home["end_at"].is_null());
    let iban = home["payment_method"]["sepa_debit"]["iban"]
        .as_str()
        .unwrap();
    assert!(is_masked(iban), "{iban}");
    let full_iban: String = db(&server)
        .query_row(
            "SELECT pm.iban FROM subscriptions s JOIN payment_methods pm
             ON pm.id = s.payment_method_id WHERE s.id = ?1",
            [&subscription_ids[0]],
            |r| r.get(0),
        )
        .unwrap();
    let answer = anna.get(&format!("/api/subscriptions/{}", subscription_ids[0]));
    assert!(!answer.text().contains(&full_iban[4..]), "{answer}");
    assert_eq!(iban[14..], full_iban[full_iban.len() - 4..]);
    let flat = anna.json(&format!("/api/subscriptions/{}", subscription_ids[1]));
    assert_eq!(flat["meter"]["type"], "analog");
    assert_eq!(
        flat["billing_address"]["id"], home["address"]["id"],
        "the flat's bills go home"
    );
    assert_not_found(&anna.get("/api/subscriptions/sub_unknown"));

    // A terminated contract shows the scheduled end.
    let ending = customer(&server, "lumio", "contract terminated");
    let ending_id = &ending.subscription_ids()[0];
    let terminated = ending.json(&format!("/api/subscriptions/{ending_id}"));
    let termination = &terminated["termination"];
    assert_eq!(termination["reason"], "ORDINARY");
    assert_eq!(termination["terminated_at"], terminated["terminated_at"]);
    let end = termination["intended_end_at"].as_str().unwrap();
    assert!(
        end.ends_with("T00:00:00+02:00") || end.ends_with("T00:00:00+01:00"),
        "{end}"
    );
    assert_eq!(
        instant(&termination["intended_end_at"]),
        instant(&terminated["end_at"])
    );

    // The customer: own id only.
    let me = anna.json(&format!("/api/customers/{}", anna.id()));
    assert_eq!(
        keys(&me),
        [
            "created_at",
            "email",
            "first_name",
            "id",
            "last_name",
            "object",
            "type",
            "vat_id"
        ]
    );
    assert_eq!(me["first_name"], "Anna");
    assert_eq!(me["type"], "person");
    assert_not_found(&anna.get(&format!("/api/customers/{}", ending.id())));
    assert_not_found(&anna.get("/api/customers/cus_unknown"));

    // Products.
    let products = anna.json("/api/products");
    assert_eq!(products["object"], "list");
    let product = &products["items"][0];
    assert_eq!(products["items"].as_array().unwrap().len(), 1);
    assert_eq!(product["object"], "product");
    assert!(product["id"].as_str().unwrap().starts_with("prd_"));
    assert_eq!(product["code"], "green_plus");
    assert_eq!(product["price_per_month"], 1.9);
    assert_eq!(product["currency"], "EUR");
    assert_eq!(product["status"], "active");
    assert_eq!(product["subscription"], subscription_ids[0].as_str());
    let none = anna.json(&format!(
        "/api/products?filter[subscription][eq]={}",
        subscription_ids[1]
    ));
    assert!(ids(&none).is_empty());

    // Meter orders: the home's activated installation and the flat's cancelled one.
    let orders = anna.json("/api/meter-orders");
    assert_eq!(orders["object"], "list");
    let items = orders["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for order in items {
        assert_eq!(keys(order), METER_ORDER_KEYS);
        assert_eq!(order["customer"], anna.id().as_str());
        assert_eq!(order["swap_request"], Value::Null);
        let detail = anna.json(&format!(
            "/api/meter-orders/{}",
            order["id"].as_str().unwrap()
        ));
        assert_eq!(&detail, order);
    }
    let activated = items.iter().find(|o| o["status"] == "activated").unwrap();
    let timeline: Vec<&str> = activated["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        [
            "created",
            "placed",
            "check_submitted",
            "check_reviewed",
            "scheduled",
            "installed",
            "activated"
        ]
    );
    let times: Vec<i64> = activated["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| instant(&e["occurred_at"]))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "in order: {times:?}"
    );
    assert!(activated["activated_at"].is_string() && activated["installed_at"].is_string());
    assert!(activated["appointment_at"].is_string());
    assert_eq!(activated["blocked"], false);
    assert_eq!(activated["subscription"], subscription_ids[0].as_str());
    let cancelled = items.iter().find(|o| o["status"] == "cancelled").unwrap();
    assert_eq!(cancelled["cancelled_reason"], "customer_request");
    assert!(cancelled["cancelled_at"].is_string());
    let cancelled_only = anna.json("/api/meter-orders?filter[status][eq]=cancelled");
    assert_eq!(ids(&cancelled_only), [cancelled["id"].as_str().unwrap()]);
    let page = anna.json("/api/meter-orders?limit=1");
    assert_eq!(page["has_more"], true);
    assert_not_found(&anna.get("/api/meter-orders/prdo_unknown"));

    // A scheduled installation with its appointment; a blocked one.
    let waiting = customer(&server, "lumio", "installation scheduled");
    let scheduled = &waiting.json("/api/meter-orders")["items"][0];
    assert_eq!(scheduled["status"], "scheduled");
    assert!(instant(&scheduled["appointment_at"]) > T0);
    assert_eq!(scheduled["timeline"].as_array().unwrap().len(), 5);
    let new = customer(&server, "lumio", "new contract");
    let blocked = &new.json("/api/meter-orders")["items"][0];
    assert_eq!(blocked["status"], "created");
    assert_eq!(blocked["blocked"], true);
    assert_eq!(blocked["blocked_reason"], "check_missing");
    assert!(blocked["blocked_at"].is_string());
    assert_eq!(blocked["timeline"][1]["event"], "blocked");

    // Methods, and no session.
    let wrong = anna.send(
        "DELETE",
        &format!("/api/subscriptions/{}", subscription_ids[0]),
        None,
    );
    assert_eq!(wrong.status, 405, "{wrong}");
    assert_eq!(
        anna.send("POST", "/api/meter-orders", Some(&json!({})))
            .status,
        405
    );
    assert_eq!(
        anna.send(
            "PUT",
            &format!("/api/customers/{}", anna.id()),
            Some(&json!({}))
        )
        .status,
        405
    );
    for path in [
        "/api/subscriptions".to_owned(),
        format!("/api/subscriptions/{}", subscription_ids[0]),
        format!("/api/customers/{}", anna.id()),
        "/api/meter-orders".to_owned(),
        "/api/products".to_owned(),
    ] {
        let answer = server.get("lumio", &path);
        assert_eq!(answer.status, 401, "{answer}");
    }
}

#[test]
fn names_addresses_and_bank_accounts_are_checked_step_up_guarded_and_audited() {
    let server = serve(ServeOptions::default());
    let mut anna = customer(&server, "lumio", "two contracts");
    let subs = anna.subscription_ids();
    let (home, flat) = (&subs[0], &subs[1]);
    let customer_path = format!("/api/customers/{}", anna.id());

    // Names.
    let renamed = anna.patch(&customer_path, &json!({ "last_name": "  Schmidt-Weber " }));
    assert_eq!(renamed.status, 200, "{renamed}");
    let renamed = renamed.json();
    assert_eq!(renamed["object"], "customer");
    assert_eq!(renamed["first_name"], "Anna");
    assert_eq!(renamed["last_name"], "Schmidt-Weber");
    assert_eq!(anna.json(&customer_path)["last_name"], "Schmidt-Weber");
    assert_eq!(
        anna.json(&format!("/api/subscriptions/{home}"))["customer"]["last_name"],
        "Schmidt-Weber"
    );
    assert_refused(
        &anna.patch(&customer_path, &json!({ "first_name": " " })),
        400,
        "too_small",
        "first_name",
    );
    assert_refused(
        &anna.patch(&customer_path, &json!({ "first_name": "A".repeat(101) })),
        400,
        "too_big",
        "first_name",
    );
    assert_refused(
        &anna.patch(&customer_path, &json!({ "company_name": "Schmidt GmbH" })),
        400,
        "invalid_value",
        "company_name",
    );
    assert_refused(
        &anna.patch(&customer_path, &json!({ "email": "x@example.com" })),
        400,
        "unrecognized_keys",
        "email",
    );
    // State changes only from the portal's own pages, as JSON.
    let cross_site = Req::new("PATCH", &server.host("lumio"), &customer_path)
        .header("Cookie", &anna.session.cookie)
        .json(&json!({ "first_name": "Eve" }));
    assert_eq!(server.send(&cross_site).status, 403);
    let not_json = Req::new("PATCH", &server.host("lumio"), &customer_path)
        .header("Cookie", &anna.session.cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Content-Type", "text/plain")
        .body(r#"{"first_name":"Eve"}"#);
    assert_eq!(server.send(&not_json).status, 415);

    // The billing address: all four fields, checked.
    let flat_path = format!("/api/subscriptions/{flat}");
    let before = anna.json(&format!("/api/subscriptions/{home}"));
    let moved = anna.patch(
        &flat_path,
        &billing_address(" Torstraße ", "119 b", "10115", "Berlin"),
    );
    assert_eq!(moved.status, 200, "{moved}");
    let moved = moved.json();
    assert_eq!(keys(&moved), SUBSCRIPTION_KEYS);
    let address = &moved["billing_address"];
    assert_eq!(
        (
            &address["street"],
            &address["house_number"],
            &address["zip"],
            &address["city"]
        ),
        (
            &json!("Torstraße"),
            &json!("119 b"),
            &json!("10115"),
            &json!("Berlin")
        )
    );
    assert_ne!(address["id"], before["address"]["id"]);
    let after = anna.json(&format!("/api/subscriptions/{home}"));
    assert_eq!(
        after["address"], before["address"],
        "the home's supply address stays"
    );
    assert_eq!(after["billing_address"], before["billing_address"]);
    for (body, field, code) in [
        (
            json!({ "billing_address": { "street": "Torstraße", "house_number": "1", "zip": "10115" } }),
            "billing_address",
            "invalid_type",
        ),
        (
            billing_address("Torstraße", "1", "1011", "Berlin"),
            "billing_address.zip",
            "invalid_format",
        ),
        (
            billing_address("Torstraße", "1", "101155", "Berlin"),
            "billing_address.zip",
            "invalid_format",
        ),
        (
            billing_address("Torstraße", "1", "1011a", "Berlin"),
            "billing_address.zip",
            "invalid_format",
        ),
        (
            billing_address("Torstraße", "1", "10115", "Berlin 2"),
            "billing_address.city",
            "invalid_format",
        ),
        (
            billing_address("T", "1", "10115", "Berlin"),
            "billing_address.street",
            "too_small",
        ),
        (
            billing_address("12345", "1", "10115", "Berlin"),
            "billing_address.street",
            "invalid_format",
        ),
        (
            billing_address("Torstraße", "", "10115", "Berlin"),
            "billing_address.house_number",
            "too_small",
        ),
        (
            billing_address("Torstraße", "12345678901", "10115", "Berlin"),
            "billing_address.house_number",
            "too_big",
        ),
        (
            billing_address("Torstraße", "1;DROP", "10115", "Berlin"),
            "billing_address.house_number",
            "invalid_format",
        ),
        (
            json!({ "metadata": { "a": 1 } }),
            "metadata",
            "unrecognized_keys",
        ),
    ] {
        assert_refused(&anna.patch(&flat_path, &body), 400, code, field);
    }

    // A new mandate: IBANs as people type them are accepted and only ever shown masked.
    let home_path = format!("/api/subscriptions/{home}");
    for (typed, electronic) in [
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("AT61 1904 3002 3457 3201", "AT611904300234573201"),
        (" nl91abna0417164300 ", "NL91ABNA0417164300"),
    ] {
        let answer = anna.patch(&home_path, &sepa(typed, "Anna Schmidt-Weber"));
        assert_eq!(answer.status, 200, "{typed}: {answer}");
        assert!(!answer.text().contains(&electronic[4..]), "{answer}");
        let shown = anna.json(&home_path)["payment_method"]["sepa_debit"].clone();
        let masked = format!(
            "{}************{}",
            &electronic[..2],
            &electronic[electronic.len() - 4..]
        );
        assert_eq!(shown["iban"], masked.as_str());
        assert_eq!(shown["account_holder"], "Anna Schmidt-Weber");
        let stored: String = db(&server)
            .query_row(
                "SELECT pm.iban FROM subscriptions s JOIN payment_methods pm
                 ON pm.id = s.payment_method_id WHERE s.id = ?1",
                [home],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, electronic, "stored normalized");
    }
    let flat_iban = anna.json(&flat_path)["payment_method"]["sepa_debit"]["iban"].clone();
    assert_ne!(
        flat_iban, "NL************4300",
        "the other contract keeps its mandate"
    );
    let wrong_length = with_check_digits("DE", "37040044053201300");
    let unknown_country = with_check_digits("XX", "370400440532013000");
    let field = "payment_method.sepa_debit.iban";
    for bad in [
        "DE89370400440532013001",
        "DE98370400440532013000",
        &wrong_length,
        &with_check_digits("DE", "3704004405320130001"),
        &unknown_country,
        "BR1800360305000010009795493C1",
        "IBAN please",
        "",
    ] {
        assert_refused(
            &anna.patch(&home_path, &sepa(bad, "Anna Schmidt")),
            422,
            "invalid_iban",
            field,
        );
    }
    assert_refused(
        &anna.patch(&home_path, &sepa("DE89370400440532013000", " ")),
        400,
        "too_small",
        "payment_method.sepa_debit.account_holder",
    );
    assert_refused(
        &anna.patch(
            &home_path,
            &json!({ "payment_method": { "type": "card", "sepa_debit": { "iban": "DE89370400440532013000", "account_holder": "A" } } }),
        ),
        400,
        "invalid_type",
        "payment_method.type",
    );

    // Step-up: 16 minutes after signing in, a new IBAN needs a new sign-in.
    server.advance(16 * 60);
    let late = anna.patch(
        &home_path,
        &sepa("DE02120300000000202051", "Anna Schmidt-Weber"),
    );
    assert_refused(&late, 403, "step_up_required", "payment_method");
    assert_eq!(
        anna.json(&home_path)["payment_method"]["sepa_debit"]["iban"],
        "NL************4300",
        "unchanged"
    );
    let address_only = anna.patch(
        &home_path,
        &billing_address("Invalidenstraße", "7", "10115", "Berlin"),
    );
    assert_eq!(
        address_only.status, 200,
        "the address needs no step-up: {address_only}"
    );
    anna.sign_in_again();
    let fresh = anna.patch(
        &home_path,
        &sepa("DE02120300000000202051", "Anna Schmidt-Weber"),
    );
    assert_eq!(fresh.status, 200, "{fresh}");
    assert_eq!(
        fresh.json()["payment_method"]["sepa_debit"]["iban"],
        "DE************2051"
    );
    server.advance(14 * 60);
    let within = anna.patch(
        &home_path,
        &sepa("DE89370400440532013000", "Anna Schmidt-Weber"),
    );
    assert_eq!(within.status, 200, "14 minutes after signing in: {within}");

    // The audit trail: every change, with time, customer and old → new, IBANs masked.
    let rows = audit_rows(&server);
    let actions: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(
        actions,
        [
            "customer.update",
            "subscription.update",
            "subscription.update",
            "subscription.update",
            "subscription.update",
            "subscription.update",
            "subscription.update",
            "subscription.update",
        ]
    );
    for (customer_id, _, actor, _, _, occurred_at) in &rows {
        assert_eq!(customer_id, &anna.id());
        assert_eq!(actor, "customer");
        assert!(*occurred_at >= T0);
    }
    let (_, subscription, _, _, changes, at) = &rows[0];
    assert_eq!(subscription, &None);
    assert_eq!(*at, T0);
    assert_eq!(
        changes,
        &json!({ "last_name": { "from": "Schmidt", "to": "Schmidt-Weber" } })
    );
    let (_, subscription, _, _, changes, _) = &rows[1];
    assert_eq!(subscription.as_deref(), Some(flat.as_str()));
    assert_eq!(changes["billing_address"]["to"]["street"], "Torstraße");
    assert_eq!(
        changes["billing_address"]["from"]["id"],
        before["address"]["id"]
    );
    let (_, _, _, _, changes, _) = &rows[2];
    assert_eq!(
        changes["payment_method"]["to"]["iban"],
        "DE************3000"
    );
    assert!(is_masked(
        changes["payment_method"]["from"]["iban"].as_str().unwrap()
    ));
    assert_eq!(
        changes["payment_method"]["from"]["account_holder"],
        "Anna Schmidt"
    );
    let (_, _, _, _, changes, at) = &rows[5];
    assert_eq!(*at, T0 + 16 * 60);
    assert_eq!(keys(changes), ["billing_address"]);
    let (_, _, _, _, changes, _) = &rows[6];
    assert_eq!(
        changes["payment_method"]["from"]["iban"], "NL************4300",
        "the refused change left no trace"
    );
    let trail: String = rows.iter().map(|r| r.4.to_string()).collect();
    for full in [
        "DE89370400440532013000",
        "AT611904300234573201",
        "NL91ABNA0417164300",
        "DE02120300000000202051",
        "0532013000",
    ] {
        assert!(!trail.contains(full), "the trail holds {full} unmasked");
    }
    // A company's name can change too.
    let company = customer(&server, "lumio", "company");
    let path = format!("/api/customers/{}", company.id());
    let old_name = company.json(&path)["company_name"].clone();
    let renamed = company.patch(&path, &json!({ "company_name": "Bäckerei Nord GmbH" }));
    assert_eq!(renamed.status, 200, "{renamed}");
    assert_eq!(renamed.json()["company_name"], "Bäckerei Nord GmbH");
    let last = audit_rows(&server).pop().unwrap();
    assert_eq!(last.0, company.id());
    assert_eq!(
        last.4,
        json!({ "company_name": { "from": old_name, "to": "Bäckerei Nord GmbH" } })
    );
    // Unchanged values are no change.
    let same = anna.patch(&customer_path, &json!({ "first_name": "Anna" }));
    assert_eq!(same.status, 200);
    assert_eq!(audit_rows(&server).len(), rows.len() + 1);
}

#[test]
fn terminations_follow_notice_periods_and_the_withdrawal_window() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let home = anna.subscription_ids()[0].clone();
    let terminate = format!("/api/subscriptions/{home}/terminate");
    let today = berlin_date(T0);
    assert_eq!(today.to_string(), "2026-05-28", "a Thursday");
    // Three working days for the grid operator: Friday, Monday, Tuesday.
    let grid_earliest = Date::constant(2026, 6, 2);

    // Refusals first: nothing is stored.
    for (body, status, code, field) in [
        (
            json!({ "reason": "ORDINARY", "intended_end_at": "2026-05-01T00:00:00+02:00" }),
            409,
            "invalid_termination_date",
            "intended_end_at",
        ),
        (
            json!({ "reason": "ORDINARY", "intended_end_at": "2026-06-02T00:00:00+02:00" }),
            409,
            "invalid_termination_date",
            "intended_end_at",
        ),
        (
            json!({ "reason": "ORDINARY", "intended_end_at": "2031-01-01T00:00:00+01:00" }),
            409,
            "invalid_termination_date",
            "intended_end_at",
        ),
        (
            json!({ "reason": "ORDINARY", "intended_end_at": "2026-08-01T00:00:00Z" }),
            400,
            "invalid_format",
            "intended_end_at",
        ),
        (
            json!({ "reason": "ORDINARY", "intended_end_at": "next month" }),
            400,
            "invalid_format",
            "intended_end_at",
        ),
        (
            json!({ "reason": "MOVE_OUT" }),
            400,
            "invalid_type",
            "intended_end_at",
        ),
        (
            json!({ "reason": "MOVE_OUT", "intended_end_at": "2026-05-29T00:00:00+02:00" }),
            409,
            "invalid_termination_date",
            "intended_end_at",
        ),
        (
            json!({ "reason": "MOVE_OUT", "intended_end_at": "2026-04-01T00:00:00+02:00" }),
            409,
            "invalid_termination_date",
            "intended_end_at",
        ),
        (
            json!({ "reason": "WITHDRAWAL" }),
            409,
            "withdrawal_not_allowed",
            "reason",
        ),
        (
            json!({ "reason": "WITHDRAWAL", "intended_end_at": "2026-07-01T00:00:00+02:00" }),
            400,
            "invalid_value",
            "intended_end_at",
        ),
        (
            json!({ "reason": "BECAUSE" }),
            400,
            "invalid_type",
            "reason",
        ),
        (
            json!({ "reason": "ORDINARY", "note": "bye" }),
            400,
            "unrecognized_keys",
            "note",
        ),
    ] {
        assert_refused(&anna.post(&terminate, &body), status, code, field);
    }
    assert!(audit_rows(&server).is_empty());
    assert_eq!(
        anna.json(&format!("/api/subscriptions/{home}"))["termination"],
        Value::Null
    );

    // ORDINARY without a date: the plan's notice period from today.
    let notice_days: i64 = db(&server)
        .query_row(
            "SELECT notice_period_days FROM plan_tariffs WHERE plan_slug = 'lumio'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let notice_end = today
        .checked_add(notice_days.days())
        .unwrap()
        .max(grid_earliest);
    let answer = anna.post(&terminate, &json!({ "reason": "ORDINARY" }));
    assert_eq!(answer.status, 200, "{answer}");
    assert_eq!(
        answer.json(),
        json!({ "reason": "ORDINARY", "intended_end_at": berlin_midnight(notice_end) })
    );
    let terminated = anna.json(&format!("/api/subscriptions/{home}"));
    assert_eq!(terminated["termination"]["reason"], "ORDINARY");
    assert_eq!(instant(&terminated["terminated_at"]), T0);
    assert_eq!(
        instant(&terminated["end_at"]),
        instant(&json!(berlin_midnight(notice_end)))
    );
    assert_eq!(terminated["status"], "active", "supplied until the end");

    // A later date is no earlier end; a move-out can end it sooner.
    let later = berlin_midnight(notice_end.checked_add(1.month()).unwrap());
    assert_refused(
        &anna.post(
            &terminate,
            &json!({ "reason": "ORDINARY", "intended_end_at": later }),
        ),
        409,
        "invalid_termination_date",
        "intended_end_at",
    );
    let move_out = anna.post(
        &terminate,
        &json!({ "reason": "MOVE_OUT", "intended_end_at": "2026-06-02T00:00:00+02:00" }),
    );
    assert_eq!(move_out.status, 200, "{move_out}");
    assert_eq!(
        move_out.json(),
        json!({ "reason": "MOVE_OUT", "intended_end_at": "2026-06-02T00:00:00+02:00" })
    );
    // ORDINARY with a date on a contract of the other plan of the same customer.
    let flat = anna.subscription_ids()[1].clone();
    let chosen = berlin_midnight(Date::constant(2026, 9, 1));
    let answer = anna.post(
        &format!("/api/subscriptions/{flat}/terminate"),
        &json!({ "reason": "ORDINARY", "intended_end_at": "2026-08-31T22:00:00Z" }),
    );
    assert_eq!(answer.status, 200, "{answer}");
    assert_eq!(answer.json()["intended_end_at"], chosen.as_str());

    let rows = audit_rows(&server);
    assert_eq!(rows.len(), 3);
    let (customer_id, subscription, actor, action, changes, at) = &rows[0];
    assert_eq!(
        (customer_id, actor.as_str(), action.as_str()),
        (&anna.id(), "customer", "subscription.terminate")
    );
    assert_eq!(subscription.as_deref(), Some(home.as_str()));
    assert_eq!(*at, T0);
    assert_eq!(
        changes["termination_reason"],
        json!({ "from": null, "to": "ORDINARY" })
    );
    assert_eq!(changes["end_at"]["from"], Value::Null);
    assert_eq!(
        changes["end_at"]["to"],
        berlin_midnight(notice_end).as_str()
    );
    let (_, _, _, _, changes, _) = &rows[1];
    assert_eq!(
        changes["termination_reason"],
        json!({ "from": "ORDINARY", "to": "MOVE_OUT" })
    );
    assert_eq!(
        changes["end_at"],
        json!({ "from": berlin_midnight(notice_end), "to": "2026-06-02T00:00:00+02:00" })
    );

    // WITHDRAWAL within 14 days of signing up: supply ends as soon as the grid operator can
    // deregister, here a day after it starts.
    let new = customer(&server, "lumio", "new contract");
    let pending = new.subscription_ids()[0].clone();
    let signed_up = instant(&new.json(&format!("/api/subscriptions/{pending}"))["created_at"]);
    assert!(T0 - signed_up < 14 * 86_400);
    let withdrawn = new.post(
        &format!("/api/subscriptions/{pending}/terminate"),
        &json!({ "reason": "WITHDRAWAL" }),
    );
    assert_eq!(withdrawn.status, 200, "{withdrawn}");
    assert_eq!(
        withdrawn.json(),
        json!({ "reason": "WITHDRAWAL", "intended_end_at": "2026-06-02T00:00:00+02:00" })
    );
    assert_eq!(audit_rows(&server).len(), 4);

    // An ended contract takes no termination and no meter swap; its billing address can
    // still change (for the final invoice).
    let gone = customer(&server, "lumio", "contract ended");
    let ended = gone.subscription_ids()[0].clone();
    assert_refused(
        &gone.post(
            &format!("/api/subscriptions/{ended}/terminate"),
            &json!({ "reason": "ORDINARY" }),
        ),
        422,
        "ended_subscription",
        "subscription",
    );
    assert_refused(
        &gone.post(
            &format!("/api/subscriptions/{ended}/meter-swap"),
            &json!({ "reason": "defective" }),
        ),
        422,
        "ended_subscription",
        "subscription",
    );
    let forwarded = gone.patch(
        &format!("/api/subscriptions/{ended}"),
        &billing_address("Neue Straße", "3", "20095", "Hamburg"),
    );
    assert_eq!(forwarded.status, 200, "{forwarded}");

    // Supply ends on the day the move-out names: from then on, the contract has ended.
    server.set_time(instant(&json!("2026-06-02T00:00:00+02:00")));
    assert_refused(
        &anna.post(&terminate, &json!({ "reason": "ORDINARY" })),
        422,
        "ended_subscription",
        "subscription",
    );

    // Past the 14th day the withdrawal window has closed (nordwatt's new customer signed up
    // five days before the demo's start).
    server.set_time(T0 + 10 * 86_400);
    let late = customer(&server, "nordwatt", "new contract");
    let late_id = late.subscription_ids()[0].clone();
    let signed_up = instant(&late.json(&format!("/api/subscriptions/{late_id}"))["created_at"]);
    assert!(server.now() - signed_up > 14 * 86_400);
    assert_refused(
        &late.post(
            &format!("/api/subscriptions/{late_id}/terminate"),
            &json!({ "reason": "WITHDRAWAL" }),
        ),
        409,
        "withdrawal_not_allowed",
        "reason",
    );
}

#[test]
fn meter_swap_requests_become_meter_orders() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let subs = anna.subscription_ids();
    let (home, flat) = (&subs[0], &subs[1]);
    let swap = |sub: &str| format!("/api/subscriptions/{sub}/meter-swap");

    assert_refused(
        &anna.post(&swap(flat), &json!({ "reason": "other" })),
        400,
        "too_small",
        "message",
    );
    assert_refused(
        &anna.post(
            &swap(flat),
            &json!({ "reason": "upgrade", "message": "x".repeat(501) }),
        ),
        400,
        "too_big",
        "message",
    );
    assert_refused(
        &anna.post(&swap(flat), &json!({ "reason": "faster" })),
        400,
        "invalid_type",
        "reason",
    );
    assert_refused(
        &anna.post(&swap(home), &json!({ "reason": "upgrade" })),
        422,
        "unsupported_meter_order",
        "reason",
    );

    // The analog flat gets a smart meter: a new order in status `created`.
    let answer = anna.post(
        &swap(flat),
        &json!({ "reason": "upgrade", "message": " Bitte mit Termin am Vormittag. " }),
    );
    assert_eq!(answer.status, 200, "{answer}");
    let order = answer.json();
    assert_eq!(keys(&order), METER_ORDER_KEYS);
    assert_eq!(order["object"], "meter_order");
    assert!(order["id"].as_str().unwrap().starts_with("prdo_"));
    assert_eq!(order["status"], "created");
    assert_eq!(order["subscription"], flat.as_str());
    assert_eq!(order["customer"], anna.id().as_str());
    assert_eq!(
        order["provider"], "metrify",
        "the provider of the flat's last order"
    );
    assert_eq!(instant(&order["created_at"]), T0);
    assert_eq!(
        order["swap_request"],
        json!({ "reason": "upgrade", "message": "Bitte mit Termin am Vormittag." })
    );
    assert_eq!(order["blocked"], false);
    assert_eq!(
        order["timeline"],
        json!([{ "event": "created", "occurred_at": order["created_at"] }])
    );
    let id = order["id"].as_str().unwrap();
    assert_eq!(anna.json(&format!("/api/meter-orders/{id}")), order);
    let list = anna.json("/api/meter-orders");
    assert_eq!(ids(&list)[0], id, "newest first");
    assert_eq!(list["items"][0], order);
    let open = anna.json(&format!("/api/subscriptions/{flat}/dashboard"));
    assert_eq!(open["open_meter_order"]["id"], id, "the dashboard shows it");

    // A second request while one is open.
    assert_refused(
        &anna.post(&swap(flat), &json!({ "reason": "defective" })),
        409,
        "duplicate_meter_order",
        "subscription",
    );
    // The smart meter of the home can still be swapped when defective.
    let defective = anna.post(
        &swap(home),
        &json!({ "reason": "defective", "message": "Display bleibt dunkel" }),
    );
    assert_eq!(defective.status, 200, "{defective}");
    assert_eq!(defective.json()["swap_request"]["reason"], "defective");
    assert_eq!(ids(&anna.json("/api/meter-orders")).len(), 4);

    // A contract whose installation is still open (blocked).
    let new = customer(&server, "lumio", "new contract");
    let pending = new.subscription_ids()[0].clone();
    assert_refused(
        &new.post(&swap(&pending), &json!({ "reason": "upgrade" })),
        409,
        "duplicate_meter_order",
        "subscription",
    );

    let rows = audit_rows(&server);
    assert_eq!(rows.len(), 2);
    let (customer_id, subscription, actor, action, changes, at) = &rows[0];
    assert_eq!(customer_id, &anna.id());
    assert_eq!(subscription.as_deref(), Some(flat.as_str()));
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("customer", "meter_order.request_swap")
    );
    assert_eq!(*at, T0);
    assert_eq!(changes["meter_order"]["from"], Value::Null);
    assert_eq!(changes["meter_order"]["to"]["id"], id);
    assert_eq!(changes["meter_order"]["to"]["reason"], "upgrade");
}

/// One party of the isolation matrix: a signed-in customer and every id they own.
struct Party<'s> {
    customer: Customer<'s>,
    subscriptions: Vec<String>,
    meter_orders: Vec<String>,
    products: Vec<String>,
    invoices: Vec<String>,
}

fn party<'s>(server: &'s Server, slug: &'static str, role: &str) -> Party<'s> {
    let customer = customer(server, slug, role);
    let subscriptions = customer.subscription_ids();
    let meter_orders = ids(&customer.json("/api/meter-orders?limit=100"));
    let products = ids(&customer.json("/api/products?limit=100"));
    let invoices = ids(&customer.json("/api/invoices?limit=100"));
    Party {
        customer,
        subscriptions,
        meter_orders,
        products,
        invoices,
    }
}

#[test]
fn other_customers_and_portals_ids_are_not_found_on_every_endpoint() {
    let server = serve(ServeOptions::default());
    let parties = [
        party(&server, "lumio", "two contracts"),
        party(&server, "lumio", "installation scheduled"),
        party(&server, "nordwatt", "two contracts"),
        party(&server, "nordwatt", "installation scheduled"),
    ];
    assert_eq!(parties[0].subscriptions.len(), 2);
    assert_eq!(parties[2].subscriptions.len(), 2);
    assert_eq!(parties[1].subscriptions.len(), 1);
    let all: BTreeSet<String> = parties
        .iter()
        .flat_map(|p| {
            [p.customer.id()]
                .into_iter()
                .chain(p.subscriptions.clone())
                .chain(p.meter_orders.clone())
                .chain(p.products.clone())
        })
        .collect();
    assert_eq!(
        all.len(),
        parties
            .iter()
            .map(|p| 1 + p.subscriptions.len() + p.meter_orders.len() + p.products.len())
            .sum::<usize>(),
        "ids are unique"
    );

    let valid_iban = sepa("DE89370400440532013000", "Eve");
    let mut checked = 0;
    for (i, me) in parties.iter().enumerate() {
        let who = &me.customer;
        // My own lists hold only my ids.
        assert_eq!(
            ids(&who.json("/api/subscriptions?limit=100")).len(),
            me.subscriptions.len()
        );
        for other in parties
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| p)
        {
            let customer_id = other.customer.id();
            assert_not_found(&who.get(&format!("/api/customers/{customer_id}")));
            assert_not_found(&who.patch(
                &format!("/api/customers/{customer_id}"),
                &json!({ "first_name": "Eve" }),
            ));
            checked += 2;
            for sub in &other.subscriptions {
                let path = format!("/api/subscriptions/{sub}");
                assert_not_found(&who.get(&path));
                assert_not_found(
                    &who.patch(&path, &billing_address("Evestraße", "1", "10115", "Berlin")),
                );
                assert_not_found(&who.patch(&path, &valid_iban));
                assert_not_found(&who.post(
                    &format!("{path}/terminate"),
                    &json!({ "reason": "ORDINARY" }),
                ));
                assert_not_found(&who.post(
                    &format!("{path}/terminate"),
                    &json!({ "reason": "WITHDRAWAL" }),
                ));
                assert_not_found(&who.post(
                    &format!("{path}/meter-swap"),
                    &json!({ "reason": "defective" }),
                ));
                // The energy views of someone else's contract.
                for view in [
                    format!("{path}/prices?start=2026-05-01&end=2026-05-01"),
                    format!("{path}/usage"),
                    format!("{path}/dashboard"),
                ] {
                    assert_not_found(&who.get(&view));
                }
                assert_not_found(&who.post(
                    "/api/meter-readings",
                    &json!({ "subscription": sub, "value": 1000, "timestamp": "2026-05-01T10:00:00Z" }),
                ));
                for list in ["meter-orders", "products", "invoices", "meter-readings"] {
                    let filtered = who.json(&format!("/api/{list}?filter[subscription][eq]={sub}"));
                    assert!(ids(&filtered).is_empty(), "{list} of {sub}");
                }
                checked += 14;
            }
            for invoice in &other.invoices {
                assert_not_found(&who.get(&format!("/api/invoices/{invoice}")));
                assert_not_found(&who.get(&format!("/api/invoices/{invoice}/file")));
                checked += 2;
            }
            for order in &other.meter_orders {
                assert_not_found(&who.get(&format!("/api/meter-orders/{order}")));
                checked += 1;
            }
            // A session only works on its own portal.
            if other.customer.slug != who.slug {
                let req = Req::new(
                    "GET",
                    &server.host(other.customer.slug),
                    "/api/subscriptions",
                )
                .header("Cookie", &who.session.cookie);
                assert_eq!(server.send(&req).status, 401);
            }
        }
        let lists: BTreeSet<String> = ["subscriptions", "meter-orders", "products", "invoices"]
            .iter()
            .flat_map(|list| ids(&who.json(&format!("/api/{list}?limit=100"))))
            .collect();
        let mine: BTreeSet<String> = me
            .subscriptions
            .iter()
            .chain(&me.meter_orders)
            .chain(&me.products)
            .chain(&me.invoices)
            .cloned()
            .collect();
        assert_eq!(lists, mine);
    }
    assert!(checked > 100, "{checked} requests");
    // Nothing of anyone changed.
    assert!(audit_rows(&server).is_empty());
    for p in &parties {
        let me = p
            .customer
            .json(&format!("/api/customers/{}", p.customer.id()));
        assert_ne!(me["first_name"], "Eve");
        for sub in &p.subscriptions {
            let s = p.customer.json(&format!("/api/subscriptions/{sub}"));
            assert_eq!(s["termination"], Value::Null);
            assert_ne!(s["billing_address"]["street"], "Evestraße");
        }
    }
}
