//! The inbound pipeline's understanding of one message: personal data and the
//! redacted text, language, sentiment with frustration signs, intent, and entities —
//! everything the real-time path needs, in tens of microseconds.

use tandem_domain::Understanding;
use tandem_domain::understanding::{EntityMark, IntentMark, LanguageMark, PiiMark, SentimentMark};

use crate::NlpError;
use crate::defaults;
use crate::entities;
use crate::intent::IntentClassifier;
use crate::language::{HybridLanguageIdentifier, LanguageIdentifier, LinguaIdentifier, SUPPORTED};
use crate::pii;
use crate::sentiment::{SentimentAnalyzer, message_signals};

/// Runs every analyzer over a message.
pub struct Enricher {
    language: Box<dyn LanguageIdentifier>,
    sentiment: Box<dyn SentimentAnalyzer>,
    intent: Box<dyn IntentClassifier>,
}

/// Below this confidence the fast language model asks lingua (tuned on Tatoeba dev).
pub const LINGUA_THRESHOLD: f32 = 0.7;

impl Enricher {
    pub fn new(
        language: Box<dyn LanguageIdentifier>,
        sentiment: Box<dyn SentimentAnalyzer>,
        intent: Box<dyn IntentClassifier>,
    ) -> Self {
        Self { language, sentiment, intent }
    }

    /// The shipped models; with `lingua`, unsure language guesses go to lingua (it
    /// loads its models for the 28 supported languages, ~100 MB).
    pub fn with_defaults(lingua: bool) -> Result<Self, NlpError> {
        let careful = if lingua {
            let languages: Vec<String> = SUPPORTED.iter().map(|s| (*s).to_owned()).collect();
            Some(LinguaIdentifier::new(&languages)?)
        } else {
            None
        };
        let language =
            HybridLanguageIdentifier { fast: defaults::language_model()?, careful, threshold: LINGUA_THRESHOLD };
        Ok(Self::new(Box::new(language), Box::new(defaults::sentiment_model()?), Box::new(defaults::intent_model()?)))
    }

    /// Understands one message.
    pub fn understand(&self, text: &str) -> Understanding {
        let spans = pii::detect(text);
        let redacted = pii::redact_spans(text, &spans);
        let language =
            self.language.identify(text).map(|g| LanguageMark { code: g.language, confidence: g.confidence });
        let sentiment = self.sentiment.analyze(text);
        let signals = message_signals(text, sentiment);
        let intent = self.intent.classify(text);
        let entities = entities::extract(text, &spans)
            .into_iter()
            .map(|e| EntityMark { kind: entity_kind(e.kind).to_owned(), value: e.value })
            .collect();
        Understanding {
            language,
            pii: spans
                .iter()
                .map(|s| PiiMark { kind: s.kind.as_str().to_owned(), start: s.start, end: s.end })
                .collect(),
            sentiment: Some(SentimentMark { polarity: sentiment.polarity, score: sentiment.score }),
            intent: Some(IntentMark {
                intent: intent.intent.clone(),
                category: intent.category.map(|c| c.as_str().to_owned()),
                confidence: intent.confidence,
            }),
            entities,
            signals,
            keyphrases: crate::keyphrases::extract(&redacted, 3),
            redacted,
            refined: false,
        }
    }
}

fn entity_kind(kind: entities::EntityKind) -> &'static str {
    use entities::EntityKind as K;
    match kind {
        K::OrderNumber => "order_number",
        K::TrackingNumber => "tracking_number",
        K::Amount => "amount",
        K::Date => "date",
        K::Email => "email",
        K::Phone => "phone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::{FrustrationSignal, Polarity};

    #[test]
    fn a_message_is_understood_end_to_end() {
        let enricher = Enricher::with_defaults(false).unwrap();
        let u = enricher.understand(
            "I want to cancel order #A10432 NOW, card 4111 1111 1111 1111 was charged $89.90 twice. This is crap!",
        );
        assert_eq!(u.language.as_ref().map(|l| l.code.as_str()), Some("en"));
        assert!(u.redacted.contains("[CARD]") && !u.redacted.contains("4111"));
        assert!(
            u.redacted.contains("A10432") && u.redacted.contains("$89.90"),
            "business identifiers survive: {}",
            u.redacted
        );
        assert_eq!(u.sentiment.map(|s| s.polarity), Some(Polarity::Negative));
        assert!(u.signals.contains(&FrustrationSignal::Profanity));
        assert_eq!(u.intent.as_ref().and_then(|i| i.intent.as_deref()), Some("cancel_order"));
        let kinds: Vec<&str> = u.entities.iter().map(|e| e.kind.as_str()).collect();
        assert!(kinds.contains(&"order_number") && kinds.contains(&"amount"), "{kinds:?}");
    }
}
