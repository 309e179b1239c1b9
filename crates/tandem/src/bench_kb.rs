//! `tandem bench kb`: the knowledge index at 10,000 articles. Articles are generated from
//! the datasets' own text, taking from each source in turn: the bitext customer-service
//! responses (title: the request, body: the response), the COVID FAQ bank (question and
//! answer), MTS-Dialog's clinical notes and doctor–patient dialogues, and the SGD
//! dialogues cut into parts of up to eight turns; each is a Markdown article under its
//! title. Queries are the held-out customer requests and FAQ questions of the dev split.
//!
//! Prints the index build time (BM25 and vectors; passage embedding timed apart),
//! query latency p50/p99 for BM25, dense and hybrid retrieval on one thread excluding
//! the query embedding, the query embedding itself, hybrid including it, the live
//! knowledge cards of the service (store reads, embedding, hybrid search and the
//! recorded question) for new customer messages, and the process memory and index size.
//! The side-by-side comparison with a peer (Python's rank_bm25 on the same corpus and
//! queries, in the same run) is `tandem eval kb --peer-python`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use tandem_domain::{Article, ArticleDraft, ArticleId, Audience, Editor, WorkspaceId};
use tandem_embed::{BertEncoder, ModelKind};
use tandem_knowledge::{IndexMeta, IndexUpdate, KnowledgeIndex, Mode, SearchConfig, SearchRequest, prepare};
use tandem_nlp::embedding::SentenceEmbedder;

use crate::eval::data::Split;
use crate::eval::kb::{EmbeddingCache, percentile};
use crate::eval::kb_data;

/// What to run.
#[derive(Clone, Debug)]
pub struct KbBenchOptions {
    pub articles: usize,
    pub queries: usize,
    /// `e5`, `minilm` or `none`.
    pub model: String,
    pub models: Option<std::path::PathBuf>,
    pub datasets: Option<std::path::PathBuf>,
}

/// Latency of one operation, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub operation: String,
    pub calls: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The benchmark's figures.
#[derive(Clone, Debug, Serialize)]
pub struct KbBenchReport {
    pub articles: usize,
    pub passages: usize,
    pub model: Option<String>,
    pub embed_passages_seconds: Option<f64>,
    pub index_build_seconds: f64,
    pub index_bytes: u64,
    pub rss_before_mb: f64,
    pub rss_after_mb: f64,
    pub latencies: Vec<Latency>,
}

fn latency(operation: &str, mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| percentile(&ms, p);
    Latency { operation: operation.to_owned(), calls: ms.len(), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
}

/// Resident memory of this process, in MB (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

/// Source texts of one kind, as (title, body, language).
type Source = Vec<(String, String, String)>;

fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
}

/// The article sources: bitext responses, the COVID FAQ bank, MTS-Dialog clinical notes
/// and dialogues, and SGD dialogues cut into parts of up to eight turns.
fn sources(root: &std::path::Path) -> anyhow::Result<Vec<Source>> {
    use crate::eval::kb_data::rows;
    let mut out: Vec<Source> = Vec::new();
    let bitext = root.join("bitext-llm-responses/bitext_llm_train.csv.gz");
    if bitext.exists() {
        out.push(
            rows(&bitext, &["instruction", "response"])?
                .into_iter()
                .map(|r| (r[0].clone(), r[1].clone(), "en".into()))
                .collect(),
        );
    }
    let faq = root.join("covid-faq-sim/faq_covidbert.csv");
    if faq.exists() {
        out.push(
            rows(&faq, &["question", "answer"])?
                .into_iter()
                .map(|r| (r[0].clone(), r[1].clone(), "en".into()))
                .collect(),
        );
    }
    for name in ["MTS-Dialog-TrainingSet.csv", "MTS-Dialog-ValidationSet.csv"] {
        let path = root.join("mts-dialog").join(name);
        if path.exists() {
            let mut notes = Source::new();
            for r in rows(&path, &["section_header", "section_text", "dialogue"])? {
                notes.push((format!("{}: {}", r[0], first_words(&r[1], 8)), r[1].clone(), "en".into()));
                notes.push((first_words(&r[2], 10), r[2].clone(), "en".into()));
            }
            out.push(notes);
        }
    }
    let mut dialogues = Source::new();
    for split in ["train", "dev"] {
        let Ok(entries) = std::fs::read_dir(root.join("sgd").join(split)) else { continue };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let value: serde_json::Value = serde_json::from_reader(crate::eval::data::open(&file)?)
                .with_context(|| format!("reading {}", file.display()))?;
            for dialogue in value.as_array().into_iter().flatten() {
                let turns: Vec<String> = dialogue["turns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        format!("{}: {}", t["speaker"].as_str().unwrap_or("?"), t["utterance"].as_str().unwrap_or(""))
                    })
                    .collect();
                for part in turns.chunks(8) {
                    let title = first_words(part[0].split_once(": ").map_or(part[0].as_str(), |(_, u)| u), 10);
                    dialogues.push((title, part.join("\n\n"), "en".into()));
                }
            }
        }
    }
    out.push(dialogues);
    Ok(out)
}

