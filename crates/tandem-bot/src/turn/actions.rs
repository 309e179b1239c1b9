//! Actions: details collected, identity verified, confirmation, approval, the call and
//! its answer.

#[allow(clippy::wildcard_imports)]
use super::*;

impl<E: Environment> Turn<'_, E> {
    // ---- actions -------------------------------------------------------------------------

    pub(super) fn describe_action(&self, name: &str) -> String {
        self.bot.actions.get(name).map_or_else(|| name.to_owned(), |a| a.spec.description.clone())
    }

    /// Collects what the action still needs, verifies, confirms, asks for approval or
    /// runs it.
    pub(super) async fn advance_action(&mut self, name: &str, confirmed: bool) -> Outcome {
        let Some(compiled) = self.bot.actions.get(name) else {
            return self.escalate(Reason::ActionFailed, format!("the action {name} is not configured"), None).await;
        };
        let spec: &ActionSpec = &compiled.spec;
        self.action = Some(spec.description.clone());
        if self.state.active_action.as_deref() != Some(name) {
            // Another request's details are not this one's.
            self.state.slots.clear();
            self.state.verify_attempts = 0;
            self.state.active_action = Some(name.to_owned());
        }
        let today = self.input.now.date_naive();
        // What this message says wins over what an earlier one said.
        for slot in &spec.slots {
            let read = slots::read(
                slot,
                compiled.patterns.get(&slot.name),
                &self.input.text,
                self.understanding(),
                today,
                false,
            );
            if let SlotRead::Value(value) = read {
                self.state.slots.insert(slot.name.clone(), SlotValue { value, private: slot.is_private() });
            }
        }
        if let Some(missing) = spec.slots.iter().find(|s| !self.state.slots.contains_key(&s.name)) {
            let prompt =
                localized(&missing.prompt, &self.lang, &self.bot.config.default_language).cloned().unwrap_or_default();
            self.replies.push(prompt);
            self.state.pending = Pending::Slot { action: name.to_owned(), slot: missing.name.clone(), attempts: 0 };
            return self.finish("ask", "action.slot", format!("{name} needs {}", missing.name), true);
        }
        if spec.verify_identity && !self.state.verified {
            if self.input.customer_emails.is_empty() {
                self.state
                    .note_tried(format!("Could not {}: no email on file to verify the customer", spec.description));
                return self.escalate(Reason::Verification, "no email on file to verify against".into(), None).await;
            }
            self.state.pending = Pending::Verification { action: name.to_owned() };
            self.say(Phrase::Verify, &[]);
            return self.finish("ask", "action.verify", format!("{name} changes customer data: verify first"), true);
        }
        if !confirmed && !spec.confirm.is_empty() {
            let text =
                localized(&spec.confirm, &self.lang, &self.bot.config.default_language).cloned().unwrap_or_default();
            let vars: Vec<(String, String)> =
                self.bot.config.variables.iter().map(|(k, v)| (format!("var.{k}"), v.clone())).collect();
            let values: Vec<(&str, String)> = self
                .state
                .slots
                .iter()
                .map(|(k, v)| (k.as_str(), v.value.clone()))
                .chain(vars.iter().map(|(k, v)| (k.as_str(), v.clone())))
                .collect();
            let rendered = crate::template::fill(&text, &values);
            self.replies.push(rendered);
            self.state.pending = Pending::Confirmation { action: name.to_owned() };
            return self.finish("confirm", "action.confirm", format!("{name}: asked the customer to confirm"), true);
        }
        if spec.needs_approval {
            let request = ApprovalRequest {
                action: name.to_owned(),
                description: spec.description.clone(),
                slots: self.state.slots.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
            };
            self.approval = Some(request);
            self.state.note_tried(format!("Prepared to {}: waiting for a person's approval", spec.description));
            self.state.end_action();
            self.say(Phrase::ApprovalPending, &[("action", spec.description.clone())]);
            self.state.pending = Pending::Nothing;
            return self.finish("wait", "action.approval", format!("{name} needs a person's approval"), true);
        }
        let values: BTreeMap<String, String> =
            self.state.slots.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect();
        self.execute(compiled, &values).await
    }

    pub(super) fn render_call(
        &self,
        compiled: &CompiledAction,
        values: &BTreeMap<String, String>,
    ) -> Result<ActionCall, String> {
        let vars = &self.bot.config.variables;
        let var = |name: &str| -> Option<String> {
            match name.split_once('.') {
                Some(("var", v)) => vars.get(v).cloned(),
                Some(("secret", s)) => self.env.secret(s),
                _ => None,
            }
        };
        let url = compiled
            .url
            .render(|p| var(p).or_else(|| values.get(p).map(|v| url_encode(v))))
            .map_err(|name| format!("no value for {{{name}}} in the URL"))?;
        let mut headers = Vec::new();
        for (name, template) in &compiled.headers {
            let value = template
                .render(|p| var(p).or_else(|| values.get(p).cloned()))
                .map_err(|missing| format!("no value for {{{missing}}} in header {name} (is the secret set?)"))?;
            headers.push((name.clone(), value));
        }
        let body = compiled
            .spec
            .request
            .body
            .as_ref()
            .map(|b| render_json(b, &|p| var(p).or_else(|| values.get(p).cloned())))
            .transpose()?;
        Ok(ActionCall {
            action: compiled.spec.name.clone(),
            method: compiled.spec.request.method.to_uppercase(),
            url,
            headers,
            body,
            timeout_ms: compiled.spec.request.timeout_ms,
        })
    }

    pub(super) async fn execute(&mut self, compiled: &CompiledAction, values: &BTreeMap<String, String>) -> Outcome {
        let spec = &compiled.spec;
        self.action = Some(spec.description.clone());
        let call = match self.render_call(compiled, values) {
            Ok(call) => call,
            Err(problem) => {
                self.state.note_tried(format!("Could not {}: {problem}", spec.description));
                return self.escalate(Reason::ActionFailed, problem, None).await;
            }
        };
        let result = self.env.call(&call).await;
        let status = result.as_ref().map(|r| r.status).ok();
        self.external_calls.push(json!({ "action": spec.name, "method": call.method, "status": status, "error": result.as_ref().err().map(|e| format!("{e:?}")) }));
        let response = match result {
            Ok(r) => r,
            Err(error) => {
                let problem = match error {
                    CallError::Timeout => format!("no answer within {} ms", spec.request.timeout_ms),
                    CallError::Failed(e) => e,
                };
                self.state.note_tried(format!("Tried to {}: failed ({problem})", spec.description));
                return self.escalate(Reason::ActionFailed, format!("{}: {problem}", spec.name), None).await;
            }
        };
        // The response fields present in this answer (a 409 carries other fields than a 201).
        let fields: BTreeMap<String, String> = spec
            .response
            .iter()
            .filter_map(|(field, pointer)| response.body.pointer(pointer).map(|v| (field.clone(), json_text(v))))
            .collect();
        let vars = &self.bot.config.variables;
        let fill = |template: &str, lenient: bool| {
            crate::template::Template::parse(template).map_err(|e| e.to_string()).and_then(|t| {
                t.render(|p| {
                    fields
                        .get(p)
                        .or_else(|| values.get(p))
                        .or_else(|| p.strip_prefix("var.").and_then(|v| vars.get(v)))
                        .cloned()
                        .or_else(|| lenient.then(String::new))
                })
                .map_err(|m| format!("the answer has no {m}"))
            })
        };
        // Details that are personal data, whatever the system echoes back.
        let private: Vec<String> =
            spec.slots.iter().filter(|s| s.is_private()).filter_map(|s| values.get(&s.name).cloned()).collect();
        let public: Vec<String> = spec
            .slots
            .iter()
            .filter(|s| !s.is_private())
            .filter_map(|s| values.get(&s.name).map(|v| format!("{} {v}", s.name)))
            .collect();
        if let Some(rule) = spec.on_status.iter().find(|r| r.status == response.status) {
            let text =
                localized(&rule.reply, &self.lang, &self.bot.config.default_language).cloned().unwrap_or_default();
            let reply = fill(&text, true).unwrap_or(text);
            self.state.note_tried(format!("Tried to {}: the system answered {}", spec.description, response.status));
            self.replies.push(reply);
            if rule.escalate {
                return self
                    .escalate(Reason::ActionFailed, format!("{} answered {}", spec.name, response.status), None)
                    .await;
            }
            if let Some(slot) = &rule.ask_again {
                self.state.slots.remove(slot);
                if let Some(prompt) = spec
                    .slots
                    .iter()
                    .find(|s| &s.name == slot)
                    .and_then(|s| localized(&s.prompt, &self.lang, &self.bot.config.default_language))
                    .cloned()
                {
                    self.replies.push(prompt);
                }
                self.state.pending = Pending::Slot { action: spec.name.clone(), slot: slot.clone(), attempts: 1 };
                return self
                    .failed_keep(format!("{} answered {}: asked for {slot} again", spec.name, response.status))
                    .await;
            }
            self.state.pending = Pending::AnythingElse;
            self.state.end_action();
            return self.finish(
                "act",
                "action.status_reply",
                format!("{} answered {}", spec.name, response.status),
                true,
            );
        }
        if !(200..300).contains(&response.status) {
            self.state
                .note_tried(format!("Tried to {}: the system answered HTTP {}", spec.description, response.status));
            return self
                .escalate(Reason::ActionFailed, format!("{} answered HTTP {}", spec.name, response.status), None)
                .await;
        }
        let text = localized(&spec.reply, &self.lang, &self.bot.config.default_language).cloned().unwrap_or_default();
        let rendered = fill(&text, false);
        match rendered {
            Ok(reply) => {
                let done = if public.is_empty() { String::new() } else { format!(" ({})", public.join(", ")) };
                // What the system answered, for the person who may take over (fields that
                // repeat a private detail stay out).
                let found: Vec<String> = fields
                    .iter()
                    .filter(|(_, v)| !v.is_empty() && !private.iter().any(|p| v.contains(p)))
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                let found = if found.is_empty() { String::new() } else { format!(": {}", found.join(", ")) };
                self.state.note_tried(format!("{}: done{done}{found}", capitalize(&spec.description)));
                let anything = self.wording().say(Phrase::AnythingElse, &[]);
                self.replies.push(format!("{reply}\n\n{anything}"));
                self.state.pending = Pending::AnythingElse;
                self.state.end_action();
                self.finish("act", "action.done", format!("{} succeeded", spec.name), true)
            }
            Err(problem) => {
                self.state.note_tried(format!("Tried to {}: unexpected answer ({problem})", spec.description));
                self.escalate(Reason::ActionFailed, format!("{}: {problem}", spec.name), None).await
            }
        }
    }

    pub(super) async fn approval_outcome(&mut self, request: &ApprovalRequest, approved: bool) -> Outcome {
        self.lang = self.state.language.clone().unwrap_or_else(|| self.bot.config.default_language.clone());
        self.inputs = json!({ "approval": request.action, "approved": approved });
        self.state.pending = Pending::Nothing;
        if !approved {
            self.state.note_tried(format!("Prepared to {}: a person rejected it", request.description));
            self.say(Phrase::ApprovalRejected, &[("action", request.description.clone())]);
            return self
                .escalate(Reason::ApprovalRejected, format!("approval of {} rejected", request.action), None)
                .await;
        }
        let Some(compiled) = self.bot.actions.get(&request.action) else {
            return self
                .escalate(Reason::ActionFailed, format!("the action {} is no longer configured", request.action), None)
                .await;
        };
        self.execute(compiled, &request.slots).await
    }
}

pub(super) fn slot_kind_name(kind: crate::config::SlotKind) -> Option<&'static str> {
    match kind {
        crate::config::SlotKind::OrderNumber => Some("order_number"),
        crate::config::SlotKind::TrackingNumber => Some("tracking_number"),
        _ => None,
    }
}

fn capitalize(text: &str) -> String {
    intent_label(&text.replace(' ', "_"))
}

/// A JSON value as text for a reply.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn render_json(
    value: &serde_json::Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, String> {
    Ok(match value {
        serde_json::Value::String(s) => {
            let t = crate::template::Template::parse(s)?;
            serde_json::Value::String(t.render(lookup).map_err(|m| format!("no value for {{{m}}} in the body"))?)
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(|v| render_json(v, lookup)).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter().map(|(k, v)| Ok((k.clone(), render_json(v, lookup)?))).collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}
