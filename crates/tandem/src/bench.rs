//! `tandem bench ingest`: drives the HTTP ingest endpoint with concurrent keep-alive
//! clients against a fresh database, and beside it measures the same database's raw
//! insert rate (a plain autocommit INSERT loop of message rows through the same
//! driver), in the same run. Prints medians over rounds and the ratio.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use tandem_store::Store;
use tandem_store::postgres::{self, PostgresStore, with_database};
use tandem_store::sqlite::{self, SqliteOptions, SqliteStore, Synchronous};

use crate::http_client::HttpConnection;
use crate::settings::Settings;

/// What to run.
#[derive(Clone, Debug)]
pub struct IngestBench {
    pub clients: usize,
    pub messages: usize,
    pub rounds: usize,
    pub sqlite: bool,
    /// The PostgreSQL server to create scratch databases on; `None` skips PostgreSQL.
    pub postgres_url: Option<String>,
    pub pool_size: usize,
    pub json: bool,
    /// Understand each message on the way in (the real pipeline) or skip it.
    pub nlp: bool,
}

/// One round's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Round {
    throughput: f64,
    p50_ms: f64,
    p99_ms: f64,
    raw_rate: f64,
    /// PostgreSQL only: the raw loop on `pool_size` connections at once.
    raw_parallel_rate: Option<f64>,
    errors: usize,
}

/// The medians of a backend's rounds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub backend: &'static str,
    pub messages_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// A plain INSERT loop on one connection.
    pub raw_inserts_per_sec: f64,
    pub ratio_to_raw: f64,
    /// PostgreSQL only: the same loop on `pool_size` connections at once, and the ratio to it.
    pub raw_parallel_inserts_per_sec: Option<f64>,
    pub ratio_to_raw_parallel: Option<f64>,
    pub errors: usize,
    pub target_messages_per_sec: f64,
    pub meets_target: bool,
}

/// The median (the mean of the middle two for an even count); 0 when empty.
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The `p` quantile of sorted values by nearest rank (the smallest value with at least
/// `p` of them at or below it); 0 when empty.
pub(crate) fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The inbound message number `i` of a round: a realistic mix of channels, with about
/// four messages per customer so most join an open conversation.
fn message_body(i: usize, customers: usize, round: usize, tag: &str) -> Vec<u8> {
    let customer = i % customers;
    let channel = ["email", "sms", "web_chat", "whatsapp", "api"][i % 5];
    let mut from = json!({ "email": format!("customer{customer}@bench.test") });
    if matches!(channel, "sms" | "whatsapp") {
        from["phone"] = json!(format!("+1555{customer:07}"));
    }
    let body = json!({
        "channel": channel,
        "from": from,
        "body": format!("Hello, I am writing about order #A{:05}. It has not arrived yet; could you check the status? Thanks!", i % 99_999),
        "language": "en",
        "idempotency_key": format!("{tag}-{round}-{i}"),
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

async fn drive(
    addr: SocketAddr,
    api_key: &str,
    clients: usize,
    bodies: Arc<Vec<Vec<u8>>>,
) -> anyhow::Result<(Duration, Vec<Duration>, usize)> {
    let next = Arc::new(AtomicUsize::new(0));
    let auth = format!("Bearer {api_key}");
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (next, bodies, auth) = (Arc::clone(&next), Arc::clone(&bodies), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut connection = HttpConnection::open(addr).await?;
            let mut latencies = Vec::with_capacity(bodies.len() / clients + 1);
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let sent = Instant::now();
                let response = connection
                    .send(
                        hyper::Method::POST,
                        "/api/v1/messages/inbound",
                        &[("authorization", auth.as_str())],
                        Some(body.clone()),
                    )
                    .await?;
                latencies.push(sent.elapsed());
                if response.status != hyper::StatusCode::CREATED {
                    errors += 1;
                }
            }
            Ok::<_, anyhow::Error>((latencies, errors))
        }));
    }
    let mut latencies = Vec::with_capacity(bodies.len());
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await??;
        latencies.extend(l);
        errors += e;
    }
    Ok((started.elapsed(), latencies, errors))
}

