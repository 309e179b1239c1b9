//! `tandem bench bot`: the virtual agent's turn latency in the service — reading the
//! conversation and the bot's state, understanding what the customer wants, knowledge
//! search, deciding, and committing the replies with the new state and the decision —
//! excluding the time business systems take to answer. Beside it, in the same run, the
//! baseline every message pays anyway: ingesting it (understanding and commit) with no
//! bot, so the ratio says what the bot adds.

use std::sync::Arc;
use std::time::Instant;

use crate::bench::{median, nearest_rank};
use anyhow::Context;
use serde::Serialize;
use tandem_bus::InProcessBus;
use tandem_domain::{Body, Channel, Identity, InboundMessage};
use tandem_engine::{Engine, EngineConfig, InboundRequest};
use tandem_store::sqlite::{SqliteOptions, SqliteStore};

/// Conversations of the benchmark: questions answered from knowledge, actions, details
/// asked for, escalations, misunderstandings, another language.
const SCRIPTS: &[&[&str]] = &[
    &["How long does delivery take?", "yes thanks", "no that's all"],
    &["Where is my order A1043?", "no thanks"],
    &["I want to talk to a human"],
    &["I'd like to book a fitting next thursday at 11am", "no"],
    &["How do I reset my password?", "thanks"],
    &["blorp wizzle frobnicate", "zorgle quux flimflam"],
    &["¿Dónde está mi pedido A1077?", "no, gracias"],
    &["My refund hasn't arrived yet, when will I get it?", "yes", "bye"],
    &["I want to track my order", "it's A1102", "bye"],
    &["You charged me twice for order A1043!"],
];

#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub samples: usize,
}

fn latency(mut micros: Vec<u64>) -> Latency {
    micros.sort_unstable();
    let ms: Vec<f64> = micros.iter().map(|&us| us as f64 / 1000.0).collect();
    let n = ms.len();
    let mean = if n == 0 { 0.0 } else { ms.iter().sum::<f64>() / n as f64 };
    Latency { p50_ms: nearest_rank(&ms, 0.5), p99_ms: nearest_rank(&ms, 0.99), mean_ms: mean, samples: n }
}

/// One round's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Round {
    /// The whole bot turn (reads, decision, commit), excluding business-system calls.
    pub bot_turn: Latency,
    /// Reading and deciding only (what each decision records).
    pub bot_decision: Latency,
    /// Baseline: ingesting the same messages with no bot (understanding and commit).
    pub ingest_alone: Latency,
    /// Business-system calls, for scale (not in the figures above).
    pub business_calls: Latency,
}

#[derive(Clone, Debug, Serialize)]
pub struct BotBenchReport {
    pub knowledge: String,
    pub conversations_per_round: usize,
    pub rounds: Vec<Round>,
    /// Medians over the rounds.
    pub bot_turn_p50_ms: f64,
    pub bot_turn_p99_ms: f64,
    pub ingest_p50_ms: f64,
    pub ingest_p99_ms: f64,
    /// Median over rounds of bot turn p99 ÷ ingest p99.
    pub ratio_p99: f64,
}

async fn engine(
    dir: &std::path::Path,
    name: &str,
    model: &str,
    bot: bool,
) -> anyhow::Result<(Engine, tandem_domain::WorkspaceId, String)> {
    let store = Arc::new(SqliteStore::open(&SqliteOptions::new(dir.join(format!("{name}.db"))))?);
    let knowledge = crate::eval::bot::knowledge_for(model, None)?;
    let mode = knowledge.model().unwrap_or("bm25").to_owned();
    let enricher = tandem_nlp::enrich::Enricher::with_defaults(false)?;
    let engine = Engine::new(store, Arc::new(InProcessBus::default()), EngineConfig::default())
        .with_enricher(Arc::new(enricher))
        .with_knowledge(knowledge);
    let shop = crate::demo_shop::start("127.0.0.1:0").await?;
    let setup = crate::demo::setup(&engine, name, &shop.url).await?;
    let engine = if bot { engine.with_bot(tandem_engine::BotOptions::default()) } else { engine };
    engine.start_routing().await?;
    Ok((engine, setup.workspace.id, mode))
}

