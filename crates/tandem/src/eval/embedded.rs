//! The embedding tiers: MiniLM sentence embeddings with a softmax head trained in Rust,
//! alone and averaged with the n-gram tier.

use std::time::Instant;

use tandem_embed::{BertEncoder, ModelKind};
use tandem_nlp::embedding::DenseHead;

use super::EvalOptions;

/// Loads MiniLM if the models directory has it.
pub fn encoder(options: &EvalOptions) -> anyhow::Result<Option<BertEncoder>> {
    let root = options.models.clone().unwrap_or_else(tandem_embed::models_dir);
    match tandem_embed::resolve(ModelKind::MiniLm, &root) {
        Some(dir) => Ok(Some(BertEncoder::load(&dir, "", 128)?)),
        None => {
            eprintln!(
                "embedding tiers skipped: no all-MiniLM-L6-v2 in {} (run `tandem models install`)",
                root.display()
            );
            Ok(None)
        }
    }
}

/// Embeds texts in batches; returns the vectors and texts per second.
pub fn embed_all(encoder: &BertEncoder, texts: &[&str]) -> anyhow::Result<(Vec<Vec<f32>>, f64)> {
    let started = Instant::now();
    let out = encoder.embed_many(texts, 32)?;
    Ok((out, texts.len() as f64 / started.elapsed().as_secs_f64().max(1e-9)))
}

/// Trains a head on vectors labelled with names.
pub fn head(vectors: &[Vec<f32>], labels: &[String]) -> anyhow::Result<DenseHead> {
    let mut names: Vec<String> = labels.to_vec();
    names.sort();
    names.dedup();
    let index: Vec<usize> = labels.iter().map(|l| names.iter().position(|n| n == l).unwrap_or(0)).collect();
    Ok(DenseHead::train(vectors, &index, names, 30, 0.05)?)
}
