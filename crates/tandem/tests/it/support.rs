//! Running the real binary.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub fn tandem() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tandem"));
    command.env_remove("TANDEM_DATABASE_URL").env("NO_COLOR", "1").kill_on_drop(true);
    command
}

/// Starts `tandem <args>` and waits for the line that says where it listens.
pub async fn start(args: &[&str], marker: &str) -> (Child, SocketAddr, Vec<String>) {
    let mut child = tandem().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            seen.push(line.clone());
            if let Some(rest) = line.split(marker).nth(1) {
                let addr = rest.trim().trim_start_matches("http://").split_whitespace().next().unwrap().to_owned();
                return Some(addr.parse::<SocketAddr>().unwrap());
            }
        }
        None
    })
    .await;
    let Ok(Some(addr)) = found else {
        let mut stderr = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).await;
        panic!("tandem {args:?} did not start: {seen:?}\n{stderr}");
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_millis(300), async {
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push(line);
        }
    })
    .await
    .ok();
    seen.extend(rest);
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr, seen)
}

/// A scratch PostgreSQL database URL, or `None` (with a notice) when none is configured
/// outside CI.
pub async fn postgres_database() -> Option<(String, String, String)> {
    let Ok(admin) = std::env::var("TANDEM_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but TANDEM_TEST_POSTGRES_URL is not: the PostgreSQL suite must run"
        );
        eprintln!("skipped: set TANDEM_TEST_POSTGRES_URL to run the PostgreSQL durability test");
        return None;
    };
    let name = format!("tandem_test_{}", uuid::Uuid::now_v7().simple());
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    Some((tandem_store::postgres::with_database(&admin, &name), admin, name))
}

pub async fn drop_database(admin: &str, name: &str) {
    if let Ok((client, connection)) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await {
        tokio::spawn(connection);
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}
