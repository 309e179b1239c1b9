//! A multinomial logistic-regression classifier over hashed sparse features, trained
//! with SGD in Rust. Only the hashed features seen in training get a weight row, so a
//! model is small; weights are stored quantised to 8 bits per class with a scale per
//! row.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::NlpError;
use crate::features::{FeatureConfig, Features, extract};

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 penalty applied to the rows an example touches.
    pub l2: f32,
    /// Features seen fewer times than this in training get no row.
    pub min_count: u32,
    /// Shuffling seed (training is deterministic for a seed).
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self { epochs: 30, learning_rate: 0.8, l2: 1e-6, min_count: 1, seed: 7 }
    }
}

/// A trained classifier.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub features: FeatureConfig,
    pub labels: Vec<String>,
    rows: HashMap<u32, u32>,
    /// `rows.len() × labels.len()` weights, row-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// A small, seedable generator for shuffling (xorshift64*).
struct Shuffler(u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

fn softmax_in_place(scores: &mut [f32]) {
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

impl LinearModel {
    /// Trains on `(text, label index)` examples; `labels` names the indices.
    pub fn train(
        examples: &[(String, usize)],
        labels: Vec<String>,
        features: FeatureConfig,
        config: &TrainConfig,
    ) -> Result<Self, NlpError> {
        if labels.len() < 2 {
            return Err(NlpError::Training("at least two labels are needed".into()));
        }
        if let Some((_, bad)) = examples.iter().find(|(_, l)| *l >= labels.len()) {
            return Err(NlpError::Training(format!("label index {bad} has no name")));
        }
        if examples.is_empty() {
            return Err(NlpError::Training("no training examples".into()));
        }
        let extracted: Vec<(Features, usize)> = examples.iter().map(|(t, l)| (extract(t, &features), *l)).collect();
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for (f, _) in &extracted {
            for (h, _) in f {
                *counts.entry(*h).or_default() += 1;
            }
        }
        let mut kept: Vec<u32> = counts.into_iter().filter(|(_, c)| *c >= config.min_count).map(|(h, _)| h).collect();
        kept.sort_unstable();
        let rows: HashMap<u32, u32> = kept.iter().enumerate().map(|(i, h)| (*h, i as u32)).collect();
        let k = labels.len();
        let mut model = Self { features, labels, rows, weights: vec![0.0; kept.len() * k], bias: vec![0.0; k] };
        // Examples as (row, weight) lists.
        let data: Vec<(Vec<(usize, f32)>, usize)> = extracted
            .into_iter()
            .map(|(f, l)| {
                (f.into_iter().filter_map(|(h, w)| model.rows.get(&h).map(|r| (*r as usize, w))).collect(), l)
            })
            .collect();
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = Shuffler(config.seed.max(1));
        let total_steps = (config.epochs * data.len()).max(1) as f32;
        let mut step = 0usize;
        let mut scores = vec![0.0f32; k];
        for _ in 0..config.epochs {
            rng.shuffle(&mut order);
            for &i in &order {
                let lr = config.learning_rate * (1.0 - step as f32 / total_steps).max(0.01);
                step += 1;
                let (x, y) = &data[i];
                scores.copy_from_slice(&model.bias);
                for (row, w) in x {
                    let weights = &model.weights[row * k..(row + 1) * k];
                    for (s, wk) in scores.iter_mut().zip(weights) {
                        *s += w * wk;
                    }
                }
                softmax_in_place(&mut scores);
                scores[*y] -= 1.0;
                for (b, g) in model.bias.iter_mut().zip(&scores) {
                    *b -= lr * g;
                }
                for (row, w) in x {
                    let weights = &mut model.weights[row * k..(row + 1) * k];
                    for (wk, g) in weights.iter_mut().zip(&scores) {
                        *wk -= lr * (w * g + config.l2 * *wk);
                    }
                }
            }
        }
        Ok(model)
    }

    /// Class probabilities for `text`, in label order.
    pub fn predict(&self, text: &str) -> Vec<f32> {
        self.predict_features(&extract(text, &self.features))
    }

    /// Class probabilities for already extracted features.
    pub fn predict_features(&self, features: &Features) -> Vec<f32> {
        let k = self.labels.len();
        let mut scores = self.bias.clone();
        for (h, w) in features {
            if let Some(row) = self.rows.get(h) {
                let row = *row as usize;
                for (s, wk) in scores.iter_mut().zip(&self.weights[row * k..(row + 1) * k]) {
                    *s += w * wk;
                }
            }
        }
        softmax_in_place(&mut scores);
        scores
    }

    /// The number of weight rows (hashed features with a weight).
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Writes the model: a JSON header, then rows quantised to i8 with a scale each.
    pub fn write_to(&self, out: &mut impl Write, extra: &serde_json::Value) -> Result<(), NlpError> {
        let header = Header {
            format: FORMAT.into(),
            features: self.features,
            labels: self.labels.clone(),
            bias: self.bias.clone(),
            extra: extra.clone(),
        };
        let header = serde_json::to_vec(&header).map_err(|e| NlpError::Model(e.to_string()))?;
        let k = self.labels.len();
        let mut entries: Vec<(u32, u32)> = self.rows.iter().map(|(h, r)| (*h, *r)).collect();
        entries.sort_unstable();
        let mut body = Vec::with_capacity(entries.len() * (8 + k));
        body.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (hash, row) in entries {
            let weights = &self.weights[row as usize * k..(row as usize + 1) * k];
            let max = weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            body.extend_from_slice(&hash.to_le_bytes());
            body.extend_from_slice(&scale.to_le_bytes());
            body.extend(weights.iter().map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8 as u8));
        }
        let write =
            |out: &mut dyn Write, bytes: &[u8]| out.write_all(bytes).map_err(|e| NlpError::Model(e.to_string()));
        write(out, MAGIC)?;
        write(out, &(header.len() as u32).to_le_bytes())?;
        write(out, &header)?;
        write(out, &body)
    }

    /// Reads a model written by [`LinearModel::write_to`]; returns it with the header's
    /// extra data.
    pub fn read_from(input: &mut impl Read) -> Result<(Self, serde_json::Value), NlpError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| NlpError::Model(e.to_string()))?;
        let bad = |why: &str| NlpError::Model(format!("not a Tandem linear model: {why}"));
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(bad("wrong magic bytes"));
        }
        let mut at = 4;
        let mut take = |n: usize| -> Result<&[u8], NlpError> {
            let slice = bytes.get(at..at + n).ok_or_else(|| bad("truncated"))?;
            at += n;
            Ok(slice)
        };
        let u32_at = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let header_len = u32_at(take(4)?) as usize;
        let header: Header = serde_json::from_slice(take(header_len)?).map_err(|e| bad(&e.to_string()))?;
        if header.format != FORMAT {
            return Err(bad(&format!("format {} (expected {FORMAT})", header.format)));
        }
        let k = header.labels.len();
        if header.bias.len() != k {
            return Err(bad("bias does not match labels"));
        }
        let n = u32_at(take(4)?) as usize;
        let mut rows = HashMap::with_capacity(n);
        let mut weights = Vec::with_capacity(n * k);
        for i in 0..n {
            let hash = u32_at(take(4)?);
            let scale = f32::from_le_bytes(take(4)?.try_into().map_err(|_| bad("scale"))?);
            weights.extend(take(k)?.iter().map(|b| f32::from(*b as i8) * scale));
            rows.insert(hash, i as u32);
        }
        let model = Self { features: header.features, labels: header.labels, rows, weights, bias: header.bias };
        Ok((model, header.extra))
    }
}

