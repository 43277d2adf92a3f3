//! Nomos webhooks in the store: each organization's sealed signing secret, and the events
//! already handled, per organization, so a redelivery is recognised.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, WithDbPath};

/// A signing secret as stored: unreadable without the server secret (see `webhooks::secret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub nonce: String,
    pub sealed: Vec<u8>,
    pub check_tag: Vec<u8>,
}

/// Stores `org`'s signing secret, replacing the one it had.
pub fn put_secret(conn: &Connection, org_id: &str, secret: &SealedSecret, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO webhook_secrets (org_id, nonce, sealed, check_tag, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org_id) DO UPDATE SET nonce = excluded.nonce, sealed = excluded.sealed,
             check_tag = excluded.check_tag, created_at = excluded.created_at",
        params![org_id, secret.nonce, secret.sealed, secret.check_tag, now],
    )
    .with_db_path(conn)?;
    Ok(())
}

pub fn secret(conn: &Connection, org_id: &str) -> Result<Option<SealedSecret>> {
    conn.prepare_cached("SELECT nonce, sealed, check_tag FROM webhook_secrets WHERE org_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([org_id], |r| {
                Ok(SealedSecret {
                    nonce: r.get(0)?,
                    sealed: r.get(1)?,
                    check_tag: r.get(2)?,
                })
            })
            .optional()
        })
        .with_db_path(conn)
}

/// Notes the event as handled; false when it was already (a redelivery).
pub fn record_event(
    conn: &Connection,
    org_id: &str,
    event_id: &str,
    topic: &str,
    now: i64,
) -> Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO webhook_events (org_id, id, topic, received_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )
        .and_then(|mut stmt| stmt.execute(params![org_id, event_id, topic, now]))
        .with_db_path(conn)?;
    Ok(inserted == 1)
}

/// Forgets the events received before `before`.
pub fn forget_events_before(conn: &Connection, before: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM webhook_events WHERE received_at < ?1")
        .and_then(|mut stmt| stmt.execute([before]))
        .with_db_path(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::sync_tenants;
    use crate::edge::store::test_support::{example_tenants, temp_store};

    #[test]
    fn events_are_seen_once_per_organization_until_forgotten() {
        let (_dir, conn) = temp_store();
        sync_tenants(&conn, &example_tenants()).unwrap();
        assert!(record_event(&conn, "lumio", "evt_1", "invoice.paid", 100).unwrap());
        assert!(!record_event(&conn, "lumio", "evt_1", "invoice.paid", 200).unwrap());
        assert!(
            record_event(&conn, "nordwatt", "evt_1", "invoice.paid", 200).unwrap(),
            "another organization's event of the same id is its own"
        );
        forget_events_before(&conn, 150).unwrap();
        assert!(record_event(&conn, "lumio", "evt_1", "invoice.paid", 300).unwrap());
        assert!(!record_event(&conn, "nordwatt", "evt_1", "invoice.paid", 300).unwrap());
    }

    #[test]
    fn a_new_secret_replaces_the_old_one() {
        let (_dir, conn) = temp_store();
        sync_tenants(&conn, &example_tenants()).unwrap();
        assert_eq!(secret(&conn, "lumio").unwrap(), None);
        let first = SealedSecret {
            nonce: "n1".into(),
            sealed: vec![1; 32],
            check_tag: vec![2; 32],
        };
        let second = SealedSecret {
            nonce: "n2".into(),
            sealed: vec![3; 32],
            check_tag: vec![4; 32],
        };
        put_secret(&conn, "lumio", &first, 1).unwrap();
        put_secret(&conn, "lumio", &second, 2).unwrap();
        assert_eq!(secret(&conn, "lumio").unwrap(), Some(second));
        assert_eq!(secret(&conn, "nordwatt").unwrap(), None);
        assert!(put_secret(&conn, "no-such-org", &first, 3).is_err());
    }
}