/// Articles (taken from the sources in turn) and queries (held-out requests and questions).
fn material(options: &KbBenchOptions) -> anyhow::Result<(Source, Vec<String>)> {
    let root = crate::eval::data::locate(options.datasets.as_deref())
        .context("no datasets folder found; pass --datasets DIR or set TANDEM_DATASETS")?;
    let mut seen = HashSet::new();
    let mut docs = Source::new();
    let mut iters: Vec<_> = sources(&root)?.into_iter().map(Vec::into_iter).collect();
    while docs.len() < options.articles {
        let mut any = false;
        for it in &mut iters {
            if let Some((title, body, language)) = it.next() {
                any = true;
                if !title.trim().is_empty()
                    && !body.trim().is_empty()
                    && seen.insert(body.clone())
                    && docs.len() < options.articles
                {
                    docs.push((title, body, language));
                }
            }
        }
        if !any {
            break;
        }
    }
    let corpora = kb_data::all(&root, Split::Dev)?;
    let mut queries = Vec::new();
    for c in &corpora {
        queries.extend(c.queries.iter().map(|q| q.text.clone()).take(options.queries.div_ceil(corpora.len())));
    }
    queries.truncate(options.queries);
    anyhow::ensure!(!docs.is_empty() && !queries.is_empty(), "the retrieval sets are missing in {}", root.display());
    if docs.len() < options.articles {
        eprintln!("the datasets give {} distinct articles, fewer than {}", docs.len(), options.articles);
    }
    Ok((docs, queries))
}

fn encoder(options: &KbBenchOptions) -> anyhow::Result<Option<BertEncoder>> {
    if options.model == "none" {
        return Ok(None);
    }
    let kind = ModelKind::parse(&options.model)
        .with_context(|| format!("--model `{}`: use e5, minilm or none", options.model))?;
    let root = options.models.clone().unwrap_or_else(tandem_embed::models_dir);
    let dir = tandem_embed::resolve(kind, &root)
        .with_context(|| format!("{} is not in {} (run `tandem models install`)", kind.directory(), root.display()))?;
    Ok(Some(BertEncoder::load_model(kind, &dir, 256)?))
}

