//! One turn of the virtual agent: a customer message in, the bot's replies and what
//! changes out. The escalation policy screens the message first; then a pending
//! question is answered (a yes/no, a detail, the email on file) or the message is taken
//! as a new request and handled — an answer from knowledge, an action, a fixed reply —
//! or, when nothing helps, escalated with a handoff summary.
//!
//! The turn does no I/O itself: knowledge search, business-system calls, queue outlook
//! and secrets come from an [`Environment`] the caller provides (the engine in the
//! service, fakes in tests), so every rule here runs in-process and deterministically.

use std::collections::BTreeMap;

use serde_json::json;
use tandem_domain::Understanding;

use crate::config::{ActionSpec, Category, CompiledAction, CompiledBot, CompiledIntent};
use crate::detect::{self, Detected, Reply};
use crate::lang::{self, Phrase, Wording};
use crate::policy::{self, Reason};
use crate::slots::{self, Problem, SlotRead};
use crate::state::{BotState, Escalated, Goal, Pending, RequestSeen, SlotValue};
use crate::summary::{HandoffSummary, intent_label};
use crate::template::url_encode;
use crate::text;

mod actions;
mod endings;
mod io;
mod pending;
mod request;

pub use io::*;

/// The intent the bot settled on, and where it came from.
#[derive(Clone, Debug)]
struct Pick {
    name: Option<String>,
    category: Category,
    confidence: f32,
    source: &'static str,
    spec: Option<usize>,
}

/// Takes a turn on a customer message. Pure but for `env`.
pub async fn take_turn<E: Environment>(bot: &CompiledBot, state: &BotState, input: &TurnInput, env: &E) -> Outcome {
    let mut turn = Turn::new(bot, state, input, env);
    turn.run().await
}

/// Finishes an approval: runs the approved action (`approved`) or tells the customer it
/// was rejected and hands over.
pub async fn complete_approval<E: Environment>(
    bot: &CompiledBot,
    state: &BotState,
    input: &TurnInput,
    request: &ApprovalRequest,
    approved: bool,
    env: &E,
) -> Outcome {
    let mut turn = Turn::new(bot, state, input, env);
    turn.approval_outcome(request, approved).await
}

struct Turn<'a, E> {
    bot: &'a CompiledBot,
    input: &'a TurnInput,
    env: &'a E,
    state: BotState,
    lang: String,
    detected: Detected,
    replies: Vec<String>,
    inputs: serde_json::Value,
    resolve: bool,
    approval: Option<ApprovalRequest>,
    external_calls: Vec<serde_json::Value>,
    /// The action being worked on this turn (for an apology if it fails).
    action: Option<String>,
}

fn localized<'t>(text: &'t BTreeMap<String, String>, lang: &str, default: &str) -> Option<&'t String> {
    text.get(lang).or_else(|| text.get(lang::base(lang))).or_else(|| text.get(default)).or_else(|| text.values().next())
}

impl<'a, E: Environment> Turn<'a, E> {
    fn new(bot: &'a CompiledBot, state: &BotState, input: &'a TurnInput, env: &'a E) -> Self {
        let detected = detect::detect(&input.text);
        Self {
            bot,
            input,
            env,
            state: state.clone(),
            lang: bot.config.default_language.clone(),
            detected,
            replies: Vec::new(),
            inputs: serde_json::Value::Null,
            resolve: false,
            approval: None,
            external_calls: Vec::new(),
            action: None,
        }
    }

