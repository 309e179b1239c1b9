//! What the bot remembers of one conversation between turns: what it is waiting for,
//! the details collected, what it tried, how many turns failed, the requests seen (for
//! loops) and whether it handed over. Stored as JSON beside the conversation.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tandem_domain::MessageId;

use crate::policy::Reason;

/// The bot's memory of a conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BotState {
    /// Turns taken (one per customer message answered).
    pub turns: u32,
    /// Failed turns in this conversation (reset only when people hand it back).
    pub failed: u32,
    /// Bot messages in a row that moved nothing forward (re-prompts, clarifications).
    pub unprogressed: u32,
    pub pending: Pending,
    /// Details collected, by slot name.
    pub slots: BTreeMap<String, SlotValue>,
    /// Business identifiers and amounts the customer mentioned (never personal data).
    pub facts: Vec<Fact>,
    /// What the customer first asked for.
    pub goal: Option<Goal>,
    /// What the bot tried and how it went, for the handoff summary.
    pub tried: Vec<String>,
    /// Passages quoted already (`article:passage`).
    pub answered: Vec<String>,
    /// Requests seen, for loop detection.
    pub requests: Vec<RequestSeen>,
    /// The customer confirmed the email on file.
    pub verified: bool,
    pub verify_attempts: u32,
    /// Set when the bot handed over; it says nothing more until handed back.
    pub escalated: Option<Escalated>,
    /// The last customer message the bot took a turn on.
    pub last_message: Option<MessageId>,
    /// The language the bot speaks in this conversation.
    pub language: Option<String>,
    /// The bot resolved the conversation.
    pub resolved: bool,
    /// Approvals waiting for a person, by task id.
    pub approvals: Vec<String>,
    /// The action whose details are being collected (they belong to it alone).
    pub active_action: Option<String>,
    /// Sentiment scores of the customer's substantive messages (four words or more),
    /// newest last: short answers ("no", "sorry, A1043") say little about mood.
    pub moods: Vec<f32>,
}

/// What the bot is waiting for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "waiting_for", rename_all = "snake_case")]
pub enum Pending {
    #[default]
    Nothing,
    /// "Did that answer your question?"
    AnswerCheck { article: String, title: String },
    /// "Anything else?"
    AnythingElse,
    /// A detail for an action.
    Slot { action: String, slot: String, attempts: u32 },
    /// The email on file, before an action that changes customer data.
    Verification { action: String },
    /// Yes or no before an action runs.
    Confirmation { action: String },
}

impl Pending {
    /// A short label for audit (`slot:order_status.order_number`).
    pub fn label(&self) -> String {
        match self {
            Self::Nothing => "nothing".into(),
            Self::AnswerCheck { .. } => "answer_check".into(),
            Self::AnythingElse => "anything_else".into(),
            Self::Slot { action, slot, .. } => format!("slot:{action}.{slot}"),
            Self::Verification { action } => format!("verification:{action}"),
            Self::Confirmation { action } => format!("confirmation:{action}"),
        }
    }
}

/// A collected detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotValue {
    pub value: String,
    /// Personal data: used for the call, never shown in summaries or audit.
    pub private: bool,
}

/// A business fact from the customer's messages (order number, amount, date).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub kind: String,
    pub value: String,
}

/// The customer's first request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub intent: Option<String>,
    /// Their words with personal data redacted, shortened.
    pub text: String,
}

/// A request the bot handled, to notice the same one again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSeen {
    pub intent: Option<String>,
    pub grams: BTreeSet<u32>,
}

/// The handover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalated {
    pub reason: Reason,
    pub turn: u32,
    pub queue: Option<String>,
}

impl BotState {
    /// Records a fact once.
    pub fn remember_fact(&mut self, kind: &str, value: &str) {
        if !self.facts.iter().any(|f| f.kind == kind && f.value == value) && self.facts.len() < 30 {
            self.facts.push(Fact { kind: kind.to_owned(), value: value.to_owned() });
        }
    }

    /// Records the sentiment of a substantive message (the last five are kept).
    pub fn remember_mood(&mut self, score: f32) {
        self.moods.push(score);
        if self.moods.len() > 5 {
            self.moods.remove(0);
        }
    }

    pub fn note_tried(&mut self, line: String) {
        if self.tried.len() < 30 {
            self.tried.push(line);
        }
    }

    /// Back from people: the bot resumes, keeping what it learned but none of the
    /// failures that sent the conversation away.
    pub fn handed_back(&mut self) {
        self.escalated = None;
        self.failed = 0;
        self.unprogressed = 0;
        self.pending = Pending::Nothing;
        self.requests.clear();
        self.resolved = false;
        self.verify_attempts = 0;
        self.end_action();
    }

    /// The action in progress ended (done, declined, abandoned, handed over): its details
    /// are let go — the business ones kept as facts for a summary — so the next request
    /// starts afresh.
    pub fn end_action(&mut self) {
        let public: Vec<(String, String)> =
            self.slots.iter().filter(|(_, v)| !v.private).map(|(k, v)| (k.clone(), v.value.clone())).collect();
        for (kind, value) in public {
            self.remember_fact(&kind, &value);
        }
        self.slots.clear();
        self.active_action = None;
        self.verify_attempts = 0;
    }
}
