//! API tests of invoices, invoice PDFs and meter readings (issue 5, points 5 and 6) against the
//! real binary with the demo data: cursor pages walked to the end, tampered cursors, filters and
//! search, the isolation of customers and portals, PDFs opened with poppler's `pdftotext`
//! (Debian package poppler-utils), and every plausibility rule of a meter reading, with accepted
//! readings showing up in the usage of an analog meter.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::serve::{Req, Response, ServeOptions, Server, SignedIn, serve};
use serde_json::{Value, json};

/// A signed-in customer of a portal.
struct Customer<'s> {
    server: &'s Server,
    slug: &'static str,
    session: SignedIn,
}

impl Customer<'_> {
    fn id(&self) -> &str {
        self.session.customer["id"].as_str().unwrap()
    }

    fn get(&self, path: &str) -> Response {
        self.get_on(self.slug, path)
    }

    /// A GET with this customer's cookie to another portal's host.
    fn get_on(&self, slug: &str, path: &str) -> Response {
        self.server.send(
            &Req::new("GET", &self.server.host(slug), path).header("Cookie", &self.session.cookie),
        )
    }

    fn json(&self, path: &str) -> Value {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "{answer}");
        answer.json()
    }

    fn post(&self, path: &str, body: &Value) -> Response {
        let req = self
            .server
            .post(self.slug, path, body)
            .header("Cookie", &self.session.cookie);
        self.server.send(&req)
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
    }
}

