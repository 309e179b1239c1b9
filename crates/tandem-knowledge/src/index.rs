//! The knowledge index: one tantivy index for BM25 (per-language fields, filters as
//! exact terms) whose stored documents also carry each passage's record and embedding,
//! and an in-memory table of passages with their vectors in one contiguous matrix per
//! workspace for dense retrieval.
//!
//! The tantivy directory is the only thing on disk: at open the table is rebuilt from
//! the stored documents, so an index and its vectors can never disagree. A sidecar
//! file records the schema version and the embedding model; when either changed, the
//! index starts empty and the caller re-indexes from the store.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tandem_domain::{Article, ArticleId, ArticleStatus, Audience, WorkspaceId};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::KnowledgeError;
use crate::analysis::{self, analysis_key, analysis_keys, tokenizer_name};
use crate::chunk::Passage;

/// Bumped when the schema or the stored record changes: an older index is rebuilt.
const FORMAT: u32 = 1;
const SIDECAR: &str = "tandem-knowledge.json";
/// Memory for tantivy's indexing buffer (its minimum is 15 MB per thread).
const WRITER_MEMORY: usize = 32_000_000;

/// What an index was built with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub format: u32,
    /// The embedding model's name, or `None` for BM25 only.
    pub model: Option<String>,
    pub dimension: usize,
}

impl IndexMeta {
    pub fn new(model: Option<&str>, dimension: usize) -> Self {
        Self { format: FORMAT, model: model.map(str::to_owned), dimension: if model.is_some() { dimension } else { 0 } }
    }
}

/// A passage as indexed, with everything search filters on and shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassageRecord {
    pub workspace_id: WorkspaceId,
    pub article_id: ArticleId,
    pub version: u32,
    pub ordinal: u32,
    pub title: String,
    pub heading: String,
    pub text: String,
    pub language: String,
    pub audience: Audience,
    pub status: ArticleStatus,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub translation_root: ArticleId,
    pub key: Option<String>,
}

impl PassageRecord {
    /// The records of an article's passages.
    pub fn of(article: &Article, passages: &[Passage]) -> Vec<Self> {
        passages
            .iter()
            .map(|p| Self {
                workspace_id: article.workspace_id,
                article_id: article.id,
                version: article.version,
                ordinal: p.ordinal,
                title: article.content.title.clone(),
                heading: p.heading.clone(),
                text: p.text.clone(),
                language: article.content.language.clone(),
                audience: article.content.audience,
                status: article.content.status,
                tags: article.content.tags.clone(),
                product: article.content.product.clone(),
                category: article.content.category.clone(),
                translation_root: article.translation_root(),
                key: article.key.clone(),
            })
            .collect()
    }

    /// What the embedding model reads for this passage.
    pub fn embedding_text(&self) -> String {
        embedding_text(&self.title, &self.heading, &self.text)
    }
}

/// The text embedded for a passage: its article's title, its headings and its text.
pub fn embedding_text(title: &str, heading: &str, text: &str) -> String {
    if heading.is_empty() { format!("{title}\n{text}") } else { format!("{title}\n{heading}\n{text}") }
}

/// A change to the index.
#[derive(Clone, Debug)]
pub enum IndexUpdate {
    /// Replaces every passage of the article with these (vectors beside them, or none
    /// without a model).
    Upsert {
        workspace_id: WorkspaceId,
        article_id: ArticleId,
        passages: Vec<PassageRecord>,
        vectors: Vec<Vec<f32>>,
    },
    Remove {
        workspace_id: WorkspaceId,
        article_id: ArticleId,
    },
}

#[derive(Clone, Copy)]
struct Fields {
    pid: Field,
    workspace: Field,
    article: Field,
    language: Field,
    audience: Field,
    status: Field,
    product: Field,
    tags: Field,
    record: Field,
    vector: Field,
}

/// The per-language text fields, in [`analysis_keys`] order.
#[derive(Clone)]
struct TextFields {
    title: Vec<(String, Field)>,
    text: Vec<(String, Field)>,
}

impl TextFields {
    fn of(&self, key: &str) -> Option<(Field, Field)> {
        let title = self.title.iter().find(|(k, _)| k == key)?.1;
        let text = self.text.iter().find(|(k, _)| k == key)?.1;
        Some((title, text))
    }
}

