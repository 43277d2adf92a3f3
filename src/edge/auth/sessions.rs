//! Sessions: a random 256-bit id in an HttpOnly, SameSite=Strict cookie (`__Host-` and Secure on
//! HTTPS hosts), stored only as a keyed hash, valid on the plan slug that issued it, for seven
//! idle days and thirty days at most. Signing in always starts a new session.

use serde::Deserialize;
use serde_json::{Value, json};

use super::secret::{Purpose, random_token};
use crate::edge::Call;
use crate::edge::api::{Answer, ApiError};
use crate::edge::store::auth::{self as store, SecretHash, SessionRecord};
use crate::edge::store::customers::{self, CustomerRecord};
use crate::edge::store::nomos::Customer;

pub const IDLE_SECONDS: i64 = 7 * 86_400;
pub const ABSOLUTE_SECONDS: i64 = 30 * 86_400;
/// A session's last use is written at most this often.
const TOUCH_AFTER_SECONDS: i64 = 60;

const SECURE_COOKIE: &str = "__Host-portal_session";
/// Plain-HTTP local development cannot set `Secure` or `__Host-` cookies.
const LOCAL_COOKIE: &str = "portal_session";

/// The body of a request that takes no fields: `{}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// The signed-in customer of a request.
pub struct SignedIn {
    pub id_hash: SecretHash,
    pub session: SessionRecord,
    pub customer: CustomerRecord,
}

/// Starts a session for `customer_id`, replacing the one the browser had.
pub fn sign_in(call: &mut Call, customer_id: &str) -> Result<Answer, ApiError> {
    let slug = call.visit.site.slug.clone();
    if let Some(old) = cookie_token(call) {
        let old_hash = call.edge.secret.hash(Purpose::Session, &[&old]);
        store::delete_session(call.conn, &old_hash)?;
    }
    let token = random_token(32).map_err(|_| ApiError::internal())?;
    let id_hash = call.edge.secret.hash(Purpose::Session, &[&token]);
    store::create_session(call.conn, &id_hash, &slug, customer_id, call.now)?;
    let customer =
        customers::customer(call.conn, &slug, customer_id)?.ok_or_else(ApiError::internal)?;
    let session = SessionRecord {
        customer_id: customer_id.to_owned(),
        created_at: call.now,
        last_seen_at: call.now,
    };
    Ok(Answer::json(200, session_json(&session, &customer))
        .with_header("Set-Cookie", cookie(call, &token, ABSOLUTE_SECONDS)))
}

/// The request's session, if it carries a valid one for this plan slug.
pub fn current(call: &mut Call) -> Result<Option<SignedIn>, ApiError> {
    let Some(token) = cookie_token(call) else {
        return Ok(None);
    };
    let id_hash = call.edge.secret.hash(Purpose::Session, &[&token]);
    let slug = call.visit.site.slug.clone();
    let Some(session) = store::session(call.conn, &id_hash, &slug)? else {
        return Ok(None);
    };
    let now = call.now;
    if now - session.last_seen_at >= IDLE_SECONDS || now - session.created_at >= ABSOLUTE_SECONDS {
        store::delete_session(call.conn, &id_hash)?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_AFTER_SECONDS {
        store::touch_session(call.conn, &id_hash, now)?;
    }
    let Some(customer) = customers::customer(call.conn, &slug, &session.customer_id)? else {
        return Ok(None);
    };
    Ok(Some(SignedIn {
        id_hash,
        session,
        customer,
    }))
}

/// The signed-in customer, or 401.
pub fn require(call: &mut Call) -> Result<SignedIn, ApiError> {
    current(call)?.ok_or_else(|| ApiError::unauthorized("Please sign in."))
}

/// `GET /api/session`.
pub fn show(call: &mut Call) -> Result<Answer, ApiError> {
    let signed_in = require(call)?;
    Ok(Answer::json(
        200,
        session_json(&signed_in.session, &signed_in.customer),
    ))
}

/// `POST /api/auth/logout`: the server forgets the session; the cookie is cleared.
pub fn sign_out(call: &mut Call) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let _: NoFields = call.req.json()?;
    if let Some(signed_in) = current(call)? {
        store::delete_session(call.conn, &signed_in.id_hash)?;
    }
    Ok(Answer::no_content().with_header("Set-Cookie", cookie(call, "", 0)))
}

fn session_json(session: &SessionRecord, customer: &CustomerRecord) -> Value {
    let expires = (session.created_at + ABSOLUTE_SECONDS).min(session.last_seen_at + IDLE_SECONDS);
    json!({
        "object": "session",
        "customer": Customer::from(customer),
        "created_at": iso(session.created_at),
        "expires_at": iso(expires),
    })
}

fn iso(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn cookie_name(call: &Call) -> &'static str {
    if call.visit.local {
        LOCAL_COOKIE
    } else {
        SECURE_COOKIE
    }
}

fn cookie(call: &Call, value: &str, max_age: i64) -> String {
    let secure = if call.visit.local { "" } else { "; Secure" };
    format!(
        "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
        cookie_name(call)
    )
}

/// The session token from the `Cookie` header, if it has the expected shape.
fn cookie_token(call: &Call) -> Option<String> {
    let name = cookie_name(call);
    call.req
        .header("cookie")?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}
