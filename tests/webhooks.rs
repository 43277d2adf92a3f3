//! API tests of the Nomos webhook receiver `POST /webhooks/nomos/<org>` (issue 5, point 9)
//! against the real binary with the demo data: signing secrets made by `portalgen keys
//! webhook-secret`, deliveries signed as Nomos signs them (`X-Nomos-Signature: t=<unix>,v1=<hex
//! HMAC-SHA-256 of "<t>." + body>`), tampering (a changed byte, an old or future time, another
//! tenant's secret, no signature, an unknown organization), replays, the body cap, another
//! organization's objects, and every one of the 19 topics with payloads shaped as in
//! webhooks-asyncapi.yml, checked in the API and the store.

mod common;

use common::serve::{Req, Response, ServeOptions, Server, serve};
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Value, json};
use sha2::Sha256;

/// `portalgen keys webhook-secret --org <org>` on the server's store; the secret it prints once.
fn webhook_secret(server: &Server, org: &str) -> String {
    let db = server.ws.path("data/db.sqlite");
    let secret_file = server.ws.path("data/secret.key");
    let run = server.ws.run(&[
        "keys",
        "webhook-secret",
        "--org",
        org,
        "--db",
        db.to_str().unwrap(),
        "--secret-file",
        secret_file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "keys webhook-secret failed: {run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {run:?}");
    let secret = lines[0].trim().to_owned();
    let hex = secret.strip_prefix("whsec_").unwrap_or("");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "whsec_<64 hex>: {secret:?}"
    );
    secret
}

/// The `X-Nomos-Signature` value for `body` signed with `secret` at `t`.
fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let v1: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={v1}")
}

/// A POST to the webhook endpoint of `org` with these headers and body, as Nomos sends it.
fn post(server: &Server, org: &str, signature: Option<&str>, body: &[u8]) -> Response {
    let mut req = Req::new(
        "POST",
        &format!("localhost:{}", server.port),
        &format!("/webhooks/nomos/{org}"),
    )
    .header("Content-Type", "application/json")
    .body(body.to_vec());
    if let Some(signature) = signature {
        req = req.header("X-Nomos-Signature", signature);
    }
    server.send(&req)
}

/// `event` signed with `secret` at the server's now and delivered to `org`.
fn deliver(server: &Server, org: &str, secret: &str, event: &Value) -> Response {
    let body = serde_json::to_vec(event).unwrap();
    post(
        server,
        org,
        Some(&signature(secret, server.now(), &body)),
        &body,
    )
}

/// Delivers `event` and returns the receipt's outcome (the answer must be 200).
fn outcome(server: &Server, org: &str, secret: &str, event: &Value) -> String {
    let answer = deliver(server, org, secret, event);
    assert_eq!(answer.status, 200, "{answer}");
    let receipt = answer.json();
    assert_eq!(receipt["object"], "webhook_receipt", "{answer}");
    assert_eq!(receipt["event"], event["id"], "{answer}");
    receipt["outcome"].as_str().unwrap().to_owned()
}

/// An event as webhooks-asyncapi.yml shapes it, happening at the server's now.
fn event(server: &Server, id: &str, topic: &str, context: Value) -> Value {
    json!({
        "id": id,
        "timestamp": rfc3339(server.now()),
        "topic": topic,
        "context": context,
    })
}

