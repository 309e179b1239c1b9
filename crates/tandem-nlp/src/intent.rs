//! Intent classification with out-of-scope detection.
//!
//! A workspace's intents each have example utterances and a category the virtual agent
//! uses (`routine`, `sensitive`, `human_preferred`). A classifier says which intent a
//! message is, with a confidence, or that it is out of scope: either the model's
//! explicit out-of-scope class wins, or no intent is confident enough.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::NlpError;
use crate::features::FeatureConfig;
use crate::linear::{LinearModel, TrainConfig};

/// The label trained on out-of-scope examples, when a dataset has them.
pub const OUT_OF_SCOPE: &str = "oos";

/// How the virtual agent treats an intent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentCategory {
    /// The bot may handle it end to end.
    #[default]
    Routine,
    /// Needs a person at once (complaint, fraud, bereavement...).
    Sensitive,
    /// Better with a person (cancellation, negotiation...).
    HumanPreferred,
}

impl IntentCategory {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Routine => "routine",
            Self::Sensitive => "sensitive",
            Self::HumanPreferred => "human_preferred",
        }
    }
}

/// What a classifier says about a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntentPrediction {
    /// The intent, or `None` when out of scope.
    pub intent: Option<String>,
    pub category: Option<IntentCategory>,
    /// The top intent's probability (also when out of scope, for auditing).
    pub confidence: f32,
    /// The best three intents with their probabilities.
    pub top: Vec<(String, f32)>,
}

impl IntentPrediction {
    pub fn out_of_scope(&self) -> bool {
        self.intent.is_none()
    }
}

/// Anything that classifies intents (the n-gram tier here; the embedding tier later).
pub trait IntentClassifier: Send + Sync {
    fn classify(&self, text: &str) -> IntentPrediction;
    /// The intents it knows.
    fn intents(&self) -> Vec<String>;
}

/// The out-of-scope threshold for predictions `(best in-scope intent or None if the
/// out-of-scope class won, its probability, gold label)`: the one with the best
/// in-scope accuracy among those reaching `min_oos_recall` on the out-of-scope examples
/// (or the best recall if none does). Without out-of-scope examples it is 0.
pub fn tune_threshold(predictions: &[(Option<String>, f32, &str)], min_oos_recall: f32) -> f32 {
    if !predictions.iter().any(|(_, _, l)| *l == OUT_OF_SCOPE) {
        return 0.0;
    }
    // (meets the recall floor, in-scope accuracy or recall, threshold)
    let mut best = (false, f32::MIN, 0.0);
    for step in 0..=95 {
        let threshold = step as f32 / 100.0;
        let (mut ok_in, mut n_in, mut ok_oos, mut n_oos) = (0, 0, 0, 0);
        for (intent, p, label) in predictions {
            let predicted = intent.as_deref().filter(|_| *p >= threshold);
            if *label == OUT_OF_SCOPE {
                n_oos += 1;
                ok_oos += usize::from(predicted.is_none());
            } else {
                n_in += 1;
                ok_in += usize::from(predicted == Some(*label));
            }
        }
        let accuracy = ok_in as f32 / n_in.max(1) as f32;
        let recall = ok_oos as f32 / n_oos.max(1) as f32;
        let candidate = if recall >= min_oos_recall { (true, accuracy, threshold) } else { (false, recall, threshold) };
        if (candidate.0, candidate.1) > (best.0, best.1) {
            best = candidate;
        }
    }
    best.2
}

/// The n-gram tier: a linear model over hashed word and character n-grams.
#[derive(Clone, Debug, PartialEq)]
pub struct NgramIntentModel {
    model: LinearModel,
    categories: BTreeMap<String, IntentCategory>,
    /// Below this top probability a message is out of scope.
    pub threshold: f32,
}

/// What is stored beside the weights.
#[derive(Serialize, Deserialize)]
struct Meta {
    kind: String,
    categories: BTreeMap<String, IntentCategory>,
    threshold: f32,
}

