//! Sentiment: per message (negative / neutral / positive with a score in [-1, 1]) and
//! per conversation (a smoothed trajectory and a frustration signal).
//!
//! Two analyzers share [`SentimentAnalyzer`]: [`LexiconAnalyzer`], rules over a word
//! lexicon (VADER's valences, MIT-licensed, embedded) handling negation, intensifiers,
//! all-caps, repeated punctuation, "but" and emoji — no model file needed; and
//! [`NgramSentimentModel`], a linear model trained on labelled messages.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::NlpError;
use crate::features::{FeatureConfig, tokens};
use crate::linear::{LinearModel, TrainConfig};

pub use tandem_domain::{FrustrationSignal, Polarity};

/// A message's sentiment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub polarity: Polarity,
    /// -1 (very negative) to 1 (very positive).
    pub score: f32,
}

/// Anything that scores a message's sentiment.
pub trait SentimentAnalyzer: Send + Sync {
    fn analyze(&self, text: &str) -> Sentiment;
}

static LEXICON: LazyLock<HashMap<String, f32>> = LazyLock::new(|| {
    include_str!("../data/sentiment_lexicon.tsv")
        .lines()
        .filter_map(|line| {
            let (word, value) = line.split_once('\t')?;
            Some((word.to_owned(), value.trim().parse::<f32>().ok()?))
        })
        .collect()
});

const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "nobody",
    "nothing",
    "neither",
    "nor",
    "nowhere",
    "without",
    "cannot",
    "cant",
    "can't",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "didn't",
    "didnt",
    "isn't",
    "isnt",
    "aren't",
    "arent",
    "wasn't",
    "wasnt",
    "weren't",
    "werent",
    "won't",
    "wont",
    "wouldn't",
    "wouldnt",
    "shouldn't",
    "shouldnt",
    "couldn't",
    "couldnt",
    "haven't",
    "havent",
    "hasn't",
    "hasnt",
    "hadn't",
    "hadnt",
    "ain't",
    "aint",
    "rarely",
    "seldom",
];
const BOOSTERS: &[&str] = &[
    "very",
    "really",
    "extremely",
    "so",
    "totally",
    "absolutely",
    "incredibly",
    "super",
    "too",
    "most",
    "highly",
    "completely",
    "utterly",
    "truly",
    "especially",
    "exceptionally",
    "terribly",
    "awfully",
    "hugely",
    "seriously",
    "deeply",
    "fully",
    "majorly",
    "particularly",
    "purely",
    "remarkably",
    "thoroughly",
    "unbelievably",
    "damn",
];
const DAMPENERS: &[&str] = &[
    "slightly",
    "somewhat",
    "kinda",
    "kindof",
    "sorta",
    "barely",
    "hardly",
    "little",
    "marginally",
    "occasionally",
    "partly",
    "scarcely",
    "bit",
    "less",
    "mildly",
];
const POSITIVE_EMOJI: &[&str] = &[
    "😀", "😃", "😄", "😁", "😊", "🙂", "😍", "🥰", "😘", "👍", "❤", "❤️", "💕", "💖", "🎉", "🙏", "😂", "🤣", "😆",
    "🥳", "👏", "💯", "✨", "😎", "🤗", "😇", "💪", "🌟", "⭐", "✅", "😻",
];
const NEGATIVE_EMOJI: &[&str] = &[
    "😞", "😢", "😭", "😡", "😠", "🤬", "👎", "💔", "😤", "😩", "😫", "🙁", "☹", "☹️", "😒", "😔", "😕", "😖", "😣",
    "😓", "😰", "😱", "🤮", "🤢", "😑", "🙄", "😿", "❌",
];

const BOOST: f32 = 0.293;
const CAPS_BOOST: f32 = 0.733;
const NEGATION_FACTOR: f32 = -0.74;

/// The rule-based analyzer. Needs no model file.
#[derive(Clone, Copy, Debug, Default)]
pub struct LexiconAnalyzer;

fn strip_punctuation(token: &str) -> &str {
    token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
}

