//! `POST /webhooks/nomos/<org>`: Nomos events about an organization's subscriptions, invoices
//! and meter orders (webhooks-asyncapi.yml, version 2026-05-27.curie).
//!
//! The signature is checked before anything of the body is parsed; an unknown organization, one
//! without a signing secret and a bad, missing or stale signature all get the same 401. A
//! verified event is handled in one immediate transaction: its id is noted (per organization,
//! kept a week, longer than Nomos retries), a redelivery answers 200 without applying again, and
//! the change it announces is applied (`store::lifecycle`). Events about objects the
//! organization does not have (another organization's included) are acknowledged with 200 and
//! change nothing: a 4xx would only make Nomos retry for days what can never succeed.

mod secret;
mod signature;
mod topics;

use rusqlite::{Connection, TransactionBehavior};
use serde_json::json;

use super::api::{Answer, ApiError, ApiRequest};
use super::auth::secret::ServerSecret;
use super::store::lifecycle::Outcome;
use super::store::webhooks as store;
use super::{Edge, log};
use topics::Event;

/// How long handled event ids are kept (at least 72 hours; Nomos retries for about three days).
/// An event older than this is acknowledged but not applied: its earlier delivery may have been
/// forgotten already.
const DEDUPE_SECONDS: i64 = 7 * 86_400;

pub fn receive(
    edge: &Edge,
    conn: &mut Connection,
    req: &ApiRequest,
    org: &str,
    now: i64,
) -> Result<Answer, ApiError> {
    let key = signing_key(&edge.secret, conn, org)?;
    let header = req.header(signature::HEADER);
    if !signature::verify(key.as_deref().map(str::as_bytes), header, &req.body, now) {
        return Err(ApiError::unauthorized(
            "The webhook signature is missing, invalid or expired.",
        ));
    }
    let event = Event::parse(&req.body, now)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    store::forget_events_before(&tx, now - DEDUPE_SECONDS)?;
    let outcome = if !store::record_event(&tx, org, &event.id, &event.topic, now)? {
        "duplicate"
    } else if event.at < now - DEDUPE_SECONDS {
        "stale"
    } else {
        match topics::apply(&tx, org, &event)? {
            Some(Outcome::Applied) => "applied",
            Some(Outcome::Unchanged) => "unchanged",
            Some(Outcome::NotFound) => "unknown_object",
            None => "unknown_topic",
        }
    };
    tx.commit()?;
    Ok(Answer::json(
        200,
        json!({
            "object": "webhook_receipt",
            "event": event.id,
            "topic": event.topic,
            "outcome": outcome,
        }),
    ))
}

/// The organization's signing secret, if it has one that opens with the server secret.
fn signing_key(
    server: &ServerSecret,
    conn: &Connection,
    org: &str,
) -> Result<Option<String>, ApiError> {
    let Some(sealed) = store::secret(conn, org)? else {
        return Ok(None);
    };
    let key = secret::unseal(server, org, &sealed);
    if key.is_none() {
        log(&format!(
            "webhooks: the signing secret of `{org}` does not open with this server secret (was \
             the secret file replaced?); make a new one with `portalgen keys webhook-secret --org \
             {org}`"
        ));
    }
    Ok(key)
}

/// A new signing secret for `org`, replacing the one it had; returned as shown to the operator.
pub fn create_secret(
    conn: &Connection,
    server: &ServerSecret,
    org: &str,
    now: i64,
) -> std::io::Result<String> {
    let (shown, sealed) = secret::create(server, org)?;
    store::put_secret(conn, org, &sealed, now).map_err(std::io::Error::other)?;
    Ok(shown)
}
