//! `tandem eval kb`: retrieval quality of the knowledge index — BM25 alone, dense alone
//! and hybrid — as nDCG@10, MRR@10 and Recall@5 on the sets of [`super::kb_data`], with
//! Python's `rank_bm25` beside it on the same corpus and queries when asked.
//!
//! Recall@5 is capped (relevant found in the top five ÷ min(5, relevant)), so a query
//! with a hundred relevant responses can reach 1 as a query with one can.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use tandem_domain::{Article, ArticleContent, ArticleId, ArticleStatus, Audience, Editor, WorkspaceId};
use tandem_embed::{BertEncoder, ModelKind};
use tandem_knowledge::{Fusion, IndexMeta, IndexUpdate, KnowledgeIndex, Mode, SearchConfig, SearchRequest, prepare};

use super::data::Split;
use super::kb_data::{self, Corpus};

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct KbEvalOptions {
    pub datasets: Option<PathBuf>,
    pub split: Split,
    /// Where the embedding models are.
    pub models: Option<PathBuf>,
    /// `e5`, `minilm`, `all` (every installed model) or `none` (BM25 only).
    pub model: String,
    /// At most this many queries (and a proportionate share of documents for bitext).
    pub limit: Option<usize>,
    /// A Python with `rank_bm25` to run beside Tandem.
    pub peer_python: Option<PathBuf>,
    /// Print every fusion setting tried (for tuning on dev).
    pub tune: bool,
}

/// One retriever's figures on one set.
#[derive(Clone, Debug, Serialize)]
pub struct RetrievalReport {
    pub corpus: String,
    pub retriever: String,
    pub model: Option<String>,
    pub queries: usize,
    pub documents: usize,
    pub passages: usize,
    pub ndcg_at_10: f64,
    pub mrr_at_10: f64,
    pub recall_at_5: f64,
    /// Searches per second on one thread, excluding the query embedding.
    pub queries_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub note: Option<String>,
}

/// The figures of one ranking list per query.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
    pub ndcg_at_10: f64,
    pub mrr_at_10: f64,
    pub recall_at_5: f64,
}

/// nDCG@10, MRR@10 and capped Recall@5 averaged over queries.
pub fn metrics(rankings: &[Vec<String>], relevant: &[&HashSet<String>]) -> Metrics {
    let mut total = Metrics::default();
    for (ranking, relevant) in rankings.iter().zip(relevant) {
        let mut dcg = 0.0;
        let mut first = None;
        let mut found_at_5 = 0;
        for (i, id) in ranking.iter().take(10).enumerate() {
            if relevant.contains(id) {
                dcg += 1.0 / ((i + 2) as f64).log2();
                first.get_or_insert(i);
                if i < 5 {
                    found_at_5 += 1;
                }
            }
        }
        let ideal: f64 = (0..relevant.len().min(10)).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
        total.ndcg_at_10 += if ideal > 0.0 { dcg / ideal } else { 0.0 };
        total.mrr_at_10 += first.map_or(0.0, |i| 1.0 / (i + 1) as f64);
        total.recall_at_5 += f64::from(found_at_5) / relevant.len().clamp(1, 5) as f64;
    }
    let n = rankings.len().max(1) as f64;
    Metrics { ndcg_at_10: total.ndcg_at_10 / n, mrr_at_10: total.mrr_at_10 / n, recall_at_5: total.recall_at_5 / n }
}

/// The `p` quantile of sorted values (nearest rank); 0 when empty.
pub(crate) fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    sorted_ms[((sorted_ms.len() as f64 - 1.0) * p).round() as usize]
}

/// Embeddings are slow on CPU; they are kept between runs in the models directory, keyed
/// by the model and a hash of the texts.
pub(crate) struct EmbeddingCache {
    dir: PathBuf,
}

