//! Checking a configuration whole and preparing it to run: names, languages, templates
//! and their placeholders, regular expressions, URLs, methods and timeouts, each error
//! naming the field to fix.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::{BotConfig, CompiledAction, CompiledBot, CompiledIntent, ConfigError, Localized, SlotKind};
use crate::detect::Topic;
use crate::lang::{self, Phrase};
use crate::template::{self, Template};
use crate::text;

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

#[cfg(test)]
mod tests {
    use super::super::*;

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
