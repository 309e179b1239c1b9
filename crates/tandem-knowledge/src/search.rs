//! Hybrid retrieval: BM25 candidates from tantivy and dense candidates from the vector
//! table, fused (reciprocal-rank fusion or a weighted sum of normalised scores), then
//! collapsed to the best passages per article, with highlighted snippets, a confidence
//! in [0, 1] and the reasons a passage was found.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde::Serialize;
use tandem_domain::{ArticleId, ArticleStatus, Audience, WorkspaceId};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::KnowledgeError;
use crate::analysis::{self, analysis_key};
use crate::index::{KnowledgeIndex, PassageRecord};
use crate::snippet::{Segment, snippet};

/// Which retrievers to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Hybrid,
    Bm25,
    Dense,
}

impl Mode {
    pub const ALL: [Self; 3] = [Self::Hybrid, Self::Bm25, Self::Dense];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hybrid => "hybrid",
            Self::Bm25 => "bm25",
            Self::Dense => "dense",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// How BM25 and dense results are combined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fusion {
    /// Σ 1 / (k + rank) over the two lists.
    Rrf { k: f32 },
    /// `alpha` × BM25 / best BM25 + (1 − alpha) × calibrated cosine.
    Weighted { alpha: f32 },
}

/// Tunable settings (chosen on the dev split; see `tandem eval kb`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SearchConfig {
    pub fusion: Fusion,
    /// Candidates taken from each retriever before fusion.
    pub candidates: usize,
    /// Weight of a title match against a body match.
    pub title_boost: f32,
    /// Cosines at or below `low` mean "unrelated" (confidence 0), at or above `high`
    /// "the same question" (confidence 1); models differ in their range.
    pub cosine_low: f32,
    pub cosine_high: f32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            fusion: Fusion::Weighted { alpha: 0.3 },
            candidates: 100,
            title_boost: 1.5,
            cosine_low: 0.2,
            cosine_high: 0.8,
        }
    }
}

impl SearchConfig {
    /// The calibration and fusion weight measured for a model (by name), else the
    /// default. Tuned on the dev split of `tandem eval kb`: a weighted sum beat
    /// reciprocal-rank fusion at every setting for both models; e5's cosines carry more
    /// than MiniLM's, so BM25 weighs less beside them.
    pub fn for_model(model: Option<&str>) -> Self {
        let base = Self::default();
        match model {
            Some(m) if m.contains("e5") => {
                Self { fusion: Fusion::Weighted { alpha: 0.1 }, cosine_low: 0.76, cosine_high: 0.92, ..base }
            }
            Some(m) if m.contains("MiniLM") => {
                Self { fusion: Fusion::Weighted { alpha: 0.2 }, cosine_low: 0.25, cosine_high: 0.80, ..base }
            }
            _ => base,
        }
    }

    fn calibrate(&self, cosine: f32) -> f32 {
        ((cosine - self.cosine_low) / (self.cosine_high - self.cosine_low).max(1e-6)).clamp(0.0, 1.0)
    }
}

/// What to search among.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Only articles in this language (`pt` also matches `pt-br`).
    pub language: Option<String>,
    pub audience: Option<Audience>,
    /// Every one of these tags.
    pub tags: Vec<String>,
    pub product: Option<String>,
    /// Allowed statuses; empty means published only.
    pub status: Vec<ArticleStatus>,
    /// Passages not to return (cards an agent dismissed): (article, ordinal).
    pub exclude: HashSet<(ArticleId, u32)>,
}

impl Filter {
    pub(crate) fn statuses(&self) -> Vec<ArticleStatus> {
        if self.status.is_empty() { vec![ArticleStatus::Published] } else { self.status.clone() }
    }

    /// Whether a passage passes the filter; `statuses` is [`Self::statuses`], computed
    /// once per search rather than per passage.
    fn admits(&self, statuses: &[ArticleStatus], r: &PassageRecord) -> bool {
        statuses.contains(&r.status)
            && self
                .language
                .as_ref()
                .is_none_or(|l| r.language == *l || r.language.split('-').next() == Some(l.as_str()))
            && self.audience.is_none_or(|a| a == r.audience)
            && self.product.as_ref().is_none_or(|p| r.product.as_ref().is_some_and(|rp| rp.eq_ignore_ascii_case(p)))
            && self.tags.iter().all(|t| r.tags.contains(t))
            && !self.exclude.contains(&(r.article_id, r.ordinal))
    }
}