impl NgramIntentModel {
    /// Trains on `(utterance, intent)` pairs. An intent named [`OUT_OF_SCOPE`] is
    /// learned as the out-of-scope class.
    pub fn train(
        examples: &[(String, String)],
        categories: BTreeMap<String, IntentCategory>,
        features: FeatureConfig,
        config: &TrainConfig,
    ) -> Result<Self, NlpError> {
        let mut labels: Vec<String> = examples.iter().map(|(_, l)| l.clone()).collect();
        labels.sort();
        labels.dedup();
        let index: BTreeMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let indexed: Vec<(String, usize)> =
            examples.iter().map(|(t, l)| (t.clone(), index.get(l.as_str()).copied().unwrap_or(0))).collect();
        let model = LinearModel::train(&indexed, labels, features, config)?;
        Ok(Self { model, categories, threshold: 0.0 })
    }

    /// Sets the out-of-scope threshold from `dev` (see [`tune_threshold`]).
    pub fn tune_threshold(&mut self, dev: &[(String, String)], min_oos_recall: f32) {
        let predictions: Vec<(Option<String>, f32, &str)> = dev
            .iter()
            .map(|(t, l)| {
                let (best, p) = self.best_in_scope(t);
                (best, p, l.as_str())
            })
            .collect();
        self.threshold = tune_threshold(&predictions, min_oos_recall);
    }

    /// Class probabilities in [`NgramIntentModel::labels`] order.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        self.model.predict(text)
    }

    /// Every label, including [`OUT_OF_SCOPE`] if trained, sorted.
    pub fn labels(&self) -> &[String] {
        &self.model.labels
    }

    /// The most likely in-scope intent (None if the out-of-scope class wins) and its
    /// probability.
    fn best_in_scope(&self, text: &str) -> (Option<String>, f32) {
        let probs = self.model.predict(text);
        let (i, p) =
            probs.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, p)| if p > b.1 { (i, p) } else { b });
        let label = &self.model.labels[i];
        if label == OUT_OF_SCOPE { (None, p) } else { (Some(label.clone()), p) }
    }

    pub fn write_to(&self, out: &mut impl Write) -> Result<(), NlpError> {
        let meta = Meta { kind: "intent".into(), categories: self.categories.clone(), threshold: self.threshold };
        let meta = serde_json::to_value(meta).map_err(|e| NlpError::Model(e.to_string()))?;
        self.model.write_to(out, &meta)
    }

    pub fn read_from(input: &mut impl Read) -> Result<Self, NlpError> {
        let (model, extra) = LinearModel::read_from(input)?;
        let meta: Meta =
            serde_json::from_value(extra).map_err(|e| NlpError::Model(format!("not an intent model: {e}")))?;
        if meta.kind != "intent" {
            return Err(NlpError::Model(format!("this is a {} model, not an intent model", meta.kind)));
        }
        Ok(Self { model, categories: meta.categories, threshold: meta.threshold })
    }

    pub fn category(&self, intent: &str) -> IntentCategory {
        self.categories.get(intent).copied().unwrap_or_default()
    }
}

impl IntentClassifier for NgramIntentModel {
    fn classify(&self, text: &str) -> IntentPrediction {
        let probs = self.model.predict(text);
        let mut ranked: Vec<(usize, f32)> = probs.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<(String, f32)> = ranked.iter().take(3).map(|(i, p)| (self.model.labels[*i].clone(), *p)).collect();
        let (best, confidence) =
            ranked.first().map(|(i, p)| (self.model.labels[*i].as_str(), *p)).unwrap_or((OUT_OF_SCOPE, 0.0));
        let intent = (best != OUT_OF_SCOPE && confidence >= self.threshold).then(|| best.to_owned());
        let category = intent.as_deref().map(|i| self.category(i));
        IntentPrediction { intent, category, confidence, top }
    }

    fn intents(&self) -> Vec<String> {
        self.model.labels.iter().filter(|l| *l != OUT_OF_SCOPE).cloned().collect()
    }
}
