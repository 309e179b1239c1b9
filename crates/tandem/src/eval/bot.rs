//! `tandem eval bot`: the conversation scenarios (`examples/bot/scenarios/*.toml`)
//! played against a live in-process service — the demo workspace (knowledge, queues,
//! agents, the bot configured against the demo shop), message understanding, routing,
//! SQLite — over its HTTP API, as a channel would. Prints each scenario's result and the
//! suite's containment, escalation precision and recall, turns to resolution and the
//! bot's turn latency (excluding business-system calls).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Value, json};
use tandem_bot::scenario::{self, Observed, Report, Scenario, ScenarioResult};
use tandem_bus::InProcessBus;
use tandem_domain::AgentState;
use tandem_engine::{Engine, EngineConfig};
use tandem_server::{AppState, ServerSettings};
use tandem_store::sqlite::{SqliteOptions, SqliteStore, Synchronous};

use crate::bench::nearest_rank;
use crate::http_client::HttpConnection;

/// What to run.
#[derive(Clone, Debug)]
pub struct BotEvalOptions {
    /// A scenario file or a folder of them.
    pub scenarios: PathBuf,
    /// The knowledge model: `none` (BM25), `e5`, `minilm` or `auto`.
    pub model: String,
    pub models: Option<PathBuf>,
    /// Only scenarios whose file name contains this.
    pub only: Option<String>,
}

/// The suite's figures.
#[derive(Clone, Debug, Serialize)]
pub struct BotEvalReport {
    #[serde(flatten)]
    pub report: Report,
    /// Knowledge retrieval used: `bm25` or the model's name.
    pub knowledge: String,
    /// Bot turns on customer messages, and their latency excluding business systems.
    pub turns: usize,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
}

/// The default scenario folder, in the source tree.
pub fn default_scenarios() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/bot/scenarios"))
}

fn load_scenarios(path: &Path, only: Option<&str>) -> anyhow::Result<Vec<(String, Scenario)>> {
    let mut files = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))? {
            let p = entry?.path();
            if p.extension().is_some_and(|e| e == "toml") {
                files.push(p);
            }
        }
    } else if path.is_file() {
        files.push(path.to_owned());
    } else {
        bail!("{} is neither a scenario file nor a folder of them", path.display());
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let parsed: Scenario =
            toml::from_str(&text).with_context(|| format!("{} is not a valid scenario", file.display()))?;
        if !matches!(parsed.expect.outcome.as_str(), "resolved" | "escalated" | "open") {
            bail!("{}: expect.outcome is `{}`; use resolved, escalated or open", file.display(), parsed.expect.outcome);
        }
        if parsed.turns.is_empty() {
            bail!("{}: a scenario needs at least one [[turn]]", file.display());
        }
        out.push((name, parsed));
    }
    if out.is_empty() {
        bail!("no scenarios in {}", path.display());
    }
    Ok(out)
}

/// An in-memory knowledge index searching with `model` (`none`, `e5`, `minilm`, `auto`).
pub fn knowledge_for(model: &str, models: Option<&Path>) -> anyhow::Result<tandem_engine::Knowledge> {
    use tandem_embed::{BertEncoder, ModelKind};
    use tandem_nlp::embedding::SentenceEmbedder;
    let root = models.map_or_else(tandem_embed::models_dir, Path::to_path_buf);
    let kinds: &[ModelKind] = match model {
        "none" => &[],
        "e5" => &[ModelKind::E5Small],
        "minilm" => &[ModelKind::MiniLm],
        "auto" => &[ModelKind::E5Small, ModelKind::MiniLm],
        other => bail!("--model `{other}`: use none, e5, minilm or auto"),
    };
    let mut embedder: Option<Arc<dyn SentenceEmbedder>> = None;
    for kind in kinds {
        if let Some(dir) = tandem_embed::resolve(*kind, &root) {
            let encoder = BertEncoder::load_model(*kind, &dir, 256)
                .with_context(|| format!("loading the embedding model in {}", dir.display()))?;
            embedder = Some(Arc::new(encoder));
            break;
        }
    }
    if embedder.is_none() && model != "none" && model != "auto" {
        bail!("--model {model}: the model is not installed in {}; run `tandem models install`", root.display());
    }
    let meta = tandem_engine::Knowledge::meta_for(embedder.as_ref());
    let index = tandem_knowledge::KnowledgeIndex::in_memory(meta)?;
    Ok(tandem_engine::Knowledge::new(index, embedder))
}