/// A search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub workspace_id: WorkspaceId,
    pub query: String,
    /// The query's language, if known (detected by the caller).
    pub query_language: Option<String>,
    pub filter: Filter,
    pub limit: usize,
    pub mode: Mode,
    /// At most this many passages per article (1 shows distinct articles).
    pub per_article: usize,
    /// Articles with one of these tags rank higher (the conversation's intent).
    pub boost_tags: Vec<String>,
}

impl SearchRequest {
    pub fn new(workspace_id: WorkspaceId, query: impl Into<String>) -> Self {
        Self {
            workspace_id,
            query: query.into(),
            query_language: None,
            filter: Filter::default(),
            limit: 10,
            mode: Mode::Hybrid,
            per_article: 1,
            boost_tags: Vec::new(),
        }
    }
}

/// One result: a passage and where it comes from.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub article_id: ArticleId,
    pub version: u32,
    pub passage: u32,
    pub title: String,
    pub heading: String,
    pub text: String,
    pub language: String,
    pub audience: Audience,
    pub tags: Vec<String>,
    pub key: Option<String>,
    /// The fused score (only comparable within one response).
    pub score: f32,
    /// How sure retrieval is that this answers the query, in [0, 1].
    pub confidence: f32,
    pub bm25: Option<f32>,
    pub bm25_rank: Option<u32>,
    pub cosine: Option<f32>,
    pub dense_rank: Option<u32>,
    /// Query words found in the passage (as written in the passage).
    pub matched_terms: Vec<String>,
    pub snippet: Vec<Segment>,
    /// In another language than the query.
    pub cross_lingual: bool,
}

/// Timings of one search, in microseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Timings {
    pub bm25_us: u64,
    pub dense_us: u64,
    pub total_us: u64,
}

/// The answer to a search.
#[derive(Clone, Debug, Serialize)]
pub struct SearchResponse {
    pub hits: Vec<SearchHit>,
    /// What actually ran (BM25 when no model is loaded, whatever was asked).
    pub mode: Mode,
    /// Set when the search ran with less than was asked, and why.
    pub degraded: Option<String>,
    pub query_language: Option<String>,
    /// The best results are in another language than the query.
    pub cross_lingual: bool,
    /// A sentence for people: why the results are in another language, or degraded.
    pub note: Option<String>,
    pub timings: Timings,
}

/// A candidate during fusion.
#[derive(Clone, Copy, Default)]
struct Candidate {
    bm25: Option<(f32, u32)>,
    dense: Option<(f32, u32)>,
    row: usize,
}

