//! An acknowledged message is committed: ingest in a loop, `kill -9` the server, restart
//! it, and every acknowledged message is there exactly once; a client retrying with the
//! same idempotency key never creates a duplicate.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tandem::http_client::HttpConnection;

use crate::support::{drop_database, postgres_database, start, tandem};

const CLIENTS: usize = 16;

fn body(i: usize) -> serde_json::Value {
    let channel = if i.is_multiple_of(2) { "email" } else { "sms" };
    json!({
        "channel": channel,
        "from": { "email": format!("durable{}@example.com", i % 25) },
        "body": format!("durable message {i}"),
        "idempotency_key": format!("k-{i}"),
    })
}

#[derive(Default)]
struct Ledger {
    /// Key index → message id, for every request answered 2xx.
    acked: BTreeMap<usize, String>,
    /// Every key index sent, answered or not.
    attempted: BTreeSet<usize>,
}

async fn load(addr: SocketAddr, key: String, ledger: Arc<Mutex<Ledger>>, next: Arc<std::sync::atomic::AtomicUsize>) {
    let Ok(mut http) = HttpConnection::open(addr).await else { return };
    let auth = format!("Bearer {key}");
    loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ledger.lock().unwrap().attempted.insert(i);
        match http.post_json("/api/v1/messages/inbound", &[("authorization", &auth)], &body(i)).await {
            Ok(response) if response.status.is_success() => {
                let id = response.json().unwrap()["message"]["id"].as_str().unwrap().to_owned();
                ledger.lock().unwrap().acked.insert(i, id);
            }
            Ok(response) => panic!("unexpected {} for message {i}: {:?}", response.status, response.body),
            Err(_) => return, // the server died mid-request
        }
    }
}

async fn story(db_args: &[&str]) {
    let created = tandem()
        .args(["workspace", "create", "--slug", "durable", "--name", "Durable"])
        .args(db_args)
        .output()
        .await
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8_lossy(&created.stdout);
    let key = stdout.lines().find_map(|l| l.strip_prefix("api key")).unwrap().trim().to_owned();

    let serve: Vec<&str> = ["serve", "--bind", "127.0.0.1:0"].into_iter().chain(db_args.iter().copied()).collect();
    let (mut server, addr, _) = start(&serve, "tandem listening on").await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients: Vec<_> =
        (0..CLIENTS).map(|_| tokio::spawn(load(addr, key.clone(), Arc::clone(&ledger), Arc::clone(&next)))).collect();
    // Let load build up, then kill -9 in the middle of it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().await.unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let (acked, attempted) = {
        let l = ledger.lock().unwrap();
        (l.acked.clone(), l.attempted.clone())
    };
    eprintln!("killed with {} acknowledged and {} in flight", acked.len(), attempted.len() - acked.len());
    assert!(acked.len() > 100, "the load ran before the kill ({} acknowledged)", acked.len());
    assert!(attempted.len() > acked.len(), "some requests were in flight when the server died");

    let (mut server, addr, _) = start(&serve, "tandem listening on").await;
    let mut http = HttpConnection::open(addr).await.unwrap();
    let auth = format!("Bearer {key}");
    let mut ids = BTreeSet::new();
    for i in &attempted {
        let response =
            http.post_json("/api/v1/messages/inbound", &[("authorization", &auth)], &body(*i)).await.unwrap();
        let id = response.json().unwrap()["message"]["id"].as_str().unwrap().to_owned();
        if let Some(acked_id) = acked.get(i) {
            assert_eq!(response.status, 200, "acknowledged message {i} must be stored: a retry replays it");
            assert_eq!(&id, acked_id, "the replay returns the original message");
        } else {
            assert!(response.status == 200 || response.status == 201, "retrying unacknowledged message {i}");
        }
        assert!(ids.insert(id), "message {i} has its own id");
    }

    // Exactly one stored inbound message per key: count them all.
    let mut stored = Vec::new();
    let mut before = String::new();
    loop {
        let page = http
            .get(&format!("/api/v1/conversations?limit=200{before}"), &[("authorization", &auth)])
            .await
            .unwrap()
            .json()
            .unwrap();
        for conversation in page["conversations"].as_array().unwrap() {
            let detail = http
                .get(
                    &format!("/api/v1/conversations/{}", conversation["id"].as_str().unwrap()),
                    &[("authorization", &auth)],
                )
                .await
                .unwrap()
                .json()
                .unwrap();
            for m in detail["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "inbound") {
                stored.push(m["body"].as_str().unwrap().to_owned());
            }
        }
        match page["next_before"].as_str() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    let unique: BTreeSet<_> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "no message is stored twice");
    let expected: BTreeSet<_> = attempted.iter().map(|i| format!("durable message {i}")).collect();
    assert_eq!(unique, expected, "every message is stored once");
    server.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_message_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    story(&["--data-dir", dir.path().to_str().unwrap()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_message_across_kill_9() {
    let Some((url, admin, name)) = postgres_database().await else { return };
    // The data directory still holds the node's knowledge index.
    let dir = tempfile::tempdir().unwrap();
    story(&["--database-url", &url, "--data-dir", dir.path().to_str().unwrap()]).await;
    drop_database(&admin, &name).await;
}