fn message(ws: tandem_domain::WorkspaceId, visitor: &str, text: &str) -> anyhow::Result<InboundRequest> {
    Ok(InboundRequest {
        message: InboundMessage {
            workspace_id: ws,
            channel: Channel::WebChat,
            identities: vec![Identity::web_visitor(visitor)?],
            display_name: None,
            body: Body::parse(text)?,
            subject: None,
            language: None,
            attachments: Vec::new(),
            external_id: None,
            idempotency: None,
            understanding: None,
        },
        idempotency_key: None,
    })
}

/// Runs `rounds` rounds of `conversations` conversations each.
pub async fn run(conversations: usize, rounds: usize, model: &str) -> anyhow::Result<BotBenchReport> {
    let dir = tempfile::tempdir()?;
    let (with_bot, ws_bot, knowledge) =
        engine(dir.path(), "bench-bot", model, true).await.context("starting the bot engine")?;
    let (plain, ws_plain, _) =
        engine(dir.path(), "bench-plain", model, false).await.context("starting the baseline engine")?;
    let mut out = Vec::new();
    for round in 0..rounds.max(1) {
        let (mut turns, mut decisions, mut ingests, mut calls) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for c in 0..conversations {
            let script = SCRIPTS[c % SCRIPTS.len()];
            let visitor = format!("visitor-bench-{round}-{c}");
            for text in script {
                // The baseline: the same message, no bot.
                let started = Instant::now();
                plain.ingest(message(ws_plain, &visitor, text)?).await?;
                ingests.push(started.elapsed().as_micros() as u64);
                let (outcome, reports) = with_bot.ingest_and_answer(message(ws_bot, &visitor, text)?).await?;
                for r in &reports {
                    turns.push(r.turn_us);
                }
                let decided = with_bot.store().bot_decisions(ws_bot, outcome.conversation.id).await?;
                if let Some(d) = decided.iter().rev().find(|d| d.message_id == Some(outcome.message.id)) {
                    decisions.push(d.latency_us);
                    if d.external_us > 0 {
                        calls.push(d.external_us);
                    }
                }
            }
        }
        out.push(Round {
            bot_turn: latency(turns),
            bot_decision: latency(decisions),
            ingest_alone: latency(ingests),
            business_calls: latency(calls),
        });
    }
    let ratio = median(out.iter().map(|r| r.bot_turn.p99_ms / r.ingest_alone.p99_ms.max(1e-9)).collect());
    Ok(BotBenchReport {
        knowledge,
        conversations_per_round: conversations,
        bot_turn_p50_ms: median(out.iter().map(|r| r.bot_turn.p50_ms).collect()),
        bot_turn_p99_ms: median(out.iter().map(|r| r.bot_turn.p99_ms).collect()),
        ingest_p50_ms: median(out.iter().map(|r| r.ingest_alone.p50_ms).collect()),
        ingest_p99_ms: median(out.iter().map(|r| r.ingest_alone.p99_ms).collect()),
        ratio_p99: ratio,
        rounds: out,
    })
}

pub fn print(r: &BotBenchReport) {
    println!("knowledge: {}   conversations per round: {}", r.knowledge, r.conversations_per_round);
    println!("{:<7} {:<44} {:>9} {:>9} {:>9} {:>8}", "round", "measure", "p50 ms", "p99 ms", "mean ms", "samples");
    for (i, round) in r.rounds.iter().enumerate() {
        for (name, l) in [
            ("bot turn (reads, decision, commit)", &round.bot_turn),
            ("bot decision (reads, decision)", &round.bot_decision),
            ("baseline: ingest alone, no bot", &round.ingest_alone),
            ("business-system calls (excluded above)", &round.business_calls),
        ] {
            println!(
                "{:<7} {:<44} {:>9.2} {:>9.2} {:>9.2} {:>8}",
                i + 1,
                name,
                l.p50_ms,
                l.p99_ms,
                l.mean_ms,
                l.samples
            );
        }
    }
    println!();
    println!(
        "median of rounds: bot turn p50 {:.2} ms, p99 {:.2} ms; ingest alone p50 {:.2} ms, p99 {:.2} ms; p99 ratio bot ÷ ingest {:.2}×",
        r.bot_turn_p50_ms, r.bot_turn_p99_ms, r.ingest_p50_ms, r.ingest_p99_ms, r.ratio_p99
    );
    println!("target: bot turn p99 < 50 ms excluding business-system calls");
}
