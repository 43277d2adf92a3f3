//! The OpenAPI 3.1 document of the edge (issue 5, point 10): it lists every path the server
//! answers, is served at `/api/openapi.json`, and — against the real binary with the demo data —
//! every documented GET answers with a status the document lists, in a JSON body that has every
//! property the document marks `required` (a small checker over `$ref`, `allOf`, `anyOf`,
//! `properties` and `items`, enough to catch drift).

mod common;

use common::serve::{Req, ServeOptions, serve};
use serde_json::Value;

const DOCUMENT: &str = include_str!("../src/edge/openapi.json");

const PATHS: &[&str] = &[
    "/api/auth/code",
    "/api/auth/verify",
    "/api/auth/magic",
    "/api/auth/logout",
    "/api/session",
    "/api/customers/{id}",
    "/api/subscriptions",
    "/api/subscriptions/{id}",
    "/api/subscriptions/{id}/terminate",
    "/api/subscriptions/{id}/meter-swap",
    "/api/subscriptions/{id}/prices",
    "/api/subscriptions/{id}/usage",
    "/api/subscriptions/{id}/dashboard",
    "/api/invoices",
    "/api/invoices/{id}",
    "/api/invoices/{id}/file",
    "/api/meter-readings",
    "/api/meter-orders",
    "/api/meter-orders/{id}",
    "/api/products",
    "/admin/magic_link",
    "/webhooks/nomos/{org}",
    "/healthz",
    "/api/openapi.json",
];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("src/edge/openapi.json is JSON")
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(pointer) => {
            let target = doc
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {pointer}"));
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Problems of `value` against `schema`: missing required properties, objects where the
/// schema has none, arrays where it has none, null where it is not allowed.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(doc, part, value, at, problems);
        }
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let fits = any.iter().any(|part| {
            let mut mine = Vec::new();
            check(doc, part, value, at, &mut mine);
            mine.is_empty()
        });
        if !fits {
            problems.push(format!("{at}: fits none of anyOf"));
        }
        return;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if value.is_null() {
        if !types.is_empty() && !types.contains(&"null") {
            problems.push(format!("{at}: null, but the type is {types:?}"));
        }
        return;
    }
    let type_ok = types.is_empty()
        || types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            _ => false,
        });
    if !type_ok {
        problems.push(format!("{at}: {value} is not of type {types:?}"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(object) = value.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                problems.push(format!("{at}: required property `{name}` is missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, inner) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => check(doc, property, inner, &format!("{at}.{name}"), problems),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}: property `{name}` is not in the document"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate().take(200) {
            check(doc, items, item, &format!("{at}[{i}]"), problems);
        }
    }
}

#[test]
fn the_document_is_openapi_3_1_with_every_path() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3.1."),
        "openapi: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in PATHS {
        assert!(paths.contains_key(*path), "{path} is not documented");
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}: no responses");
            for response in responses.values() {
                // Every $ref in the document resolves.
                let _ = resolve(&doc, response);
            }
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        assert!(
            doc.pointer(r.trim_start_matches('#')).is_some(),
            "dangling $ref {r}"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push(v.as_str().unwrap_or_default().to_owned());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_documented_get_answers_as_documented() {
    let doc = document();
    let server = serve(ServeOptions::default());
    let slug = "lumio";
    let email = server.demo_email(slug, 0);
    let me = server.sign_in(slug, &email);
    let get = |path: &str| {
        server.send(&Req::new("GET", &server.host(slug), path).header("Cookie", &me.cookie))
    };

    let served = get("/api/openapi.json");
    assert_eq!(served.status, 200, "{served}");
    assert_eq!(served.json(), doc, "/api/openapi.json serves the document");
    let anonymous = server.get(slug, "/api/openapi.json");
    assert_eq!(anonymous.status, 200, "no session needed: {anonymous}");

    let first_id = |path: &str| {
        let list = get(path).json();
        list["items"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no items: {list}"))
            .to_owned()
    };
    let customer = me.customer["id"].as_str().unwrap().to_owned();
    let subscriptions = get("/api/subscriptions").json();
    let subscription_ids: Vec<String> = subscriptions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let invoice = first_id("/api/invoices");
    let order = first_id("/api/meter-orders");

    let mut checked = 0;
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let concrete: Vec<String> = if path.starts_with("/api/subscriptions/{id}") {
            subscription_ids
                .iter()
                .map(|id| path.replace("{id}", id))
                .collect()
        } else {
            vec![
                path.replace("/customers/{id}", &format!("/customers/{customer}"))
                    .replace("/invoices/{id}", &format!("/invoices/{invoice}"))
                    .replace("/meter-orders/{id}", &format!("/meter-orders/{order}")),
            ]
        };
        for mut url in concrete {
            if path.ends_with("/prices") {
                url.push_str("?start=2026-05-28&end=2026-05-29");
            }
            let answer = get(&url);
            checked += 1;
            let status = answer.status.to_string();
            let Some(response) = operation["responses"].get(&status) else {
                problems.push(format!(
                    "GET {url}: status {status} is not documented: {answer}"
                ));
                continue;
            };
            let response = resolve(&doc, response);
            let Some(schema) = response.pointer("/content/application~1json/schema") else {
                continue;
            };
            let mut mine = Vec::new();
            check(&doc, schema, &answer.json(), "$", &mut mine);
            problems.extend(mine.into_iter().map(|p| format!("GET {url} {status}: {p}")));
        }
    }
    assert!(checked >= 15, "only {checked} GETs checked");

    // Errors are in the documented envelope too.
    for url in [
        "/api/invoices?limit=0",
        "/api/invoices/inv_nothere",
        "/api/subscriptions/sub_nothere/prices?start=2026-05-28&end=2026-05-28",
    ] {
        let answer = get(url);
        let schema = json_pointer(&doc, "/components/schemas/Error");
        let mut mine = Vec::new();
        check(&doc, &schema, &answer.json(), "$", &mut mine);
        problems.extend(mine.into_iter().map(|p| format!("GET {url}: {p}")));
    }
    let signed_out = server.get(slug, "/api/subscriptions");
    assert_eq!(signed_out.status, 401, "{signed_out}");

    assert!(
        problems.is_empty(),
        "the server drifted from src/edge/openapi.json:\n{}",
        problems.join("\n")
    );
}

fn json_pointer(doc: &Value, pointer: &str) -> Value {
    doc.pointer(pointer).cloned().unwrap()
}