fn schema() -> (Schema, Fields, TextFields) {
    let mut builder = Schema::builder();
    let pid = builder.add_u64_field("pid", FAST | STORED | INDEXED);
    let workspace = builder.add_text_field("workspace", STRING);
    let article = builder.add_text_field("article", STRING);
    let language = builder.add_text_field("language", STRING);
    let audience = builder.add_text_field("audience", STRING);
    let status = builder.add_text_field("status", STRING);
    let product = builder.add_text_field("product", STRING);
    let tags = builder.add_text_field("tags", STRING);
    let record = builder.add_bytes_field("record", STORED);
    let vector = builder.add_bytes_field("vector", STORED);
    let mut text_fields = TextFields { title: Vec::new(), text: Vec::new() };
    for key in analysis_keys() {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&tokenizer_name(key))
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        text_fields.title.push((key.to_owned(), builder.add_text_field(&format!("title_{key}"), options.clone())));
        text_fields.text.push((key.to_owned(), builder.add_text_field(&format!("text_{key}"), options)));
    }
    let fields = Fields { pid, workspace, article, language, audience, status, product, tags, record, vector };
    (builder.build(), fields, text_fields)
}

/// One row of the in-memory table.
pub(crate) struct Row {
    pub pid: u64,
    pub record: Arc<PassageRecord>,
    pub has_vector: bool,
    pub live: bool,
}

/// A workspace's passages: rows and, beside them, their vectors in one matrix.
#[derive(Default)]
pub(crate) struct Partition {
    pub rows: Vec<Row>,
    /// `rows.len() × dimension`; zeros for rows without a vector.
    pub matrix: Vec<f32>,
    pub dead: usize,
    /// How many live passages each analysis key has (which language fields to search).
    pub keys: HashMap<&'static str, usize>,
}

impl Partition {
    fn live(&self) -> usize {
        self.rows.len() - self.dead
    }
}

#[derive(Default)]
pub(crate) struct Memory {
    pub partitions: HashMap<WorkspaceId, Partition>,
    /// pid → (workspace, row).
    pub by_pid: HashMap<u64, (WorkspaceId, usize)>,
    /// The passages of each article and the version they are from.
    pub articles: HashMap<ArticleId, (WorkspaceId, u32, Vec<u64>)>,
}

impl Memory {
    fn remove_article(&mut self, article: ArticleId) {
        let Some((workspace, _, pids)) = self.articles.remove(&article) else { return };
        let Some(partition) = self.partitions.get_mut(&workspace) else { return };
        for pid in pids {
            if let Some((_, row)) = self.by_pid.remove(&pid)
                && let Some(r) = partition.rows.get_mut(row)
                && r.live
            {
                r.live = false;
                partition.dead += 1;
                let key = analysis_key(&r.record.language);
                if let Some(n) = partition.keys.get_mut(key) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }

    fn add(&mut self, pid: u64, record: PassageRecord, vector: Option<&[f32]>, dimension: usize) {
        let workspace = record.workspace_id;
        let partition = self.partitions.entry(workspace).or_default();
        let row = partition.rows.len();
        *partition.keys.entry(analysis_key(&record.language)).or_default() += 1;
        let entry = self.articles.entry(record.article_id).or_insert((workspace, record.version, Vec::new()));
        entry.1 = record.version;
        entry.2.push(pid);
        let has_vector = vector.is_some_and(|v| v.len() == dimension && dimension > 0);
        match vector {
            Some(v) if has_vector => partition.matrix.extend_from_slice(v),
            _ => partition.matrix.extend(std::iter::repeat_n(0.0, dimension)),
        }
        partition.rows.push(Row { pid, record: Arc::new(record), has_vector, live: true });
        self.by_pid.insert(pid, (workspace, row));
    }

    /// Drops dead rows once they are a quarter of a partition.
    fn compact(&mut self, workspace: WorkspaceId, dimension: usize) {
        let Some(partition) = self.partitions.get_mut(&workspace) else { return };
        if partition.dead < 64 || partition.dead * 4 < partition.rows.len() {
            return;
        }
        let rows = std::mem::take(&mut partition.rows);
        let matrix = std::mem::take(&mut partition.matrix);
        for (i, row) in rows.into_iter().enumerate() {
            if row.live {
                let at = partition.rows.len();
                if dimension > 0 {
                    partition.matrix.extend_from_slice(&matrix[i * dimension..(i + 1) * dimension]);
                }
                self.by_pid.insert(row.pid, (workspace, at));
                partition.rows.push(row);
            }
        }
        partition.dead = 0;
    }
}

/// The index. Cheap to share behind an `Arc`; searches run concurrently with updates.
pub struct KnowledgeIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    text_fields: TextFields,
    meta: IndexMeta,
    next_pid: AtomicU64,
    pub(crate) memory: RwLock<Memory>,
}

/// How an index was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// The existing index, with this many passages.
    Existing { passages: usize },
    /// A new, empty index, and why (none yet, another format or model, unreadable).
    Fresh { reason: String },
}