impl EmbeddingCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn key(model: &str, kind: &str, texts: &[String]) -> String {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for b in model.bytes().chain(kind.bytes()).chain(texts.iter().flat_map(|t| t.bytes().chain([0]))) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{model}-{kind}-{}-{hash:016x}.f32", texts.len())
    }

    pub(crate) fn get_or_embed(
        &self,
        encoder: &BertEncoder,
        kind: &str,
        texts: &[String],
    ) -> anyhow::Result<(Vec<Vec<f32>>, Option<f64>)> {
        let path = self.dir.join(Self::key(encoder.name(), kind, texts));
        let dim = encoder.dimension();
        if let Ok(bytes) = std::fs::read(&path)
            && bytes.len() == texts.len() * dim * 4
        {
            let floats: Vec<f32> =
                bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            return Ok((floats.chunks(dim).map(<[f32]>::to_vec).collect(), None));
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let started = Instant::now();
        let vectors =
            if kind == "passage" { encoder.embed_passages_many(&refs, 16)? } else { encoder.embed_many(&refs, 32)? };
        let per_second = texts.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
        std::fs::create_dir_all(&self.dir).ok();
        let bytes: Vec<u8> = vectors.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("could not cache embeddings in {}: {e}", path.display());
        }
        Ok((vectors, Some(per_second)))
    }
}

/// The corpus as articles (one per document, public and published).
pub fn articles(corpus: &Corpus, workspace: WorkspaceId) -> Vec<Article> {
    let now = chrono::Utc::now();
    corpus
        .docs
        .iter()
        .map(|d| Article {
            id: ArticleId::new(),
            workspace_id: workspace,
            key: Some(d.id.clone()),
            translation_of: None,
            content: ArticleContent {
                title: d.title.clone(),
                body: d.body.clone(),
                language: corpus.language.clone(),
                tags: Vec::new(),
                product: None,
                category: None,
                audience: Audience::Public,
                status: ArticleStatus::Published,
            },
            version: 1,
            created_at: now,
            updated_at: now,
            updated_by: Editor::Import,
        })
        .collect()
}

/// An indexed corpus and its query vectors.
struct Indexed {
    index: KnowledgeIndex,
    workspace: WorkspaceId,
    passages: usize,
    query_vectors: Option<Vec<Vec<f32>>>,
}

fn build(
    corpus: &Corpus,
    encoder: Option<&BertEncoder>,
    cache: &EmbeddingCache,
) -> anyhow::Result<(Indexed, Option<String>)> {
    let workspace = WorkspaceId::new();
    let articles = articles(corpus, workspace);
    let prepared: Vec<_> = articles.iter().map(prepare).collect();
    let texts: Vec<String> = prepared.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
    let mut note = None;
    let (vectors, query_vectors) = match encoder {
        Some(encoder) => {
            let (vectors, rate) = cache.get_or_embed(encoder, "passage", &texts)?;
            let queries: Vec<String> = corpus.queries.iter().map(|q| q.text.clone()).collect();
            let (query_vectors, _) = cache.get_or_embed(encoder, "query", &queries)?;
            if let Some(rate) = rate {
                note = Some(format!("embedded {} passages at {rate:.1}/s", texts.len()));
            }
            (Some(vectors), Some(query_vectors))
        }
        None => (None, None),
    };
    let meta = IndexMeta::new(encoder.map(BertEncoder::name), encoder.map_or(0, BertEncoder::dimension));
    let index = KnowledgeIndex::in_memory(meta)?;
    let mut vectors = vectors.map(Vec::into_iter);
    let updates = articles
        .iter()
        .zip(prepared)
        .map(|(a, (passages, texts))| IndexUpdate::Upsert {
            workspace_id: workspace,
            article_id: a.id,
            passages,
            vectors: vectors.as_mut().map(|v| v.by_ref().take(texts.len()).collect()).unwrap_or_default(),
        })
        .collect();
    index.apply(updates)?;
    Ok((Indexed { passages: index.passage_count(), index, workspace, query_vectors }, note))
}