impl KnowledgeIndex {
    /// Searches with the query's embedding (`None` without a model: BM25 only, and the
    /// response says so).
    pub fn search(
        &self,
        request: &SearchRequest,
        query_vector: Option<&[f32]>,
        config: &SearchConfig,
    ) -> Result<SearchResponse, KnowledgeError> {
        let started = Instant::now();
        let mut timings = Timings::default();
        let has_dense = query_vector.is_some_and(|v| v.len() == self.meta().dimension && self.meta().dimension > 0);
        let (mode, degraded) = match (request.mode, has_dense) {
            (Mode::Bm25, _) => (Mode::Bm25, None),
            (m, true) => (m, None),
            (_, false) => (
                Mode::Bm25,
                Some("no embedding model is loaded: BM25 only (run `tandem models install` and restart)".to_owned()),
            ),
        };
        let memory = self.memory.read().map_err(|_| KnowledgeError::Poisoned)?;
        let Some(partition) = memory.partitions.get(&request.workspace_id) else {
            return Ok(empty(mode, degraded, request, timings));
        };
        let present: Vec<&'static str> = partition.keys.iter().filter(|(_, n)| **n > 0).map(|(k, _)| *k).collect();
        let fields = self.fields_for(request.filter.language.as_deref(), &present);
        // Query terms per analysis key (for BM25, snippets and coverage).
        let query_terms: HashMap<&'static str, Vec<String>> = fields
            .iter()
            .map(|(key, _, _)| {
                let mut terms: Vec<String> = analysis::terms(key, &request.query).into_iter().map(|t| t.text).collect();
                terms.sort();
                terms.dedup();
                (*key, terms)
            })
            .collect();

        let mut candidates: HashMap<u64, Candidate> = HashMap::new();
        if mode != Mode::Dense {
            let t = Instant::now();
            let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (key, title, text) in &fields {
                for term in query_terms.get(key).into_iter().flatten() {
                    let q = |field| -> Box<dyn Query> {
                        Box::new(TermQuery::new(
                            tantivy::Term::from_field_text(field, term),
                            IndexRecordOption::WithFreqs,
                        ))
                    };
                    should.push((Occur::Should, Box::new(BoostQuery::new(q(*title), config.title_boost))));
                    should.push((Occur::Should, q(*text)));
                }
            }
            if !should.is_empty() {
                let hits = self.bm25(
                    request.workspace_id,
                    Box::new(BooleanQuery::new(should)),
                    &request.filter,
                    config.candidates,
                )?;
                let mut rank = 0;
                for (pid, score) in hits {
                    let Some((_, row)) = memory.by_pid.get(&pid) else { continue };
                    let Some(r) = partition.rows.get(*row).filter(|r| r.live) else { continue };
                    if request.filter.exclude.contains(&(r.record.article_id, r.record.ordinal)) {
                        continue;
                    }
                    rank += 1;
                    candidates.entry(pid).or_insert(Candidate { row: *row, ..Default::default() }).bm25 =
                        Some((score, rank));
                }
            }
            timings.bm25_us = t.elapsed().as_micros() as u64;
        }
        let dimension = self.meta().dimension;
        let mut cosines: HashMap<usize, f32> = HashMap::new();
        if let (true, Some(query)) = (mode != Mode::Bm25, query_vector) {
            let t = Instant::now();
            let statuses = request.filter.statuses();
            let mut scored: Vec<(f32, usize)> = Vec::with_capacity(partition.rows.len());
            for (i, row) in partition.rows.iter().enumerate() {
                if !row.live || !row.has_vector || !request.filter.admits(&statuses, &row.record) {
                    continue;
                }
                let v = &partition.matrix[i * dimension..(i + 1) * dimension];
                scored.push((dot(v, query), i));
            }
            let take = config.candidates.min(scored.len());
            if take > 0 {
                scored.select_nth_unstable_by(take - 1, |a, b| b.0.total_cmp(&a.0));
                scored.truncate(take);
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            }
            for (rank, (cosine, row)) in scored.into_iter().enumerate() {
                cosines.insert(row, cosine);
                let pid = partition.rows[row].pid;
                candidates.entry(pid).or_insert(Candidate { row, ..Default::default() }).dense =
                    Some((cosine, rank as u32 + 1));
            }
            timings.dense_us = t.elapsed().as_micros() as u64;
        }
        let best_bm25 = candidates.values().filter_map(|c| c.bm25.map(|b| b.0)).fold(0.0f32, f32::max);
        let mut fused: Vec<(f32, Candidate)> = candidates
            .into_values()
            .map(|mut c| {
                // A BM25 candidate outside the dense top list still has an exact cosine.
                if c.dense.is_none()
                    && mode == Mode::Hybrid
                    && let Some(q) = query_vector
                    && partition.rows[c.row].has_vector
                {
                    let v = &partition.matrix[c.row * dimension..(c.row + 1) * dimension];
                    c.dense = Some((dot(v, q), u32::MAX));
                }
                let score = match mode {
                    Mode::Bm25 => c.bm25.map_or(0.0, |b| b.0),
                    Mode::Dense => c.dense.map_or(0.0, |d| d.0),
                    Mode::Hybrid => fuse(config, c, best_bm25),
                };
                let boost = if request.boost_tags.iter().any(|t| partition.rows[c.row].record.tags.contains(t)) {
                    match (mode, config.fusion) {
                        (Mode::Hybrid, Fusion::Rrf { k }) => 1.0 / (k + 1.0),
                        (Mode::Bm25, _) => 0.1 * best_bm25,
                        _ => 0.05,
                    }
                } else {
                    0.0
                };
                (score + boost, c)
            })
            .collect();
        // Ties broken by position, so the same query always ranks the same way.
        fused.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.row.cmp(&b.1.row)));

        let mut per_article: HashMap<ArticleId, usize> = HashMap::new();
        let mut hits = Vec::new();
        for (score, c) in fused {
            if hits.len() >= request.limit {
                break;
            }
            let record = &partition.rows[c.row].record;
            let n = per_article.entry(record.article_id).or_default();
            if *n >= request.per_article.max(1) {
                continue;
            }
            *n += 1;
            hits.push(self.hit(record, score, c, request, config, &query_terms));
        }
        drop(memory);
        let query_language = request.query_language.clone();
        let cross_lingual = hits.first().is_some_and(|h| h.cross_lingual);
        let note = match (&degraded, cross_lingual, &query_language, hits.first()) {
            (_, true, Some(q), Some(top)) => Some(format!(
                "No article in `{q}` matched well; these are in `{}` and may need translating for the customer.",
                top.language
            )),
            (Some(reason), _, _, _) => Some(reason.clone()),
            _ => None,
        };
        timings.total_us = started.elapsed().as_micros() as u64;
        Ok(SearchResponse { hits, mode, degraded, query_language, cross_lingual, note, timings })
    }

    fn hit(
        &self,
        record: &PassageRecord,
        score: f32,
        c: Candidate,
        request: &SearchRequest,
        config: &SearchConfig,
        query_terms: &HashMap<&'static str, Vec<String>>,
    ) -> SearchHit {
        let key = analysis_key(&record.language);
        let owned;
        let terms: &[String] = match query_terms.get(key) {
            Some(t) => t,
            None => {
                owned = analysis::terms(key, &request.query).into_iter().map(|t| t.text).collect::<Vec<_>>();
                &owned
            }
        };
        let (segments, matched) = snippet(key, &record.text, terms);
        // Coverage: the share of the query's idf mass found in the passage or its title.
        let mut found_in: HashSet<String> =
            analysis::terms(key, &format!("{} {}", record.title, record.heading)).into_iter().map(|t| t.text).collect();
        found_in.extend(analysis::terms(key, &record.text).into_iter().map(|t| t.text));
        let coverage = self.coverage(key, terms, &found_in);
        let dense_confidence = c.dense.map(|(cosine, _)| config.calibrate(cosine));
        let confidence = match dense_confidence {
            Some(d) => 0.75 * d + 0.25 * coverage,
            None => coverage,
        };
        let cross_lingual =
            request.query_language.as_ref().is_some_and(|q| q.split('-').next() != record.language.split('-').next());
        SearchHit {
            article_id: record.article_id,
            version: record.version,
            passage: record.ordinal,
            title: record.title.clone(),
            heading: record.heading.clone(),
            text: record.text.clone(),
            language: record.language.clone(),
            audience: record.audience,
            tags: record.tags.clone(),
            key: record.key.clone(),
            score,
            confidence,
            bm25: c.bm25.map(|b| b.0),
            bm25_rank: c.bm25.map(|b| b.1),
            cosine: c.dense.map(|d| d.0),
            dense_rank: c.dense.map(|d| d.1).filter(|r| *r != u32::MAX),
            matched_terms: matched,
            snippet: segments,
            cross_lingual,
        }
    }

    fn coverage(&self, key: &str, terms: &[String], found: &HashSet<String>) -> f32 {
        let Some((_, text_field)) = self.fields_for(Some(key), &[]).first().map(|(_, t, x)| (*t, *x)) else {
            return 0.0;
        };
        let (mut total, mut hit) = (0.0f32, 0.0f32);
        for term in terms {
            let (df, n) = self.doc_freq(text_field, term);
            let idf = (1.0 + (n as f32 - df as f32 + 0.5) / (df as f32 + 0.5)).ln().max(0.05);
            total += idf;
            if found.contains(term) {
                hit += idf;
            }
        }
        if total > 0.0 { hit / total } else { 0.0 }
    }
}