/// Serves `store` on an ephemeral port, runs one round against it, and stops.
async fn http_round(store: Arc<dyn Store>, args: &IngestBench, round: usize) -> anyhow::Result<(f64, f64, f64, usize)> {
    let mut settings = Settings::default();
    settings.nlp.enabled = args.nlp;
    let engine = crate::app::engine(&settings, store)?;
    let (_, api_key) = engine.create_workspace("bench", "Benchmark").await?;
    let state = crate::app::state(&settings, engine, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, tandem_server::router(state)).await });

    let customers = (args.messages / 4).max(1);
    let warmup: Vec<_> = (0..args.clients * 4).map(|i| message_body(i, customers, round, "warmup")).collect();
    drive(addr, &api_key, args.clients, Arc::new(warmup)).await?;
    let bodies: Vec<_> = (0..args.messages).map(|i| message_body(i, customers, round, "bench")).collect();
    let (elapsed, mut latencies, errors) = drive(addr, &api_key, args.clients, Arc::new(bodies)).await?;
    server.abort();
    latencies.sort();
    let ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    let throughput = args.messages as f64 / elapsed.as_secs_f64();
    Ok((throughput, nearest_rank(&ms, 0.50), nearest_rank(&ms, 0.99), errors))
}

async fn sqlite_round(args: &IngestBench, round: usize) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&SqliteOptions::new(dir.path().join("bench.db")))?;
    let (throughput, p50_ms, p99_ms, errors) = http_round(Arc::new(store), args, round).await?;
    let raw_dir = tempfile::tempdir()?;
    let path = raw_dir.path().join("raw.db");
    let messages = args.messages;
    let raw =
        tokio::task::spawn_blocking(move || sqlite::raw_insert_baseline(&path, Synchronous::Full, messages)).await??;
    Ok(Round {
        throughput,
        p50_ms,
        p99_ms,
        raw_rate: args.messages as f64 / raw.as_secs_f64(),
        raw_parallel_rate: None,
        errors,
    })
}

/// A scratch database on the server at `url`, dropped by `drop_database`.
async fn create_database(url: &str) -> anyhow::Result<(String, String)> {
    let name = format!("tandem_bench_{}", uuid::Uuid::now_v7().simple());
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context("connecting to PostgreSQL for the benchmark")?;
    tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    Ok((with_database(url, &name), name))
}

