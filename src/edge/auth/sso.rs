//! Portal single sign-on, as Nomos does it: the retailer's backend asks `POST /admin/magic_link`
//! with its organization's API key for a link that signs one of its customers in. The link is
//! random (256 bits), valid five minutes, single use. Opening it only shows the sign-in page (mail
//! scanners open links); the page's confirm step posts the token, which starts the session and
//! lands on `next`, a path of the portal or else the dashboard.

use serde::Deserialize;
use serde_json::json;

use super::limits::Action;
use super::secret::{Purpose, random_token};
use super::sessions;
use crate::edge::api::{Answer, ApiError, ApiRequest};
use crate::edge::store::{auth as store, customers};
use crate::edge::{Call, Edge};
use crate::routes::ROUTES;

pub const LINK_VALID_SECONDS: i64 = 300;
/// Prefix of the API keys `portalgen keys create` makes.
pub const API_KEY_PREFIX: &str = "pgk_";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LinkRequest {
    customer_id: String,
    next: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkUse {
    token: String,
}

/// `POST /admin/magic_link {"customerId", "next"?}` with `Authorization: Bearer <API key>`.
pub fn create_link(
    edge: &Edge,
    conn: &mut rusqlite::Connection,
    req: &ApiRequest,
    now: i64,
) -> Result<Answer, ApiError> {
    let key = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| k.starts_with(API_KEY_PREFIX));
    let org = match key {
        Some(key) => store::org_of_api_key(conn, &edge.secret.hash(Purpose::ApiKey, &[key]))?,
        None => None,
    };
    let org = org.ok_or_else(|| ApiError::unauthorized("A valid API key is required."))?;
    req.require_json()?;
    let body: LinkRequest = req.json()?;
    // Another organization's customer is as unknown as one that does not exist.
    let customer = customers::customer_in_org(conn, &org, &body.customer_id)?
        .ok_or_else(ApiError::not_found)?;
    let token = random_token(32).map_err(|_| ApiError::internal())?;
    let next = portal_path(body.next.as_deref().unwrap_or("/"));
    store::create_magic_link(
        conn,
        &edge.secret.hash(Purpose::MagicLink, &[&token]),
        &customer.plan_slug,
        &customer.id,
        &next,
        now,
        now + LINK_VALID_SECONDS,
    )?;
    let base = edge.sites.url(&customer.plan_slug, edge.local_port(req));
    let link = format!("{base}/login/?magic={token}&next={}", query_escape(&next));
    Ok(Answer::json(
        200,
        json!({ "object": "magic_link", "link": link }),
    ))
}

/// `POST /api/auth/magic {token}`: the confirm step of a link.
pub fn use_link(call: &mut Call) -> Result<Answer, ApiError> {
    call.req.require_same_origin_json()?;
    let body: LinkUse = call.req.json()?;
    call.edge
        .limits
        .check(&call.client(), Action::UseMagicLink, call.now)?;
    let invalid = || {
        ApiError::unauthorized(
            "This sign-in link is not valid any more. Sign in with a code instead.",
        )
    };
    if body.token.len() != 64 || !body.token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let hash = call.edge.secret.hash(Purpose::MagicLink, &[&body.token]);
    let slug = call.visit.site.slug.clone();
    let (customer_id, next) =
        store::consume_magic_link(call.conn, &hash, &slug, call.now)?.ok_or_else(invalid)?;
    let mut answer = sessions::sign_in(call, &customer_id)?;
    if let Some(body) = answer.body.as_mut() {
        body["next"] = json!(portal_path(&next));
    }
    Ok(answer)
}

/// `candidate` if it is a path of a portal route on the same origin, else the dashboard `/`.
/// Only plain path characters pass, so no scheme, host, backslash, encoded slash, dot segment
/// or control character can turn it into a way off the site.
pub fn portal_path(candidate: &str) -> String {
    let plain = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'))
        && !candidate.contains("//");
    let known = ROUTES.iter().any(|route| {
        route.path == candidate
            || (route.path != "/"
                && (candidate.starts_with(route.path)
                    || route.path.strip_suffix('/') == Some(candidate)))
    });
    if plain && known {
        candidate.to_owned()
    } else {
        "/".to_owned()
    }
}

fn query_escape(path: &str) -> String {
    path.replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::portal_path;

    #[test]
    fn only_paths_of_the_portal_survive() {
        for good in [
            "/",
            "/invoices/",
            "/invoices",
            "/invoices/inv_123",
            "/account/",
        ] {
            assert_eq!(portal_path(good), good, "{good}");
        }
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2F%2Fevil.example",
            "/..//evil.example",
            "https://evil.example",
            "/invoices/\t/evil",
            "/invoices/\u{0}",
            "/nowhere/",
            "",
            "invoices/",
            "/invoices/../../x",
        ] {
            assert_eq!(portal_path(evil), "/", "{evil:?}");
        }
    }
}