/// Every invoice of the list at `query`, page by page, and the pages' sizes.
fn walk(customer: &Customer, query: &str) -> (Vec<Value>, Vec<usize>) {
    let mut items = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/invoices?{query}&cursor={c}"),
            None => format!("/api/invoices?{query}"),
        };
        let page = customer.json(&path);
        assert_eq!(page["object"], "list");
        let page_items = page["items"].as_array().unwrap();
        sizes.push(page_items.len());
        items.extend(page_items.iter().cloned());
        match page["next_page"].as_str() {
            Some(next) => {
                assert_eq!(page["has_more"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(page["has_more"], false);
                return (items, sizes);
            }
        }
        assert!(sizes.len() < 200, "the walk ends");
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts a 400 (or 422) answer in the Nomos envelope with `errors[0]` of `code` on `field`.
fn assert_field_error(answer: &Response, status: u16, code: &str, field: &str) -> Value {
    assert_eq!(answer.status, status, "{answer}");
    let body = answer.json();
    let expected = if status == 400 {
        "BAD_REQUEST"
    } else {
        "UNPROCESSABLE_ENTITY"
    };
    assert_eq!(body["code"], expected, "{answer}");
    assert!(
        body["requestId"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_"))
    );
    assert_eq!(body["errors"][0]["code"], code, "{answer}");
    assert_eq!(body["errors"][0]["field"], field, "{answer}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    body
}

/// The text of a PDF as poppler's `pdftotext` reads it.
fn pdf_text(server: &Server, name: &str, pdf: &[u8]) -> String {
    let path = server.ws.path(&format!("data/{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian: apt-get install -y poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Euros as the German invoice prints them: `1.234,56 €`.
fn euros_de(amount: f64) -> String {
    let cents = (amount.abs() * 100.0).round() as i64;
    let mut whole = (cents / 100).to_string();
    let mut grouped = String::new();
    while whole.len() > 3 {
        let tail = whole.split_off(whole.len() - 3);
        grouped = format!(".{tail}{grouped}");
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{sign}{whole}{grouped},{:02} €", cents % 100)
}

fn pdf(customer: &Customer, id: &str) -> Response {
    let answer = customer.get(&format!("/api/invoices/{id}/file"));
    assert_eq!(answer.status, 200, "{}", answer.status);
    assert_eq!(answer.header("content-type"), Some("application/pdf"));
    let disposition = answer.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".pdf\""),
        "{disposition}"
    );
    assert!(answer.body.starts_with(b"%PDF-"));
    answer
}

#[test]
fn invoice_pages_filters_details_pdfs_and_isolation() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");

    // The whole list in pages of 3: no duplicates, no gaps, newest first, stable.
    let (all, sizes) = walk(&anna, "limit=100");
    assert!(all.len() > 20, "two years of invoices: {}", all.len());
    let (paged, sizes3) = walk(&anna, "limit=3");
    assert_eq!(ids(&paged), ids(&all), "pages of 3 walk the same list");
    assert!(sizes3.iter().all(|n| *n <= 3) && sizes3.len() == all.len().div_ceil(3));
    assert_eq!(sizes.len(), 1);
    let unique: BTreeSet<String> = ids(&paged).into_iter().collect();
    assert_eq!(unique.len(), paged.len(), "no invoice twice");
    let (again, _) = walk(&anna, "limit=3");
    assert_eq!(ids(&again), ids(&paged), "the order is stable");
    let default = anna.json("/api/invoices");
    assert_eq!(
        default["items"].as_array().unwrap().len(),
        10,
        "default limit"
    );
    for invoice in &all {
        assert_eq!(invoice["object"], "invoice");
        assert_eq!(invoice["customer"], anna.id());
        for key in [
            "id",
            "invoice_number",
            "period_start",
            "period_end",
            "status",
        ] {
            assert!(invoice[key].is_string(), "{key}: {invoice}");
        }
        assert!(invoice["total"].is_number());
        assert_eq!(invoice["usage"].is_number(), invoice["type"] == "usage");
        assert_eq!(invoice["voids"].is_string(), invoice["type"] == "void");
    }

    // Cursors: a changed byte, other filters, another customer → 400.
    let first = anna.json("/api/invoices?limit=3");
    let cursor = first["next_page"].as_str().unwrap().to_owned();
    let mut bytes = cursor.clone().into_bytes();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let answer = anna.get(&format!("/api/invoices?limit=3&cursor={tampered}"));
    assert_field_error(&answer, 400, "invalid_format", "cursor");
    let answer = anna.get("/api/invoices?limit=3&cursor=garbage");
    assert_field_error(&answer, 400, "invalid_format", "cursor");
    let answer = anna.get(&format!(
        "/api/invoices?limit=3&filter[type][eq]=usage&cursor={cursor}"
    ));
    assert_field_error(&answer, 400, "invalid_format", "cursor");
    assert_eq!(
        anna.get(&format!("/api/invoices?limit=5&cursor={cursor}"))
            .status,
        200,
        "the page size may change between pages"
    );
    for (query, code, field) in [
        ("limit=0", "too_small", "limit"),
        ("limit=101", "too_big", "limit"),
        ("limit=ten", "invalid_type", "limit"),
        (
            "filter[status][eq]=late",
            "invalid_value",
            "filter[status][eq]",
        ),
        (
            "filter[period_start][gte]=soon",
            "invalid_format",
            "filter[period_start][gte]",
        ),
        (
            "filter[colour][eq]=red",
            "unrecognized_keys",
            "filter[colour][eq]",
        ),
        (
            "filter[status][gte]=open",
            "unrecognized_keys",
            "filter[status][gte]",
        ),
    ] {
        let answer = anna.get(&format!("/api/invoices?{query}"));
        assert_field_error(&answer, 400, code, field);
    }

    // Filters and search.
    let (voids, _) = walk(&anna, "filter[type][eq]=void");
    assert!(!voids.is_empty());
    assert!(voids.iter().all(|i| i["type"] == "void"));
    let (voided, _) = walk(&anna, "filter[status][eq]=voided");
    assert!(!voided.is_empty());
    assert!(
        voided
            .iter()
            .all(|i| i["status"] == "voided" && i["voided_by"]["id"].is_string())
    );
    let (usage_or_void, _) = walk(&anna, "filter%5Btype%5D%5Bin%5D=usage%2Cvoid");
    assert!(usage_or_void.iter().all(|i| i["type"] != "prepayment"));
    assert_eq!(
        usage_or_void.len(),
        all.iter().filter(|i| i["type"] != "prepayment").count()
    );
    let analog = all.iter().find(|i| i["type"] == "prepayment").unwrap()["subscription"]
        .as_str()
        .unwrap()
        .to_owned();
    let (of_analog, _) = walk(&anna, &format!("filter[subscription][eq]={analog}"));
    assert!(!of_analog.is_empty() && of_analog.len() < all.len());
    assert!(
        of_analog
            .iter()
            .all(|i| i["subscription"] == analog.as_str())
    );
    let (others, _) = walk(&anna, &format!("filter[subscription][neq]={analog}"));
    assert_eq!(of_analog.len() + others.len(), all.len());
    let (in_range, _) = walk(
        &anna,
        "filter[period_start][gte]=2026-01-01&filter[period_end][lte]=2026-04-01T00:00:00%2B02:00",
    );
    assert!(!in_range.is_empty());
    for invoice in &in_range {
        assert!(invoice["period_start"].as_str().unwrap() >= "2025-12-31T23:00:00Z");
        assert!(invoice["period_end"].as_str().unwrap() <= "2026-03-31T22:00:00Z");
    }
    let number = all[0]["invoice_number"].as_str().unwrap().to_owned();
    let (found, _) = walk(&anna, &format!("search={}", number.to_lowercase()));
    assert_eq!(ids(&found), vec![all[0]["id"].as_str().unwrap()]);
    let prefix = number.split('-').next().unwrap();
    let (by_prefix, _) = walk(&anna, &format!("search={prefix}&limit=4"));
    assert!(by_prefix.len() > 1);
    assert!(
        by_prefix
            .iter()
            .all(|i| i["invoice_number"].as_str().unwrap().contains(prefix))
    );
    let (none, _) = walk(&anna, "search=%25");
    assert!(none.is_empty(), "% is matched literally");

    // Details: lines, payments, consumption and the cost by price component.
    let usage = all
        .iter()
        .find(|i| i["type"] == "usage" && i["subscription"] != analog.as_str())
        .unwrap();
    let id = usage["id"].as_str().unwrap();
    let detail = anna.json(&format!("/api/invoices/{id}"));
    assert_eq!(detail["id"], id);
    assert!(detail["lines"].as_array().unwrap().len() >= 8);
    let consumption = &detail["consumption"];
    assert_eq!(consumption["resolution"], "day");
    let days = consumption["data"].as_array().unwrap();
    assert!((28..=31).contains(&days.len()), "{}", days.len());
    assert!(
        days.iter()
            .all(|d| d["type"] == "final" || d["type"] == "preliminary")
    );
    assert!(consumption["usage"].as_f64().unwrap() > 0.0);
    assert_eq!(consumption["billed_usage"], usage["usage"]);
    let components: Vec<&str> = consumption["costs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["component"].as_str().unwrap())
        .collect();
    assert_eq!(components, vec!["electricity", "grid", "levies"]);
    let net: f64 = consumption["costs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["net"].as_f64().unwrap())
        .sum();
    assert!((net - detail["net"].as_f64().unwrap()).abs() < 0.005);
    assert!(detail["payments"].as_array().is_some());
    let settlement = of_analog.iter().find(|i| i["type"] == "usage").unwrap();
    let detail = anna.json(&format!(
        "/api/invoices/{}",
        settlement["id"].as_str().unwrap()
    ));
    assert_eq!(detail["consumption"]["resolution"], "month");
    assert_eq!(detail["consumption"]["data"].as_array().unwrap().len(), 12);

    // The PDF of a usage invoice: its number, total and the tenant's name.
    let text = pdf_text(&server, "usage", &pdf(&anna, id).body);
    assert!(
        text.contains(usage["invoice_number"].as_str().unwrap()),
        "{text}"
    );
    let total = euros_de(usage["total"].as_f64().unwrap());
    assert!(text.contains(&total), "{total} in\n{text}");
    assert!(text.contains("Lumio Energie GmbH"), "{text}");
    assert!(text.contains("Stromrechnung") && text.contains("Umsatzsteuer 19 %"));
    assert!(text.contains("DE************"), "the masked IBAN: {text}");

    // A Storno names the invoice it voids, in its detail and its PDF.
    let storno = &voids[0];
    let original = storno["voids"].as_str().unwrap();
    let detail = anna.json(&format!("/api/invoices/{}", storno["id"].as_str().unwrap()));
    assert_eq!(detail["voids_invoice"]["id"], original);
    let original_number = detail["voids_invoice"]["invoice_number"].as_str().unwrap();
    let text = pdf_text(
        &server,
        "storno",
        &pdf(&anna, storno["id"].as_str().unwrap()).body,
    );
    assert!(text.contains("Stornorechnung"), "{text}");
    assert!(text.contains(storno["invoice_number"].as_str().unwrap()));
    assert!(
        text.contains(original_number),
        "names {original_number}:\n{text}"
    );
    assert!(
        text.contains(&euros_de(storno["total"].as_f64().unwrap())),
        "{text}"
    );

    // Another customer of the portal, and a customer of another portal: 404, never data.
    let sabine = customer(&server, "lumio", "analog meter, smart meter");
    let solva = customer(&server, "solva", "two contracts");
    for path in [
        format!("/api/invoices/{id}"),
        format!("/api/invoices/{id}/file"),
        format!("/api/invoices/{original}"),
    ] {
        assert_eq!(sabine.get(&path).status, 404, "{path}");
        let answer = solva.get(&path);
        assert_eq!(answer.status, 404, "{path}");
        assert!(!answer.text().contains(id));
    }
    let (sabines, _) = walk(&sabine, "limit=100");
    assert!(sabines.iter().all(|i| i["customer"] == sabine.id()));
    assert!(ids(&sabines).iter().all(|i| !unique.contains(i)));
    let (filtered, _) = walk(&sabine, &format!("filter[subscription][eq]={analog}"));
    assert!(
        filtered.is_empty(),
        "another customer's subscription filters to nothing"
    );
    let answer = sabine.get(&format!("/api/invoices?limit=3&cursor={cursor}"));
    assert_field_error(&answer, 400, "invalid_format", "cursor");
    assert_eq!(
        anna.get_on("solva", "/api/invoices").status,
        401,
        "a session of another portal"
    );
    assert_eq!(anna.get("/api/invoices/inv_doesnotexist").status, 404);
    assert_eq!(anna.get(&format!("/api/invoices/{id}/file/x")).status, 404);
    let anonymous = server.get("lumio", "/api/invoices");
    assert_eq!(anonymous.status, 401);
    let post = server.send(
        &server
            .post("lumio", "/api/invoices", &json!({}))
            .header("Cookie", &anna.session.cookie),
    );
    assert_eq!(post.status, 405);

    // An English customer gets an English PDF.
    let (english, _) = walk(&solva, "filter[type][eq]=usage&limit=1");
    let invoice = &english[0];
    let text = pdf_text(
        &server,
        "english",
        &pdf(&solva, invoice["id"].as_str().unwrap()).body,
    );
    assert!(text.contains("Electricity invoice"), "{text}");
    assert!(text.contains("Solva Power Ltd"));
    assert!(text.contains(invoice["invoice_number"].as_str().unwrap()));
    let total = format!("€{:.2}", invoice["total"].as_f64().unwrap());
    assert!(text.contains(&total), "{total} in\n{text}");
}

/// The analog subscription of Anna (the one with advance payments) and its latest reading.
fn analog_subscription(anna: &Customer) -> (String, Value) {
    let page = anna.json("/api/invoices?filter[type][eq]=prepayment&limit=1");
    let subscription = page["items"][0]["subscription"]
        .as_str()
        .unwrap()
        .to_owned();
    let readings = anna.json(&format!(
        "/api/meter-readings?filter[subscription][eq]={subscription}&limit=1"
    ));
    (subscription, readings["items"][0].clone())
}

fn usage_months(anna: &Customer, subscription: &str) -> Vec<Value> {
    let usage = anna.json(&format!(
        "/api/subscriptions/{subscription}/usage?resolution=month&start=2026-01-01&end=2026-07-01"
    ));
    usage["data"].as_array().cloned().unwrap_or_default()
}

#[test]
fn meter_readings_are_checked_stored_and_counted() {
    let server = serve(ServeOptions::default());
    let anna = customer(&server, "lumio", "two contracts");
    let (subscription, last) = analog_subscription(&anna);
    let last_value = last["value"].as_f64().unwrap();
    assert_eq!(last["subscription"], subscription.as_str());
    // The demo's latest reading of the analog meter is on 1 March 2026; now is 28 May.
    assert_eq!(last["timestamp"], "2026-02-28T23:00:00Z");
    let before = usage_months(&anna, &subscription);

    let reading = |value: Value, timestamp: &str| json!({ "subscription": subscription, "value": value, "timestamp": timestamp });
    let today = "2026-05-28T07:30:00Z";
    let post = |body: Value| anna.post("/api/meter-readings", &body);

    assert_field_error(&post(reading(json!(0), today)), 400, "too_small", "value");
    assert_field_error(&post(reading(json!(-5), today)), 400, "too_small", "value");
    assert_field_error(
        &post(reading(json!(0.0001), today)),
        400,
        "too_small",
        "value",
    );
    assert_eq!(post(reading(json!("many"), today)).status, 400);
    assert_field_error(
        &post(reading(json!(last_value + 10.0), "yesterday")),
        400,
        "invalid_format",
        "timestamp",
    );
    let unknown = post(json!({
        "subscription": subscription, "value": 1, "timestamp": today, "colour": "red"
    }));
    assert_eq!(unknown.status, 400, "{unknown}");

    let below = assert_field_error(
        &post(reading(json!(last_value - 1.0), today)),
        422,
        "implausible_meter_reading",
        "value",
    );
    let hint = below["errors"][0]["message"].as_str().unwrap();
    assert!(
        hint.contains("niedriger") && hint.contains("01.03.2026"),
        "{hint}"
    );
    // 88 days since 1 March: at most 92,400 kWh.
    assert_field_error(
        &post(reading(json!(last_value + 92_401.0), today)),
        422,
        "implausible_meter_reading",
        "value",
    );
    assert_field_error(
        &post(reading(json!(last_value + 10.0), "2026-05-29T12:00:00Z")),
        422,
        "implausible_meter_reading",
        "timestamp",
    );
    assert_field_error(
        &post(reading(json!(last_value + 10.0), "2026-02-20T12:00:00Z")),
        422,
        "implausible_meter_reading",
        "timestamp",
    );

    // Accepted: 251.5 kWh since 1 March, stored as the start of the Berlin day.
    let value = last_value + 251.5;
    let answer = anna.post(
        "/api/meter-readings",
        &json!({ "subscription": subscription, "value": value, "timestamp": today,
                 "message": "Foto liegt vor" }),
    );
    assert_eq!(answer.status, 200, "{answer}");
    let stored = answer.json();
    assert_eq!(stored["object"], "meter_reading");
    assert_eq!(stored["type"], "customer_report");
    assert_eq!(stored["timestamp"], "2026-05-27T22:00:00Z");
    assert_eq!(stored["value"].as_f64().unwrap(), value);
    let listed = anna.json(&format!(
        "/api/meter-readings?filter[subscription][eq]={subscription}&limit=2"
    ));
    assert_eq!(listed["items"][0]["id"], stored["id"]);
    assert_eq!(listed["items"][1]["id"], last["id"]);
    assert_field_error(
        &post(reading(json!(value + 1.0), "2026-05-28T19:00:00Z")),
        422,
        "duplicate_meter_reading",
        "timestamp",
    );

    // The usage of the analog meter: March and April are now final, May preliminary, and the
    // months add up to the reading (May until the 28th plus the rest of May extrapolated).
    let after = usage_months(&anna, &subscription);
    assert!(!after.is_empty(), "usage of the analog meter");
    let month =
        |months: &[Value], start: &str| months.iter().find(|m| m["start"] == start).cloned();
    let march = month(&after, "2026-02-28T23:00:00Z").expect("March");
    let april = month(&after, "2026-03-31T22:00:00Z").expect("April");
    let may = month(&after, "2026-04-30T22:00:00Z").expect("May appears");
    assert_eq!(march["type"], "final");
    assert_eq!(april["type"], "final");
    assert_eq!(may["type"], "preliminary");
    assert_eq!(
        month(&before, "2026-02-28T23:00:00Z").unwrap()["type"],
        "preliminary"
    );
    assert!(month(&before, "2026-04-30T22:00:00Z").is_none());
    let read = march["usage"].as_f64().unwrap() + april["usage"].as_f64().unwrap();
    assert!(read > 100.0 && read < 251.5, "{read}");
    assert!(may["usage"].as_f64().unwrap() > 251.5 - read);

    // Other customers and contracts.
    let sabine = customer(&server, "lumio", "analog meter, smart meter");
    assert_eq!(
        sabine
            .post(
                "/api/meter-readings",
                &reading(json!(value + 5.0), "2026-05-29T07:00:00Z")
            )
            .status,
        404,
        "another customer's subscription"
    );
    let listed = sabine.json("/api/meter-readings?limit=100");
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["customer"] == sabine.id())
    );
    let hannah = customer(&server, "lumio", "contract ended");
    let ended = hannah.json("/api/meter-readings?limit=1")["items"][0].clone();
    let answer = hannah.post(
        "/api/meter-readings",
        &json!({ "subscription": ended["subscription"], "value": ended["value"].as_f64().unwrap() + 1.0,
                 "timestamp": today }),
    );
    assert_field_error(&answer, 422, "ended_subscription", "subscription");

    // The hint speaks the customer's language.
    let solva = customer(&server, "solva", "two contracts");
    let (english, last) = analog_subscription(&solva);
    let answer = solva.post(
        "/api/meter-readings",
        &json!({ "subscription": english, "value": last["value"].as_f64().unwrap() - 10.0,
                 "timestamp": today }),
    );
    let body = assert_field_error(&answer, 422, "implausible_meter_reading", "value");
    let hint = body["message"].as_str().unwrap();
    assert!(hint.contains("lower than the last one"), "{hint}");

    // Cursor pages of readings, and a tampered cursor.
    let page = anna.json("/api/meter-readings?limit=2");
    let next = page["next_page"].as_str().unwrap();
    let second = anna.json(&format!("/api/meter-readings?limit=2&cursor={next}"));
    assert_ne!(second["items"][0]["id"], page["items"][0]["id"]);
    let answer = anna.get(&format!("/api/meter-readings?limit=2&cursor={next}x"));
    assert_field_error(&answer, 400, "invalid_format", "cursor");
    let answer = server.send(
        &Req::new("POST", &server.host("lumio"), "/api/meter-readings")
            .header("Cookie", &anna.session.cookie)
            .json(&reading(json!(value + 1.0), today)),
    );
    assert_eq!(
        answer.status, 403,
        "a state change needs the portal's origin"
    );
}
