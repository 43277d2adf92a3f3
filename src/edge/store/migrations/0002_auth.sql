-- Sign-in state. No secret is stored in the clear: codes, session ids, sign-in link tokens and
-- API keys are kept only as keyed hashes (HMAC-SHA-256 with the server secret, which lives
-- outside this database). Times are unix seconds (UTC).

-- One row per e-mailed sign-in code. A new code supersedes the earlier ones of the address.
CREATE TABLE login_codes (
    id INTEGER PRIMARY KEY,
    plan_slug TEXT NOT NULL REFERENCES plans(slug),
    email_normalized TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at INTEGER,
    superseded_at INTEGER
);
CREATE INDEX login_codes_by_address ON login_codes (plan_slug, email_normalized, id);

-- Every code request, for any address (known or not), for the per-address limits.
CREATE TABLE login_code_requests (
    plan_slug TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    requested_at INTEGER NOT NULL
);
CREATE INDEX login_code_requests_by_address
    ON login_code_requests (plan_slug, email_normalized, requested_at);

CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY,
    plan_slug TEXT NOT NULL REFERENCES plans(slug),
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Portal single sign-on links created by an organization's backend.
CREATE TABLE magic_links (
    token_hash BLOB PRIMARY KEY,
    plan_slug TEXT NOT NULL REFERENCES plans(slug),
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    next_path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    key_hash BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