impl SentimentAnalyzer for LexiconAnalyzer {
    fn analyze(&self, text: &str) -> Sentiment {
        let raw: Vec<&str> = text.split_whitespace().collect();
        let has_lower = text.chars().any(char::is_lowercase);
        let words: Vec<String> = raw.iter().map(|t| strip_punctuation(t).to_lowercase()).collect();
        let but_at = words.iter().position(|w| w == "but" || w == "however");
        let mut total = 0.0f32;
        for (i, token) in raw.iter().enumerate() {
            let word = &words[i];
            let valence =
                LEXICON.get(word.as_str()).or_else(|| LEXICON.get(*token)).copied().or_else(|| emoji_valence(token));
            let Some(mut v) = valence else { continue };
            if BOOSTERS.contains(&word.as_str()) || DAMPENERS.contains(&word.as_str()) {
                continue;
            }
            let bare = strip_punctuation(token);
            if has_lower
                && bare.len() > 1
                && bare.chars().all(|c| !c.is_alphabetic() || c.is_uppercase())
                && bare.chars().any(char::is_alphabetic)
            {
                v += CAPS_BOOST * v.signum();
            }
            for (distance, previous) in words[i.saturating_sub(3)..i].iter().rev().enumerate() {
                let scale = 1.0 - 0.05 * distance as f32;
                if BOOSTERS.contains(&previous.as_str()) {
                    v += BOOST * scale * v.signum();
                } else if DAMPENERS.contains(&previous.as_str()) {
                    v -= BOOST * scale * v.signum();
                }
            }
            if words[i.saturating_sub(3)..i].iter().any(|w| NEGATIONS.contains(&w.as_str()) || w.ends_with("n't")) {
                v *= NEGATION_FACTOR;
            }
            if let Some(b) = but_at {
                v *= if i < b {
                    0.5
                } else if i > b {
                    1.5
                } else {
                    1.0
                };
            }
            total += v;
        }
        let exclamations = text.matches('!').count().min(4) as f32;
        let questions = text.matches('?').count();
        let emphasis = exclamations * 0.292 + if questions > 1 { questions.min(3) as f32 * 0.18 } else { 0.0 };
        if total != 0.0 {
            total += emphasis * total.signum();
        }
        let score = total / (total * total + 15.0).sqrt();
        let polarity = if score >= 0.05 {
            Polarity::Positive
        } else if score <= -0.05 {
            Polarity::Negative
        } else {
            Polarity::Neutral
        };
        Sentiment { polarity, score }
    }
}

fn emoji_valence(token: &str) -> Option<f32> {
    let positive = POSITIVE_EMOJI.iter().filter(|e| token.contains(**e)).count();
    let negative = NEGATIVE_EMOJI.iter().filter(|e| token.contains(**e)).count();
    (positive + negative > 0).then_some(2.0 * (positive as f32 - negative as f32))
}

/// The trained analyzer: a linear model over n-grams with labels `negative`,
/// `neutral`, `positive`.
#[derive(Clone, Debug, PartialEq)]
pub struct NgramSentimentModel {
    model: LinearModel,
    negative: usize,
    positive: usize,
}

impl NgramSentimentModel {
    /// Trains on `(text, polarity)` pairs.
    pub fn train(
        examples: &[(String, Polarity)],
        features: FeatureConfig,
        config: &TrainConfig,
    ) -> Result<Self, NlpError> {
        let labels: Vec<String> = ["negative", "neutral", "positive"].map(str::to_owned).to_vec();
        let indexed: Vec<(String, usize)> = examples
            .iter()
            .map(|(t, p)| {
                (
                    t.clone(),
                    match p {
                        Polarity::Negative => 0,
                        Polarity::Neutral => 1,
                        Polarity::Positive => 2,
                    },
                )
            })
            .collect();
        let model = LinearModel::train(&indexed, labels, features, config)?;
        Ok(Self { model, negative: 0, positive: 2 })
    }

    /// Probabilities of negative, neutral and positive, in that order.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        let p = self.model.predict(text);
        let neutral = 1.0 - p[self.negative] - p[self.positive];
        vec![p[self.negative], neutral, p[self.positive]]
    }

    pub fn write_to(&self, out: &mut impl Write) -> Result<(), NlpError> {
        self.model.write_to(out, &serde_json::json!({ "kind": "sentiment" }))
    }

    pub fn read_from(input: &mut impl Read) -> Result<Self, NlpError> {
        let (model, extra) = LinearModel::read_from(input)?;
        if extra["kind"] != "sentiment" {
            return Err(NlpError::Model("not a sentiment model".into()));
        }
        let find = |name: &str| {
            model
                .labels
                .iter()
                .position(|l| l == name)
                .ok_or_else(|| NlpError::Model(format!("the sentiment model lacks `{name}`")))
        };
        let (negative, positive) = (find("negative")?, find("positive")?);
        Ok(Self { model, negative, positive })
    }
}