    fn wording(&self) -> Wording<'_> {
        Wording::new(&self.lang, &self.bot.config.templates)
    }

    fn say(&mut self, phrase: Phrase, values: &[(&str, String)]) {
        let text = self.wording().say(phrase, values);
        self.replies.push(text);
    }

    fn understanding(&self) -> Option<&Understanding> {
        self.input.understanding.as_ref()
    }

    /// The message with personal data redacted — what summaries and the audit may hold.
    /// Without message understanding nothing is redacted, so nothing is kept.
    fn redacted(&self) -> String {
        self.understanding()
            .map_or_else(|| "(not analysed: message understanding is off)".to_owned(), |u| u.redacted.clone())
    }

    /// What knowledge is searched with: the redacted text, or the message as written
    /// when it was not analysed (a search keeps nothing).
    fn search_text(&self) -> String {
        self.understanding().map_or_else(|| self.input.text.clone(), |u| u.redacted.clone())
    }

    /// Letters in the message (a language guess on fewer means little).
    fn letters(&self) -> usize {
        self.input.text.chars().filter(|c| c.is_alphabetic()).count()
    }

    /// The language to speak: the one the bot speaks already unless the customer
    /// clearly writes in another; at first a confident guess, else the conversation's,
    /// else the default. `Err(code)`: the customer writes in a language without wording.
    fn choose_language(&self) -> Result<String, String> {
        let reliable = self
            .understanding()
            .and_then(|u| u.language.as_ref())
            .filter(|l| l.confidence >= 0.8 && self.letters() >= 12)
            .map(|l| l.code.clone());
        let pick = |code: String| if lang::supported(&code) { Ok(lang::base(&code).to_owned()) } else { Err(code) };
        match (&self.state.language, reliable) {
            (Some(current), Some(detected)) if lang::base(&detected) != current && self.detected.alpha_words >= 4 => {
                pick(detected)
            }
            (Some(current), _) => Ok(current.clone()),
            (None, Some(detected)) => pick(detected),
            (None, None) => Ok(match &self.input.language {
                Some(l) if lang::supported(l) => lang::base(l).to_owned(),
                _ => self.bot.config.default_language.clone(),
            }),
        }
    }

    async fn run(&mut self) -> Outcome {
        if let Some(escalated) = &self.state.escalated {
            // Handed over: people own the conversation until they hand it back.
            let reason = format!("handed over at turn {} ({}); people own it", escalated.turn, escalated.reason.code());
            return self.finish("silent", "escalated.silent", reason, false);
        }
        self.state.turns += 1;
        self.state.last_message = Some(self.input.message_id);
        let pick = self.classify();
        self.inputs = self.describe_inputs(&pick);
        self.collect_facts();
        match self.choose_language() {
            Ok(l) => {
                self.lang = l.clone();
                self.state.language = Some(l);
            }
            Err(detected) => {
                return self.escalate(Reason::Language, format!("the customer writes in `{detected}`"), None).await;
            }
        }
        let substantive = self.detected.alpha_words >= 4;
        if substantive && let Some(score) = self.understanding().and_then(|u| u.sentiment).map(|s| s.score) {
            self.state.remember_mood(score);
        }
        let model = self.understanding().and_then(|u| u.intent.as_ref());
        let model_intent = model.and_then(|i| i.intent.clone());
        let model_confidence = model.map_or(0.0, |i| i.confidence);
        let answering = matches!(
            self.state.pending,
            Pending::Slot { .. } | Pending::Verification { .. } | Pending::Confirmation { .. }
        );
        let screening = policy::Screening {
            detected: &self.detected,
            model_intent: model_intent.as_deref(),
            model_confidence,
            understanding: self.input.understanding.as_ref(),
            trajectory: &self.input.trajectory,
            moods: &self.state.moods,
            substantive,
            answering,
        };
        if let Some((reason, cue)) = policy::screen(&screening, &self.bot.config.escalation) {
            self.note_goal(&pick);
            return self.escalate(reason, cue, None).await;
        }
        if let Some(outcome) = self.pending_reply(&pick).await {
            return outcome;
        }
        self.new_request(pick).await
    }

    /// Business facts worth passing on: order and tracking numbers, amounts, dates.
    fn collect_facts(&mut self) {
        let found: Vec<(String, String)> = self
            .understanding()
            .map(|u| {
                u.entities
                    .iter()
                    .filter(|e| matches!(e.kind.as_str(), "order_number" | "tracking_number" | "amount" | "date"))
                    .map(|e| (e.kind.clone(), e.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (kind, value) in found {
            self.state.remember_fact(&kind, &value);
        }
    }

    fn describe_inputs(&self, pick: &Pick) -> serde_json::Value {
        let u = self.understanding();
        json!({
            "message_id": self.input.message_id,
            "language": self.input.language,
            "language_confidence": u.and_then(|u| u.language.as_ref()).map(|l| l.confidence),
            "intent": pick.name,
            "intent_source": pick.source,
            "intent_confidence": pick.confidence,
            "model_intent": u.and_then(|u| u.intent.as_ref()).and_then(|i| i.intent.clone()),
            "sentiment": u.and_then(|u| u.sentiment).map(|s| s.score),
            "smoothed_sentiment": self.input.trajectory.smoothed,
            "frustration": self.input.trajectory.frustration,
            "human_request": self.detected.human_request,
            "topic": self.detected.topic,
            "reply": self.detected.reply,
            "pending": self.state.pending.label(),
            "failed_before": self.state.failed,
            "tier": self.input.tier,
            "words": self.detected.words,
        })
    }

    /// The intent: the workspace's keywords first, then the shipped model, then the
    /// workspace's examples.
    fn classify(&self) -> Pick {
        let normalized = text::normalize(&self.input.text);
        let words = text::words(&normalized);
        let intents: &[CompiledIntent] = &self.bot.intents;
        let category = |i: &CompiledIntent, model: Option<&str>| {
            i.spec.category.unwrap_or(match model {
                Some("sensitive") => Category::Sensitive,
                Some("human_preferred") => Category::HumanPreferred,
                _ => Category::Routine,
            })
        };
        if let Some((ix, i)) = intents
            .iter()
            .enumerate()
            .find(|(_, i)| i.keywords.iter().any(|k| text::find_phrase(&words, k, text::Matching::LongTypos).is_some()))
        {
            return Pick {
                name: Some(i.spec.name.clone()),
                category: category(i, None),
                confidence: 1.0,
                source: "keywords",
                spec: Some(ix),
            };
        }
        if let Some(mark) = self.understanding().and_then(|u| u.intent.as_ref())
            && let Some(name) = &mark.intent
            && mark.confidence >= self.bot.config.intent_threshold
        {
            let ix = intents.iter().position(|i| &i.spec.name == name);
            let cat = match ix {
                Some(ix) => category(&intents[ix], mark.category.as_deref()),
                None => match mark.category.as_deref() {
                    Some("sensitive") => Category::Sensitive,
                    Some("human_preferred") => Category::HumanPreferred,
                    _ => Category::Routine,
                },
            };
            return Pick {
                name: Some(name.clone()),
                category: cat,
                confidence: mark.confidence,
                source: "model",
                spec: ix,
            };
        }
        let grams = text::trigrams(&normalized);
        let best = intents
            .iter()
            .enumerate()
            .flat_map(|(ix, i)| i.examples.iter().map(move |e| (ix, e)))
            .map(|(ix, e)| (ix, text::similarity(e, &grams)))
            .fold(None::<(usize, f32)>, |best, (ix, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((ix, s)),
            });
        if let Some((ix, score)) = best.filter(|(_, s)| *s >= 0.45) {
            let i = &intents[ix];
            return Pick {
                name: Some(i.spec.name.clone()),
                category: category(i, None),
                confidence: score,
                source: "examples",
                spec: Some(ix),
            };
        }
        // A detail that only one kind of request carries: an order number, a tracking number.
        let today = self.input.now.date_naive();
        for (ix, i) in intents.iter().enumerate() {
            let Some(action) = i.spec.action.as_ref().and_then(|a| self.bot.actions.get(a)) else { continue };
            let carries = i.spec.entities.iter().any(|entity| {
                action.spec.slots.iter().filter(|s| actions::slot_kind_name(s.kind) == Some(entity.as_str())).any(|s| {
                    let read = slots::read(
                        s,
                        action.patterns.get(&s.name),
                        &self.input.text,
                        self.understanding(),
                        today,
                        false,
                    );
                    matches!(read, SlotRead::Value(_))
                })
            });
            if carries {
                return Pick {
                    name: Some(i.spec.name.clone()),
                    category: category(i, None),
                    confidence: 0.6,
                    source: "entity",
                    spec: Some(ix),
                };
            }
        }
        Pick { name: None, category: Category::Routine, confidence: 0.0, source: "none", spec: None }
    }

    fn note_goal(&mut self, pick: &Pick) {
        if self.state.goal.is_none() && self.detected.words >= 2 {
            self.state.goal = Some(Goal { intent: pick.name.clone(), text: text::clip(&self.redacted(), 200) });
        }
    }
}
