-- Nomos webhooks: the organizations' signing secrets, and the handled events keyed per
-- organization.

-- One signing secret per organization (`portalgen keys webhook-secret` creates or replaces it).
-- Verifying a signature needs the secret itself, so it cannot be stored as a hash: it is sealed
-- with the server secret (which lives outside this database) — XORed with HMAC-SHA-256(server
-- secret, org ‖ nonce) — so the database alone does not reveal it.
CREATE TABLE webhook_secrets (
    org_id TEXT PRIMARY KEY REFERENCES organizations(id),
    nonce TEXT NOT NULL,                     -- random, new for every secret
    sealed BLOB NOT NULL,                    -- the 32-byte secret XOR the key stream
    check_tag BLOB NOT NULL,                 -- keyed hash of the secret: unsealing succeeded
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Event ids are deduplicated per organization: one organization's deliveries can never mark
-- another's events as seen. Nothing wrote the table of 0001 yet; its rows move over anyway.
CREATE TABLE webhook_events_by_org (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,                        -- the event's evt_… id
    topic TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) WITHOUT ROWID;
INSERT INTO webhook_events_by_org (org_id, id, topic, received_at)
SELECT org_id, id, topic, received_at FROM webhook_events;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_by_org RENAME TO webhook_events;
CREATE INDEX webhook_events_by_time ON webhook_events (received_at);