impl SentimentAnalyzer for NgramSentimentModel {
    fn analyze(&self, text: &str) -> Sentiment {
        let p = self.model.predict(text);
        let (neg, pos) = (p[self.negative], p[self.positive]);
        let neutral = 1.0 - neg - pos;
        let polarity = if neg > pos && neg > neutral {
            Polarity::Negative
        } else if pos > neg && pos > neutral {
            Polarity::Positive
        } else {
            Polarity::Neutral
        };
        Sentiment { polarity, score: pos - neg }
    }
}

const PROFANITY: &[&str] = &[
    "fuck", "fucking", "fucked", "fucker", "shit", "shitty", "bullshit", "crap", "crappy", "damn", "damned", "goddamn",
    "wtf", "ffs", "asshole", "bastard", "bitch", "piss", "pissed", "scam", "scammers", "idiots", "idiot", "morons",
    "useless", "pathetic",
];
const LEAVING: &[&str] = &[
    "cancel my account",
    "close my account",
    "cancel my subscription",
    "cancelling my",
    "canceling my",
    "switch to another",
    "switching to another",
    "switch to a competitor",
    "switching to a competitor",
    "going elsewhere",
    "go elsewhere",
    "take my business",
    "never buy",
    "never order",
    "never again",
    "last time i",
    "find another",
    "leaving you",
    "i'm leaving",
    "im leaving",
    "i am leaving",
    "your competitor",
    "competitors",
    "unsubscribe me",
    "delete my account",
];

/// A message's own signs of frustration: profanity, threats to leave, shouting. The
/// conversation-level signs (a falling trend, repeated complaints) come from
/// [`tandem_domain::SentimentTrajectory`].
pub fn message_signals(text: &str, sentiment: Sentiment) -> Vec<FrustrationSignal> {
    let lower = text.to_lowercase();
    let words = tokens(&lower);
    let mut signals = Vec::new();
    if words.iter().any(|w| PROFANITY.contains(&w.as_str())) {
        signals.push(FrustrationSignal::Profanity);
    }
    if LEAVING.iter().any(|p| lower.contains(p)) {
        signals.push(FrustrationSignal::ThreatToLeave);
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if letters.len() >= 8 && upper * 10 >= letters.len() * 7 && sentiment.score < 0.0 {
        signals.push(FrustrationSignal::AllCapsAnger);
    }
    signals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Polarity) {
        let s = LexiconAnalyzer.analyze(text);
        assert_eq!(s.polarity, expected, "{text}: {}", s.score);
    }

    #[test]
    fn lexicon_rules() {
        check("Thanks, that was really helpful!", Polarity::Positive);
        check("This is terrible service", Polarity::Negative);
        check("This is not good", Polarity::Negative);
        check("not bad at all", Polarity::Positive);
        check("Where is my order?", Polarity::Neutral);
        check("love it 😍", Polarity::Positive);
        check("😡😡", Polarity::Negative);
        check("The delivery was fast but the product is awful", Polarity::Negative);
        let calm = LexiconAnalyzer.analyze("this is bad");
        let loud = LexiconAnalyzer.analyze("this is BAD!!!");
        let very = LexiconAnalyzer.analyze("this is very bad");
        assert!(loud.score < calm.score && very.score < calm.score, "{} {} {}", loud.score, very.score, calm.score);
    }

    #[test]
    fn messages_carry_their_own_frustration_signs() {
        let text = "THIS IS RIDICULOUS!!! I'M SWITCHING TO YOUR COMPETITOR";
        let signals = message_signals(text, LexiconAnalyzer.analyze(text));
        assert!(
            signals.contains(&FrustrationSignal::ThreatToLeave) && signals.contains(&FrustrationSignal::AllCapsAnger),
            "{signals:?}"
        );
        assert!(
            message_signals("this is crap", LexiconAnalyzer.analyze("this is crap"))
                .contains(&FrustrationSignal::Profanity)
        );
        assert!(message_signals("thanks a lot!", LexiconAnalyzer.analyze("thanks a lot!")).is_empty());
    }
}
