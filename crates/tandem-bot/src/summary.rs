//! The handoff summary: what a person needs so the customer never repeats themselves —
//! the goal, the facts collected, what the bot tried and how it went, the sentiment,
//! why it escalated and the language. Built from the bot's state (which holds redacted
//! text and business facts only), so it never carries personal data.

use serde::{Deserialize, Serialize};
use tandem_domain::SentimentTrajectory;

use crate::policy::Reason;
use crate::state::BotState;

/// A handoff summary, structured for the agent desktop and rendered as the first
/// internal note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandoffSummary {
    /// The customer's goal: the intent's label and their words (redacted).
    pub goal: String,
    pub intent: Option<String>,
    /// Facts: `order_number: A1043`, `date: 2026-12-15`.
    pub facts: Vec<(String, String)>,
    pub tried: Vec<String>,
    pub sentiment: String,
    pub reason: String,
    pub reason_code: String,
    /// What decided it ("asked for a person (“agent”)").
    pub cue: String,
    pub language: Option<String>,
    pub verified: bool,
    pub bot_turns: u32,
}

fn polarity(score: f32) -> &'static str {
    if score <= -0.25 {
        "negative"
    } else if score >= 0.25 {
        "positive"
    } else {
        "neutral"
    }
}

/// A label for an intent name: `track_order` → "Track order".
pub fn intent_label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl HandoffSummary {
    pub fn build(
        state: &BotState,
        reason: Reason,
        cue: &str,
        trajectory: &SentimentTrajectory,
        label: Option<&str>,
    ) -> Self {
        let intent = state.goal.as_ref().and_then(|g| g.intent.clone());
        let goal = match (&state.goal, label.map(str::to_owned).or_else(|| intent.as_deref().map(intent_label))) {
            (Some(g), Some(l)) => format!("{l}: “{}”", g.text),
            (Some(g), None) => format!("“{}”", g.text),
            (None, Some(l)) => l,
            (None, None) => "not stated yet".into(),
        };
        let mut facts: Vec<(String, String)> =
            state.slots.iter().filter(|(_, v)| !v.private).map(|(k, v)| (k.clone(), v.value.clone())).collect();
        for f in &state.facts {
            if !facts.iter().any(|(_, v)| *v == f.value) {
                facts.push((f.kind.clone(), f.value.clone()));
            }
        }
        let mut sentiment = if trajectory.messages == 0 {
            "unknown".to_owned()
        } else {
            format!("{} ({:+.2})", polarity(trajectory.smoothed), trajectory.smoothed)
        };
        if trajectory.messages >= 2 && trajectory.peak - trajectory.smoothed > 0.3 {
            sentiment.push_str(", falling");
        }
        if !trajectory.frustration.is_empty() {
            let signs: Vec<String> = trajectory.frustration.iter().map(|s| format!("{s:?}")).collect();
            sentiment.push_str(&format!("; frustration signs: {}", signs.join(", ")));
        }
        Self {
            goal,
            intent,
            facts,
            tried: state.tried.clone(),
            sentiment,
            reason: reason.describe(),
            reason_code: reason.code().to_owned(),
            cue: cue.to_owned(),
            language: state.language.clone(),
            verified: state.verified,
            bot_turns: state.turns,
        }
    }

    /// The internal note a person reads first.
    pub fn render(&self) -> String {
        let mut out = String::from("Handoff from the virtual agent\n");
        out.push_str(&format!("Goal: {}\n", self.goal));
        if self.facts.is_empty() {
            out.push_str("Facts: none collected\n");
        } else {
            let facts: Vec<String> = self.facts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out.push_str(&format!("Facts: {}\n", facts.join("; ")));
        }
        if self.tried.is_empty() {
            out.push_str("Tried: nothing yet\n");
        } else {
            out.push_str("Tried:\n");
            for line in &self.tried {
                out.push_str(&format!("- {line}\n"));
            }
        }
        out.push_str(&format!("Sentiment: {}\n", self.sentiment));
        out.push_str(&format!("Escalated because {} ({}; {})\n", self.reason, self.reason_code, self.cue));
        out.push_str(&format!("Language: {}", self.language.as_deref().unwrap_or("unknown")));
        if self.verified {
            out.push_str("\nIdentity: verified (email on file)");
        }
        out
    }
}
