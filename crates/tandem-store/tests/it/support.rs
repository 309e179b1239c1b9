//! Test databases: a temporary SQLite file, or a uniquely named PostgreSQL database that
//! is dropped when the test ends.

use std::sync::Arc;

use tandem_store::Store;
use tandem_store::postgres::{PostgresStore, with_database};
use tandem_store::sqlite::{SqliteOptions, SqliteStore};

pub struct TestDb {
    pub store: Arc<dyn Store>,
    _cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop is synchronous; run the DROP on a fresh runtime in its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    if let Ok((client, conn)) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await {
                        tokio::spawn(conn);
                        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&SqliteOptions::new(dir.path().join("tandem.db"))).unwrap();
    TestDb { store: Arc::new(store), _cleanup: Cleanup::Sqlite(dir) }
}

/// A fresh PostgreSQL database, or `None` (with a notice) when no server is configured
/// outside CI. In CI a missing server fails the test.
pub async fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("TANDEM_TEST_POSTGRES_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but TANDEM_TEST_POSTGRES_URL is not: the PostgreSQL suite must run in CI");
        }
        eprintln!(
            "skipped: set TANDEM_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run the PostgreSQL suite"
        );
        return None;
    };
    let name = format!("tandem_test_{}", uuid::Uuid::now_v7().simple());
    let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TANDEM_TEST_POSTGRES_URL: {e}"));
    tokio::spawn(conn);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let cleanup = Cleanup::Postgres { admin_url: admin_url.clone(), name: name.clone() };
    let store = PostgresStore::connect(&with_database(&admin_url, &name), 8).await.unwrap();
    Some(TestDb { store: Arc::new(store), _cleanup: cleanup })
}
