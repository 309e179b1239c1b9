//! Message understanding, on the box: personal data, language, sentiment, intent with
//! out-of-scope detection, and entities. Pure functions over text plus model loading;
//! no network, no database.

#![forbid(unsafe_code)]

pub mod defaults;
pub mod embedding;
pub mod enrich;
pub mod entities;
pub mod features;
pub mod intent;
pub mod keyphrases;
pub mod language;
pub mod linear;
pub mod pii;
pub mod refine;
pub mod sentiment;

use thiserror::Error;

/// What can go wrong in message understanding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NlpError {
    /// Training could not run (bad data or settings); says what to fix.
    #[error("cannot train: {0}")]
    Training(String),
    /// A model file is missing, unreadable or of the wrong kind.
    #[error("model error: {0}")]
    Model(String),
}