fn fuse(config: &SearchConfig, c: Candidate, best_bm25: f32) -> f32 {
    match config.fusion {
        Fusion::Rrf { k } => {
            let part =
                |r: Option<(f32, u32)>| r.filter(|r| r.1 != u32::MAX).map_or(0.0, |(_, rank)| 1.0 / (k + rank as f32));
            part(c.bm25) + part(c.dense)
        }
        Fusion::Weighted { alpha } => {
            let lexical = c.bm25.map_or(0.0, |(s, _)| if best_bm25 > 0.0 { s / best_bm25 } else { 0.0 });
            let semantic = c.dense.map_or(0.0, |(cosine, _)| config.calibrate(cosine));
            alpha * lexical + (1.0 - alpha) * semantic
        }
    }
}

fn empty(mode: Mode, degraded: Option<String>, request: &SearchRequest, timings: Timings) -> SearchResponse {
    SearchResponse {
        hits: Vec::new(),
        mode,
        note: degraded.clone(),
        degraded,
        query_language: request.query_language.clone(),
        cross_lingual: false,
        timings,
    }
}

/// The dot product (cosine for unit vectors), in four lanes so it vectorises.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = a.len() / 8;
    for i in 0..chunks {
        for l in 0..8 {
            lanes[l] += a[i * 8 + l] * b[i * 8 + l];
        }
    }
    let mut sum: f32 = lanes.iter().sum();
    for i in chunks * 8..a.len().min(b.len()) {
        sum += a[i] * b[i];
    }
    sum
}
