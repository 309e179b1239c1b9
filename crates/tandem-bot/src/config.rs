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
use crate::lang::{self, Phrase};
use crate::template::{self, Template};
use crate::text;

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

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
}

fn valid_language(code: &str) -> bool {
    (2..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
}

fn check_localized(field: &str, text: &Localized, required: bool) -> Result<(), ConfigError> {
    if required && text.is_empty() {
        return Err(ConfigError::new(field, "give the text in at least one language, e.g. `en = \"...\"`"));
    }
    for (lang, value) in text {
        if !valid_language(lang) {
            return Err(ConfigError::new(format!("{field}.{lang}"), "use a language code such as `en` or `pt-BR`"));
        }
        if value.trim().is_empty() || value.chars().count() > 2000 {
            return Err(ConfigError::new(format!("{field}.{lang}"), "use 1 to 2000 characters"));
        }
    }
    Ok(())
}

impl BotConfig {
    /// Checks everything and prepares it to run.
    pub fn compile(self) -> Result<CompiledBot, ConfigError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 80 {
            return Err(ConfigError::new("name", "use 1 to 80 characters"));
        }
        if !valid_language(&self.default_language) || !lang::supported(&self.default_language) {
            return Err(ConfigError::new(
                "default_language",
                format!("use one of the languages the bot speaks: {}", lang::LANGUAGES.join(", ")),
            ));
        }
        if !(0.0..=1.0).contains(&self.intent_threshold) {
            return Err(ConfigError::new("intent_threshold", "use a confidence between 0 and 1, e.g. 0.5"));
        }
        let k = &self.knowledge;
        if !(0.0..=1.0).contains(&k.min_confidence) {
            return Err(ConfigError::new("knowledge.min_confidence", "use a confidence between 0 and 1, e.g. 0.45"));
        }
        if !(0.0..=1.0).contains(&k.min_confidence_with_intent) {
            return Err(ConfigError::new("knowledge.min_confidence_with_intent", "use a confidence between 0 and 1"));
        }
        if !(80..=4000).contains(&k.max_chars) {
            return Err(ConfigError::new("knowledge.max_chars", "use 80 to 4000 characters"));
        }
        self.check_escalation()?;
        if !(10..=86_400).contains(&self.expected_handle_seconds) {
            return Err(ConfigError::new("expected_handle_seconds", "use 10 to 86400 seconds"));
        }
        for name in self.variables.keys() {
            if !valid_name(name) {
                return Err(ConfigError::new(format!("variables.{name}"), "use lowercase letters, digits and `_`"));
            }
        }
        let hours = self.hours.as_ref().map(crate::hours::OpenHours::parse).transpose()?;
        self.check_templates()?;
        let actions = self.compile_actions()?;
        let intents = self.compile_intents(&actions)?;
        Ok(CompiledBot { config: self, intents, actions, hours })
    }

    fn check_escalation(&self) -> Result<(), ConfigError> {
        let e = &self.escalation;
        if !(1..=5).contains(&e.max_failed_turns) {
            return Err(ConfigError::new("escalation.max_failed_turns", "use 1 to 5"));
        }
        if !(-1.0..=0.0).contains(&e.frustration_below) {
            return Err(ConfigError::new("escalation.frustration_below", "use a score between -1 and 0"));
        }
        let known = |code: &str| crate::policy::Reason::parse_code(code).is_some() || Topic::parse(code).is_some();
        for (code, queue) in &e.queues {
            if !known(code) {
                return Err(ConfigError::new(
                    format!("escalation.queues.{code}"),
                    format!("unknown reason; use one of {}", crate::policy::Reason::codes().join(", ")),
                ));
            }
            if queue.trim().is_empty() {
                return Err(ConfigError::new(format!("escalation.queues.{code}"), "name a queue"));
            }
        }
        for (code, priority) in &e.priority {
            if !known(code) {
                return Err(ConfigError::new(format!("escalation.priority.{code}"), "unknown reason code"));
            }
            if *priority > 9 {
                return Err(ConfigError::new(format!("escalation.priority.{code}"), "use 0 (lowest) to 9 (urgent)"));
            }
        }
        Ok(())
    }

    fn check_templates(&self) -> Result<(), ConfigError> {
        for (lang, phrases) in &self.templates {
            if !valid_language(lang) {
                return Err(ConfigError::new(format!("templates.{lang}"), "use a language code such as `en`"));
            }
            for (key, text) in phrases {
                let field = format!("templates.{lang}.{key}");
                let phrase = Phrase::parse(key).ok_or_else(|| {
                    ConfigError::new(&field, format!("unknown phrase; use one of {}", Phrase::keys().join(", ")))
                })?;
                let parsed = Template::parse(text).map_err(|m| ConfigError::new(&field, m))?;
                for name in parsed.placeholders() {
                    if !phrase.placeholders().contains(&name) {
                        return Err(ConfigError::new(
                            &field,
                            format!("`{{{name}}}` is not available here; use {}", phrase.placeholders().join(", ")),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn compile_actions(&self) -> Result<BTreeMap<String, CompiledAction>, ConfigError> {
        let mut actions = BTreeMap::new();
        for (i, a) in self.actions.iter().enumerate() {
            let at = format!("actions[{i}]");
            if !valid_name(&a.name) {
                return Err(ConfigError::new(format!("{at}.name"), "use lowercase letters, digits and `_`"));
            }
            if actions.contains_key(&a.name) {
                return Err(ConfigError::new(format!("{at}.name"), format!("another action is named `{}`", a.name)));
            }
            if a.description.trim().is_empty() {
                return Err(ConfigError::new(format!("{at}.description"), "say what the action does"));
            }
            let mut patterns = BTreeMap::new();
            let mut slot_names = BTreeSet::new();
            for (j, s) in a.slots.iter().enumerate() {
                let sat = format!("{at}.slots[{j}]");
                if !valid_name(&s.name) || !slot_names.insert(s.name.clone()) {
                    return Err(ConfigError::new(
                        format!("{sat}.name"),
                        "use a unique name of lowercase letters, digits and `_`",
                    ));
                }
                check_localized(&format!("{sat}.prompt"), &s.prompt, true)?;
                check_localized(&format!("{sat}.invalid"), &s.invalid, false)?;
                if s.kind == SlotKind::Choice && s.choices.is_empty() {
                    return Err(ConfigError::new(format!("{sat}.choices"), "a choice slot needs its choices"));
                }
                match (&s.pattern, s.kind) {
                    (Some(p), _) => {
                        let re = Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                            ConfigError::new(format!("{sat}.pattern"), format!("not a valid regular expression: {e}"))
                        })?;
                        patterns.insert(s.name.clone(), re);
                    }
                    (None, SlotKind::Pattern) => {
                        return Err(ConfigError::new(format!("{sat}.pattern"), "a pattern slot needs its pattern"));
                    }
                    _ => {}
                }
            }
            let mut fields: BTreeSet<String> = BTreeSet::new();
            for (field, pointer) in &a.response {
                if !valid_name(field) || slot_names.contains(field) {
                    return Err(ConfigError::new(
                        format!("{at}.response.{field}"),
                        "use a name of lowercase letters, digits and `_` that is not also a slot",
                    ));
                }
                if !(pointer.is_empty() || pointer.starts_with('/')) {
                    return Err(ConfigError::new(
                        format!("{at}.response.{field}"),
                        "use a JSON pointer such as `/status`",
                    ));
                }
                fields.insert(field.clone());
            }
            let vars: BTreeSet<String> = self.variables.keys().cloned().collect();
            let known_request = Scope { slots: &slot_names, fields: None, vars: &vars, secrets: false };
            let known_header = Scope { slots: &slot_names, fields: None, vars: &vars, secrets: true };
            let known_reply = Scope { slots: &slot_names, fields: Some(&fields), vars: &vars, secrets: false };
            let method = a.request.method.to_uppercase();
            if !METHODS.contains(&method.as_str()) {
                return Err(ConfigError::new(format!("{at}.request.method"), "use GET, POST, PUT, PATCH or DELETE"));
            }
            if !(100..=30_000).contains(&a.request.timeout_ms) {
                return Err(ConfigError::new(format!("{at}.request.timeout_ms"), "use 100 to 30000 milliseconds"));
            }
            let url = known_request.template(&format!("{at}.request.url"), &a.request.url)?;
            let resolved_start = match a.request.url.strip_prefix("{var.") {
                Some(rest) => {
                    rest.split_once('}').and_then(|(v, _)| self.variables.get(v)).cloned().unwrap_or_default()
                }
                None => a.request.url.clone(),
            };
            if !(resolved_start.starts_with("http://") || resolved_start.starts_with("https://")) {
                return Err(ConfigError::new(
                    format!("{at}.request.url"),
                    "use an http:// or https:// URL (or a variable holding one at its start)",
                ));
            }
            let mut headers = Vec::new();
            for (name, value) in &a.request.headers {
                let valid_header = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !valid_header {
                    return Err(ConfigError::new(format!("{at}.request.headers.{name}"), "not a valid header name"));
                }
                headers.push((name.clone(), known_header.template(&format!("{at}.request.headers.{name}"), value)?));
            }
            if let Some(body) = &a.request.body {
                check_json_templates(&known_request, &format!("{at}.request.body"), body)?;
            }
            check_localized(&format!("{at}.reply"), &a.reply, true)?;
            for (lang, text) in &a.reply {
                known_reply.template(&format!("{at}.reply.{lang}"), text)?;
            }
            check_localized(&format!("{at}.confirm"), &a.confirm, false)?;
            for (lang, text) in &a.confirm {
                known_request.template(&format!("{at}.confirm.{lang}"), text)?;
            }
            for (k, rule) in a.on_status.iter().enumerate() {
                let rat = format!("{at}.on_status[{k}]");
                if !(100..=599).contains(&rule.status) {
                    return Err(ConfigError::new(format!("{rat}.status"), "use an HTTP status code"));
                }
                check_localized(&format!("{rat}.reply"), &rule.reply, true)?;
                for (lang, text) in &rule.reply {
                    known_reply.template(&format!("{rat}.reply.{lang}"), text)?;
                }
                if let Some(slot) = &rule.ask_again
                    && !slot_names.contains(slot)
                {
                    return Err(ConfigError::new(format!("{rat}.ask_again"), format!("no slot is named `{slot}`")));
                }
            }
            actions.insert(a.name.clone(), CompiledAction { spec: a.clone(), patterns, url, headers });
        }
        Ok(actions)
    }

    fn compile_intents(&self, actions: &BTreeMap<String, CompiledAction>) -> Result<Vec<CompiledIntent>, ConfigError> {
        let mut seen = BTreeSet::new();
        let mut intents = Vec::new();
        for (i, spec) in self.intents.iter().enumerate() {
            let at = format!("intents[{i}]");
            if !valid_name(&spec.name) || !seen.insert(spec.name.clone()) {
                return Err(ConfigError::new(
                    format!("{at}.name"),
                    "use a unique name of lowercase letters, digits and `_`",
                ));
            }
            if let Some(action) = &spec.action
                && !actions.contains_key(action)
            {
                return Err(ConfigError::new(format!("{at}.action"), format!("no action is named `{action}`")));
            }
            let handlers =
                usize::from(spec.action.is_some()) + usize::from(!spec.answer.is_empty()) + usize::from(spec.escalate);
            if handlers > 1 {
                return Err(ConfigError::new(at, "give at most one of action, answer and escalate"));
            }
            check_localized(&format!("{at}.answer"), &spec.answer, false)?;
            let keywords: Vec<Vec<String>> = spec.keywords.iter().map(|k| text::phrase(k)).collect();
            if let Some(k) = keywords.iter().position(Vec::is_empty) {
                return Err(ConfigError::new(format!("{at}.keywords[{k}]"), "a keyword needs a letter or digit"));
            }
            let examples = spec.examples.iter().map(|e| text::trigrams(&text::normalize(e))).collect();
            for (k, entity) in spec.entities.iter().enumerate() {
                if !matches!(entity.as_str(), "order_number" | "tracking_number") {
                    return Err(ConfigError::new(format!("{at}.entities[{k}]"), "use order_number or tracking_number"));
                }
            }
            intents.push(CompiledIntent { spec: spec.clone(), keywords, examples });
        }
        Ok(intents)
    }
}

/// What a template may refer to.
struct Scope<'a> {
    slots: &'a BTreeSet<String>,
    fields: Option<&'a BTreeSet<String>>,
    vars: &'a BTreeSet<String>,
    secrets: bool,
}

impl Scope<'_> {
    fn template(&self, field: &str, text: &str) -> Result<Template, ConfigError> {
        let parsed = Template::parse(text).map_err(|m| ConfigError::new(field, m))?;
        for name in parsed.placeholders() {
            let ok = match name.split_once('.') {
                Some(("var", v)) => self.vars.contains(v),
                Some(("secret", s)) => self.secrets && template::valid_secret_name(s),
                Some(_) => false,
                None => self.slots.contains(name) || self.fields.is_some_and(|f| f.contains(name)),
            };
            if !ok {
                let hint = match name.split_once('.') {
                    Some(("secret", _)) if !self.secrets => "secrets may only be used in request headers",
                    Some(("var", _)) => "no such variable in [variables]",
                    _ => "it is not a slot, a response field or a variable of this action",
                };
                return Err(ConfigError::new(field, format!("`{{{name}}}`: {hint}")));
            }
        }
        Ok(parsed)
    }
}

fn check_json_templates(scope: &Scope<'_>, field: &str, value: &serde_json::Value) -> Result<(), ConfigError> {
    match value {
        serde_json::Value::String(s) => scope.template(field, s).map(|_| ()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| check_json_templates(scope, &format!("{field}[{i}]"), v))
        }
        serde_json::Value::Object(map) => {
            map.iter().try_for_each(|(k, v)| check_json_templates(scope, &format!("{field}.{k}"), v))
        }
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(toml_text: &str, field: &str) {
        let config: BotConfig = toml::from_str(toml_text).expect("parses");
        let err = config.compile().expect_err("refused");
        assert_eq!(err.field, field, "{err}");
    }

    const ACTION: &str = r#"
[variables]
base = "http://127.0.0.1:9000"
[[actions]]
name = "order_status"
description = "look up your order"
reply.en = "Order {order_number} is {status}."
response.status = "/status"
request.url = "{var.base}/orders/{order_number}"
request.headers.Authorization = "Bearer {secret.shop_token}"
[[actions.slots]]
name = "order_number"
kind = "order_number"
prompt.en = "What is your order number?"
[[intents]]
name = "track_order"
action = "order_status"
"#;

    #[test]
    fn the_default_and_a_full_action_compile() {
        assert!(BotConfig::default().compile().is_ok());
        let config: BotConfig = toml::from_str(ACTION).unwrap();
        let bot = config.compile().unwrap();
        assert!(bot.action("order_status").is_some());
    }

    #[test]
    fn mistakes_name_their_field() {
        check("default_language = \"xx\"", "default_language");
        check("[knowledge]\nmin_confidence = 2.0", "knowledge.min_confidence");
        check("[escalation]\nqueues.nonsense = \"General\"", "escalation.queues.nonsense");
        check("[escalation]\npriority.fraud = 12", "escalation.priority.fraud");
        check(&ACTION.replace("{status}", "{state}"), "actions[0].reply.en");
        check(&ACTION.replace("{var.base}/orders", "{var.other}/orders"), "actions[0].request.url");
        check(&ACTION.replace("action = \"order_status\"", "action = \"missing\""), "intents[0].action");
        check(&ACTION.replace("Order {order_number}", "Order {secret.shop_token}"), "actions[0].reply.en");
        check(
            &ACTION.replace("kind = \"order_number\"", "kind = \"order_number\"\npattern = \"[A-\""),
            "actions[0].slots[0].pattern",
        );
        check(&ACTION.replace("http://127", "ftp://127"), "actions[0].request.url");
        check("[templates.en]\nnope = \"x\"", "templates.en.nope");
        check("[templates.en]\nclarify = \"{title}\"", "templates.en.clarify");
        check("[hours]\ndays.mon = \"9-5\"", "hours.days.mon");
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(toml::from_str::<BotConfig>("enabeld = true").is_err());
    }
}