fn tantivy_error(e: tantivy::TantivyError) -> KnowledgeError {
    KnowledgeError::Index(e.to_string())
}

impl KnowledgeIndex {
    /// An index in memory (tests, evaluations, benchmarks).
    pub fn in_memory(meta: IndexMeta) -> Result<Self, KnowledgeError> {
        let (schema, _, _) = schema();
        Self::from_index(Index::create_in_ram(schema), meta)
    }

    /// Opens the index in `dir`, or starts a fresh one there when there is none or it was
    /// built with another format or model.
    pub fn open(dir: &Path, meta: IndexMeta) -> Result<(Self, Opened), KnowledgeError> {
        let sidecar = dir.join(SIDECAR);
        let previous: Option<IndexMeta> =
            std::fs::read(&sidecar).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let reason = match &previous {
            None if dir.join("meta.json").exists() => Some("the index has no readable description".to_owned()),
            None => Some("there was no index".to_owned()),
            Some(p) if p.format != meta.format => {
                Some(format!("the index format changed ({} → {})", p.format, meta.format))
            }
            Some(p) if p.model != meta.model || p.dimension != meta.dimension => Some(format!(
                "the embedding model changed ({} → {})",
                p.model.as_deref().unwrap_or("none"),
                meta.model.as_deref().unwrap_or("none")
            )),
            Some(_) => None,
        };
        if reason.is_some() && dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| KnowledgeError::Io(format!("clearing {}: {e}", dir.display())))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| KnowledgeError::Io(format!("creating {}: {e}", dir.display())))?;
        let (schema, _, _) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| KnowledgeError::Io(format!("opening {}: {e}", dir.display())))?;
        let index = match Index::open_or_create(directory, schema) {
            Ok(index) => index,
            Err(e) => return Err(KnowledgeError::Index(format!("{}: {e}", dir.display()))),
        };
        let this = Self::from_index(index, meta.clone())?;
        let bytes = serde_json::to_vec_pretty(&meta).map_err(|e| KnowledgeError::Io(e.to_string()))?;
        std::fs::write(&sidecar, bytes)
            .map_err(|e| KnowledgeError::Io(format!("writing {}: {e}", sidecar.display())))?;
        let opened = match reason {
            Some(reason) => Opened::Fresh { reason },
            None => Opened::Existing { passages: this.passage_count() },
        };
        Ok((this, opened))
    }

    fn from_index(index: Index, meta: IndexMeta) -> Result<Self, KnowledgeError> {
        for key in analysis_keys() {
            index.tokenizers().register(&tokenizer_name(key), analysis::analyzer(key));
        }
        let (_, fields, text_fields) = schema();
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => KnowledgeError::Locked,
            other => tantivy_error(other),
        })?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(tantivy_error)?;
        let this = Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            text_fields,
            meta,
            next_pid: AtomicU64::new(1),
            memory: RwLock::new(Memory::default()),
        };
        this.load()?;
        Ok(this)
    }

    /// Rebuilds the in-memory table from the stored documents.
    fn load(&self) -> Result<(), KnowledgeError> {
        let searcher = self.reader.searcher();
        let mut memory = Memory::default();
        let mut max_pid = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..segment.max_doc() {
                if segment.is_deleted(doc) {
                    continue;
                }
                let document: TantivyDocument =
                    searcher.doc(DocAddress::new(ord as u32, doc)).map_err(tantivy_error)?;
                let pid = document.get_first(self.fields.pid).and_then(|v| v.as_u64()).unwrap_or(0);
                let Some(record) = document
                    .get_first(self.fields.record)
                    .and_then(|v| v.as_bytes())
                    .and_then(|b| serde_json::from_slice::<PassageRecord>(b).ok())
                else {
                    continue;
                };
                let vector: Option<Vec<f32>> = document
                    .get_first(self.fields.vector)
                    .and_then(|v| v.as_bytes())
                    .map(|b| b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect());
                max_pid = max_pid.max(pid);
                memory.add(pid, record, vector.as_deref(), self.meta.dimension);
            }
        }
        self.next_pid.store(max_pid + 1, Ordering::SeqCst);
        *self.memory.write().map_err(|_| KnowledgeError::Poisoned)? = memory;
        Ok(())
    }

    pub fn meta(&self) -> &IndexMeta {
        &self.meta
    }

    /// Live passages in all workspaces.
    pub fn passage_count(&self) -> usize {
        self.memory.read().map(|m| m.partitions.values().map(Partition::live).sum()).unwrap_or(0)
    }

    /// Live passages of one workspace.
    pub fn workspace_passages(&self, workspace: WorkspaceId) -> usize {
        self.memory.read().map(|m| m.partitions.get(&workspace).map_or(0, Partition::live)).unwrap_or(0)
    }

    /// The version of every indexed article of a workspace.
    pub fn indexed_versions(&self, workspace: WorkspaceId) -> HashMap<ArticleId, u32> {
        self.memory
            .read()
            .map(|m| {
                m.articles
                    .iter()
                    .filter(|(_, (ws, _, _))| *ws == workspace)
                    .map(|(id, (_, version, _))| (*id, *version))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Applies changes in one commit.
    pub fn apply(&self, updates: Vec<IndexUpdate>) -> Result<(), KnowledgeError> {
        if updates.is_empty() {
            return Ok(());
        }
        let f = self.fields;
        let mut added: Vec<(u64, PassageRecord, Option<Vec<f32>>)> = Vec::new();
        let mut removed: Vec<ArticleId> = Vec::new();
        let mut workspaces = HashSet::new();
        {
            let mut writer = self.writer.lock().map_err(|_| KnowledgeError::Poisoned)?;
            for update in updates {
                match update {
                    IndexUpdate::Remove { workspace_id, article_id } => {
                        writer.delete_term(Term::from_field_text(f.article, &article_id.to_string()));
                        removed.push(article_id);
                        workspaces.insert(workspace_id);
                    }
                    IndexUpdate::Upsert { workspace_id, article_id, passages, vectors } => {
                        writer.delete_term(Term::from_field_text(f.article, &article_id.to_string()));
                        removed.push(article_id);
                        workspaces.insert(workspace_id);
                        let mut vectors = vectors.into_iter();
                        for record in passages {
                            if record.workspace_id != workspace_id || record.article_id != article_id {
                                return Err(KnowledgeError::Index("a passage of another article in an upsert".into()));
                            }
                            let vector = vectors.next();
                            let pid = self.next_pid.fetch_add(1, Ordering::SeqCst);
                            writer
                                .add_document(self.document(pid, &record, vector.as_deref())?)
                                .map_err(tantivy_error)?;
                            added.push((pid, record, vector));
                        }
                    }
                }
            }
            writer.commit().map_err(tantivy_error)?;
        }
        self.reader.reload().map_err(tantivy_error)?;
        let mut memory = self.memory.write().map_err(|_| KnowledgeError::Poisoned)?;
        for article in removed {
            memory.remove_article(article);
        }
        for (pid, record, vector) in added {
            memory.add(pid, record, vector.as_deref(), self.meta.dimension);
        }
        for workspace in workspaces {
            memory.compact(workspace, self.meta.dimension);
        }
        Ok(())
    }

    /// Removes everything (before a full re-index).
    pub fn clear(&self) -> Result<(), KnowledgeError> {
        {
            let mut writer = self.writer.lock().map_err(|_| KnowledgeError::Poisoned)?;
            writer.delete_all_documents().map_err(tantivy_error)?;
            writer.commit().map_err(tantivy_error)?;
        }
        self.reader.reload().map_err(tantivy_error)?;
        *self.memory.write().map_err(|_| KnowledgeError::Poisoned)? = Memory::default();
        Ok(())
    }

    /// Removes one workspace's passages.
    pub fn clear_workspace(&self, workspace: WorkspaceId) -> Result<(), KnowledgeError> {
        let articles: Vec<ArticleId> = self.indexed_versions(workspace).into_keys().collect();
        self.apply(
            articles
                .into_iter()
                .map(|article_id| IndexUpdate::Remove { workspace_id: workspace, article_id })
                .collect(),
        )
    }

    fn document(&self, pid: u64, r: &PassageRecord, vector: Option<&[f32]>) -> Result<TantivyDocument, KnowledgeError> {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.pid, pid);
        doc.add_text(f.workspace, r.workspace_id.to_string());
        doc.add_text(f.article, r.article_id.to_string());
        doc.add_text(f.language, &r.language);
        if let Some(base) = r.language.split('-').next().filter(|b| *b != r.language) {
            doc.add_text(f.language, base);
        }
        doc.add_text(f.audience, r.audience.as_str());
        doc.add_text(f.status, r.status.as_str());
        if let Some(product) = &r.product {
            doc.add_text(f.product, product.to_lowercase());
        }
        for tag in &r.tags {
            doc.add_text(f.tags, tag);
        }
        let key = analysis_key(&r.language);
        let (title, text) =
            self.text_fields.of(key).ok_or_else(|| KnowledgeError::Index(format!("no fields for {key}")))?;
        doc.add_text(title, &r.title);
        doc.add_text(text, format!("{}\n{}", r.heading, r.text));
        doc.add_bytes(f.record, &serde_json::to_vec(r).map_err(|e| KnowledgeError::Index(e.to_string()))?);
        if let Some(v) = vector.filter(|v| v.len() == self.meta.dimension && self.meta.dimension > 0) {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            doc.add_bytes(f.vector, &bytes);
        }
        Ok(doc)
    }

    /// The text fields to search for a filter: one language's, or those of every language
    /// the workspace has.
    pub(crate) fn fields_for(
        &self,
        language: Option<&str>,
        present: &[&'static str],
    ) -> Vec<(&'static str, Field, Field)> {
        let keys: Vec<&'static str> = match language {
            Some(l) => vec![analysis_key(l)],
            None => present.to_vec(),
        };
        keys.into_iter().filter_map(|k| self.text_fields.of(k).map(|(t, x)| (k, t, x))).collect()
    }

    /// BM25 candidates: (pid, score), best first.
    pub(crate) fn bm25(
        &self,
        workspace: WorkspaceId,
        text_query: Box<dyn Query>,
        filter: &crate::search::Filter,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, KnowledgeError> {
        let f = self.fields;
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        clauses.push((Occur::Must, Box::new(BoostQuery::new(term(f.workspace, &workspace.to_string()), 0.0))));
        let statuses = filter.statuses();
        let status_query: Vec<(Occur, Box<dyn Query>)> =
            statuses.iter().map(|s| (Occur::Should, term(f.status, s.as_str()))).collect();
        clauses.push((Occur::Must, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(status_query)), 0.0))));
        if let Some(language) = &filter.language {
            clauses.push((Occur::Must, Box::new(BoostQuery::new(term(f.language, language), 0.0))));
        }
        if let Some(audience) = filter.audience {
            clauses.push((Occur::Must, Box::new(BoostQuery::new(term(f.audience, audience.as_str()), 0.0))));
        }
        if let Some(product) = &filter.product {
            clauses.push((Occur::Must, Box::new(BoostQuery::new(term(f.product, &product.to_lowercase()), 0.0))));
        }
        for tag in &filter.tags {
            clauses.push((Occur::Must, Box::new(BoostQuery::new(term(f.tags, tag), 0.0))));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top =
            searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score()).map_err(tantivy_error)?;
        let mut out = Vec::with_capacity(top.len());
        let mut columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        for (score, address) in top {
            let column = match columns.get(&address.segment_ord) {
                Some(c) => c,
                None => {
                    let c =
                        searcher.segment_reader(address.segment_ord).fast_fields().u64("pid").map_err(tantivy_error)?;
                    columns.entry(address.segment_ord).or_insert(c)
                }
            };
            if let Some(pid) = column.first(address.doc_id) {
                out.push((pid, score));
            }
        }
        Ok(out)
    }

    /// How many indexed passages (of all workspaces) contain `term` in `field`, and how
    /// many there are: for idf weights.
    pub(crate) fn doc_freq(&self, field: Field, term: &str) -> (u64, u64) {
        let searcher = self.reader.searcher();
        let df = searcher.doc_freq(&Term::from_field_text(field, term)).unwrap_or(0);
        (df, searcher.num_docs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_title_and_text_fields_for_every_analysis_key() {
        let (_, _, text) = schema();
        assert_eq!(text.title.len(), analysis_keys().count());
        assert!(text.of("en").is_some() && text.of(analysis::OTHER).is_some());
    }
}