async fn drop_database(url: &str, name: &str) {
    if let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await {
        tokio::spawn(connection);
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}

async fn postgres_round(url: &str, args: &IngestBench, round: usize) -> anyhow::Result<Round> {
    let (db_url, name) = create_database(url).await?;
    let result = async {
        let store = PostgresStore::connect(&db_url, args.pool_size).await?;
        http_round(Arc::new(store), args, round).await
    }
    .await;
    drop_database(url, &name).await;
    let (throughput, p50_ms, p99_ms, errors) = result?;
    let raw = raw_postgres(url, args.messages, 1).await?;
    let parallel = raw_postgres(url, args.messages, args.pool_size).await?;
    Ok(Round { throughput, p50_ms, p99_ms, raw_rate: raw, raw_parallel_rate: Some(parallel), errors })
}

/// The raw insert rate on a scratch database with `connections` loops at once.
async fn raw_postgres(url: &str, rows: usize, connections: usize) -> anyhow::Result<f64> {
    let (raw_url, raw_name) = create_database(url).await?;
    let raw = postgres::raw_insert_baseline(&raw_url, rows, connections).await;
    drop_database(url, &raw_name).await;
    Ok(rows as f64 / raw?.as_secs_f64())
}

fn summarize(backend: &'static str, rounds: &[Round], target: f64) -> Summary {
    let messages_per_sec = median(rounds.iter().map(|r| r.throughput).collect());
    let raw = median(rounds.iter().map(|r| r.raw_rate).collect());
    let p99_ms = median(rounds.iter().map(|r| r.p99_ms).collect());
    let ratio = if raw > 0.0 { messages_per_sec / raw } else { 0.0 };
    let errors = rounds.iter().map(|r| r.errors).sum();
    let parallel: Vec<f64> = rounds.iter().filter_map(|r| r.raw_parallel_rate).collect();
    let raw_parallel = (!parallel.is_empty()).then(|| median(parallel));
    Summary {
        backend,
        messages_per_sec,
        p50_ms: median(rounds.iter().map(|r| r.p50_ms).collect()),
        p99_ms,
        raw_inserts_per_sec: raw,
        ratio_to_raw: ratio,
        raw_parallel_inserts_per_sec: raw_parallel,
        ratio_to_raw_parallel: raw_parallel.filter(|r| *r > 0.0).map(|r| messages_per_sec / r),
        errors,
        target_messages_per_sec: target,
        meets_target: messages_per_sec >= target && p99_ms < 50.0 && ratio >= 0.40 && errors == 0,
    }
}

fn print_round(backend: &str, round: usize, r: &Round, pool_size: usize) {
    let parallel =
        r.raw_parallel_rate.map(|p| format!("  raw on {pool_size} connections {p:>8.0}/s")).unwrap_or_default();
    eprintln!(
        "{backend:<8} round {}: {:>8.0} msg/s  p50 {:>6.2} ms  p99 {:>6.2} ms  raw {:>8.0}/s{parallel}",
        round + 1,
        r.throughput,
        r.p50_ms,
        r.p99_ms,
        r.raw_rate
    );
}

fn print_table(args: &IngestBench, summaries: &[Summary]) {
    println!(
        "\ntandem bench ingest — {} clients, {} messages per round, {} rounds, message understanding {}; medians\n",
        args.clients,
        args.messages,
        args.rounds,
        if args.nlp { "on" } else { "off" }
    );
    println!(
        "{:<9} {:>10} {:>8} {:>8} {:>14} {:>8} {:>7}  target",
        "backend", "msgs/s", "p50 ms", "p99 ms", "raw inserts/s", "ratio", "errors"
    );
    for s in summaries {
        println!(
            "{:<9} {:>10.0} {:>8.2} {:>8.2} {:>14.0} {:>8.2} {:>7}  >= {:.0} msg/s, p99 < 50 ms, ratio >= 0.40: {}",
            s.backend,
            s.messages_per_sec,
            s.p50_ms,
            s.p99_ms,
            s.raw_inserts_per_sec,
            s.ratio_to_raw,
            s.errors,
            s.target_messages_per_sec,
            if s.meets_target { "met" } else { "NOT met" }
        );
    }
    println!(
        "\nraw = a plain autocommit INSERT loop of the same message rows through the same driver and\n\
         durability settings, on one connection, measured in the same run."
    );
    for s in summaries {
        if let (Some(parallel), Some(ratio)) = (s.raw_parallel_inserts_per_sec, s.ratio_to_raw_parallel) {
            println!(
                "{}: the same loop on {} connections at once inserts {parallel:.0} rows/s; ingest is {ratio:.2} of that.",
                s.backend, args.pool_size
            );
        }
    }
}

/// Runs the benchmark and prints the table (or JSON).
pub async fn run(args: IngestBench) -> anyhow::Result<Vec<Summary>> {
    if args.clients == 0 || args.messages < args.clients || args.rounds == 0 {
        bail!("use at least 1 client, at least as many messages as clients, and at least 1 round");
    }
    let mut summaries = Vec::new();
    if args.sqlite {
        let mut rounds = Vec::new();
        for round in 0..args.rounds {
            let r = sqlite_round(&args, round).await?;
            print_round("sqlite", round, &r, args.pool_size);
            rounds.push(r);
        }
        summaries.push(summarize("sqlite", &rounds, 5000.0));
    }
    if let Some(url) = &args.postgres_url {
        let mut rounds = Vec::new();
        for round in 0..args.rounds {
            let r = postgres_round(url, &args, round).await?;
            print_round("postgres", round, &r, args.pool_size);
            rounds.push(r);
        }
        summaries.push(summarize("postgres", &rounds, 3000.0));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else {
        print_table(&args, &summaries);
    }
    Ok(summaries)
}