const MAGIC: &[u8; 4] = b"TNDL";
const FORMAT: &str = "tandem-linear-1";

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    features: FeatureConfig,
    labels: Vec<String>,
    bias: Vec<f32>,
    extra: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<(String, usize)> {
        let mut examples = Vec::new();
        for (text, label) in [
            ("where is my order", 0),
            ("track my package", 0),
            ("my parcel has not arrived", 0),
            ("when will my order arrive", 0),
            ("I want a refund", 1),
            ("give me my money back", 1),
            ("refund the charge please", 1),
            ("I need a refund for this", 1),
        ] {
            examples.push((text.to_owned(), label));
        }
        examples
    }

    #[test]
    fn learns_separable_classes_and_round_trips() {
        let labels = vec!["delivery".to_owned(), "refund".to_owned()];
        let model = LinearModel::train(&toy(), labels, FeatureConfig::default(), &TrainConfig::default()).unwrap();
        assert!(model.predict("has my order arrived yet")[0] > 0.6);
        assert!(model.predict("refund me")[1] > 0.6);
        let mut bytes = Vec::new();
        model.write_to(&mut bytes, &serde_json::json!({ "note": "toy" })).unwrap();
        let (read, extra) = LinearModel::read_from(&mut bytes.as_slice()).unwrap();
        assert_eq!(extra["note"], "toy");
        let (a, b) = (model.predict("refund me"), read.predict("refund me"));
        assert!((a[1] - b[1]).abs() < 0.02, "quantisation keeps predictions: {a:?} {b:?}");
    }

    #[test]
    fn bad_input_is_refused() {
        let one = vec!["only".to_owned()];
        assert!(LinearModel::train(&toy(), one, FeatureConfig::default(), &TrainConfig::default()).is_err());
        assert!(LinearModel::read_from(&mut b"nope".as_slice()).is_err());
        assert!(LinearModel::read_from(&mut b"TNDL\x05\0\0\0{".as_slice()).is_err());
    }
}