/// The ranking (document ids) and latency of each query for one retriever.
fn run_queries(
    indexed: &Indexed,
    corpus: &Corpus,
    mode: Mode,
    config: &SearchConfig,
) -> anyhow::Result<(Vec<Vec<String>>, Vec<f64>)> {
    let mut rankings = Vec::with_capacity(corpus.queries.len());
    let mut millis = Vec::with_capacity(corpus.queries.len());
    for (i, query) in corpus.queries.iter().enumerate() {
        let mut request = SearchRequest::new(indexed.workspace, query.text.clone());
        request.mode = mode;
        request.limit = 10;
        request.query_language = Some(corpus.language.clone());
        let vector = indexed.query_vectors.as_ref().and_then(|v| v.get(i)).map(Vec::as_slice);
        let started = Instant::now();
        let response = indexed.index.search(&request, vector, config)?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
        rankings.push(response.hits.into_iter().filter_map(|h| h.key).collect());
    }
    Ok((rankings, millis))
}

fn report(
    corpus: &Corpus,
    retriever: &str,
    model: Option<&str>,
    passages: usize,
    rankings: &[Vec<String>],
    mut millis: Vec<f64>,
    note: Option<String>,
) -> RetrievalReport {
    let relevant: Vec<&HashSet<String>> = corpus.queries.iter().map(|q| &q.relevant).collect();
    let m = metrics(rankings, &relevant);
    let total: f64 = millis.iter().sum();
    millis.sort_by(f64::total_cmp);
    RetrievalReport {
        corpus: corpus.name.clone(),
        retriever: retriever.to_owned(),
        model: model.map(str::to_owned),
        queries: corpus.queries.len(),
        documents: corpus.docs.len(),
        passages,
        ndcg_at_10: m.ndcg_at_10,
        mrr_at_10: m.mrr_at_10,
        recall_at_5: m.recall_at_5,
        queries_per_second: corpus.queries.len() as f64 / (total / 1000.0).max(1e-9),
        p50_ms: percentile(&millis, 0.5),
        p99_ms: percentile(&millis, 0.99),
        note,
    }
}

/// The fusion settings tried with `--tune`.
pub fn fusion_grid() -> Vec<Fusion> {
    let mut grid: Vec<Fusion> = [5.0, 10.0, 30.0, 60.0].into_iter().map(|k| Fusion::Rrf { k }).collect();
    grid.extend((1..=9).map(|a| Fusion::Weighted { alpha: a as f32 / 10.0 }));
    grid
}

fn fusion_name(f: Fusion) -> String {
    match f {
        Fusion::Rrf { k } => format!("rrf k={k}"),
        Fusion::Weighted { alpha } => format!("weighted a={alpha:.1}"),
    }
}

fn encoders(options: &KbEvalOptions) -> anyhow::Result<Vec<BertEncoder>> {
    let root = options.models.clone().unwrap_or_else(tandem_embed::models_dir);
    let kinds: Vec<ModelKind> = match options.model.as_str() {
        "none" => Vec::new(),
        "all" => ModelKind::ALL.to_vec(),
        other => {
            vec![ModelKind::parse(other).with_context(|| format!("--model `{other}`: use e5, minilm, all or none"))?]
        }
    };
    let mut out = Vec::new();
    for kind in kinds {
        match tandem_embed::resolve(kind, &root) {
            Some(dir) => out.push(BertEncoder::load_model(kind, &dir, 256)?),
            None => eprintln!("{} is not in {} (run `tandem models install`)", kind.directory(), root.display()),
        }
    }
    Ok(out)
}

