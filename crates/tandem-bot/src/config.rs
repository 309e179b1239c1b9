//! A workspace's virtual-agent configuration: intents and how each is handled
//! (knowledge, an action, a fixed answer, or a person), actions with their slots and
//! HTTP calls, the escalation policy's settings, opening hours and wording overrides.
//! Written as TOML or JSON; [`BotConfig::compile`] checks all of it and says which field
//! to fix, so a bad configuration is refused before it is saved.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde::{Deserialize, Serialize};
use tandem_domain::Tier;
use thiserror::Error;

use crate::detect::Topic;
use crate::template::Template;

/// Text in several languages, by language code (`en`, `es`...).
pub type Localized = BTreeMap<String, String>;

/// A configuration that cannot be used; `field` says where (`actions[1].slots[0].pattern`).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Everything the virtual agent of one workspace does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BotConfig {
    /// Off: new conversations wait for the bot with no reply (hand them to queues instead).
    pub enabled: bool,
    /// How the bot introduces itself.
    pub name: String,
    /// The language used when the customer's has no wording (the bot then hands over).
    pub default_language: String,
    /// The least confidence (0–1) at which the shipped intent model's guess is taken;
    /// below it the message counts as not understood.
    pub intent_threshold: f32,
    pub knowledge: KnowledgeSettings,
    pub escalation: EscalationSettings,
    /// Opening hours of the people behind the bot; without them, always open.
    pub hours: Option<Hours>,
    /// For wait estimates: how long a person takes per conversation.
    pub expected_handle_seconds: u32,
    /// Values templates refer to as `{var.name}` (a business system's base URL...).
    pub variables: BTreeMap<String, String>,
    pub intents: Vec<IntentSpec>,
    pub actions: Vec<ActionSpec>,
    /// Wording overrides: language → phrase key → text (see [`Phrase`]).
    pub templates: BTreeMap<String, BTreeMap<String, String>>,
}

impl Default for BotConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            name: "Tandem Assistant".into(),
            default_language: "en".into(),
            intent_threshold: 0.5,
            knowledge: KnowledgeSettings::default(),
            escalation: EscalationSettings::default(),
            hours: None,
            expected_handle_seconds: 300,
            variables: BTreeMap::new(),
            intents: Vec::new(),
            actions: Vec::new(),
            templates: BTreeMap::new(),
        }
    }
}

/// Answers from the knowledge base.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeSettings {
    pub enabled: bool,
    /// The least retrieval confidence (0–1) of a public passage the bot quotes.
    pub min_confidence: f32,
    /// The least confidence when the passage's article is tagged with the intent the
    /// message seems to be (two signals agreeing).
    pub min_confidence_with_intent: f32,
    /// The longest quote, in characters.
    pub max_chars: usize,
}

impl Default for KnowledgeSettings {
    fn default() -> Self {
        Self { enabled: true, min_confidence: 0.45, min_confidence_with_intent: 0.1, max_chars: 600 }
    }
}

/// The escalation policy's settings. Asking for a person always escalates; it cannot be
/// switched off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationSettings {
    /// The queue (by name) for escalations without a more specific one; without it, the
    /// workspace's first queue.
    pub default_queue: Option<String>,
    /// Reason or topic code → queue name (`billing_dispute = "Billing"`).
    pub queues: BTreeMap<String, String>,
    /// Failed turns (not understood, no answer, "that didn't help") before a person
    /// takes over.
    pub max_failed_turns: u32,
    /// Escalate when the customer is frustrated.
    pub frustration: bool,
    /// A falling sentiment counts as frustration once the smoothed score is this low.
    pub frustration_below: f32,
    /// Customers of these tiers get a person on their first request the bot cannot
    /// handle end to end.
    pub high_value_tiers: Vec<Tier>,
    /// Reason or topic code → conversation priority (0–9) on escalation.
    pub priority: BTreeMap<String, u8>,
    /// Topics the bot handles itself instead of escalating.
    pub ignore_topics: Vec<Topic>,
}

impl Default for EscalationSettings {
    fn default() -> Self {
        Self {
            default_queue: None,
            queues: BTreeMap::new(),
            max_failed_turns: 2,
            frustration: true,
            frustration_below: -0.25,
            high_value_tiers: vec![Tier::Gold, Tier::Platinum],
            priority: BTreeMap::new(),
            ignore_topics: Vec::new(),
        }
    }
}

/// Opening hours, per weekday, at a fixed offset from UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// `+01:00`, `-05:00`, `Z`.
    #[serde(default = "utc")]
    pub utc_offset: String,
    /// `mon`…`sun` → `09:00-17:00`; a missing day is closed.
    pub days: BTreeMap<String, String>,
}

fn utc() -> String {
    "Z".into()
}

/// How the bot treats an intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Routine,
    Sensitive,
    HumanPreferred,
}