fn rfc3339(unix: i64) -> String {
    let seconds = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        common::serve::utc_date(unix),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn store(server: &Server) -> Connection {
    Connection::open(server.ws.path("data/db.sqlite")).unwrap()
}

fn text(db: &Connection, sql: &str, param: &str) -> String {
    db.query_row(sql, [param], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql} ({param}): {e}"))
}

/// The id of the demo customer of `slug` whose banner line contains `description`, and the
/// customer's e-mail.
fn demo_customer(server: &Server, slug: &str, description: &str) -> (String, String) {
    let email = server
        .demo_accounts(slug)
        .into_iter()
        .find(|a| a.description.contains(description))
        .unwrap_or_else(|| panic!("no demo customer `{description}` on {slug}"))
        .email;
    let id = text(
        &store(server),
        "SELECT id FROM customers WHERE email = ?1",
        &email,
    );
    (id, email)
}

fn subscription_of(server: &Server, customer: &str) -> String {
    text(
        &store(server),
        "SELECT id FROM subscriptions WHERE customer_id = ?1 ORDER BY created_at LIMIT 1",
        customer,
    )
}

/// Failed payments of an invoice.
fn failed_payments(server: &Server, invoice: &str) -> i64 {
    store(server)
        .query_row(
            "SELECT COUNT(*) FROM invoice_payments WHERE invoice_id = ?1 AND status = 'failed'",
            [invoice],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn only_fresh_deliveries_signed_with_the_organizations_secret_apply_and_only_once() {
    let server = serve(ServeOptions::default());
    let lumio = webhook_secret(&server, "lumio");
    let nordwatt = webhook_secret(&server, "nordwatt");
    assert_ne!(lumio, nordwatt);
    let unknown = server.ws.run(&[
        "keys",
        "webhook-secret",
        "--org",
        "no-such-org",
        "--db",
        server.ws.path("data/db.sqlite").to_str().unwrap(),
        "--secret-file",
        server.ws.path("data/secret.key").to_str().unwrap(),
    ]);
    assert_ne!(unknown.code, 0);
    assert!(unknown.stdout.is_empty(), "{unknown:?}");
    assert!(
        unknown.stderr.contains("no organization `no-such-org`"),
        "{unknown:?}"
    );

    // Anna's open invoice with a positive total.
    let (anna, anna_email) = demo_customer(&server, "lumio", "two contracts");
    let (invoice, subscription) = store(&server)
        .query_row(
            "SELECT id, subscription_id FROM invoices
             WHERE customer_id = ?1 AND status = 'open' AND total_ct > 0
             ORDER BY issued_at DESC LIMIT 1",
            [&anna],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .unwrap();
    let failed = event(
        &server,
        "evt_failedpayment000000000001",
        "invoice.payment_failed",
        json!({ "invoice": invoice, "subscription": subscription }),
    );
    let body = serde_json::to_vec(&failed).unwrap();
    let before = failed_payments(&server, &invoice);

    // Rejected before anything is parsed: unsigned, malformed, tampered, stale, another
    // tenant's secret, an unknown organization, one without a secret. All look alike.
    let now = server.now();
    let good = signature(&lumio, now, &body);
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] ^= 0x01;
    let unauthorized = post(&server, "lumio", None, &body);
    let reference = unauthorized.assert_error(401, "UNAUTHORIZED");
    let rejected = [
        ("malformed", post(&server, "lumio", Some("v1=abc"), &body)),
        (
            "changed byte",
            post(&server, "lumio", Some(&good), &tampered),
        ),
        (
            "301 s old",
            post(
                &server,
                "lumio",
                Some(&signature(&lumio, now - 301, &body)),
                &body,
            ),
        ),
        (
            "301 s ahead",
            post(
                &server,
                "lumio",
                Some(&signature(&lumio, now + 301, &body)),
                &body,
            ),
        ),
        (
            "nordwatt's secret",
            post(
                &server,
                "lumio",
                Some(&signature(&nordwatt, now, &body)),
                &body,
            ),
        ),
        (
            "unknown org",
            post(&server, "no-such-org", Some(&good), &body),
        ),
        (
            "org without a secret",
            post(
                &server,
                "solva",
                Some(&signature(&lumio, now, &body)),
                &body,
            ),
        ),
    ];
    for (what, answer) in &rejected {
        assert_eq!(
            answer.assert_error(401, "UNAUTHORIZED")["message"],
            reference["message"],
            "{what}"
        );
        assert_eq!(
            answer.body_without_request_id(),
            unauthorized.body_without_request_id(),
            "{what}: no answer tells the cases apart"
        );
    }
    assert_eq!(
        failed_payments(&server, &invoice),
        before,
        "nothing applied"
    );

    // The genuine delivery (a signature 299 s old still counts) applies once.
    let answer = post(
        &server,
        "lumio",
        Some(&signature(&lumio, now - 299, &body)),
        &body,
    );
    assert_eq!(answer.status, 200, "{answer}");
    assert_eq!(answer.json()["outcome"], "applied");
    assert_eq!(failed_payments(&server, &invoice), before + 1);

    // The failed payment shows in the invoice's payment history.
    let session = server.sign_in("lumio", &anna_email);
    let shown = server.send(
        &Req::new(
            "GET",
            &server.host("lumio"),
            &format!("/api/invoices/{invoice}"),
        )
        .header("Cookie", &session.cookie),
    );
    assert_eq!(shown.status, 200, "{shown}");
    let payments = shown.json()["payments"].as_array().unwrap().clone();
    assert!(
        payments.iter().any(|p| p["status"] == "failed"
            && p["attempted_at"].as_str().is_some()
            && p["failure_code"].is_string()),
        "{payments:?}"
    );
    assert_eq!(shown.json()["status"], "open");

    // Replays: the same delivery, and the same event signed anew (as Nomos retries), answer 200
    // and apply nothing; also after more than 72 hours.
    let replay = post(&server, "lumio", Some(&good), &body);
    assert_eq!(replay.status, 200, "{replay}");
    assert_eq!(replay.json()["outcome"], "duplicate");
    server.advance(73 * 3600);
    assert_eq!(outcome(&server, "lumio", &lumio, &failed), "duplicate");
    assert_eq!(failed_payments(&server, &invoice), before + 1);

    // Bodies over 64 KiB are refused, signed or not; a signed body that is no event is a 400.
    let mut big = failed.clone();
    big["context"]["padding"] = json!("x".repeat(64 * 1024));
    let big = serde_json::to_vec(&big).unwrap();
    let answer = post(
        &server,
        "lumio",
        Some(&signature(&lumio, server.now(), &big)),
        &big,
    );
    answer.assert_error(413, "PAYLOAD_TOO_LARGE");
    let junk = br#"{"id":"evt_junk","topic":"invoice.paid"}"#;
    let answer = post(
        &server,
        "lumio",
        Some(&signature(&lumio, server.now(), junk)),
        junk,
    );
    answer.assert_error(400, "BAD_REQUEST");
    let get = server.send(&Req::new(
        "GET",
        &format!("localhost:{}", server.port),
        "/webhooks/nomos/lumio",
    ));
    get.assert_error(405, "METHOD_NOT_ALLOWED");

    // Nordwatt's genuine delivery about Lumio's objects changes nothing of Lumio's.
    let foreign = [
        event(
            &server,
            "evt_foreign0000000000000001",
            "invoice.payment_failed",
            json!({ "invoice": invoice, "subscription": subscription }),
        ),
        event(
            &server,
            "evt_foreign0000000000000002",
            "subscription.ended",
            json!({ "subscription": subscription }),
        ),
    ];
    for event in &foreign {
        assert_eq!(
            outcome(&server, "nordwatt", &nordwatt, event),
            "unknown_object"
        );
    }
    assert_eq!(failed_payments(&server, &invoice), before + 1);
    assert_eq!(
        text(
            &store(&server),
            "SELECT status FROM subscriptions WHERE id = ?1",
            &subscription
        ),
        "active"
    );

    // A rotated secret replaces the old one at once.
    let rotated = webhook_secret(&server, "lumio");
    let next = event(
        &server,
        "evt_afterrotation0000000001",
        "invoice.created",
        json!({ "invoice": invoice, "subscription": subscription }),
    );
    deliver(&server, "lumio", &lumio, &next).assert_error(401, "UNAUTHORIZED");
    assert_eq!(outcome(&server, "lumio", &rotated, &next), "unchanged");

    // The secrets are stored sealed and never logged.
    let sealed: Vec<u8> = store(&server)
        .query_row(
            "SELECT sealed FROM webhook_secrets WHERE org_id = 'lumio'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let sealed_hex: String = sealed.iter().map(|b| format!("{b:02x}")).collect();
    assert_ne!(sealed_hex, rotated["whsec_".len()..]);
    for file in ["data/db.sqlite", "data/db.sqlite-wal"] {
        let bytes = std::fs::read(server.ws.path(file)).unwrap_or_default();
        for secret in [&lumio, &nordwatt, &rotated] {
            let hex = &secret.as_bytes()["whsec_".len()..];
            assert!(
                !bytes.windows(hex.len()).any(|w| w == hex),
                "a secret is in {file}"
            );
        }
    }
    server.assert_output_free_of(&[&lumio, &nordwatt, &rotated]);
}

#[test]
fn all_nineteen_topics_change_what_the_portal_shows() {
    let server = serve(ServeOptions::default());
    let secret = webhook_secret(&server, "lumio");
    let mut n = 0;
    let mut send = |topic: &str, context: Value| {
        n += 1;
        let id = format!("evt_topics{n:018}");
        outcome(
            &server,
            "lumio",
            &secret,
            &event(&server, &id, topic, context),
        )
    };

    // subscription.*: created and confirmed leave a pending contract as it is; activated starts
    // supply; terminated shows the end date; ended archives the contract.
    let (new_customer, _) = demo_customer(&server, "lumio", "new contract");
    let pending = subscription_of(&server, &new_customer);
    let context = json!({ "subscription": pending });
    assert_eq!(send("subscription.created", context.clone()), "unchanged");
    assert_eq!(send("subscription.confirmed", context.clone()), "unchanged");
    assert_eq!(send("subscription.activated", context.clone()), "applied");
    assert_eq!(send("subscription.activated", context), "unchanged");
    assert_eq!(
        text(
            &store(&server),
            "SELECT status FROM subscriptions WHERE id = ?1",
            &pending
        ),
        "active"
    );

    let (company, company_email) = demo_customer(&server, "lumio", "company");
    let company_subscription = subscription_of(&server, &company);
    assert_eq!(
        send(
            "subscription.terminated",
            json!({ "subscription": company_subscription })
        ),
        "applied"
    );
    let session = server.sign_in("lumio", &company_email);
    let dashboard = server.send(
        &Req::new(
            "GET",
            &server.host("lumio"),
            &format!("/api/subscriptions/{company_subscription}/dashboard"),
        )
        .header("Cookie", &session.cookie),
    );
    assert_eq!(dashboard.status, 200, "{dashboard}");
    let contract = &dashboard.json()["contract"];
    assert_eq!(contract["status"], "active", "{contract}");
    assert!(
        contract["end_at"].is_string(),
        "the end date shows: {contract}"
    );
    assert_eq!(contract["termination_reason"], "ORDINARY");
    assert!(contract["terminated_at"].is_string());

    let (ending, _) = demo_customer(&server, "lumio", "contract terminated");
    let ending_subscription = subscription_of(&server, &ending);
    assert_eq!(
        send(
            "subscription.ended",
            json!({ "subscription": ending_subscription })
        ),
        "applied"
    );
    let (status, end_at): (String, i64) = store(&server)
        .query_row(
            "SELECT status, end_at FROM subscriptions WHERE id = ?1",
            [&ending_subscription],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "ended");
    assert!(end_at <= server.now() + 86_400, "supply ended by tomorrow");

    // invoice.*: a new invoice (described in `data`), its failed and then successful payment,
    // its Storno; another invoice written off.
    let (anna, anna_email) = demo_customer(&server, "lumio", "two contracts");
    let anna_subscription = subscription_of(&server, &anna);
    let new_invoice = "inv_webhook0000000000000001";
    assert_eq!(
        send("invoice.created", json!({ "invoice": new_invoice })),
        "unknown_object",
        "ids alone do not describe an invoice"
    );
    let created = json!({
        "id": "evt_topics_created_with_data",
        "timestamp": rfc3339(server.now()),
        "topic": "invoice.created",
        "context": { "invoice": new_invoice, "subscription": anna_subscription },
        "data": {
            "object": "invoice",
            "id": new_invoice,
            "customer": anna,
            "subscription": anna_subscription,
            "invoice_number": "WH-2026-06",
            "month": 6,
            "year": 2026,
            "period_start": "2026-05-31T22:00:00Z",
            "period_end": "2026-06-30T22:00:00Z",
            "period_number": 27,
            "status": "open",
            "issued_at": rfc3339(server.now()),
            "paid_at": null,
            "type": "prepayment",
            "total": 119.0
        }
    });
    assert_eq!(outcome(&server, "lumio", &secret, &created), "applied");
    // The asyncapi examples name only the invoice; the openapi ones the subscription too.
    assert_eq!(
        send("invoice.payment_failed", json!({ "invoice": new_invoice })),
        "applied"
    );
    server.advance(600);
    let both = json!({ "invoice": new_invoice, "subscription": anna_subscription });
    assert_eq!(send("invoice.paid", both.clone()), "applied");
    assert_eq!(send("invoice.paid", both.clone()), "unchanged");
    let session = server.sign_in("lumio", &anna_email);
    let shown = server.send(
        &Req::new(
            "GET",
            &server.host("lumio"),
            &format!("/api/invoices/{new_invoice}"),
        )
        .header("Cookie", &session.cookie),
    );
    assert_eq!(shown.status, 200, "{shown}");
    let shown = shown.json();
    assert_eq!(shown["status"], "paid");
    assert_eq!(shown["invoice_number"], "WH-2026-06");
    let statuses: Vec<&str> = shown["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "succeeded"], "{shown}");
    assert_eq!(
        send(
            "invoice.voided",
            json!({ "invoice": new_invoice, "subscription": anna_subscription,
                    "voiding_invoice": "inv_storno00000000000000001" })
        ),
        "applied"
    );
    let open = text(
        &store(&server),
        "SELECT id FROM invoices WHERE customer_id = ?1 AND status = 'open'
         ORDER BY issued_at LIMIT 1",
        &anna,
    );
    assert_eq!(
        send("invoice.uncollectible", json!({ "invoice": open })),
        "applied"
    );
    assert_eq!(
        text(
            &store(&server),
            "SELECT status FROM invoices WHERE id = ?1",
            new_invoice
        ),
        "voided"
    );
    assert_eq!(
        text(
            &store(&server),
            "SELECT status FROM invoices WHERE id = ?1",
            &open
        ),
        "uncollectible"
    );

    // meter_order.*: the new contract's blocked order moves along its path.
    let order = text(
        &store(&server),
        "SELECT id FROM meter_orders WHERE customer_id = ?1",
        &new_customer,
    );
    let order_context = json!({ "meter_order": order, "subscription": pending });
    let status = |server: &Server| {
        text(
            &store(server),
            "SELECT status FROM meter_orders WHERE id = ?1",
            &order,
        )
    };
    assert_eq!(
        send("meter_order.created", order_context.clone()),
        "unchanged"
    );
    for (topic, expected) in [
        ("meter_order.placed", "placed"),
        ("meter_order.check_submitted", "check_submitted"),
        ("meter_order.check_reviewed", "check_reviewed"),
        ("meter_order.scheduled", "scheduled"),
    ] {
        assert_eq!(send(topic, order_context.clone()), "applied", "{topic}");
        assert_eq!(status(&server), expected);
    }
    assert_eq!(
        send("meter_order.placed", order_context.clone()),
        "unchanged"
    );
    assert_eq!(
        send("meter_order.blocked", order_context.clone()),
        "applied"
    );
    // The customer's dashboard shows the scheduled, blocked order.
    let session = server.sign_in("lumio", &demo_customer(&server, "lumio", "new contract").1);
    let dashboard = server.send(
        &Req::new(
            "GET",
            &server.host("lumio"),
            &format!("/api/subscriptions/{pending}/dashboard"),
        )
        .header("Cookie", &session.cookie),
    );
    assert_eq!(dashboard.status, 200, "{dashboard}");
    let shown = &dashboard.json()["open_meter_order"];
    assert_eq!(shown["id"], order.as_str());
    assert_eq!(shown["status"], "scheduled");
    assert_eq!(shown["blocked_reason"], "grid_operator_registration");
    assert_eq!(
        send("meter_order.installed", order_context.clone()),
        "applied"
    );
    assert_eq!(
        send("meter_order.activated", order_context.clone()),
        "applied"
    );
    assert_eq!(send("meter_order.cancelled", order_context), "unchanged");
    assert_eq!(status(&server), "activated");
    let timeline: Vec<String> = store(&server)
        .prepare("SELECT event FROM meter_order_events WHERE meter_order_id = ?1 ORDER BY position")
        .unwrap()
        .query_map([&order], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        timeline,
        [
            "created",
            "blocked",
            "unblocked",
            "placed",
            "check_submitted",
            "check_reviewed",
            "scheduled",
            "blocked",
            "unblocked",
            "installed",
            "activated"
        ]
    );

    // Another customer's scheduled installation is cancelled.
    let (analog, _) = demo_customer(&server, "lumio", "installation scheduled");
    let scheduled = text(
        &store(&server),
        "SELECT id FROM meter_orders WHERE customer_id = ?1",
        &analog,
    );
    assert_eq!(
        send("meter_order.cancelled", json!({ "meter_order": scheduled })),
        "applied"
    );
    assert_eq!(
        text(
            &store(&server),
            "SELECT status FROM meter_orders WHERE id = ?1",
            &scheduled
        ),
        "cancelled"
    );

    // A topic this receiver does not know is acknowledged; every applied event has its audit
    // record.
    assert_eq!(
        send("customer.updated", json!({ "customer": anna })),
        "unknown_topic"
    );
    let audited: i64 = store(&server)
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE actor = 'webhook'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 16, "one per applied event");
    let handled: Option<i64> = store(&server)
        .query_row(
            "SELECT COUNT(*) FROM webhook_events WHERE org_id = 'lumio'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(handled, Some(n as i64 + 1), "every event id is noted");
}
