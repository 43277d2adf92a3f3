//! The embedded SQLite store of the edge API: one database file in WAL mode, its schema migrated
//! by the binary itself, one connection per worker thread. Customer data follows the shapes of
//! the Nomos API; `demo` fills a database with a deterministic demo data set.

pub mod account;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod calendar;
pub mod customers;
pub mod dashboard;
pub mod demo;
pub mod energy;
pub mod ids;
pub mod lifecycle;
pub mod listing;
pub mod nomos;
pub mod orders;
pub mod readings;
pub mod tariffs;
pub mod tenants;
#[cfg(test)]
mod test_support;
pub mod webhooks;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use customers::{
    CustomerRecord, CustomerType, SubscriptionRecord, customer, customer_by_email, customer_in_org,
    normalize_email, subscription_of, subscriptions_of,
};
pub use tenants::{TenantOrganization, TenantPlan, sync_tenants};

/// The schema migrations in order, each applied once in its own transaction. `PRAGMA
/// user_version` counts how many a database has.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_core", include_str!("migrations/0001_core.sql")),
    ("0002_auth", include_str!("migrations/0002_auth.sql")),
    ("0003_energy", include_str!("migrations/0003_energy.sql")),
    ("0004_account", include_str!("migrations/0004_account.sql")),
    (
        "0005_webhooks",
        include_str!("migrations/0005_webhooks.sql"),
    ),
];

/// Prepared statements kept per connection (rusqlite's default is 16; the API has more).
const STATEMENT_CACHE_CAPACITY: usize = 128;

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder of the database {}: {source}", path.display())]
    CreateFolder { path: PathBuf, source: io::Error },
    #[error("database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {}: migration {migration} failed: {source}", path.display())]
    Migration {
        path: PathBuf,
        migration: &'static str,
        source: rusqlite::Error,
    },
    #[error(
        "database {} has schema version {found}, but this portalgen knows versions up to {known}: \
         it was written by a newer portalgen (left unchanged)",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: usize,
    },
    #[error("database {}: WAL journal mode is not available (journal mode is {mode})", path.display())]
    NoWal { path: PathBuf, mode: String },
    #[error("database {}: {message}", path.display())]
    Demo { path: PathBuf, message: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attaches the database path of `conn` to a SQLite error.
pub trait WithDbPath<T> {
    fn with_db_path(self, conn: &Connection) -> Result<T>;
}

impl<T> WithDbPath<T> for rusqlite::Result<T> {
    fn with_db_path(self, conn: &Connection) -> Result<T> {
        self.map_err(|source| StoreError::Sqlite {
            path: db_path(conn),
            source,
        })
    }
}

/// The file behind `conn`, for error messages.
pub(crate) fn db_path(conn: &Connection) -> PathBuf {
    PathBuf::from(conn.path().unwrap_or_default())
}

/// The database file. Cheap to clone; every worker thread opens its own connection.
#[derive(Debug, Clone)]
pub struct Store {
    path: Arc<Path>,
}

impl Store {
    /// Creates the file (and its parent folders) if needed, switches it to WAL and runs the
    /// pending migrations. A database written by a newer binary is refused and left unchanged.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(folder).map_err(|source| StoreError::CreateFolder {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        configure(&conn).map_err(sqlite)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal {
                path: path.to_path_buf(),
                mode,
            });
        }
        migrate(&mut conn, path)?;
        Ok(Store { path: path.into() })
    }

    /// A new connection to the (existing, migrated) database, for one worker thread.
    pub fn connect(&self) -> Result<Connection> {
        let sqlite = |source| StoreError::Sqlite {
            path: self.path.to_path_buf(),
            source,
        };
        // No CREATE flag: a database deleted while running is an error, not a new empty file.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(sqlite)?;
        configure(&conn).map_err(sqlite)?;
        Ok(conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Per-connection settings. synchronous=FULL makes every acknowledged commit durable in WAL
/// mode too (NORMAL could lose the last commits on power loss). The query planner stability
/// guarantee keeps plans independent of bound values: without it, SQLite marks statements with
/// a join, ORDER BY or MIN/MAX for re-preparing whenever their parameters are cleared, which
/// rusqlite's statement cache does on every reuse — every cached query was parsed again.
/// The cache holds every statement the API prepares.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")
}

/// Applies the migrations the database does not have yet. Each runs in an immediate
/// transaction that re-reads the version first, so two processes opening the same new file
/// cannot both apply one.
fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let sqlite = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite)?;
        let applied = usize::try_from(version)
            .ok()
            .filter(|v| *v <= MIGRATIONS.len())
            .ok_or(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
                known: MIGRATIONS.len(),
            })?;
        let Some((migration, sql)) = MIGRATIONS.get(applied) else {
            return Ok(());
        };
        let failed = |source| StoreError::Migration {
            path: path.to_path_buf(),
            migration,
            source,
        };
        tx.execute_batch(sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn user_version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn open_creates_folders_and_migrates_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/folder/edge.db");
        let store = Store::open(&path).unwrap();
        let conn = store.connect().unwrap();
        assert_eq!(user_version(&conn), MIGRATIONS.len() as i64);
        let tables = tables(&conn);
        for table in [
            "customers",
            "subscriptions",
            "invoices",
            "usage_15min",
            "sessions",
        ] {
            assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
        }
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
    }

    #[test]
    fn reopening_keeps_data_and_applies_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.db");
        let store = Store::open(&path).unwrap();
        store
            .connect()
            .unwrap()
            .execute(
                "INSERT INTO organizations (id, name) VALUES ('lumio', 'Lumio')",
                [],
            )
            .unwrap();
        let store = Store::open(&path).unwrap();
        let conn = store.connect().unwrap();
        assert_eq!(user_version(&conn), MIGRATIONS.len() as i64);
        let name: String = conn
            .query_row("SELECT name FROM organizations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "Lumio");
    }

    #[test]
    fn a_database_of_a_newer_binary_is_refused_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.db");
        Store::open(&path).unwrap();
        let newer = MIGRATIONS.len() as i64 + 1;
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", newer)
            .unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found, .. } if found == newer),
            "{err}"
        );
        assert!(err.to_string().contains("edge.db"), "{err}");
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn), newer);
    }

    #[test]
    fn connect_does_not_create_a_missing_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.db");
        let store = Store::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = store.connect().unwrap_err();
        assert!(err.to_string().contains("edge.db"), "{err}");
    }

    #[test]
    fn errors_of_queries_name_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("edge.db")).unwrap();
        let conn = store.connect().unwrap();
        let err = conn
            .execute("SELECT * FROM no_such_table", [])
            .with_db_path(&conn)
            .unwrap_err();
        assert!(err.to_string().contains("edge.db"), "{err}");
    }
}
