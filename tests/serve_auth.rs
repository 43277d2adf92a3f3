//! API tests of the sign-in spine of `portalgen serve` (issue 4): the real binary on an ephemeral
//! port, a real SMTP server on loopback (codes are read from the received mail), time moved by
//! the clock file. Every answer is also checked for `Content-Length`, `Connection: close` and the
//! absence of any `Access-Control-*` header (see `common::serve`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::serve::{
    DemoAccount, Req, Response, ServeOptions, Server, T0, decode_header, parse_set_cookie, prepare,
    serve, signed_in, utc_date,
};
use serde_json::{Value, json};

const DAY: i64 = 86_400;
const UNIFORM_401_MESSAGE: &str =
    "This code is not valid. It may be mistyped, expired or already used. Request a new code.";
const UNKNOWN_ADDRESS: &str = "nobody.here@lumio.example.com";

fn without_a_demo() -> ServeOptions {
    ServeOptions {
        demo: false,
        ..ServeOptions::default()
    }
}

fn behind_a_proxy() -> ServeOptions {
    ServeOptions {
        behind_proxy: true,
        ..ServeOptions::default()
    }
}

/// A wrong code near `code`.
fn wrong(code: &str, k: u32) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + k) % 1_000_000)
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Headers that must not differ between two answers that must look alike.
fn comparable_headers(response: &Response) -> Vec<(String, String)> {
    response
        .headers_without_request_id()
        .into_iter()
        .filter(|(n, _)| n != "content-length")
        .collect()
}

fn org_name(server: &Server, org: &str) -> String {
    server.ws.tenant(org)["organization"]["name"]
        .as_str()
        .expect("organization.name")
        .to_owned()
}

/// Sends `req` from a client address never used before (the server runs `--behind-proxy`).
fn from_new_client(server: &Server, req: Req) -> Response {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    server.send(&req.with("X-Real-IP", &ip))
}

// ------------------------------------------------------------------------------------------
// Codes