/// Runs the benchmark.
pub async fn run(options: &KbBenchOptions) -> anyhow::Result<KbBenchReport> {
    let (docs, queries) = material(options)?;
    let encoder = encoder(options)?;
    let rss_before_mb = rss_mb();
    let dir = tempfile::tempdir()?;
    // The service's store and workspace, so the live cards run against the same index.
    let settings = crate::settings::Settings {
        database: crate::settings::DatabaseSection { data_dir: dir.path().join("data"), ..Default::default() },
        ..Default::default()
    };
    let store = crate::app::open_store(&settings).await?;
    let engine = crate::app::engine(&settings, store)?;
    let (workspace, api_key) = engine.create_workspace("bench", "Bench").await?;
    let ws: WorkspaceId = workspace.id;

    let articles: Vec<Article> = docs
        .iter()
        .enumerate()
        .map(|(i, (title, body, language))| -> anyhow::Result<Article> {
            let content = ArticleDraft {
                title: title.chars().take(300).collect(),
                body: format!("# {}\n\n{body}", title.chars().take(200).collect::<String>()),
                language: language.clone(),
                audience: Some(Audience::Public),
                ..ArticleDraft::default()
            }
            .parse()
            .with_context(|| format!("article {i}"))?;
            let now = tandem_domain::time::now();
            Ok(Article {
                id: ArticleId::new(),
                workspace_id: ws,
                key: Some(format!("bench/{i}")),
                translation_of: None,
                content,
                version: 1,
                created_at: now,
                updated_at: now,
                updated_by: Editor::Import,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let prepared: Vec<_> = articles.iter().map(prepare).collect();
    let texts: Vec<String> = prepared.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
    let passages = texts.len();
    let cache_dir = options.models.clone().unwrap_or_else(tandem_embed::models_dir).join(".cache/kb-bench");
    let cache = EmbeddingCache::new(cache_dir);
    let (vectors, embed_seconds) = match &encoder {
        Some(e) => {
            eprintln!("embedding {passages} passages (cached after the first run)...");
            let started = Instant::now();
            let (v, _) = cache.get_or_embed(e, "passage", &texts)?;
            (Some(v), Some(started.elapsed().as_secs_f64()))
        }
        None => (None, None),
    };
    let meta =
        IndexMeta::new(encoder.as_ref().map(BertEncoder::name), encoder.as_ref().map_or(0, BertEncoder::dimension));
    let index_dir = dir.path().join("index");
    let started = Instant::now();
    {
        let (index, _) = KnowledgeIndex::open(&index_dir, meta.clone())?;
        let mut vectors = vectors.map(Vec::into_iter);
        let mut updates: Vec<IndexUpdate> = articles
            .iter()
            .zip(prepared)
            .map(|(a, (passages, texts))| IndexUpdate::Upsert {
                workspace_id: ws,
                article_id: a.id,
                passages,
                vectors: vectors.as_mut().map(|v| v.by_ref().take(texts.len()).collect()).unwrap_or_default(),
            })
            .collect();
        while !updates.is_empty() {
            let rest = updates.split_off(updates.len().min(500));
            index.apply(std::mem::replace(&mut updates, rest))?;
        }
    }
    let index_build_seconds = started.elapsed().as_secs_f64();
    let index_bytes = dir_bytes(&index_dir);

    // Reopened as the service opens it, with the model behind it.
    let embedder: Option<Arc<dyn SentenceEmbedder>> = encoder.map(|e| Arc::new(e) as Arc<dyn SentenceEmbedder>);
    let (index, _) = KnowledgeIndex::open(&index_dir, meta)?;
    let config = SearchConfig::for_model(embedder.as_ref().map(|e| e.model_name()));
    let mut latencies = Vec::new();
    let mut embed_ms = Vec::new();
    let mut query_vectors = Vec::new();
    for q in &queries {
        if let Some(e) = &embedder {
            let t = Instant::now();
            let v = e.embed(&[q.as_str()]).map_err(|e| anyhow::anyhow!("{e}"))?;
            embed_ms.push(t.elapsed().as_secs_f64() * 1e3);
            query_vectors.push(v.into_iter().next());
        } else {
            query_vectors.push(None);
        }
    }
    let modes: &[Mode] = if embedder.is_some() { &[Mode::Bm25, Mode::Dense, Mode::Hybrid] } else { &[Mode::Bm25] };
    let mut hybrid_ms = Vec::new();
    for mode in modes {
        let mut ms = Vec::new();
        for (q, v) in queries.iter().zip(&query_vectors) {
            let mut request = SearchRequest::new(ws, q.clone());
            request.mode = *mode;
            let t = Instant::now();
            let response = index.search(&request, v.as_deref(), &config)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(response);
        }
        if *mode == Mode::Hybrid {
            hybrid_ms = ms.clone();
        }
        latencies.push(latency(&format!("{} search (excl. query embedding)", mode.as_str()), ms));
    }
    if !embed_ms.is_empty() {
        let with: Vec<f64> = embed_ms.iter().zip(&hybrid_ms).map(|(a, b)| a + b).collect();
        latencies.push(latency("query embedding", embed_ms));
        latencies.push(latency("hybrid search incl. query embedding", with));
    }
    let rss_after_mb = rss_mb();

    // Live cards in the service: a new customer message, then its cards.
    let engine = engine.with_knowledge(tandem_engine::Knowledge::new(index, embedder));
    let actor = engine.authenticate_api_key(&api_key).await?;
    let mut cards_ms = Vec::new();
    for (i, q) in queries.iter().take(300).enumerate() {
        let message = tandem_domain::InboundMessage {
            workspace_id: ws,
            channel: tandem_domain::Channel::WebChat,
            identities: vec![tandem_domain::Identity::external(&format!("bench:{i}"))?],
            display_name: None,
            body: tandem_domain::Body::parse(q)?,
            subject: None,
            language: None,
            attachments: vec![],
            external_id: None,
            idempotency: None,
            understanding: None,
        };
        let outcome = engine.ingest(tandem_engine::InboundRequest { message, idempotency_key: None }).await?;
        let t = Instant::now();
        let cards = engine.knowledge_cards(actor, outcome.conversation.id).await?;
        cards_ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(cards);
    }
    latencies.push(latency("live cards for a new customer message (service)", cards_ms));

    Ok(KbBenchReport {
        articles: articles.len(),
        passages,
        model: engine.knowledge_model(),
        embed_passages_seconds: embed_seconds,
        index_build_seconds,
        index_bytes,
        rss_before_mb,
        rss_after_mb,
        latencies,
    })
}

/// Prints the report.
pub fn print(r: &KbBenchReport) {
    println!(
        "Knowledge index: {} articles, {} passages, model {}",
        r.articles,
        r.passages,
        r.model.as_deref().unwrap_or("none (BM25 only)")
    );
    if let Some(s) = r.embed_passages_seconds {
        println!("passage embedding: {s:.1} s ({:.0} passages/s; cached runs read the vectors)", r.passages as f64 / s);
    }
    println!(
        "index build (tantivy BM25 + vector table, on disk): {:.2} s; index size {:.1} MB",
        r.index_build_seconds,
        r.index_bytes as f64 / 1e6
    );
    println!(
        "memory (RSS): {:.0} MB before the index, {:.0} MB with it and the model",
        r.rss_before_mb, r.rss_after_mb
    );
    println!();
    println!("{:<52} {:>7} {:>9} {:>9} {:>9}", "operation (one thread)", "calls", "p50 ms", "p99 ms", "max ms");
    for l in &r.latencies {
        println!("{:<52} {:>7} {:>9.3} {:>9.3} {:>9.3}", l.operation, l.calls, l.p50_ms, l.p99_ms, l.max_ms);
    }
}
