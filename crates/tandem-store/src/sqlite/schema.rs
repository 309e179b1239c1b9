//! SQLite migrations, embedded in the binary and applied at start.

use rusqlite::Connection;
use tandem_domain::time;

use super::ops::db_error;
use crate::StoreResult;

/// A migration that has been applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: String,
}

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, "understanding", include_str!("../../migrations/sqlite/0002_understanding.sql")),
    (3, "routing", include_str!("../../migrations/sqlite/0003_routing.sql")),
    (4, "knowledge", include_str!("../../migrations/sqlite/0004_knowledge.sql")),
    (5, "bot", include_str!("../../migrations/sqlite/0005_bot.sql")),
    (6, "canned", include_str!("../../migrations/sqlite/0006_canned.sql")),
];

/// Applies every migration not yet applied, each in its own transaction.
pub(crate) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )
    .map_err(db_error)?;
    for (version, name, sql) in MIGRATIONS {
        let tx = conn.transaction().map_err(db_error)?;
        let applied: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |r| r.get(0))
            .map_err(db_error)?;
        if !applied {
            tx.execute_batch(sql).map_err(db_error)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![version, name, time::to_micros(time::now())],
            )
            .map_err(db_error)?;
            tracing::info!(version, name, "applied SQLite migration");
        }
        tx.commit().map_err(db_error)?;
    }
    Ok(())
}

/// The migrations recorded as applied.
pub fn applied_migrations(conn: &Connection) -> StoreResult<Vec<Migration>> {
    let mut stmt = conn.prepare("SELECT version, name FROM schema_migrations ORDER BY version").map_err(db_error)?;
    let rows = stmt.query_map([], |r| Ok(Migration { version: r.get(0)?, name: r.get(1)? })).map_err(db_error)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
}
