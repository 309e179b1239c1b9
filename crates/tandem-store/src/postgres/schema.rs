//! PostgreSQL migrations, embedded in the binary and applied at start under an advisory
//! lock, so several nodes starting together apply each migration once.

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
    (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
    (2, "understanding", include_str!("../../migrations/postgres/0002_understanding.sql")),
    (3, "routing", include_str!("../../migrations/postgres/0003_routing.sql")),
    (4, "knowledge", include_str!("../../migrations/postgres/0004_knowledge.sql")),
    (5, "bot", include_str!("../../migrations/postgres/0005_bot.sql")),
    (6, "canned", include_str!("../../migrations/postgres/0006_canned.sql")),
];

/// An arbitrary constant naming Tandem's migration lock.
const MIGRATION_LOCK: i64 = 0x7461_6e64_656d;

pub(crate) async fn migrate(client: &mut deadpool_postgres::Client) -> StoreResult<Vec<Migration>> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await
        .map_err(db_error)?;
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db_error)?;
    for (version, name, sql) in MIGRATIONS {
        let applied: bool = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", &[version])
            .await
            .map_err(db_error)?
            .get(0);
        if !applied {
            tx.batch_execute(sql).await.map_err(db_error)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version, name, &time::to_micros(time::now())],
            )
            .await
            .map_err(db_error)?;
            tracing::info!(version, name, "applied PostgreSQL migration");
        }
    }
    let rows = tx.query("SELECT version, name FROM schema_migrations ORDER BY version", &[]).await.map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(rows.iter().map(|r| Migration { version: r.get(0), name: r.get(1) }).collect())
}
