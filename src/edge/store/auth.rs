//! Sign-in state in the store: e-mailed codes, sessions, single sign-on links and API keys. Every
//! secret arrives here already hashed; the single-use rules are enforced by conditional updates
//! inside immediate transactions, so concurrent requests cannot both succeed.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Hash of a secret (code, session id, link token, API key).
pub type SecretHash = [u8; 32];

/// A customer's session as stored.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub customer_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// Records a code request for an address (known or not) and forgets requests older than a day.
pub fn record_code_request(
    conn: &Connection,
    slug: &str,
    email: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM login_code_requests WHERE requested_at < ?1",
        [now - 86_400],
    )?;
    conn.execute(
        "INSERT INTO login_code_requests (plan_slug, email_normalized, requested_at)
         VALUES (?1, ?2, ?3)",
        params![slug, email, now],
    )?;
    Ok(())
}

/// Times of the address's code requests after `since`, oldest first.
pub fn code_requests_since(
    conn: &Connection,
    slug: &str,
    email: &str,
    since: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT requested_at FROM login_code_requests
         WHERE plan_slug = ?1 AND email_normalized = ?2 AND requested_at > ?3
         ORDER BY requested_at",
    )?;
    let rows = stmt.query_map(params![slug, email, since], |r| r.get(0))?;
    rows.collect()
}

/// Stores a new code for the address; every earlier code of the address stops working.
pub fn issue_code(
    conn: &mut Connection,
    slug: &str,
    email: &str,
    code_hash: &SecretHash,
    now: i64,
    expires_at: i64,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE login_codes SET superseded_at = ?3
         WHERE plan_slug = ?1 AND email_normalized = ?2
           AND consumed_at IS NULL AND superseded_at IS NULL",
        params![slug, email, now],
    )?;
    tx.execute(
        "INSERT INTO login_codes (plan_slug, email_normalized, code_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![slug, email, code_hash.as_slice(), now, expires_at],
    )?;
    tx.commit()
}

/// Checks a submitted code against the address's current code with `matches` (a constant-time
/// comparison of hashes). The code is consumed on success; a miss counts against its tries.
/// Returns whether the code was accepted.
pub fn verify_code(
    conn: &mut Connection,
    slug: &str,
    email: &str,
    now: i64,
    max_failures: i64,
    matches: impl Fn(&[u8]) -> bool,
) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT id, code_hash FROM login_codes
             WHERE plan_slug = ?1 AND email_normalized = ?2
               AND consumed_at IS NULL AND superseded_at IS NULL
               AND expires_at > ?3 AND failed_attempts < ?4
             ORDER BY id DESC LIMIT 1",
            params![slug, email, now, max_failures],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let accepted = match current {
        Some((id, hash)) if matches(&hash) => {
            tx.execute(
                "UPDATE login_codes SET consumed_at = ?2 WHERE id = ?1 AND consumed_at IS NULL",
                params![id, now],
            )? == 1
        }
        Some((id, _)) => {
            tx.execute(
                "UPDATE login_codes SET failed_attempts = failed_attempts + 1 WHERE id = ?1",
                [id],
            )?;
            false
        }
        None => false,
    };
    tx.commit()?;
    Ok(accepted)
}

pub fn create_session(
    conn: &Connection,
    id_hash: &SecretHash,
    slug: &str,
    customer_id: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sessions (id_hash, plan_slug, customer_id, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id_hash.as_slice(), slug, customer_id, now],
    )?;
    Ok(())
}

/// The session with this id on this plan slug; a session of another slug is not found.
pub fn session(
    conn: &Connection,
    id_hash: &SecretHash,
    slug: &str,
) -> rusqlite::Result<Option<SessionRecord>> {
    conn.prepare_cached(
        "SELECT customer_id, created_at, last_seen_at FROM sessions
         WHERE id_hash = ?1 AND plan_slug = ?2",
    )?
    .query_row(params![id_hash.as_slice(), slug], |r| {
        Ok(SessionRecord {
            customer_id: r.get(0)?,
            created_at: r.get(1)?,
            last_seen_at: r.get(2)?,
        })
    })
    .optional()
}

pub fn touch_session(conn: &Connection, id_hash: &SecretHash, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
        params![id_hash.as_slice(), now],
    )?;
    Ok(())
}

pub fn delete_session(conn: &Connection, id_hash: &SecretHash) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE id_hash = ?1",
        [id_hash.as_slice()],
    )?;
    Ok(())
}

pub fn create_magic_link(
    conn: &Connection,
    token_hash: &SecretHash,
    slug: &str,
    customer_id: &str,
    next_path: &str,
    now: i64,
    expires_at: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO magic_links
             (token_hash, plan_slug, customer_id, next_path, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token_hash.as_slice(),
            slug,
            customer_id,
            next_path,
            now,
            expires_at
        ],
    )?;
    Ok(())
}

/// Consumes a valid, unused link of this slug: the customer and the path to land on.
pub fn consume_magic_link(
    conn: &Connection,
    token_hash: &SecretHash,
    slug: &str,
    now: i64,
) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row(
        "UPDATE magic_links SET consumed_at = ?3
         WHERE token_hash = ?1 AND plan_slug = ?2 AND consumed_at IS NULL AND expires_at > ?3
         RETURNING customer_id, next_path",
        params![token_hash.as_slice(), slug, now],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

pub fn create_api_key(
    conn: &Connection,
    id: &str,
    org_id: &str,
    key_hash: &SecretHash,
    name: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO api_keys (id, org_id, key_hash, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, org_id, key_hash.as_slice(), name, now],
    )?;
    Ok(())
}

/// The organization a (not revoked) API key belongs to.
pub fn org_of_api_key(
    conn: &Connection,
    key_hash: &SecretHash,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT org_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
        [key_hash.as_slice()],
        |r| r.get(0),
    )
    .optional()
}