fn limited(mut corpus: Corpus, limit: Option<usize>) -> Corpus {
    if let Some(limit) = limit
        && corpus.queries.len() > limit
    {
        let step = corpus.queries.len() as f64 / limit as f64;
        corpus.queries = (0..limit).filter_map(|i| corpus.queries.get((i as f64 * step) as usize).cloned()).collect();
        // Keep the relevant documents and an even share of the rest.
        let keep_share = (limit as f64 / (corpus.docs.len() as f64 / 4.0).max(1.0)).min(1.0);
        if corpus.docs.len() > 1000 {
            let relevant: HashSet<&String> = corpus.queries.iter().flat_map(|q| q.relevant.iter()).collect();
            let every = (1.0 / keep_share).round().max(1.0) as usize;
            let docs: Vec<_> = corpus
                .docs
                .iter()
                .enumerate()
                .filter(|(i, d)| i % every == 0 || (relevant.contains(&d.id) && i % (every * 2) == 1))
                .map(|(_, d)| d.clone())
                .collect();
            let ids: HashSet<String> = docs.iter().map(|d| d.id.clone()).collect();
            for q in &mut corpus.queries {
                q.relevant.retain(|r| ids.contains(r));
            }
            corpus.queries.retain(|q| !q.relevant.is_empty());
            corpus.docs = docs;
        }
    }
    corpus
}

/// Runs the evaluation; with `tune`, also returns the grid of fusion settings.
pub fn run(options: &KbEvalOptions) -> anyhow::Result<Vec<RetrievalReport>> {
    let Some(root) = super::data::locate(options.datasets.as_deref()) else {
        anyhow::bail!("no datasets folder found; pass --datasets DIR or set TANDEM_DATASETS");
    };
    let corpora: Vec<Corpus> =
        kb_data::all(&root, options.split)?.into_iter().map(|c| limited(c, options.limit)).collect();
    if corpora.is_empty() {
        anyhow::bail!("none of the retrieval sets is in {}", root.display());
    }
    let encoders = encoders(options)?;
    let cache =
        EmbeddingCache { dir: options.models.clone().unwrap_or_else(tandem_embed::models_dir).join(".cache/kb-eval") };
    let mut reports = Vec::new();
    for corpus in &corpora {
        let (indexed, _) = build(corpus, None, &cache)?;
        let config = SearchConfig::default();
        let (rankings, millis) = run_queries(&indexed, corpus, Mode::Bm25, &config)?;
        reports.push(report(corpus, "bm25", None, indexed.passages, &rankings, millis, None));
        for encoder in &encoders {
            let (indexed, note) = build(corpus, Some(encoder), &cache)?;
            let config = SearchConfig::for_model(Some(encoder.name()));
            for mode in [Mode::Dense, Mode::Hybrid] {
                let (rankings, millis) = run_queries(&indexed, corpus, mode, &config)?;
                let note = if mode == Mode::Dense { note.clone() } else { Some(fusion_name(config.fusion)) };
                reports.push(report(
                    corpus,
                    mode.as_str(),
                    Some(encoder.name()),
                    indexed.passages,
                    &rankings,
                    millis,
                    note,
                ));
            }
            if options.tune {
                // Fusion settings, then the cosine calibration around the chosen weight.
                let mut grid: Vec<SearchConfig> =
                    fusion_grid().into_iter().map(|fusion| SearchConfig { fusion, ..config }).collect();
                for dl in [-0.1, -0.05, 0.0, 0.05] {
                    for dh in [-0.04, 0.0, 0.04] {
                        for alpha in [0.1, 0.2, 0.3] {
                            grid.push(SearchConfig {
                                fusion: Fusion::Weighted { alpha },
                                cosine_low: config.cosine_low + dl,
                                cosine_high: config.cosine_high + dh,
                                ..config
                            });
                        }
                    }
                }
                for tuned in grid {
                    let (rankings, millis) = run_queries(&indexed, corpus, Mode::Hybrid, &tuned)?;
                    let retriever = format!(
                        "tune {} cos {:.2}-{:.2}",
                        fusion_name(tuned.fusion),
                        tuned.cosine_low,
                        tuned.cosine_high
                    );
                    reports.push(report(
                        corpus,
                        &retriever,
                        Some(encoder.name()),
                        indexed.passages,
                        &rankings,
                        millis,
                        None,
                    ));
                }
            }
        }
    }
    if let Some(python) = &options.peer_python {
        reports.extend(peer(python, &corpora).context("running the rank_bm25 peer")?);
    }
    Ok(reports)
}