/// A running service for the scenarios.
struct Service {
    http: HttpConnection,
    auth: String,
    engine: Engine,
    api: tandem_engine::Actor,
    agents: Vec<tandem_domain::Agent>,
    queues: HashMap<String, String>,
    _dir: tempfile::TempDir,
}

impl Service {
    async fn start(options: &BotEvalOptions) -> anyhow::Result<(Self, String)> {
        let dir = tempfile::tempdir()?;
        let mut sqlite = SqliteOptions::new(dir.path().join("eval.db"));
        sqlite.synchronous = Synchronous::Normal;
        let store = Arc::new(SqliteStore::open(&sqlite)?);
        let knowledge = knowledge_for(&options.model, options.models.as_deref())?;
        let mode = knowledge.model().unwrap_or("bm25").to_owned();
        let enricher = tandem_nlp::enrich::Enricher::with_defaults(false)?;
        let engine = Engine::new(store, Arc::new(InProcessBus::default()), EngineConfig::default())
            .with_enricher(Arc::new(enricher))
            .with_knowledge(knowledge);
        let shop = crate::demo_shop::start("127.0.0.1:0").await?;
        let setup = crate::demo::setup(&engine, "eval", &shop.url).await?;
        let engine = engine.with_bot(tandem_engine::BotOptions::default());
        engine.start_routing().await?;
        engine.start_knowledge();
        let state = AppState::new(
            engine.clone(),
            ServerSettings { body_limit: 256 * 1024, secure_cookies: true, demo_chat_key: None },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let router = tandem_server::router(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let mut http = HttpConnection::open(addr).await?;
        let auth = format!("Bearer {}", setup.api_key);
        let listed = http.get("/api/v1/queues", &[("authorization", &auth)]).await?.json()?;
        let queues = listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|q| Some((q["id"].as_str()?.to_owned(), q["name"].as_str()?.to_owned())))
            .collect();
        let service = Self { http, auth, engine, api: setup.api, agents: setup.agents, queues, _dir: dir };
        Ok((service, mode))
    }

    async fn call(&mut self, method: hyper::Method, path: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
        let headers = [("authorization", self.auth.as_str())];
        let response =
            self.http.send(method, path, &headers, body.map(|b| serde_json::to_vec(&b)).transpose()?).await?;
        let json = if response.body.is_empty() { Value::Null } else { response.json()? };
        Ok((response.status.as_u16(), json))
    }

    async fn staff(&self, available: bool) -> anyhow::Result<()> {
        let state = if available { AgentState::Available } else { AgentState::Offline };
        for agent in self.agents.iter().filter(|a| a.role != tandem_domain::agent::Role::Admin) {
            match self.engine.set_agent_state(self.api, agent.id, state).await {
                Ok(_) | Err(tandem_engine::EngineError::Transition(_)) => {}
                Err(tandem_engine::EngineError::Invalid(_) | tandem_engine::EngineError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Makes an address unique per scenario run (`maya@example.com` → `maya+s7@example.com`).
fn unique_email(email: &str, n: usize) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{local}+s{n}@{domain}"),
        None => email.to_owned(),
    }
}

/// A phone number unique per scenario run.
fn unique_phone(n: usize) -> String {
    format!("+44 7700 9{:05}", n % 100_000)
}

async fn play(
    service: &mut Service,
    n: usize,
    file: &str,
    s: &Scenario,
    latencies: &mut Vec<f64>,
) -> anyhow::Result<ScenarioResult> {
    service.staff(s.agents != "none").await?;
    let email = s.customer.email.as_deref().map(|e| unique_email(e, n));
    let phone = s.customer.phone.as_ref().map(|_| unique_phone(n));
    let visitor = format!("visitor-scenario-{n}");
    let fill = |text: &str| {
        text.replace("{email}", email.as_deref().unwrap_or("nobody@example.com"))
            .replace("{phone}", phone.as_deref().unwrap_or(""))
    };
    // The customer as the CRM knows them (tier, name), before they write.
    let mut profile = json!({ "visitor_id": visitor });
    if let Some(e) = &email {
        profile["email"] = json!(e);
    }
    if let Some(p) = &phone {
        profile["phone"] = json!(p);
    }
    if let Some(t) = &s.customer.tier {
        profile["tier"] = json!(t);
    }
    if let Some(name) = &s.customer.name {
        profile["display_name"] = json!(name);
    }
    let (status, created) = service.call(hyper::Method::POST, "/api/v1/customers", Some(profile)).await?;
    if status != 201 {
        bail!("{file}: creating the customer failed ({status}): {created}");
    }
    let mut channel = s.customer.channel.clone().unwrap_or_else(|| "web_chat".into());
    let mut observed = Observed { outcome: "open".into(), ..Observed::default() };
    let mut conversation: Option<String> = None;
    let mut escalated_at = None;
    let mut resolved_at = None;
    for (i, turn) in s.turns.iter().enumerate() {
        if let Some(c) = &turn.channel {
            channel.clone_from(c);
        }
        let from = match channel.as_str() {
            "email" => json!({ "email": email.clone().unwrap_or_else(|| format!("scenario{n}@example.com")) }),
            "sms" | "whatsapp" | "voice" => json!({ "phone": phone.clone().unwrap_or_else(|| unique_phone(n)) }),
            _ => json!({ "visitor_id": visitor }),
        };
        let body = json!({ "channel": channel, "from": from, "body": fill(&turn.say) });
        let (status, answer) =
            service.call(hyper::Method::POST, "/api/v1/messages/inbound?wait_for_bot=true", Some(body)).await?;
        if status != 201 {
            bail!("{file}: turn {} was refused ({status}): {answer}", i + 1);
        }
        conversation = answer["conversation"]["id"].as_str().map(str::to_owned).or(conversation);
        let mut replies = Vec::new();
        for t in answer["bot_turns"].as_array().into_iter().flatten() {
            for r in t["replies"].as_array().into_iter().flatten() {
                replies.push(r["body"].as_str().unwrap_or_default().to_owned());
                if let Some(lang) = r["language"].as_str() {
                    observed.language = Some(lang.to_owned());
                }
            }
            if let (Some(reason), None) = (t["escalated"].as_str(), escalated_at) {
                observed.reason = Some(reason.to_owned());
                escalated_at = Some(i + 1);
            }
            if t["resolved"] == true && resolved_at.is_none() {
                resolved_at = Some(i + 1);
            }
        }
        observed.replies.push(replies);
    }
    let Some(id) = conversation else { bail!("{file}: no conversation") };
    let (_, detail) = service.call(hyper::Method::GET, &format!("/api/v1/conversations/{id}"), None).await?;
    let owner = &detail["conversation"]["owner"];
    if owner["kind"] == "queue" {
        observed.queue = owner["id"].as_str().and_then(|q| service.queues.get(q)).cloned();
    }
    let (_, handoff) = service.call(hyper::Method::GET, &format!("/api/v1/conversations/{id}/handoff"), None).await?;
    observed.summary = handoff["text"].as_str().map(str::to_owned);
    let (_, tasks) = service.call(hyper::Method::GET, &format!("/api/v1/tasks?conversation_id={id}"), None).await?;
    observed.tasks =
        tasks.as_array().into_iter().flatten().filter_map(|t| t["kind"].as_str().map(str::to_owned)).collect();
    let (_, decisions) =
        service.call(hyper::Method::GET, &format!("/api/v1/conversations/{id}/bot/decisions"), None).await?;
    for d in decisions.as_array().into_iter().flatten() {
        if !d["message_id"].is_null() && d["kind"] != "superseded" {
            latencies.push(d["latency_ms"].as_f64().unwrap_or(0.0));
        }
    }
    let total = s.turns.len() as u32;
    (observed.outcome, observed.turns_to_outcome) = match (escalated_at, resolved_at) {
        (Some(at), _) => ("escalated".into(), at as u32),
        (None, Some(at)) if detail["conversation"]["status"] == "resolved" => ("resolved".into(), at as u32),
        _ => ("open".into(), total),
    };
    // Out of the queues, so the next scenario starts with free agents.
    service.call(hyper::Method::POST, &format!("/api/v1/conversations/{id}/close"), Some(json!({}))).await?;
    let mut checked = s.clone();
    for needle in checked.expect.summary_excludes.iter_mut() {
        *needle = fill(needle);
    }
    for turn in &mut checked.turns {
        for needle in turn.expect_reply.iter_mut().chain(turn.reject_reply.iter_mut()) {
            *needle = fill(needle);
        }
    }
    let problems = scenario::check(&checked, &observed);
    Ok(ScenarioResult {
        name: s.name.clone(),
        file: file.to_owned(),
        expected: s.expect.outcome.clone(),
        observed,
        problems,
    })
}

/// Plays every scenario and adds up the results.
pub async fn run(options: &BotEvalOptions) -> anyhow::Result<BotEvalReport> {
    let scenarios = load_scenarios(&options.scenarios, options.only.as_deref())?;
    let (mut service, knowledge) = Service::start(options).await?;
    let mut results = Vec::new();
    let mut latencies = Vec::new();
    let mut skipped = Vec::new();
    for (n, (file, s)) in scenarios.iter().enumerate() {
        if s.needs_embeddings && knowledge == "bm25" {
            skipped.push(file.clone());
            continue;
        }
        results.push(play(&mut service, n + 1, file, s, &mut latencies).await?);
    }
    latencies.sort_by(f64::total_cmp);
    let mut report = Report::new(results);
    report.skipped = skipped;
    Ok(BotEvalReport {
        report,
        knowledge,
        turns: latencies.len(),
        latency_p50_ms: nearest_rank(&latencies, 0.5),
        latency_p99_ms: nearest_rank(&latencies, 0.99),
    })
}

/// The report for people.
pub fn print(r: &BotEvalReport) {
    println!(
        "{:<6} {:<44} {:<10} {:<10} {:<18} {:>5}  problems",
        "result", "scenario", "expected", "observed", "reason", "turns"
    );
    for s in &r.report.results {
        println!(
            "{:<6} {:<44} {:<10} {:<10} {:<18} {:>5}  {}",
            if s.passed() { "pass" } else { "FAIL" },
            s.file.trim_end_matches(".toml"),
            s.expected,
            s.observed.outcome,
            s.observed.reason.as_deref().unwrap_or("-"),
            s.observed.turns_to_outcome,
            s.problems.join("; ")
        );
    }
    for s in r.report.results.iter().filter(|s| !s.passed()) {
        println!("\n--- {} ({}): what the bot said", s.file, s.name);
        for (i, replies) in s.observed.replies.iter().enumerate() {
            println!("  turn {}:", i + 1);
            for reply in replies {
                println!("    bot: {}", reply.replace('\n', " / "));
            }
        }
    }
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    println!();
    println!(
        "scenarios             {} ({} passed, {} failed)",
        r.report.scenarios,
        r.report.passed,
        r.report.scenarios - r.report.passed
    );
    println!("knowledge             {}", r.knowledge);
    if !r.report.skipped.is_empty() {
        println!(
            "skipped               {} (they need an embedding model: {})",
            r.report.skipped.len(),
            r.report.skipped.join(", ")
        );
    }
    println!("containment           {} (resolved by the bot, no person)", pct(r.report.containment));
    println!("escalation precision  {}", pct(r.report.escalation_precision));
    println!("escalation recall     {}", pct(r.report.escalation_recall));
    println!("reason accuracy       {}", pct(r.report.reason_accuracy));
    println!(
        "turns to resolution   median {:.1}, mean {:.2}",
        r.report.turns_to_resolution_median, r.report.turns_to_resolution_mean
    );
    println!(
        "bot turn latency      p50 {:.2} ms, p99 {:.2} ms over {} turns (excluding business-system calls)",
        r.latency_p50_ms, r.latency_p99_ms, r.turns
    );
}
