//! What message understanding found in a message, as stored with it, and a
//! conversation's sentiment over time. The analysis itself lives in `tandem-nlp`; these
//! are the facts the rest of Tandem (routing, the virtual agent, insights) acts on.

use serde::{Deserialize, Serialize};

/// A message's polarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

impl Polarity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Negative => "negative",
            Self::Neutral => "neutral",
            Self::Positive => "positive",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Negative, Self::Neutral, Self::Positive].into_iter().find(|p| p.as_str() == value)
    }
}

/// A sign that a customer is frustrated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrustrationSignal {
    /// The conversation's smoothed sentiment fell well below where it was.
    FallingTrend,
    /// Several recent customer messages were negative.
    RepeatedComplaints,
    Profanity,
    /// "I'll cancel", "switching to …", "never again".
    ThreatToLeave,
    /// Shouting: mostly capitals, negative.
    AllCapsAnger,
}

/// The identified language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanguageMark {
    /// ISO 639-1.
    pub code: String,
    pub confidence: f32,
}

/// A span of personal data (byte offsets into the original body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiMark {
    pub kind: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentimentMark {
    pub polarity: Polarity,
    /// -1 (very negative) to 1 (very positive).
    pub score: f32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntentMark {
    /// `None` when out of scope.
    pub intent: Option<String>,
    /// `routine`, `sensitive` or `human_preferred`.
    pub category: Option<String>,
    pub confidence: f32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityMark {
    /// `order_number`, `tracking_number`, `amount`, `date`, `email`, `phone`.
    pub kind: String,
    pub value: String,
}

/// Everything understood about one message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Understanding {
    pub language: Option<LanguageMark>,
    /// The body with personal data replaced (`[EMAIL]`, `[CARD]`...): what logs,
    /// analytics and external models see.
    pub redacted: String,
    #[serde(default)]
    pub pii: Vec<PiiMark>,
    pub sentiment: Option<SentimentMark>,
    pub intent: Option<IntentMark>,
    #[serde(default)]
    pub entities: Vec<EntityMark>,
    /// Per-message frustration signs (profanity, threats to leave, shouting).
    #[serde(default)]
    pub signals: Vec<FrustrationSignal>,
    /// Content phrases for insights, from the redacted text.
    #[serde(default)]
    pub keyphrases: Vec<String>,
    /// True once the asynchronous embedding tier refined intent and sentiment.
    #[serde(default)]
    pub refined: bool,
}

/// A conversation's sentiment over the customer's messages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentimentTrajectory {
    /// Exponentially smoothed score (-1..1).
    pub smoothed: f32,
    /// The highest smoothed score so far.
    pub peak: f32,
    /// Recent message scores, oldest first (at most [`SentimentTrajectory::KEPT`]).
    pub recent: Vec<f32>,
    pub messages: u32,
    /// What signals frustration now (empty: not frustrated).
    pub frustration: Vec<FrustrationSignal>,
}

impl SentimentTrajectory {
    pub const KEPT: usize = 20;
    /// Weight of the newest message in the smoothed score.
    const ALPHA: f32 = 0.5;

    /// Folds in a customer message's score and its own frustration signals.
    pub fn update(&mut self, score: f32, message_signals: &[FrustrationSignal]) {
        self.smoothed =
            if self.messages == 0 { score } else { Self::ALPHA * score + (1.0 - Self::ALPHA) * self.smoothed };
        self.peak = if self.messages == 0 { self.smoothed } else { self.peak.max(self.smoothed) };
        self.messages += 1;
        self.recent.push(score);
        if self.recent.len() > Self::KEPT {
            self.recent.remove(0);
        }
        let mut signals: Vec<FrustrationSignal> = message_signals.to_vec();
        if self.messages >= 2 && (self.peak - self.smoothed > 0.5 || self.smoothed < -0.5) {
            signals.push(FrustrationSignal::FallingTrend);
        }
        if self.recent.iter().rev().take(3).filter(|s| **s <= -0.3).count() >= 2 {
            signals.push(FrustrationSignal::RepeatedComplaints);
        }
        signals.sort();
        signals.dedup();
        self.frustration = signals;
    }

    pub fn frustrated(&self) -> bool {
        !self.frustration.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_souring_conversation_is_frustrated() {
        let mut t = SentimentTrajectory::default();
        t.update(0.4, &[]);
        assert!(!t.frustrated());
        t.update(-0.5, &[]);
        t.update(-0.7, &[FrustrationSignal::ThreatToLeave]);
        assert!(t.frustration.contains(&FrustrationSignal::RepeatedComplaints));
        assert!(t.frustration.contains(&FrustrationSignal::FallingTrend));
        assert!(t.frustration.contains(&FrustrationSignal::ThreatToLeave));
        t.update(0.6, &[]);
        assert!(!t.frustration.contains(&FrustrationSignal::ThreatToLeave), "a message's own signals do not linger");
        assert!(t.recent.len() <= SentimentTrajectory::KEPT);
    }
}