/// The rank_bm25 peer, run by the given Python on the same documents and queries.
fn peer(python: &Path, corpora: &[Corpus]) -> anyhow::Result<Vec<RetrievalReport>> {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("corpora.json");
    let output = dir.path().join("rankings.json");
    let script = dir.path().join("kb_peer.py");
    std::fs::write(&script, include_str!("../../../../scripts/kb_peer.py"))?;
    let payload: Vec<serde_json::Value> = corpora
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "docs": c.docs.iter().map(|d| serde_json::json!({"id": d.id, "text": format!("{}\n{}", d.title, d.body)})).collect::<Vec<_>>(),
                "queries": c.queries.iter().map(|q| q.text.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    std::fs::write(&input, serde_json::to_vec(&payload)?)?;
    let status = std::process::Command::new(python).arg(&script).arg(&input).arg(&output).status()?;
    anyhow::ensure!(status.success(), "{} {} failed", python.display(), script.display());
    let results: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&output)?)?;
    let mut out = Vec::new();
    for (corpus, result) in corpora.iter().zip(results) {
        let rankings: Vec<Vec<String>> = serde_json::from_value(result["rankings"].clone())?;
        let millis: Vec<f64> = serde_json::from_value(result["millis"].clone())?;
        out.push(report(
            corpus,
            "rank_bm25 (python)",
            None,
            corpus.docs.len(),
            &rankings,
            millis,
            Some("BM25Okapi, \\w+ lower-case tokens".into()),
        ));
    }
    Ok(out)
}

/// Prints reports as a table, with each retriever's nDCG@10 relative to BM25.
pub fn print(reports: &[RetrievalReport]) {
    println!(
        "{:<17} {:<24} {:<22} {:>6} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8}",
        "set", "retriever", "model", "n", "docs", "nDCG@10", "MRR@10", "Recall@5", "vs BM25", "q/s", "p99 ms"
    );
    for r in reports {
        let bm25 = reports.iter().find(|b| b.corpus == r.corpus && b.retriever == "bm25").map_or(0.0, |b| b.ndcg_at_10);
        let relative = if bm25 > 0.0 { format!("{:+.1}%", (r.ndcg_at_10 / bm25 - 1.0) * 100.0) } else { "-".into() };
        println!(
            "{:<17} {:<24} {:<22} {:>6} {:>7} {:>7.2}% {:>7.2}% {:>8.2}% {:>9} {:>9.0} {:>8.2}{}",
            r.corpus,
            r.retriever,
            r.model.as_deref().unwrap_or("-"),
            r.queries,
            r.documents,
            r.ndcg_at_10 * 100.0,
            r.mrr_at_10 * 100.0,
            r.recall_at_5 * 100.0,
            relative,
            r.queries_per_second,
            r.p99_ms,
            r.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_known_rankings() {
        let relevant: HashSet<String> = ["a".to_string()].into();
        let m = metrics(&[vec!["a".into(), "b".into()]], &[&relevant]);
        assert_eq!(m, Metrics { ndcg_at_10: 1.0, mrr_at_10: 1.0, recall_at_5: 1.0 });
        let m = metrics(&[vec!["b".into(), "a".into()]], &[&relevant]);
        assert!((m.ndcg_at_10 - 1.0 / 3f64.log2()).abs() < 1e-9 && (m.mrr_at_10 - 0.5).abs() < 1e-9);
        let m = metrics(&[vec!["x".into(); 10]], &[&relevant]);
        assert_eq!(m, Metrics::default());
        // Many relevant: recall is capped at five.
        let many: HashSet<String> = (0..20).map(|i| i.to_string()).collect();
        let ranking: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let m = metrics(&[ranking], &[&many]);
        assert_eq!((m.ndcg_at_10, m.recall_at_5), (1.0, 1.0));
    }
}
