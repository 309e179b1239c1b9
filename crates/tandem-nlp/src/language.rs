//! Language identification for the supported languages.
//!
//! Two tiers: a fast linear model over character n-grams (a few microseconds), and
//! `lingua`, restricted to the same languages, which is slower but more robust on text
//! unlike its training data. [`HybridLanguageIdentifier`] asks lingua only when the
//! fast model is unsure. Very short messages ("ok thx") are genuinely ambiguous: every
//! guess carries a confidence, and the inbound pipeline
//! ([`tandem_domain::ingest::choose_language`]) falls back to the conversation's or the
//! customer's known language when it is low.

use std::io::{Read, Write};

use lingua::{IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder};
use serde::{Deserialize, Serialize};

use crate::NlpError;
use crate::features::FeatureConfig;
use crate::linear::{LinearModel, TrainConfig};

/// The languages Tandem identifies (ISO 639-1), the 28 most common in customer
/// service. Tatoeba names them by ISO 639-3; see [`iso639_3`].
pub const SUPPORTED: [&str; 28] = [
    "en", "es", "fr", "de", "pt", "it", "nl", "ru", "zh", "ja", "ko", "ar", "hi", "tr", "pl", "sv", "da", "fi", "nb",
    "cs", "el", "he", "id", "vi", "th", "uk", "ro", "hu",
];

/// The ISO 639-3 code Tatoeba uses for a supported language.
pub fn iso639_3(code: &str) -> Option<&'static str> {
    Some(match code {
        "en" => "eng",
        "es" => "spa",
        "fr" => "fra",
        "de" => "deu",
        "pt" => "por",
        "it" => "ita",
        "nl" => "nld",
        "ru" => "rus",
        "zh" => "cmn",
        "ja" => "jpn",
        "ko" => "kor",
        "ar" => "ara",
        "hi" => "hin",
        "tr" => "tur",
        "pl" => "pol",
        "sv" => "swe",
        "da" => "dan",
        "fi" => "fin",
        "nb" => "nob",
        "cs" => "ces",
        "el" => "ell",
        "he" => "heb",
        "id" => "ind",
        "vi" => "vie",
        "th" => "tha",
        "uk" => "ukr",
        "ro" => "ron",
        "hu" => "hun",
        _ => return None,
    })
}

/// A guess: an ISO 639-1 code and how sure (0–1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanguageGuess {
    pub language: String,
    pub confidence: f32,
}

/// Anything that identifies languages.
pub trait LanguageIdentifier: Send + Sync {
    /// The most likely language, or `None` for text with no letters.
    fn identify(&self, text: &str) -> Option<LanguageGuess>;
}

/// The features the fast model uses: words and character 1–4-grams.
pub fn language_features() -> FeatureConfig {
    FeatureConfig { word_ngrams: 1, char_min: 1, char_max: 4, hash_bits: 22 }
}

fn has_letters(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
}

/// The fast tier.
#[derive(Clone, Debug, PartialEq)]
pub struct NgramLanguageModel {
    model: LinearModel,
}

impl NgramLanguageModel {
    /// Trains on `(sentence, ISO 639-1 code)` pairs.
    pub fn train(examples: &[(String, String)], config: &TrainConfig) -> Result<Self, NlpError> {
        let mut labels: Vec<String> = examples.iter().map(|(_, l)| l.clone()).collect();
        labels.sort();
        labels.dedup();
        let indexed: Vec<(String, usize)> =
            examples.iter().map(|(t, l)| (t.clone(), labels.iter().position(|x| x == l).unwrap_or(0))).collect();
        Ok(Self { model: LinearModel::train(&indexed, labels, language_features(), config)? })
    }

    pub fn write_to(&self, out: &mut impl Write) -> Result<(), NlpError> {
        self.model.write_to(out, &serde_json::json!({ "kind": "language" }))
    }

    pub fn read_from(input: &mut impl Read) -> Result<Self, NlpError> {
        let (model, extra) = LinearModel::read_from(input)?;
        if extra["kind"] != "language" {
            return Err(NlpError::Model("not a language model".into()));
        }
        Ok(Self { model })
    }

    pub fn languages(&self) -> &[String] {
        &self.model.labels
    }
}

impl LanguageIdentifier for NgramLanguageModel {
    fn identify(&self, text: &str) -> Option<LanguageGuess> {
        if !has_letters(text) {
            return None;
        }
        let p = self.model.predict(text);
        let (i, confidence) =
            p.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b });
        Some(LanguageGuess { language: self.model.labels[i].clone(), confidence })
    }
}

/// `lingua`, restricted to the given languages.
pub struct LinguaIdentifier {
    detector: LanguageDetector,
}

impl LinguaIdentifier {
    /// A detector for `languages` (ISO 639-1); unknown or unsupported codes are refused.
    pub fn new(languages: &[String]) -> Result<Self, NlpError> {
        let mut chosen = Vec::new();
        for code in languages {
            let iso: IsoCode639_1 =
                code.parse().map_err(|_| NlpError::Model(format!("`{code}` is not an ISO 639-1 language code")))?;
            if !SUPPORTED.contains(&code.as_str()) {
                return Err(NlpError::Model(format!(
                    "language `{code}` is not supported; use some of {}",
                    SUPPORTED.join(", ")
                )));
            }
            chosen.push(Language::from_iso_code_639_1(&iso));
        }
        if chosen.len() < 2 {
            return Err(NlpError::Model("configure at least two languages".into()));
        }
        Ok(Self { detector: LanguageDetectorBuilder::from_languages(&chosen).with_preloaded_language_models().build() })
    }
}

impl LanguageIdentifier for LinguaIdentifier {
    fn identify(&self, text: &str) -> Option<LanguageGuess> {
        if !has_letters(text) {
            return None;
        }
        let values = self.detector.compute_language_confidence_values(text);
        let (language, confidence) = values.first()?;
        Some(LanguageGuess { language: language.iso_code_639_1().to_string(), confidence: *confidence as f32 })
    }
}

/// The fast model first; lingua when it is less sure than `threshold`.
pub struct HybridLanguageIdentifier {
    pub fast: NgramLanguageModel,
    pub careful: Option<LinguaIdentifier>,
    pub threshold: f32,
}

impl LanguageIdentifier for HybridLanguageIdentifier {
    fn identify(&self, text: &str) -> Option<LanguageGuess> {
        let fast = self.fast.identify(text)?;
        match &self.careful {
            Some(careful) if fast.confidence < self.threshold => careful.identify(text).or(Some(fast)),
            _ => Some(fast),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lingua_is_restricted_to_supported_languages() {
        assert!(LinguaIdentifier::new(&["en".into(), "xx".into()]).is_err());
        assert!(LinguaIdentifier::new(&["en".into(), "la".into()]).is_err());
        let lingua = LinguaIdentifier::new(&["en".into(), "es".into(), "de".into()]).unwrap();
        assert_eq!(lingua.identify("¿Dónde está mi pedido? Lo compré la semana pasada").unwrap().language, "es");
        assert_eq!(lingua.identify("1234 !!"), None);
    }

    #[test]
    fn every_supported_language_has_a_tatoeba_code() {
        assert!(SUPPORTED.iter().all(|c| iso639_3(c).is_some()));
    }
}
