//! The models Tandem ships, embedded in the binary so the demo works out of the box:
//! intents trained on bitext customer-service data, sentiment on GoEmotions, language
//! identification on Tatoeba (regenerate with `tandem train defaults`).

use crate::NlpError;
use crate::intent::NgramIntentModel;
use crate::language::NgramLanguageModel;
use crate::sentiment::NgramSentimentModel;

const INTENT: &[u8] = include_bytes!("../models/intent-default.tdl");
const SENTIMENT: &[u8] = include_bytes!("../models/sentiment-default.tdl");
const LANGUAGE: &[u8] = include_bytes!("../models/language-default.tdl");
/// The softmax head over all-MiniLM-L6-v2 embeddings for the default intents.
pub(crate) const INTENT_HEAD: &[u8] = include_bytes!("../models/intent-default-head.json");
/// The softmax head over all-MiniLM-L6-v2 embeddings for sentiment.
pub(crate) const SENTIMENT_HEAD: &[u8] = include_bytes!("../models/sentiment-default-head.json");

/// The default customer-service intent model (27 intents).
pub fn intent_model() -> Result<NgramIntentModel, NlpError> {
    NgramIntentModel::read_from(&mut &INTENT[..])
}

/// The default sentiment model (negative, neutral, positive).
pub fn sentiment_model() -> Result<NgramSentimentModel, NlpError> {
    NgramSentimentModel::read_from(&mut &SENTIMENT[..])
}

/// The default fast language model (the 28 supported languages).
pub fn language_model() -> Result<NgramLanguageModel, NlpError> {
    NgramLanguageModel::read_from(&mut &LANGUAGE[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::IntentClassifier;
    use crate::language::LanguageIdentifier;
    use crate::sentiment::{Polarity, SentimentAnalyzer};

    #[test]
    fn the_shipped_models_load_and_make_sense() {
        let intent = intent_model().unwrap();
        assert_eq!(intent.classify("I want to cancel my order 12345").intent.as_deref(), Some("cancel_order"));
        assert_eq!(intent.classify("let me talk to a real person").intent.as_deref(), Some("contact_human_agent"));
        assert_eq!(sentiment_model().unwrap().analyze("this is awful, I'm so angry").polarity, Polarity::Negative);
        assert_eq!(language_model().unwrap().identify("¿Dónde está mi pedido?").unwrap().language, "es");
    }
}