/// An intent: the shipped model's (by name) or the workspace's own, recognised by
/// keywords and examples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentSpec {
    pub name: String,
    /// For summaries: "Track an order".
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    /// The topic a sensitive intent escalates under (its reason code).
    #[serde(default)]
    pub topic: Option<Topic>,
    /// Phrases (any language); a message containing one is this intent.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Example messages (any language); a message close to one is this intent.
    #[serde(default)]
    pub examples: Vec<String>,
    /// When nothing else matched, a message carrying one of these details is this
    /// intent (`order_number`, `tracking_number`): "wheres my ordr A1043" is about an order.
    #[serde(default)]
    pub entities: Vec<String>,
    /// Run this action.
    #[serde(default)]
    pub action: Option<String>,
    /// Answer with this text instead of the knowledge base.
    #[serde(default)]
    pub answer: Localized,
    /// Always hand to a person.
    #[serde(default)]
    pub escalate: bool,
    /// The queue for this intent's escalations.
    #[serde(default)]
    pub queue: Option<String>,
}

/// An action: slots to collect, then an HTTP call to a business system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub name: String,
    /// What it does, for summaries and apologies: "look up your order".
    pub description: String,
    #[serde(default)]
    pub slots: Vec<SlotSpec>,
    /// Changes customer data: the customer confirms the email on file first.
    #[serde(default)]
    pub verify_identity: bool,
    /// A person approves before the call is made.
    #[serde(default)]
    pub needs_approval: bool,
    /// Asked (yes/no) before the call, e.g. "Book {date} at {time}?".
    #[serde(default)]
    pub confirm: Localized,
    pub request: HttpSpec,
    /// Response fields for the reply: name → JSON pointer (`/status`).
    #[serde(default)]
    pub response: BTreeMap<String, String>,
    /// The reply on success, with `{slot}` and `{field}` placeholders.
    pub reply: Localized,
    /// Replies for particular HTTP statuses (a 404 "no such order"...).
    #[serde(default)]
    pub on_status: Vec<StatusRule>,
}

/// What to do when a call answers with `status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRule {
    pub status: u16,
    pub reply: Localized,
    /// Ask for this slot again (a wrong order number, a taken time); without it the
    /// reply ends the action.
    #[serde(default)]
    pub ask_again: Option<String>,
    /// Hand to a person after the reply.
    #[serde(default)]
    pub escalate: bool,
}

/// What kind of value a slot holds, and so how it is read and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    OrderNumber,
    TrackingNumber,
    Email,
    Phone,
    Date,
    Time,
    Text,
    Choice,
    /// Anything matching `pattern`.
    Pattern,
}

impl SlotKind {
    /// Whether values of this kind are personal data (kept out of summaries and audit).
    pub const fn private_by_default(self) -> bool {
        matches!(self, Self::Email | Self::Phone | Self::Text)
    }
}

/// A detail an action needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotSpec {
    pub name: String,
    pub kind: SlotKind,
    /// A regular expression the (upper-cased for order and tracking numbers) value must
    /// match in full.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub choices: Vec<String>,
    pub prompt: Localized,
    /// Said when a value is refused; a generic line otherwise.
    #[serde(default)]
    pub invalid: Localized,
    /// Keep the value out of summaries and audit (default: emails, phones, free text).
    #[serde(default)]
    pub private: Option<bool>,
    /// Dates must be today or later (default true).
    #[serde(default = "yes")]
    pub future: bool,
}

fn yes() -> bool {
    true
}

impl SlotSpec {
    pub fn is_private(&self) -> bool {
        self.private.unwrap_or_else(|| self.kind.private_by_default())
    }
}

/// An HTTP call. `url`, header values and string values in `body` are templates:
/// `{slot}`, `{var.name}`; header values may also use `{secret.name}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSpec {
    #[serde(default = "get")]
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    #[serde(default = "timeout")]
    pub timeout_ms: u64,
}

fn get() -> String {
    "GET".into()
}

fn timeout() -> u64 {
    3000
}

/// A configuration checked and made ready to run: regexes compiled, phrases
/// normalised, templates parsed.
#[derive(Clone, Debug)]
pub struct CompiledBot {
    pub config: BotConfig,
    pub(crate) intents: Vec<CompiledIntent>,
    pub(crate) actions: BTreeMap<String, CompiledAction>,
    pub(crate) hours: Option<crate::hours::OpenHours>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledIntent {
    pub spec: IntentSpec,
    pub keywords: Vec<Vec<String>>,
    pub examples: Vec<BTreeSet<u32>>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledAction {
    pub spec: ActionSpec,
    pub patterns: BTreeMap<String, Regex>,
    pub url: Template,
    pub headers: Vec<(String, Template)>,
}

impl CompiledBot {
    /// The built-in configuration: knowledge answers and the default escalation policy.
    pub fn default_config() -> Self {
        match BotConfig::default().compile() {
            Ok(bot) => bot,
            Err(_) => {
                CompiledBot { config: BotConfig::default(), intents: Vec::new(), actions: BTreeMap::new(), hours: None }
            }
        }
    }

    pub fn action(&self, name: &str) -> Option<&ActionSpec> {
        self.actions.get(name).map(|a| &a.spec)
    }
}

mod compile;