#[test]
fn a_code_request_answers_alike_for_known_and_unknown_addresses_and_only_known_ones_get_mail() {
    let server = serve(ServeOptions::default());
    let accounts = server.demo_accounts("lumio");
    let german: &DemoAccount = accounts
        .iter()
        .find(|a| !a.description.contains("(en)"))
        .expect("a German-speaking demo customer");
    let english = accounts.iter().find(|a| a.description.contains("(en)"));
    let org = org_name(&server, "lumio");

    let unknown = server.request_code("lumio", UNKNOWN_ADDRESS);
    // Typed with capitals and blanks: the address is normalized.
    let known = server.request_code("lumio", &format!("  {}  ", german.email.to_uppercase()));
    // Lumio's customer asking on another portal is unknown there.
    let elsewhere = server.request_code("nordwatt", &german.email);

    for (response, email) in [
        (&unknown, UNKNOWN_ADDRESS),
        (&known, german.email.as_str()),
        (&elsewhere, german.email.as_str()),
    ] {
        assert_eq!(response.status, 202, "{response}");
        assert_eq!(
            response.json(),
            json!({
                "object": "login_code_request",
                "email": email,
                "expires_in": 600,
                "resend_after": 60,
            }),
            "{response}"
        );
        assert!(response.header("x-request-id").is_some(), "{response}");
    }
    // Byte for byte the same answer, apart from the address it echoes.
    assert_eq!(
        known.text().replace(&german.email, "<email>"),
        unknown.text().replace(UNKNOWN_ADDRESS, "<email>")
    );
    assert_eq!(known.text(), elsewhere.text());
    assert_eq!(comparable_headers(&known), comparable_headers(&unknown));
    assert_eq!(comparable_headers(&known), comparable_headers(&elsewhere));

    // The known customer reads the code in the mail, in German (the customer's locale).
    let mail = server.mail(&german.email, 1);
    let code = mail.code().expect("a six-digit code in the text part");
    assert!(
        mail.header("to")
            .unwrap_or_default()
            .contains(&german.email),
        "To: {:?}",
        mail.header("to")
    );
    assert_eq!(
        decode_header(&mail.header("subject").unwrap_or_default()),
        format!("Ihr Anmeldecode für {org}")
    );
    let parts = mail.text_parts();
    assert!(
        parts
            .iter()
            .any(|(kind, text)| kind == "text/html" && text.contains(&code)),
        "the HTML part carries the code too:\n{}",
        mail.raw
    );

    let mut expected_mails = 1;
    let mut secrets = vec![code.clone()];
    if let Some(english) = english {
        let code_en = server.code_by_mail("lumio", &english.email);
        let mail = server.mail(&english.email, 1);
        assert_eq!(
            decode_header(&mail.header("subject").unwrap_or_default()),
            format!("Your sign-in code for {org}")
        );
        expected_mails += 1;
        secrets.push(code_en);
    }
    // Mail goes out in order through one queue: what was asked before has been sent by now.
    std::thread::sleep(Duration::from_millis(300));
    let all = server.smtp.all();
    assert_eq!(
        all.len(),
        expected_mails,
        "only known customers of the portal get mail: {:#?}",
        all.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    assert!(server.smtp.to(UNKNOWN_ADDRESS).is_empty());
    assert_eq!(server.smtp.to(&german.email).len(), 1);

    // The code works, for the address as typed differently again.
    let verified = server.verify("lumio", &german.email.to_uppercase(), &code);
    assert_eq!(verified.status, 200, "{verified}");

    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    server.assert_output_free_of(&refs);
    let log = server.log();
    assert!(
        log.contains("sent over SMTP"),
        "the log says the mail went out:\n{log}"
    );
    assert!(
        !log.contains(&german.email),
        "the log masks the address:\n{log}"
    );
}

#[test]
fn verify_signs_in_once_with_a_host_only_cookie_on_localhost_and_rotates_the_session() {
    let server = serve(ServeOptions::default());
    let email = server.demo_email("lumio", 0);
    let code = server.code_by_mail("lumio", &email);

    let response = server.verify("lumio", &email.to_uppercase(), &code);
    assert_eq!(response.status, 200, "{response}");
    let body = response.json();
    assert_eq!(body["object"], "session", "{response}");
    assert_eq!(body["customer"]["object"], "customer", "{response}");
    assert_eq!(body["customer"]["email"], email.as_str(), "{response}");
    let customer_id = body["customer"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(customer_id.starts_with("cus_"), "{response}");
    assert!(
        body["created_at"]
            .as_str()
            .is_some_and(|t| t.starts_with(&utc_date(T0))),
        "created_at is now: {response}"
    );
    assert!(body["expires_at"].is_string(), "{response}");

    let cookies = response.headers_named("set-cookie");
    assert_eq!(cookies.len(), 1, "{response}");
    let cookie = parse_set_cookie(cookies[0]);
    assert_eq!(cookie.name, "portal_session", "{}", cookies[0]);
    assert!(is_hex(&cookie.value, 64), "256 random bits: {}", cookies[0]);
    let expected: BTreeMap<String, Option<String>> = [
        ("path", Some("/")),
        ("max-age", Some("2592000")),
        ("httponly", None),
        ("samesite", Some("Strict")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
    .collect();
    // No Secure (plain-HTTP localhost must work), no Domain (host-only).
    assert_eq!(cookie.attrs, expected, "{}", cookies[0]);
    let first = signed_in(response, code.clone());

    let session = server.session("lumio", Some(&first.cookie));
    assert_eq!(session.status, 200, "{session}");
    assert_eq!(session.json()["object"], "session");
    assert_eq!(session.json()["customer"]["id"], customer_id.as_str());
    assert_eq!(session.json()["customer"]["email"], email.as_str());
    server
        .session("lumio", None)
        .assert_error(401, "UNAUTHORIZED");
    server
        .session(
            "lumio",
            Some(&format!("portal_session={}", "ab".repeat(32))),
        )
        .assert_error(401, "UNAUTHORIZED");

    // Single use.
    let again = server.verify("lumio", &email, &code);
    let body = again.assert_error(401, "UNAUTHORIZED");
    assert_eq!(body["message"], UNIFORM_401_MESSAGE);
    assert!(again.header("set-cookie").is_none(), "{again}");

    // Signing in again from the same browser replaces its session.
    server.advance(61);
    let code2 = server.code_by_mail("lumio", &email);
    let rotated = server.send(
        &server
            .post(
                "lumio",
                "/api/auth/verify",
                &json!({ "email": email, "code": code2 }),
            )
            .header("Cookie", &first.cookie),
    );
    assert_eq!(rotated.status, 200, "{rotated}");
    let second = signed_in(rotated, code2.clone());
    assert_ne!(second.token, first.token, "the session id rotates at login");
    server
        .session("lumio", Some(&first.cookie))
        .assert_error(401, "UNAUTHORIZED");
    assert_eq!(server.session("lumio", Some(&second.cookie)).status, 200);

    server.assert_output_free_of(&[&code, &code2, &first.token, &second.token]);
    let log = server.log();
    let line = format!("POST lumio.localhost:{}/api/auth/verify 200", server.port);
    assert!(log.contains(&line), "request log has {line:?}:\n{log}");
}

#[test]
fn a_production_host_gets_a_host_prefixed_secure_cookie() {
    let server = serve(ServeOptions {
        domain: Some("{slug}.portal.test".into()),
        ..ServeOptions::default()
    });
    let host = "lumio.portal.test";
    let email = server.demo_email("lumio", 0);
    let code_request = |address: &str, origin_header: (&str, &str)| {
        server.send(
            &Req::new("POST", host, "/api/auth/code")
                .header(origin_header.0, origin_header.1)
                .json(&json!({ "email": address })),
        )
    };
    let asked = code_request(&email, ("Sec-Fetch-Site", "same-origin"));
    assert_eq!(asked.status, 202, "{asked}");
    let code = server.mailed_code(&email, 1);
    // The page's own origin is https on a production host.
    let by_origin = code_request(
        "someone.else@lumio.example.com",
        ("Origin", "https://lumio.portal.test"),
    );
    assert_eq!(by_origin.status, 202, "{by_origin}");
    code_request(
        "a.third@lumio.example.com",
        ("Origin", "http://lumio.portal.test"),
    )
    .assert_error(403, "FORBIDDEN");

    let verified = server.send(
        &Req::new("POST", host, "/api/auth/verify")
            .header("Sec-Fetch-Site", "same-origin")
            .json(&json!({ "email": email, "code": code })),
    );
    assert_eq!(verified.status, 200, "{verified}");
    let cookies = verified.headers_named("set-cookie");
    assert_eq!(cookies.len(), 1, "{verified}");
    let cookie = parse_set_cookie(cookies[0]);
    assert_eq!(cookie.name, "__Host-portal_session", "{}", cookies[0]);
    assert!(is_hex(&cookie.value, 64), "{}", cookies[0]);
    let expected: BTreeMap<String, Option<String>> = [
        ("path", Some("/")),
        ("max-age", Some("2592000")),
        ("httponly", None),
        ("samesite", Some("Strict")),
        ("secure", None),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
    .collect();
    assert_eq!(cookie.attrs, expected, "{}", cookies[0]);
    let token = cookie.value.clone();

    let session = |cookie_header: &str| {
        server.send(&Req::new("GET", host, "/api/session").header("Cookie", cookie_header))
    };
    let ok = session(&format!("__Host-portal_session={token}"));
    assert_eq!(ok.status, 200, "{ok}");
    assert_eq!(ok.json()["customer"]["email"], email.as_str());
    // A cookie without the prefix (which a sibling host could have planted) is not read.
    session(&format!("portal_session={token}")).assert_error(401, "UNAUTHORIZED");

    // The default pattern is not this server's domain.
    for path in ["/", "/api/session"] {
        let other = server.send(&Req::new("GET", "lumio.customerportal.energy", path));
        assert_eq!(other.status, 404, "{other}");
    }

    let logout = server.send(
        &Req::new("POST", host, "/api/auth/logout")
            .header("Sec-Fetch-Site", "same-origin")
            .header("Cookie", &format!("__Host-portal_session={token}"))
            .json(&json!({})),
    );
    assert_eq!(logout.status, 204, "{logout}");
    let cleared = parse_set_cookie(logout.header("set-cookie").expect("cookie cleared"));
    assert_eq!(cleared.name, "__Host-portal_session");
    assert_eq!(cleared.value, "");
    assert_eq!(cleared.attrs.get("max-age"), Some(&Some("0".to_owned())));
    assert!(cleared.attrs.contains_key("secure"), "{logout}");
    session(&format!("__Host-portal_session={token}")).assert_error(401, "UNAUTHORIZED");
    server.assert_output_free_of(&[&code, &token]);
}

#[test]
fn every_failed_verification_gets_the_same_401() {
    let server = serve(ServeOptions::default());
    let lumio = server.demo_accounts("lumio");
    let business = server.demo_accounts("lumio-business");
    assert!(lumio.len() >= 6, "six demo customers on lumio: {lumio:?}");
    let mut failures: Vec<(String, Response)> = Vec::new();

    // Wrong code; the right one still works once; then it is used.
    let a = &lumio[0].email;
    let code_a = server.code_by_mail("lumio", a);
    failures.push((
        "wrong code".into(),
        server.verify("lumio", a, &wrong(&code_a, 1)),
    ));
    let ok = server.verify("lumio", a, &code_a);
    assert_eq!(
        ok.status, 200,
        "one wrong try does not spend the code: {ok}"
    );
    failures.push(("used code".into(), server.verify("lumio", a, &code_a)));

    // Five wrong tries lock the code: the right one fails afterwards.
    let b = &lumio[1].email;
    let code_b = server.code_by_mail("lumio", b);
    for k in 1..=5 {
        failures.push((
            format!("wrong try {k} of 5"),
            server.verify("lumio", b, &wrong(&code_b, k)),
        ));
    }
    failures.push((
        "right code after five wrong tries".into(),
        server.verify("lumio", b, &code_b),
    ));

    // Four wrong tries do not.
    let c = &lumio[2].email;
    let code_c = server.code_by_mail("lumio", c);
    for k in 1..=4 {
        failures.push((
            format!("wrong try {k} of 4"),
            server.verify("lumio", c, &wrong(&code_c, k)),
        ));
    }
    let ok = server.verify("lumio", c, &code_c);
    assert_eq!(
        ok.status, 200,
        "four wrong tries leave the code usable: {ok}"
    );

    // A valid code of lumio's customer, tried on other portals.
    let d = &lumio[3].email;
    let code_d = server.code_by_mail("lumio", d);
    failures.push((
        "code of another portal (nordwatt)".into(),
        server.verify("nordwatt", d, &code_d),
    ));
    failures.push((
        "code of another portal of the same organization (lumio-business)".into(),
        server.verify("lumio-business", d, &code_d),
    ));
    let ok = server.verify("lumio", d, &code_d);
    assert_eq!(ok.status, 200, "{ok}");

    // Unknown address; known address that asked for no code.
    failures.push((
        "unknown address".into(),
        server.verify("lumio", UNKNOWN_ADDRESS, "123456"),
    ));
    let e = &lumio[4].email;
    failures.push((
        "no code requested".into(),
        server.verify("lumio", e, "123456"),
    ));

    // A newer code replaces the older one.
    let older = server.code_by_mail("lumio", e);
    let mut newer = older.clone();
    while newer == older {
        server.advance(61);
        newer = server.code_by_mail("lumio", e);
    }
    failures.push(("superseded code".into(), server.verify("lumio", e, &older)));
    let ok = server.verify("lumio", e, &newer);
    assert_eq!(ok.status, 200, "the newer code works: {ok}");

    // Ten minutes.
    let f = &lumio[5].email;
    let g = &business[0].email;
    let issued = server.now();
    let code_f = server.code_by_mail("lumio", f);
    let code_g = server.code_by_mail("lumio-business", g);
    server.set_time(issued + 590);
    let ok = server.verify("lumio-business", g, &code_g);
    assert_eq!(ok.status, 200, "valid just under ten minutes: {ok}");
    server.set_time(issued + 601);
    failures.push(("expired code".into(), server.verify("lumio", f, &code_f)));

    let (_, reference) = &failures[0];
    let reference_body = reference.body_without_request_id();
    for (label, response) in &failures {
        let body = response.assert_error(401, "UNAUTHORIZED");
        assert_eq!(body["message"], UNIFORM_401_MESSAGE, "{label}: {response}");
        let mut without_id = body.clone();
        without_id.as_object_mut().unwrap().remove("requestId");
        assert_eq!(
            without_id,
            json!({ "code": "UNAUTHORIZED", "message": UNIFORM_401_MESSAGE }),
            "{label}"
        );
        assert_eq!(
            response.body_without_request_id(),
            reference_body,
            "{label}: the body differs from the wrong-code answer"
        );
        assert_eq!(
            response.headers_without_request_id(),
            reference.headers_without_request_id(),
            "{label}: the headers differ from the wrong-code answer"
        );
        assert!(response.header("set-cookie").is_none(), "{label}");
    }
    server.assert_output_free_of(&[&code_a, &code_b, &code_c, &code_d, &older, &newer, &code_f]);
}

#[test]
fn fifty_parallel_submits_of_the_right_code_sign_in_exactly_once() {
    // Each submit comes from its own client address, so per-client limits stay out of the way.
    let server = serve(behind_a_proxy());
    for (round, email) in server
        .demo_accounts("lumio")
        .iter()
        .take(2)
        .map(|a| a.email.clone())
        .enumerate()
    {
        let code = server.code_by_mail("lumio", &email);
        let submits: Vec<Req> = (0..50)
            .map(|i| {
                server
                    .post(
                        "lumio",
                        "/api/auth/verify",
                        &json!({ "email": email, "code": code }),
                    )
                    .header("X-Real-IP", &format!("10.20.{round}.{}", i + 1))
            })
            .collect();
        let answers = server.send_parallel(submits);
        let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
        let winners: Vec<&Response> = answers.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "exactly one sign-in: {statuses:?}");
        for loser in answers.iter().filter(|r| r.status != 200) {
            let body = loser.assert_error(401, "UNAUTHORIZED");
            assert_eq!(body["message"], UNIFORM_401_MESSAGE);
            assert!(loser.header("set-cookie").is_none(), "{loser}");
        }
        let winner = signed_in(winners[0].clone(), code);
        let session = server.session("lumio", Some(&winner.cookie));
        assert_eq!(session.status, 200, "{session}");
        assert_eq!(session.json()["customer"]["email"], email.as_str());
    }
}

#[test]
fn code_requests_per_address_have_a_cooldown_and_an_hourly_cap() {
    // Every request from a new client address: only the per-address limits can refuse.
    let server = serve(behind_a_proxy());
    let known = server.demo_email("lumio", 0);
    let ask = |email: &str| {
        from_new_client(
            &server,
            server.post("lumio", "/api/auth/code", &json!({ "email": email })),
        )
    };

    // Resend cooldown: 60 s, known or not, with the rest of it in Retry-After.
    for email in [known.as_str(), UNKNOWN_ADDRESS] {
        assert_eq!(ask(email).status, 202);
    }
    server.advance(10);
    let refused: Vec<Response> = [known.as_str(), UNKNOWN_ADDRESS]
        .iter()
        .map(|email| ask(email))
        .collect();
    for response in &refused {
        response.assert_error(429, "TOO_MANY_REQUESTS");
        assert_eq!(
            response.retry_after(),
            50,
            "the rest of the 60 s: {response}"
        );
    }
    assert_eq!(
        refused[0].body_without_request_id(),
        refused[1].body_without_request_id(),
        "known and unknown addresses are refused alike"
    );
    server.advance(49);
    for email in [known.as_str(), UNKNOWN_ADDRESS] {
        let response = ask(email);
        response.assert_error(429, "TOO_MANY_REQUESTS");
        assert_eq!(response.retry_after(), 1, "{response}");
    }
    server.advance(1);
    for email in [known.as_str(), UNKNOWN_ADDRESS] {
        let response = ask(email);
        assert_eq!(response.status, 202, "after Retry-After: {response}");
    }
    server.mail(&known, 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.smtp.to(&known).len(),
        2,
        "a refused request sends no mail"
    );

    // At most five codes per address per hour.
    let capped_known = server.demo_email("lumio", 1);
    let capped_unknown = "somebody.else@lumio.example.com";
    let first = server.now();
    for i in 0..5 {
        server.set_time(first + 60 * i);
        for email in [capped_known.as_str(), capped_unknown] {
            let response = ask(email);
            assert_eq!(response.status, 202, "request {} of 5: {response}", i + 1);
        }
    }
    server.set_time(first + 300);
    let mut retry_after = Vec::new();
    for email in [capped_known.as_str(), capped_unknown] {
        let response = ask(email);
        response.assert_error(429, "TOO_MANY_REQUESTS");
        retry_after.push(response.retry_after());
    }
    assert_eq!(retry_after[0], retry_after[1], "known and unknown alike");
    let wait = retry_after[0];
    assert!(
        wait >= 3299,
        "Retry-After {wait} s sends the client back before an hour since the first code"
    );
    server.set_time(first + 3599);
    for email in [capped_known.as_str(), capped_unknown] {
        ask(email).assert_error(429, "TOO_MANY_REQUESTS");
    }
    server.set_time(first + 300 + wait);
    for email in [capped_known.as_str(), capped_unknown] {
        let response = ask(email);
        assert_eq!(response.status, 202, "after Retry-After: {response}");
    }
    server.mail(&capped_known, 6);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.smtp.to(&capped_known).len(), 6);
}

#[test]
fn one_client_is_limited_across_addresses() {
    // Not behind a proxy: the client is the connecting address, whatever X-Real-IP says.
    let server = serve(without_a_demo());
    for i in 0..10 {
        let response = server.request_code("lumio", &format!("client.{i}@example.com"));
        assert_eq!(response.status, 202, "request {}: {response}", i + 1);
    }
    let refused = server.request_code("lumio", "client.10@example.com");
    refused.assert_error(429, "TOO_MANY_REQUESTS");
    let wait = refused.retry_after();
    assert!((1..=600).contains(&wait), "Retry-After {wait}");
    // Another portal does not reset the count, nor does a forged client address.
    server
        .request_code("nordwatt", "client.11@example.com")
        .assert_error(429, "TOO_MANY_REQUESTS");
    server
        .send(
            &server
                .post(
                    "lumio",
                    "/api/auth/code",
                    &json!({ "email": "client.12@example.com" }),
                )
                .header("X-Real-IP", "10.99.99.99")
                .header("X-Forwarded-For", "10.99.99.99"),
        )
        .assert_error(429, "TOO_MANY_REQUESTS");
    server.advance(600);
    let response = server.request_code("lumio", "client.13@example.com");
    assert_eq!(response.status, 202, "after ten minutes: {response}");

    // 30 verify attempts per client in ten minutes.
    for i in 0..30 {
        let response = server.verify("lumio", &format!("client.{i}@example.com"), "123456");
        assert_eq!(response.status, 401, "attempt {}: {response}", i + 1);
    }
    let refused = server.verify("lumio", "client.31@example.com", "123456");
    refused.assert_error(429, "TOO_MANY_REQUESTS");
    assert!(refused.retry_after() >= 1);
}

// ------------------------------------------------------------------------------------------
// Sessions

#[test]
fn a_session_expires_after_seven_idle_days_and_after_thirty_days_in_all() {
    let server = serve(ServeOptions::default());
    let idle = server.sign_in("lumio", &server.demo_email("lumio", 0));
    let busy = server.sign_in("lumio", &server.demo_email("lumio", 1));
    let start = T0;
    let at = |offset: i64, who: &common::serve::SignedIn| {
        server.set_time(start + offset);
        server.session("lumio", Some(&who.cookie))
    };
    let ok = |response: Response| assert_eq!(response.status, 200, "{response}");

    // Idle: seven days since the last use, not since creation.
    ok(at(6 * DAY, &idle));
    ok(at(6 * DAY, &busy));
    ok(at(12 * DAY, &busy));
    ok(at(13 * DAY - 120, &idle));
    ok(at(18 * DAY, &busy));
    at(20 * DAY, &idle).assert_error(401, "UNAUTHORIZED");
    // Absolute: thirty days since sign-in, however busy.
    ok(at(20 * DAY, &busy));
    ok(at(24 * DAY, &busy));
    ok(at(30 * DAY - 120, &busy));
    at(30 * DAY + 120, &busy).assert_error(401, "UNAUTHORIZED");
    // Gone for good, even if the clock were to go back.
    server.set_time(start + 30 * DAY - 600);
    server
        .session("lumio", Some(&idle.cookie))
        .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn logout_deletes_the_session_on_the_server() {
    let server = serve(ServeOptions::default());
    let email = server.demo_email("lumio", 0);
    let phone = server.sign_in("lumio", &email);
    server.advance(61);
    let laptop = server.sign_in("lumio", &email);
    assert_eq!(server.session("lumio", Some(&phone.cookie)).status, 200);

    // Not from the portal's page, or not JSON: refused, and the session stays.
    let logout = server
        .post("lumio", "/api/auth/logout", &json!({}))
        .header("Cookie", &phone.cookie);
    server
        .send(&logout.clone().without("Sec-Fetch-Site"))
        .assert_error(403, "FORBIDDEN");
    server
        .send(&logout.clone().with("Content-Type", "text/plain"))
        .assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(server.session("lumio", Some(&phone.cookie)).status, 200);

    let done = server.send(&logout);
    assert_eq!(done.status, 204, "{done}");
    assert!(done.body.is_empty(), "{done}");
    let cleared = parse_set_cookie(done.header("set-cookie").expect("the cookie is cleared"));
    assert_eq!(cleared.name, "portal_session", "{done}");
    assert_eq!(cleared.value, "", "{done}");
    assert_eq!(cleared.attrs.get("max-age"), Some(&Some("0".to_owned())));
    assert_eq!(cleared.attrs.get("path"), Some(&Some("/".to_owned())));
    // The old cookie, sent again anyway, names nothing any more.
    server
        .session("lumio", Some(&phone.cookie))
        .assert_error(401, "UNAUTHORIZED");
    // The customer's other session is untouched.
    assert_eq!(server.session("lumio", Some(&laptop.cookie)).status, 200);
}

#[test]
fn a_session_works_only_on_the_portal_that_issued_it() {
    let server = serve(ServeOptions::default());
    let lumio = server.sign_in("lumio", &server.demo_email("lumio", 0));
    for slug in ["nordwatt", "lumio-business", "solva"] {
        server
            .session(slug, Some(&lumio.cookie))
            .assert_error(401, "UNAUTHORIZED");
    }
    let nordwatt = server.sign_in("nordwatt", &server.demo_email("nordwatt", 0));
    server
        .session("lumio", Some(&nordwatt.cookie))
        .assert_error(401, "UNAUTHORIZED");
    // Both still work where they belong.
    let own = server.session("lumio", Some(&lumio.cookie));
    assert_eq!(own.status, 200, "{own}");
    assert_eq!(own.json()["customer"]["id"], lumio.customer["id"]);
    let own = server.session("nordwatt", Some(&nordwatt.cookie));
    assert_eq!(own.status, 200, "{own}");
    assert_eq!(own.json()["customer"]["id"], nordwatt.customer["id"]);
}

// ------------------------------------------------------------------------------------------
// Request rules

#[test]
fn state_changes_must_come_same_origin_as_json() {
    let server = serve(without_a_demo());
    let own_origin = server.origin("lumio");
    let mut n = 0;
    let mut next_address = || {
        n += 1;
        format!("visitor.{n}@example.com")
    };
    type Body = fn(String) -> Value;
    let endpoints: [(&str, Body, u16); 4] = [
        ("/api/auth/code", |e| json!({ "email": e }), 202),
        (
            "/api/auth/verify",
            |e| json!({ "email": e, "code": "123456" }),
            401,
        ),
        (
            "/api/auth/magic",
            |_| json!({ "token": "ab".repeat(32) }),
            401,
        ),
        ("/api/auth/logout", |_| json!({}), 204),
    ];
    for (path, body, passes) in endpoints {
        let plain = Req::new("POST", &server.host("lumio"), path).json(&body(next_address()));
        let forbidden = [
            ("no Sec-Fetch-Site, no Origin", plain.clone()),
            (
                "Sec-Fetch-Site: cross-site",
                plain.clone().header("Sec-Fetch-Site", "cross-site"),
            ),
            (
                "Sec-Fetch-Site: same-site",
                plain.clone().header("Sec-Fetch-Site", "same-site"),
            ),
            (
                "Sec-Fetch-Site: none",
                plain.clone().header("Sec-Fetch-Site", "none"),
            ),
            (
                "Sec-Fetch-Site: cross-site with the right Origin",
                plain
                    .clone()
                    .header("Sec-Fetch-Site", "cross-site")
                    .header("Origin", &own_origin),
            ),
            (
                "Origin of another site",
                plain.clone().header("Origin", "http://evil.example"),
            ),
            (
                "Origin of another portal",
                plain.clone().header("Origin", &server.origin("nordwatt")),
            ),
            ("Origin: null", plain.clone().header("Origin", "null")),
            (
                "Origin with another scheme",
                plain.clone().header(
                    "Origin",
                    &format!("https://lumio.localhost:{}", server.port),
                ),
            ),
            (
                "Origin without the port",
                plain.clone().header("Origin", "http://lumio.localhost"),
            ),
        ];
        for (label, req) in forbidden {
            let response = server.send(&req);
            assert_eq!(response.status, 403, "{path}, {label}: {response}");
            response.assert_error(403, "FORBIDDEN");
        }

        let same_origin = plain.clone().header("Sec-Fetch-Site", "same-origin");
        let json_body = same_origin.body.clone().unwrap();
        let not_json = [
            ("text/plain", Some("text/plain")),
            ("no Content-Type", None),
            ("a form", Some("application/x-www-form-urlencoded")),
            ("multipart", Some("multipart/form-data; boundary=x")),
        ];
        for (label, content_type) in not_json {
            let mut req = same_origin.clone().without("Content-Type");
            if let Some(ct) = content_type {
                req = req.header("Content-Type", ct);
            }
            let response = server.send(&req.body(json_body.clone()));
            assert_eq!(response.status, 415, "{path}, {label}: {response}");
            response.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
        }

        // What the portal's own pages send passes both checks.
        let passing = [
            (
                "Sec-Fetch-Site: same-origin",
                Req::new("POST", &server.host("lumio"), path)
                    .header("Sec-Fetch-Site", "same-origin")
                    .json(&body(next_address())),
            ),
            (
                "exact Origin, no Sec-Fetch-Site",
                Req::new("POST", &server.host("lumio"), path)
                    .header("Origin", &own_origin)
                    .json(&body(next_address())),
            ),
            (
                "JSON with a charset",
                Req::new("POST", &server.host("lumio"), path)
                    .header("Sec-Fetch-Site", "same-origin")
                    .json(&body(next_address()))
                    .with("Content-Type", "application/json; charset=utf-8"),
            ),
        ];
        for (label, req) in passing {
            let response = server.send(&req);
            assert_eq!(response.status, passes, "{path}, {label}: {response}");
        }
    }
    // Reading is not a state change.
    let read = server.send(&Req::new("GET", &server.host("lumio"), "/api/session"));
    read.assert_error(401, "UNAUTHORIZED");
}

#[test]
fn request_bodies_are_capped_and_parsed_strictly() {
    let server = serve(without_a_demo());
    let mut request_ids = BTreeSet::new();
    let mut check = |response: &Response, status: u16, code: &str| -> Value {
        let body = response.assert_error(status, code);
        let id = body["requestId"].as_str().unwrap().to_owned();
        assert!(request_ids.insert(id), "request ids are unique: {response}");
        body
    };
    let post = |path: &str, body: &[u8]| {
        server.send(
            &Req::new("POST", &server.host("lumio"), path)
                .header("Sec-Fetch-Site", "same-origin")
                .header("Content-Type", "application/json")
                .body(body.to_vec()),
        )
    };
    // `{"email":"aaa…@example.com"}` of exactly `total` bytes.
    let padded = |total: usize| {
        let body = format!("{{\"email\":\"{}@example.com\"}}", "a".repeat(total - 24));
        assert_eq!(body.len(), total);
        body.into_bytes()
    };

    // 16 KiB pass the cap (and fail as an address); one byte more is refused.
    let at_cap = post("/api/auth/code", &padded(16 * 1024));
    let body = check(&at_cap, 400, "BAD_REQUEST");
    assert!(
        body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["field"] == "email")),
        "{at_cap}"
    );
    check(
        &post("/api/auth/code", &padded(16 * 1024 + 1)),
        413,
        "PAYLOAD_TOO_LARGE",
    );
    check(
        &post("/api/auth/code", &padded(64 * 1024)),
        413,
        "PAYLOAD_TOO_LARGE",
    );
    // Without a Content-Length the cap holds too.
    let chunked = server.send(
        &Req::new("POST", &server.host("lumio"), "/api/auth/code")
            .header("Sec-Fetch-Site", "same-origin")
            .header("Content-Type", "application/json")
            .body(padded(20 * 1024))
            .chunked(),
    );
    check(&chunked, 413, "PAYLOAD_TOO_LARGE");

    // Malformed JSON and unknown fields, on every state change (logout last, below).
    let strict =
        |path: &str, unknown_field: Value, check: &mut dyn FnMut(&Response, u16, &str) -> Value| {
            for malformed in [&b"{\"email\":"[..], b"not json", b"", b"{}{}", b"{'a':1}"] {
                check(&post(path, malformed), 400, "BAD_REQUEST");
            }
            let response = post(path, unknown_field.to_string().as_bytes());
            let body = check(&response, 400, "BAD_REQUEST");
            assert!(
                body["errors"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["code"] == "unrecognized_keys")),
                "{path}: errors[] names the unknown key: {response}"
            );
        };
    strict(
        "/api/auth/code",
        json!({ "email": "someone@example.com", "isAdmin": true }),
        &mut check,
    );
    strict(
        "/api/auth/verify",
        json!({ "email": "someone@example.com", "code": "123456", "customerId": "cus_1" }),
        &mut check,
    );
    strict(
        "/api/auth/magic",
        json!({ "token": "ab".repeat(32), "next": "/" }),
        &mut check,
    );
    // Wrong types and missing fields.
    let response = post("/api/auth/code", br#"{"email": 5}"#);
    let body = check(&response, 400, "BAD_REQUEST");
    assert!(
        body["errors"].as_array().is_some_and(|e| e
            .iter()
            .any(|e| e["code"] == "invalid_type" && e["field"] == "email")),
        "{response}"
    );
    check(&post("/api/auth/code", b"{}"), 400, "BAD_REQUEST");
    check(&post("/api/auth/code", b"[]"), 400, "BAD_REQUEST");
    let response = post("/api/auth/code", br#"{"email": "not-an-address"}"#);
    let body = check(&response, 400, "BAD_REQUEST");
    assert!(
        body["errors"].as_array().is_some_and(|e| e
            .iter()
            .any(|e| e["code"] == "invalid_format" && e["field"] == "email")),
        "{response}"
    );
    // A code that is not six digits is a bad request, not a failed try.
    for code in ["12345", "1234567", "12a456", "", "12 456"] {
        let body = json!({ "email": "someone@example.com", "code": code }).to_string();
        check(
            &post("/api/auth/verify", body.as_bytes()),
            400,
            "BAD_REQUEST",
        );
    }
    // Unknown API paths and wrong methods, in the same envelope.
    check(&server.get("lumio", "/api/no-such-thing"), 404, "NOT_FOUND");
    check(
        &server.get("lumio", "/api/auth/code"),
        405,
        "METHOD_NOT_ALLOWED",
    );
    // Logout takes `{}` and is held to the same rules.
    strict(
        "/api/auth/logout",
        json!({ "everywhere": true }),
        &mut check,
    );
}

#[test]
fn hosts_health_static_files_and_no_cors() {
    let server = serve(without_a_demo());
    let port = server.port;
    let unknown = [
        format!("evil.localhost:{port}"),
        format!("a.lumio.localhost:{port}"),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "example.com".to_owned(),
        "customerportal.energy".to_owned(),
        "lumio.customerportal.energy.evil.example".to_owned(),
        "evil.example".to_owned(),
    ];
    for host in &unknown {
        let page = server.send(&Req::new("GET", host, "/"));
        assert_eq!(page.status, 404, "{page}");
        assert!(
            page.header("content-type")
                .is_some_and(|ct| ct.starts_with("text/")),
            "{page}"
        );
        let api = server.send(&Req::new("GET", host, "/api/session"));
        assert_eq!(api.status, 404, "{api}");
        let post = server.send(
            &Req::new("POST", host, "/api/auth/code")
                .header("Sec-Fetch-Site", "same-origin")
                .json(&json!({ "email": "someone@example.com" })),
        );
        assert_eq!(post.status, 404, "{post}");
    }

    let mut hosts = unknown.to_vec();
    hosts.push(server.host("lumio"));
    hosts.push("lumio.customerportal.energy".to_owned());
    for host in &hosts {
        let health = server.send(&Req::new("GET", host, "/healthz"));
        assert_eq!(health.status, 200, "{health}");
        assert_eq!(health.json(), json!({ "status": "ok" }), "{health}");
    }

    // Bundles by host: plain-HTTP localhost without HSTS, the production host with it.
    let local = server.get("lumio", "/");
    assert_eq!(local.status, 200, "{local}");
    assert!(
        local
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "{local}"
    );
    assert!(
        local.header("strict-transport-security").is_none(),
        "{local}"
    );
    assert!(
        !local
            .header("content-security-policy")
            .unwrap_or_default()
            .contains("upgrade-insecure-requests"),
        "{local}"
    );
    let production = server.send(&Req::new("GET", "lumio.customerportal.energy", "/"));
    assert_eq!(production.status, 200, "{production}");
    assert!(
        production.header("strict-transport-security").is_some(),
        "{production}"
    );
    assert_eq!(local.body, production.body);

    // A CORS preflight and cross-origin calls get no Access-Control-* header (checked on every
    // answer by the client).
    server.send(
        &Req::new("OPTIONS", &server.host("lumio"), "/api/auth/code")
            .header("Origin", "http://evil.example")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type"),
    );
    server
        .send(
            &Req::new("GET", &server.host("lumio"), "/api/session")
                .header("Origin", "http://evil.example"),
        )
        .assert_error(401, "UNAUTHORIZED");
    server
        .send(
            &Req::new("POST", &server.host("lumio"), "/api/auth/code")
                .header("Origin", "http://evil.example")
                .json(&json!({ "email": "someone@example.com" })),
        )
        .assert_error(403, "FORBIDDEN");
    let page = server.send(
        &Req::new("GET", &server.host("lumio"), "/login/").header("Origin", "http://evil.example"),
    );
    assert_eq!(page.status, 200, "{page}");
}

#[test]
fn text_is_gzip_compressed_for_clients_that_accept_it() {
    let prepared = prepare();
    let key = prepared.keys_create("lumio");
    let server = prepared.start(ServeOptions::default());
    let host = server.host("lumio");
    let gzip = |path: &str, accept: &str| {
        server.send(&Req::new("GET", &host, path).header("Accept-Encoding", accept))
    };
    let unpack = |body: &[u8]| {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut text)
            .expect("a gzip body");
        text
    };

    // The app's stylesheet: identity without Accept-Encoding, gzip with it, same bytes unpacked.
    let page = server.get("lumio", "/login/");
    let css = page
        .text()
        .split('"')
        .find(|part| part.starts_with("/assets/app.") && part.ends_with(".css"))
        .expect("the page links its stylesheet")
        .to_owned();
    let plain = server.get("lumio", &css);
    assert_eq!(plain.header("content-encoding"), None, "{plain}");
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"), "{plain}");
    let packed = gzip(&css, "gzip, deflate, br");
    assert_eq!(packed.header("content-encoding"), Some("gzip"), "{packed}");
    assert!(packed.body.len() * 3 < plain.body.len(), "{packed}");
    assert_eq!(unpack(&packed.body), plain.body);
    // An explicit refusal is honoured.
    let refused = gzip(&css, "gzip;q=0, identity");
    assert_eq!(refused.header("content-encoding"), None, "{refused}");
    assert_eq!(refused.body, plain.body);

    // Pages and the API's JSON too; images that are already compressed and small bodies not.
    assert_eq!(
        gzip("/login/", "gzip").header("content-encoding"),
        Some("gzip")
    );
    let document = gzip("/api/openapi.json", "gzip");
    assert_eq!(document.header("content-encoding"), Some("gzip"));
    assert_eq!(
        unpack(&document.body),
        server.get("lumio", "/api/openapi.json").body
    );
    let session = gzip("/api/session", "gzip");
    assert_eq!(session.status, 401);
    assert_eq!(session.header("content-encoding"), None, "{session}");

    // The sign-in link answer never is, however long: its length must not hint at its token.
    let anna = server.sign_in("lumio", &server.demo_email("lumio", 0));
    let next = format!("/help/de/{}/", "a".repeat(1500));
    let link = server.send(
        &Req::new(
            "POST",
            &format!("localhost:{}", server.port),
            "/admin/magic_link",
        )
        .header("Authorization", &format!("Bearer {key}"))
        .header("Accept-Encoding", "gzip")
        .json(&json!({ "customerId": anna.customer["id"], "next": next })),
    );
    assert_eq!(link.status, 200, "{link}");
    assert!(link.body.len() > 1024, "{link}");
    assert_eq!(link.header("content-encoding"), None, "{link}");
}

// ------------------------------------------------------------------------------------------
// Portal SSO

/// `(token, next)` of a link, which must point at `slug`'s local login page.
fn link_parts(server: &Server, response: &Response, slug: &str) -> (String, String) {
    assert_eq!(response.status, 200, "{response}");
    let body = response.json();
    assert_eq!(body["object"], "magic_link", "{response}");
    let link = body["link"].as_str().expect("link");
    let prefix = format!("http://{slug}.localhost:{}/login/?magic=", server.port);
    let rest = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link} starts with {prefix}"));
    let (token, next) = rest
        .split_once("&next=")
        .unwrap_or_else(|| panic!("{link} has magic and next"));
    assert!(is_hex(token, 64), "at least 128 random bits: {link}");
    (token.to_owned(), next.to_owned())
}

#[test]
fn sso_links_sign_in_once_and_opening_them_consumes_nothing() {
    let prepared = prepare();
    // A key made before the server starts, and one while it runs.
    let lumio_key = prepared.keys_create("lumio");
    let server = prepared.start(ServeOptions::default());
    let nordwatt_key = server.keys_create("nordwatt");
    assert_ne!(lumio_key, nordwatt_key);

    let anna = server.sign_in("lumio", &server.demo_email("lumio", 0));
    let customer = anna.customer["id"].as_str().unwrap().to_owned();
    let link = |key: &str| server.magic_link(Some(key), &json!({ "customerId": customer }));

    // The backend's request needs no browser headers; the link points at lumio's login page.
    let (token, next) = link_parts(&server, &link(&lumio_key), "lumio");
    assert_eq!(next, "%2F");
    let login_path = format!("/login/?magic={token}&next={next}");
    // Opening it (a mail scanner, a preview, the browser) serves the page and consumes nothing.
    for method in ["GET", "HEAD", "GET", "HEAD"] {
        let opened = server.send(&Req::new(method, &server.host("lumio"), &login_path));
        assert_eq!(opened.status, 200, "{opened}");
        assert!(
            opened
                .header("content-type")
                .is_some_and(|ct| ct.starts_with("text/html")),
            "{opened}"
        );
        assert!(opened.header("set-cookie").is_none(), "{opened}");
    }
    let used = server.use_magic("lumio", &token);
    assert_eq!(used.status, 200, "{used}");
    let body = used.json();
    assert_eq!(body["object"], "session", "{used}");
    assert_eq!(body["customer"]["id"], customer.as_str(), "{used}");
    assert_eq!(body["next"], "/", "{used}");
    let session = signed_in(used, String::new());
    assert_ne!(session.token, anna.token);
    let cookie = parse_set_cookie(session.response.header("set-cookie").unwrap());
    assert_eq!(cookie.name, "portal_session");
    assert!(cookie.attrs.contains_key("httponly"));
    assert_eq!(
        cookie.attrs.get("samesite"),
        Some(&Some("Strict".to_owned()))
    );
    assert_eq!(server.session("lumio", Some(&session.cookie)).status, 200);
    // Single use.
    server
        .use_magic("lumio", &token)
        .assert_error(401, "UNAUTHORIZED");
    server
        .use_magic("lumio", &"ab".repeat(32))
        .assert_error(401, "UNAUTHORIZED");

    // Only on the portal the link is for.
    let (other_token, _) = link_parts(&server, &link(&lumio_key), "lumio");
    for slug in ["nordwatt", "lumio-business"] {
        server
            .use_magic(slug, &other_token)
            .assert_error(401, "UNAUTHORIZED");
    }

    // Five minutes.
    let created = server.now();
    let (fresh, _) = link_parts(&server, &link(&lumio_key), "lumio");
    let (stale, _) = link_parts(&server, &link(&lumio_key), "lumio");
    server.set_time(created + 290);
    let response = server.use_magic("lumio", &fresh);
    assert_eq!(
        response.status, 200,
        "valid just under five minutes: {response}"
    );
    let fresh_session = signed_in(response, String::new());
    server.set_time(created + 301);
    server
        .use_magic("lumio", &stale)
        .assert_error(401, "UNAUTHORIZED");

    // Keys: none, malformed, unknown, altered → 401, before anything about the customer.
    let unknown_customer = json!({ "customerId": "cus_doesnotexist" });
    let altered = {
        let mut key = lumio_key.clone();
        let last = key.pop().unwrap();
        key.push(if last == '0' { '1' } else { '0' });
        key
    };
    for key in [
        None,
        Some(format!("pgk_{}", "0".repeat(64))),
        Some(altered),
        Some("not-a-key".to_owned()),
    ] {
        for body in [&json!({ "customerId": customer }), &unknown_customer] {
            server
                .magic_link(key.as_deref(), body)
                .assert_error(401, "UNAUTHORIZED");
        }
    }
    let basic = server.send(
        &Req::new(
            "POST",
            &format!("localhost:{}", server.port),
            "/admin/magic_link",
        )
        .header("Authorization", &format!("Basic {lumio_key}"))
        .json(&json!({ "customerId": customer })),
    );
    basic.assert_error(401, "UNAUTHORIZED");

    // A key reaches only its own organization's customers.
    link(&nordwatt_key).assert_error(404, "NOT_FOUND");
    server
        .magic_link(Some(&lumio_key), &unknown_customer)
        .assert_error(404, "NOT_FOUND");
    let nordwatt = server.sign_in("nordwatt", &server.demo_email("nordwatt", 0));
    let nordwatt_customer = json!({ "customerId": nordwatt.customer["id"] });
    server
        .magic_link(Some(&lumio_key), &nordwatt_customer)
        .assert_error(404, "NOT_FOUND");
    let (nordwatt_token, _) = link_parts(
        &server,
        &server.magic_link(Some(&nordwatt_key), &nordwatt_customer),
        "nordwatt",
    );

    // Nothing secret in the output, though the log shows the link was opened.
    server.assert_output_free_of(&[
        &lumio_key,
        &nordwatt_key,
        &token,
        &other_token,
        &fresh,
        &stale,
        &nordwatt_token,
        &anna.code,
        &anna.token,
        &nordwatt.code,
        &nordwatt.token,
        &session.token,
        &fresh_session.token,
    ]);
    let log = server.log();
    let opened = format!("GET lumio.localhost:{}/login/ 200", server.port);
    assert!(log.contains(&opened), "the log has {opened:?}:\n{log}");
    assert!(
        !log.contains("magic="),
        "no query string in the log:\n{log}"
    );
}

#[test]
fn sso_next_is_a_portal_path_or_else_the_dashboard() {
    let prepared = prepare();
    let key = prepared.keys_create("lumio");
    let server = prepared.start(ServeOptions::default());
    let anna = server.sign_in("lumio", &server.demo_email("lumio", 0));
    let customer = anna.customer["id"].clone();

    let evil = [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "/..//evil.example",
        "https://evil.example",
        "/\t/evil.example",
        "/invoices/\t//evil.example",
        "/\n/evil.example",
        "/invoices/\u{0}",
        "/\u{1b}/evil.example",
        "/no-such-page/",
        "javascript:alert(1)",
    ];
    for next in evil {
        let response =
            server.magic_link(Some(&key), &json!({ "customerId": customer, "next": next }));
        let (token, link_next) = link_parts(&server, &response, "lumio");
        assert_eq!(link_next, "%2F", "next {next:?}: {response}");
        assert!(
            !response.text().contains("evil"),
            "next {next:?}: {response}"
        );
        let used = server.use_magic("lumio", &token);
        assert_eq!(used.status, 200, "{used}");
        assert_eq!(used.json()["next"], "/", "next {next:?}: {used}");
    }

    for (next, escaped) in [
        ("/invoices/", "%2Finvoices%2F"),
        ("/consumption/", "%2Fconsumption%2F"),
    ] {
        let response =
            server.magic_link(Some(&key), &json!({ "customerId": customer, "next": next }));
        let (token, link_next) = link_parts(&server, &response, "lumio");
        assert_eq!(link_next, escaped, "{response}");
        let used = server.use_magic("lumio", &token);
        assert_eq!(used.status, 200, "{used}");
        assert_eq!(used.json()["next"], next, "{used}");
    }
}
