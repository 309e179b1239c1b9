//! The embedding tier's pieces that need no ML runtime: the [`SentenceEmbedder`] trait
//! (implemented by `tandem-embed`), and [`DenseHead`], a softmax classifier over
//! embeddings trained in Rust.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::NlpError;

/// Turns texts into unit-length vectors.
pub trait SentenceEmbedder: Send + Sync {
    /// Embeds queries (and texts compared with each other, like messages).
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NlpError>;
    /// Embeds passages to be retrieved; models trained with distinct query and passage
    /// prefixes (e5) differ here.
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NlpError> {
        self.embed(texts)
    }
    fn dimension(&self) -> usize;
    /// The model's name (recorded with an index built from its vectors).
    fn model_name(&self) -> &str {
        "unnamed"
    }
}

/// A linear softmax classifier over dense vectors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DenseHead {
    pub labels: Vec<String>,
    dimension: usize,
    /// `labels.len() × dimension`, row-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

impl DenseHead {
    /// Trains with SGD over shuffled examples; `scale` multiplies the inputs (unit
    /// vectors need a larger scale for confident softmax outputs).
    pub fn train(
        vectors: &[Vec<f32>],
        labels_of: &[usize],
        labels: Vec<String>,
        epochs: usize,
        learning_rate: f32,
    ) -> Result<Self, NlpError> {
        let dimension =
            vectors.first().map(Vec::len).ok_or_else(|| NlpError::Training("no training vectors".into()))?;
        if vectors.len() != labels_of.len() || vectors.iter().any(|v| v.len() != dimension) {
            return Err(NlpError::Training("every vector needs a label and the same dimension".into()));
        }
        let k = labels.len();
        let mut head = Self { labels, dimension, weights: vec![0.0; k * dimension], bias: vec![0.0; k] };
        let mut order: Vec<usize> = (0..vectors.len()).collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let total = (epochs * vectors.len()).max(1) as f32;
        let mut step = 0usize;
        let mut scores = vec![0.0f32; k];
        for _ in 0..epochs {
            for i in (1..order.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            for &i in &order {
                let lr = learning_rate * (1.0 - step as f32 / total).max(0.02);
                step += 1;
                let x = &vectors[i];
                head.scores_into(x, &mut scores);
                softmax(&mut scores);
                scores[labels_of[i]] -= 1.0;
                for (c, g) in scores.iter().enumerate() {
                    head.bias[c] -= lr * g;
                    let row = &mut head.weights[c * dimension..(c + 1) * dimension];
                    for (w, xi) in row.iter_mut().zip(x) {
                        *w -= lr * g * SCALE * xi;
                    }
                }
            }
        }
        Ok(head)
    }

    fn scores_into(&self, x: &[f32], scores: &mut [f32]) {
        for (c, s) in scores.iter_mut().enumerate() {
            let row = &self.weights[c * self.dimension..(c + 1) * self.dimension];
            *s = self.bias[c] + SCALE * row.iter().zip(x).map(|(w, xi)| w * xi).sum::<f32>();
        }
    }

    /// Class probabilities for one vector.
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let mut scores = vec![0.0; self.labels.len()];
        if x.len() == self.dimension {
            self.scores_into(x, &mut scores);
        }
        softmax(&mut scores);
        scores
    }

    pub fn write_to(&self, out: &mut impl Write) -> Result<(), NlpError> {
        serde_json::to_writer(out, self).map_err(|e| NlpError::Model(e.to_string()))
    }

    pub fn read_from(input: &mut impl Read) -> Result<Self, NlpError> {
        serde_json::from_reader(input).map_err(|e| NlpError::Model(format!("not an embedding head: {e}")))
    }
}

/// Unit vectors have small dot products; scaling them lets the softmax become confident.
const SCALE: f32 = 10.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_two_directions() {
        let vectors = vec![vec![1.0, 0.0], vec![0.9, 0.1], vec![0.0, 1.0], vec![0.1, 0.9]];
        let head = DenseHead::train(&vectors, &[0, 0, 1, 1], vec!["a".into(), "b".into()], 50, 0.1).unwrap();
        assert!(head.predict(&[0.95, 0.05])[0] > 0.8);
        assert!(head.predict(&[0.05, 0.95])[1] > 0.8);
        assert!(DenseHead::train(&[], &[], vec![], 1, 0.1).is_err());
    }
}
