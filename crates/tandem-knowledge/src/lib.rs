//! Knowledge for Tandem: articles split into passages ([`chunk`]), analysed per language
//! ([`analysis`]), indexed for BM25 in tantivy and for dense retrieval in an in-memory
//! vector table ([`index`]), searched with both and fused ([`search`]), shown as
//! highlighted snippets ([`snippet`]); questions answered poorly grouped into gaps
//! ([`gaps`]); articles read from Markdown, CSV and JSON files ([`import`]).
//!
//! No embedding model lives here: callers embed passages and queries (with
//! `tandem-embed`) and hand the vectors in, so this crate stays free of the ML runtime
//! and search works — BM25 only, and saying so — without a model. The only I/O is the
//! index directory.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod chunk;
pub mod gaps;
pub mod import;
pub mod index;
pub mod search;
pub mod snippet;

pub use chunk::Passage;
pub use gaps::{Gap, GapQuestion, GapSettings};
pub use index::{IndexMeta, IndexUpdate, KnowledgeIndex, Opened, PassageRecord};
pub use search::{Filter, Fusion, Mode, SearchConfig, SearchHit, SearchRequest, SearchResponse};

use tandem_domain::Article;

/// What can go wrong in the knowledge index.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the knowledge index failed: {0}")]
    Index(String),
    #[error("{0}")]
    Io(String),
    #[error("the knowledge index is in use by another process (a running `tandem serve`?); stop it or use the API")]
    Locked,
    #[error("the knowledge index lock was poisoned by a panic")]
    Poisoned,
}

/// An article's passages as index records, and the texts to embed for them (in order).
pub fn prepare(article: &Article) -> (Vec<PassageRecord>, Vec<String>) {
    let mut passages = chunk::passages(&article.content.body);
    if passages.is_empty() {
        passages.push(Passage { ordinal: 0, heading: String::new(), text: article.content.title.clone() });
    }
    let records = PassageRecord::of(article, &passages);
    let texts = records.iter().map(PassageRecord::embedding_text).collect();
    (records, texts)
}
