//! The embedding tier on the inbound path, run off the real-time path: a batch of
//! messages is embedded and their intent and sentiment are re-decided by averaging the
//! n-gram models' probabilities with softmax heads over the sentence embeddings (the
//! ensemble `tandem eval nlp` measures). The real-time understanding is stored first;
//! this refines it when the embedder is available.

use std::sync::Arc;

use tandem_domain::Understanding;
use tandem_domain::understanding::{IntentMark, SentimentMark};

use crate::NlpError;
use crate::embedding::{DenseHead, SentenceEmbedder};
use crate::intent::{IntentClassifier, NgramIntentModel, OUT_OF_SCOPE};
use crate::sentiment::{NgramSentimentModel, Polarity};

/// Re-decides intent and sentiment with embeddings.
pub struct Refiner {
    embedder: Arc<dyn SentenceEmbedder>,
    intent: NgramIntentModel,
    intent_head: DenseHead,
    sentiment: NgramSentimentModel,
    sentiment_head: DenseHead,
}

fn argmax(p: &[f32]) -> (usize, f32) {
    p.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b })
}

fn average(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| (x + y) / 2.0).collect()
}

impl Refiner {
    /// Checks that each head's labels match its n-gram model's.
    pub fn new(
        embedder: Arc<dyn SentenceEmbedder>,
        intent: NgramIntentModel,
        intent_head: DenseHead,
        sentiment: NgramSentimentModel,
        sentiment_head: DenseHead,
    ) -> Result<Self, NlpError> {
        if intent_head.labels != intent.labels() {
            return Err(NlpError::Model("the intent head was trained on other intents than the n-gram model".into()));
        }
        let polarities: Vec<String> = ["negative", "neutral", "positive"].map(str::to_owned).to_vec();
        if sentiment_head.labels != polarities {
            return Err(NlpError::Model("the sentiment head's labels are not negative, neutral, positive".into()));
        }
        Ok(Self { embedder, intent, intent_head, sentiment, sentiment_head })
    }

    /// The shipped heads over `embedder` (all-MiniLM-L6-v2).
    pub fn with_defaults(embedder: Arc<dyn SentenceEmbedder>) -> Result<Self, NlpError> {
        let intent_head = DenseHead::read_from(&mut &crate::defaults::INTENT_HEAD[..])?;
        let sentiment_head = DenseHead::read_from(&mut &crate::defaults::SENTIMENT_HEAD[..])?;
        Self::new(
            embedder,
            crate::defaults::intent_model()?,
            intent_head,
            crate::defaults::sentiment_model()?,
            sentiment_head,
        )
    }

    /// Refines the understanding of each text in place (marking it `refined`).
    pub fn refine(&self, texts: &[&str], understandings: &mut [Understanding]) -> Result<(), NlpError> {
        let vectors = self.embedder.embed(texts)?;
        for ((text, vector), understanding) in texts.iter().zip(&vectors).zip(understandings.iter_mut()) {
            let intents = average(&self.intent_head.predict(vector), &self.intent.probabilities(text));
            let (i, confidence) = argmax(&intents);
            let label = &self.intent.labels()[i];
            let intent = (label != OUT_OF_SCOPE && confidence >= self.intent.threshold).then(|| label.clone());
            let category = intent.as_deref().map(|name| self.intent.category(name).as_str().to_owned());
            understanding.intent = Some(IntentMark { intent, category, confidence });
            let polarity = average(&self.sentiment_head.predict(vector), &self.sentiment.probabilities(text));
            let (p, _) = argmax(&polarity);
            understanding.sentiment = Some(SentimentMark {
                polarity: [Polarity::Negative, Polarity::Neutral, Polarity::Positive][p],
                score: polarity[2] - polarity[0],
            });
            understanding.refined = true;
        }
        Ok(())
    }

    /// The intents it decides between.
    pub fn intents(&self) -> Vec<String> {
        self.intent.intents()
    }
}
