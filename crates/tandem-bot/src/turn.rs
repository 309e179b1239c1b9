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
use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tandem_domain::{MessageId, SentimentTrajectory, Tier, Timestamp, Understanding};

use crate::config::{ActionSpec, Category, CompiledAction, CompiledBot, CompiledIntent};
use crate::detect::{self, Detected, Reply};
use crate::lang::{self, Phrase, Wording};
use crate::policy::{self, Reason};
use crate::slots::{self, Problem, SlotRead};
use crate::state::{BotState, Escalated, Goal, Pending, RequestSeen, SlotValue};
use crate::summary::{HandoffSummary, intent_label};
use crate::template::url_encode;
use crate::text;

/// How the customer can be reached outside this conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: bool,
    pub phone: bool,
}

/// A customer message, with what understanding found and who sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnInput {
    pub message_id: MessageId,
    /// The body as written (read for details; never stored in decisions).
    pub text: String,
    pub understanding: Option<Understanding>,
    /// The conversation's sentiment after this message.
    pub trajectory: SentimentTrajectory,
    /// The conversation's language after this message.
    pub language: Option<String>,
    pub tier: Tier,
    /// The customer's email identities, lowercased (for verification).
    pub customer_emails: Vec<String>,
    pub contact: Contact,
    pub now: Timestamp,
}

/// A knowledge search for the bot: public, published passages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnowledgeQuery {
    /// The customer's words with personal data redacted.
    pub text: String,
    /// Only passages in this language (`None`: any).
    pub language: Option<String>,
    /// The intent the message seems to be: articles tagged with it rank higher.
    pub intent: Option<String>,
}

/// A passage the bot may quote.
#[derive(Clone, Debug, PartialEq)]
pub struct KnowledgeHit {
    pub article_id: String,
    pub passage: u32,
    pub title: String,
    pub text: String,
    pub language: String,
    pub confidence: f32,
    pub tags: Vec<String>,
}

/// An HTTP call to a business system, rendered.
#[derive(Clone, PartialEq)]
pub struct ActionCall {
    pub action: String,
    pub method: String,
    pub url: String,
    /// Values may hold secrets: never log or store these.
    pub headers: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
    pub timeout_ms: u64,
}

impl std::fmt::Debug for ActionCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionCall")
            .field("action", &self.action)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What a business system answered.
#[derive(Clone, Debug, PartialEq)]
pub struct CallResponse {
    pub status: u16,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: serde_json::Value,
}

/// Why a call did not answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    Timeout,
    Failed(String),
}

/// Who could take the conversation now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outlook {
    /// The queue it would go to (its name), if the workspace has one.
    pub queue: Option<String>,
    /// Agents working (available, busy or in wrap-up) who can serve the queue.
    pub working: u32,
    /// Of those, how many could take it right now.
    pub free: u32,
    /// Conversations already waiting there.
    pub waiting: u32,
}

/// What the bot needs from the world.
pub trait Environment: Sync {
    fn search(&self, query: &KnowledgeQuery) -> impl Future<Output = Result<Vec<KnowledgeHit>, String>> + Send;
    fn call(&self, call: &ActionCall) -> impl Future<Output = Result<CallResponse, CallError>> + Send;
    /// The queue named (or the workspace's default when `None` or unknown).
    fn outlook(&self, queue: Option<&str>) -> impl Future<Output = Outlook> + Send;
    fn secret(&self, name: &str) -> Option<String>;
}

/// The conversation goes to people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub reason: Reason,
    /// The queue by name (the engine falls back to the default one).
    pub queue: Option<String>,
    pub priority: u8,
    pub summary: HandoffSummary,
    /// Whether someone can take it now (opening hours and agents working).
    pub available: bool,
    /// Set when nobody is available: a person must get back to the customer.
    pub follow_up: Option<FollowUp>,
}

/// A promise to get back to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// `email`, `phone` or `conversation`.
    pub via: String,
    pub reason: String,
}

/// An action waiting for a person's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub action: String,
    pub description: String,
    /// The details the action will run with (shown to the approver).
    pub slots: BTreeMap<String, String>,
}

/// The audit of a turn: what the bot did, the rule, why, and what it saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// `answer`, `ask`, `confirm`, `act`, `clarify`, `resolve`, `escalate`, `reply`, `wait`.
    pub kind: &'static str,
    pub rule: String,
    pub reason: String,
    pub escalation: Option<String>,
    pub inputs: serde_json::Value,
    pub outcome: serde_json::Value,
    /// Whether the turn moved the conversation forward.
    pub progress: bool,
}

/// What a turn produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub state: BotState,
    /// Messages to the customer, in order.
    pub replies: Vec<String>,
    pub resolve: bool,
    pub handoff: Option<Handoff>,
    pub approval: Option<ApprovalRequest>,
    pub decision: Decision,
}

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

    fn redacted(&self) -> String {
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
                action.spec.slots.iter().filter(|s| slot_kind_name(s.kind) == Some(entity.as_str())).any(|s| {
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

    // ---- pending questions ---------------------------------------------------------------

    /// Answers to what the bot asked. `None`: the message is not such an answer.
    async fn pending_reply(&mut self, pick: &Pick) -> Option<Outcome> {
        let reply = self.detected.reply.or(self.detected.thanks.then_some(Reply::Yes));
        match self.state.pending.clone() {
            Pending::Nothing => None,
            Pending::AnswerCheck { article, title } => match reply {
                Some(Reply::Yes) => {
                    self.state.note_tried(format!("Answered from “{title}”: the customer said it helped"));
                    self.state.pending = Pending::AnythingElse;
                    self.say(Phrase::AnswerHelped, &[]);
                    Some(self.finish(
                        "reply",
                        "answer.helped",
                        format!("the customer confirmed “{title}” helped"),
                        true,
                    ))
                }
                Some(Reply::No) => {
                    self.state.note_tried(format!("Answered from “{title}”: the customer said it did not help"));
                    self.state.pending = Pending::Nothing;
                    Some(self.failed(Phrase::AnswerFailed, format!("the answer from {article} did not help")).await)
                }
                Some(Reply::Done) => Some(self.goodbye()),
                None => None,
            },
            Pending::AnythingElse => match reply {
                Some(Reply::No | Reply::Done) => Some(self.goodbye()),
                Some(Reply::Yes) if self.detected.words <= 2 => {
                    self.state.pending = Pending::Nothing;
                    self.say(Phrase::AnythingElse, &[]);
                    Some(self.finish("ask", "anything_else.yes", "the customer has another question".into(), true))
                }
                _ => None,
            },
            Pending::Slot { action, slot, attempts } => self.slot_reply(pick, &action, &slot, attempts).await,
            Pending::Verification { action } => self.verification_reply(pick, &action).await,
            Pending::Confirmation { action } => match reply {
                Some(Reply::Yes) => {
                    self.state.pending = Pending::Nothing;
                    Some(self.advance_action(&action, true).await)
                }
                Some(Reply::No | Reply::Done) => {
                    self.state.pending = Pending::AnythingElse;
                    self.state
                        .note_tried(format!("Offered to {}: the customer declined", self.describe_action(&action)));
                    self.say(Phrase::Cancelled, &[]);
                    Some(self.finish("reply", "action.declined", format!("the customer declined {action}"), true))
                }
                None => None,
            },
        }
    }

    /// Whether a message that did not answer the bot's question is a new request.
    fn looks_like_new_request(&self, pick: &Pick, action: &str) -> bool {
        let handled_here = pick.spec.and_then(|ix| self.bot.intents[ix].spec.action.as_deref()) == Some(action);
        pick.name.is_some() && !handled_here && self.detected.alpha_words >= 3
    }

    async fn slot_reply(&mut self, pick: &Pick, action: &str, slot: &str, attempts: u32) -> Option<Outcome> {
        let Some(compiled) = self.bot.actions.get(action) else {
            self.state.pending = Pending::Nothing;
            return None;
        };
        let Some(spec) = compiled.spec.slots.iter().find(|s| s.name == slot) else {
            self.state.pending = Pending::Nothing;
            return None;
        };
        if matches!(self.detected.reply, Some(Reply::No | Reply::Done)) && self.detected.words <= 3 {
            self.state.pending = Pending::AnythingElse;
            self.state.note_tried(format!("Started to {}: the customer stopped", compiled.spec.description));
            self.say(Phrase::Cancelled, &[]);
            return Some(self.finish("reply", "action.abandoned", format!("the customer stopped {action}"), true));
        }
        let today = self.input.now.date_naive();
        let read = slots::read(spec, compiled.patterns.get(slot), &self.input.text, self.understanding(), today, true);
        match read {
            SlotRead::Value(value) => {
                self.state.slots.insert(slot.to_owned(), SlotValue { value, private: spec.is_private() });
                self.state.pending = Pending::Nothing;
                Some(self.advance_action(action, false).await)
            }
            SlotRead::Invalid(Problem::Format) | SlotRead::Missing if self.looks_like_new_request(pick, action) => {
                self.state.pending = Pending::Nothing;
                None
            }
            other => {
                let problem = if let SlotRead::Invalid(p) = other { p } else { Problem::Format };
                let default = self.bot.config.default_language.clone();
                let prompt = localized(&spec.prompt, &self.lang, &default).cloned().unwrap_or_default();
                let invalid = match problem {
                    Problem::PastDate => self.wording().say(Phrase::DatePast, &[]),
                    Problem::Format => localized(&spec.invalid, &self.lang, &default)
                        .cloned()
                        .unwrap_or_else(|| format!("{} {prompt}", self.wording().say(Phrase::SlotInvalid, &[]))),
                };
                self.state.pending =
                    Pending::Slot { action: action.to_owned(), slot: slot.to_owned(), attempts: attempts + 1 };
                Some(self.failed_with(invalid, format!("the answer for {slot} was not valid ({problem:?})")).await)
            }
        }
    }

    async fn verification_reply(&mut self, pick: &Pick, action: &str) -> Option<Outcome> {
        let email = slots::read(
            &crate::config::SlotSpec {
                name: "email".into(),
                kind: crate::config::SlotKind::Email,
                pattern: None,
                choices: Vec::new(),
                prompt: BTreeMap::new(),
                invalid: BTreeMap::new(),
                private: Some(true),
                future: false,
            },
            None,
            &self.input.text,
            None,
            self.input.now.date_naive(),
            true,
        );
        match email {
            SlotRead::Value(given) => {
                if self.input.customer_emails.iter().any(|e| e.eq_ignore_ascii_case(&given)) {
                    self.state.verified = true;
                    self.state.pending = Pending::Nothing;
                    self.state.note_tried("Verified the customer's identity (email on file)".into());
                    Some(self.advance_action(action, false).await)
                } else {
                    self.state.verify_attempts += 1;
                    if self.state.verify_attempts >= 2 {
                        self.state.note_tried("Identity check: the email given did not match twice".into());
                        Some(
                            self.escalate(
                                Reason::Verification,
                                "the email given did not match the one on file".into(),
                                None,
                            )
                            .await,
                        )
                    } else {
                        self.say(Phrase::VerifyFailed, &[]);
                        Some(self.finish(
                            "ask",
                            "verify.mismatch",
                            "the email did not match; asked again".into(),
                            false,
                        ))
                    }
                }
            }
            _ if self.looks_like_new_request(pick, action) => {
                self.state.pending = Pending::Nothing;
                None
            }
            _ => {
                let verify = self.wording().say(Phrase::Verify, &[]);
                Some(self.failed_with(verify, "no email address in the reply".into()).await)
            }
        }
    }

    // ---- new requests --------------------------------------------------------------------

    async fn new_request(&mut self, pick: Pick) -> Outcome {
        self.state.pending = Pending::Nothing;
        let has_intent = pick.name.is_some();
        if self.detected.greeting && !has_intent {
            let name = self.bot.config.name.clone();
            self.say(Phrase::Greeting, &[("bot", name)]);
            return self.finish("reply", "greeting", "the customer said hello".into(), true);
        }
        if self.detected.asks_if_bot {
            let name = self.bot.config.name.clone();
            self.say(Phrase::IAmABot, &[("bot", name)]);
            return self.finish("reply", "bot_question", "the customer asked whether this is a bot".into(), true);
        }
        if self.detected.thanks && self.detected.words <= 4 && !has_intent {
            self.state.pending = Pending::AnythingElse;
            self.say(Phrase::Welcome, &[]);
            return self.finish("reply", "thanks", "the customer said thanks".into(), true);
        }
        if matches!(self.detected.reply, Some(Reply::Done)) && !has_intent {
            return self.goodbye();
        }
        // The same request again: the bot would only repeat itself.
        let grams = text::trigrams(&text::normalize(&self.redacted()));
        if self.detected.words >= 3
            && let Some(seen) = self.state.requests.iter().find(|r| text::similarity(&r.grams, &grams) >= 0.75)
        {
            let cue = format!(
                "repeated an earlier request{}",
                seen.intent.as_ref().map(|i| format!(" ({i})")).unwrap_or_default()
            );
            return self.escalate(Reason::Loop, cue, None).await;
        }
        if self.detected.words >= 3 && self.state.requests.len() < 20 {
            self.state.requests.push(RequestSeen { intent: pick.name.clone(), grams });
        }
        self.note_goal(&pick);
        let routine = has_intent && pick.category == Category::Routine;
        if self.bot.config.escalation.high_value_tiers.contains(&self.input.tier) && !routine {
            let cue = format!(
                "{} customer, request not routine ({})",
                self.input.tier.as_str(),
                pick.name.as_deref().unwrap_or("not understood")
            );
            return self.escalate(Reason::HighValue, cue, None).await;
        }
        let spec = pick.spec.map(|ix| self.bot.intents[ix].spec.clone());
        if let Some(spec) = &spec {
            if spec.escalate || matches!(spec.category, Some(Category::Sensitive | Category::HumanPreferred)) {
                let reason = spec.topic.map_or(Reason::IntentRule, Reason::Sensitive);
                return self
                    .escalate(reason, format!("intent {} is handled by people", spec.name), spec.queue.clone())
                    .await;
            }
            if let Some(answer) = localized(&spec.answer, &self.lang, &self.bot.config.default_language).cloned() {
                self.replies.push(answer);
                self.state.pending = Pending::AnythingElse;
                self.state.note_tried(format!("Gave the configured answer for {}", spec.name));
                return self.finish("answer", "intent.answer", format!("configured answer for {}", spec.name), true);
            }
            if let Some(action) = &spec.action {
                self.state.note_tried(format!("Started to {}", self.describe_action(action)));
                return self.advance_action(action, false).await;
            }
        }
        // A confident guess at an intent people handle better goes to them; a shaky one
        // ("can I pay with PayPal?" read as a payment problem) tries knowledge first.
        if pick.category != Category::Routine && (pick.source != "model" || pick.confidence >= 0.7) {
            return self
                .escalate(
                    Reason::IntentRule,
                    format!("intent {} is not for the bot", pick.name.unwrap_or_default()),
                    None,
                )
                .await;
        }
        self.knowledge_answer(&pick).await
    }

    async fn knowledge_answer(&mut self, pick: &Pick) -> Outcome {
        let settings = &self.bot.config.knowledge;
        if !settings.enabled {
            return self.failed(Phrase::Clarify, "knowledge answers are off".into()).await;
        }
        let (min, min_agreeing) = (settings.min_confidence, settings.min_confidence_with_intent);
        let max_chars = settings.max_chars;
        // The model's guess, even below the intent threshold: an article tagged with it
        // that retrieval also found is two signals agreeing.
        let guess = self
            .understanding()
            .and_then(|u| u.intent.as_ref())
            .filter(|i| i.confidence >= 0.3)
            .and_then(|i| i.intent.clone());
        let guess = pick.name.clone().or(guess);
        let query = KnowledgeQuery { text: self.redacted(), language: Some(self.lang.clone()), intent: guess.clone() };
        let agrees = |h: &KnowledgeHit| guess.as_ref().is_some_and(|g| h.tags.contains(g));
        let good = |h: &KnowledgeHit| h.confidence >= min || (h.confidence >= min_agreeing && agrees(h));
        let hits = match self.env.search(&query).await {
            Ok(hits) => hits,
            Err(error) => {
                self.external_calls.push(json!({ "search": "failed", "error": error }));
                Vec::new()
            }
        };
        // Hits come best first: the first good one tagged with the intent, else the first good one.
        let best = hits.iter().position(|h| good(h) && agrees(h)).or_else(|| hits.iter().position(&good));
        let best = best.and_then(|i| hits.into_iter().nth(i));
        let Some(hit) = best else {
            // Knowledge in another language is no answer for this customer: a person helps.
            let any = self.env.search(&KnowledgeQuery { language: None, ..query }).await.unwrap_or_default();
            if let Some(other) = any.into_iter().find(|h| good(h) && lang::base(&h.language) != self.lang) {
                let cue = format!("the best answer (“{}”) is in `{}` only", other.title, other.language);
                return self.escalate(Reason::Language, cue, None).await;
            }
            let what =
                pick.name.as_deref().map_or("not understood".to_owned(), |n| format!("{n} with no confident article"));
            return self.failed(Phrase::Clarify, format!("no answer: {what}")).await;
        };
        let key = format!("{}:{}", hit.article_id, hit.passage);
        if self.state.answered.contains(&key) {
            return self.escalate(Reason::Loop, format!("would repeat the answer from “{}”", hit.title), None).await;
        }
        self.state.answered.push(key);
        let quoted = text::clip(&hit.text, max_chars);
        self.say(Phrase::Answer, &[("text", quoted), ("title", hit.title.clone())]);
        self.say(Phrase::AnswerCheck, &[]);
        self.state.pending = Pending::AnswerCheck { article: hit.article_id.clone(), title: hit.title.clone() };
        self.external_calls
            .push(json!({ "article_id": hit.article_id, "passage": hit.passage, "confidence": hit.confidence }));
        self.finish(
            "answer",
            "knowledge.answer",
            format!("answered from “{}” ({:.2})", hit.title, hit.confidence),
            true,
        )
    }

    // ---- actions -------------------------------------------------------------------------

    fn describe_action(&self, name: &str) -> String {
        self.bot.actions.get(name).map_or_else(|| name.to_owned(), |a| a.spec.description.clone())
    }

    /// Collects what the action still needs, verifies, confirms, asks for approval or
    /// runs it.
    async fn advance_action(&mut self, name: &str, confirmed: bool) -> Outcome {
        let Some(compiled) = self.bot.actions.get(name) else {
            return self.escalate(Reason::ActionFailed, format!("the action {name} is not configured"), None).await;
        };
        let spec: &ActionSpec = &compiled.spec;
        self.action = Some(spec.description.clone());
        let today = self.input.now.date_naive();
        for slot in &spec.slots {
            if self.state.slots.contains_key(&slot.name) {
                continue;
            }
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
            let values: Vec<(&str, String)> =
                self.state.slots.iter().map(|(k, v)| (k.as_str(), v.value.clone())).collect();
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
            self.say(Phrase::ApprovalPending, &[("action", spec.description.clone())]);
            self.state.pending = Pending::Nothing;
            return self.finish("wait", "action.approval", format!("{name} needs a person's approval"), true);
        }
        let values: BTreeMap<String, String> =
            self.state.slots.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect();
        self.execute(compiled, &values).await
    }

    fn render_call(&self, compiled: &CompiledAction, values: &BTreeMap<String, String>) -> Result<ActionCall, String> {
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

    async fn execute(&mut self, compiled: &CompiledAction, values: &BTreeMap<String, String>) -> Outcome {
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
        let fill = |template: &str, lenient: bool| {
            crate::template::Template::parse(template).map_err(|e| e.to_string()).and_then(|t| {
                t.render(|p| fields.get(p).or_else(|| values.get(p)).cloned().or_else(|| lenient.then(String::new)))
                    .map_err(|m| format!("the answer has no {m}"))
            })
        };
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
                let done = self.public_slots();
                // What the system answered, for the person who may take over (fields that
                // repeat a private detail stay out).
                let private: Vec<&str> =
                    self.state.slots.values().filter(|v| v.private).map(|v| v.value.as_str()).collect();
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
                self.finish("act", "action.done", format!("{} succeeded", spec.name), true)
            }
            Err(problem) => {
                self.state.note_tried(format!("Tried to {}: unexpected answer ({problem})", spec.description));
                self.escalate(Reason::ActionFailed, format!("{}: {problem}", spec.name), None).await
            }
        }
    }

    fn public_slots(&self) -> String {
        let public: Vec<String> =
            self.state.slots.iter().filter(|(_, v)| !v.private).map(|(k, v)| format!("{k} {}", v.value)).collect();
        if public.is_empty() { String::new() } else { format!(" ({})", public.join(", ")) }
    }

    async fn approval_outcome(&mut self, request: &ApprovalRequest, approved: bool) -> Outcome {
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

    // ---- endings ---------------------------------------------------------------------------

    fn goodbye(&mut self) -> Outcome {
        self.say(Phrase::Goodbye, &[]);
        self.state.pending = Pending::Nothing;
        let waiting = !self.state.approvals.is_empty();
        self.resolve = !waiting;
        self.state.resolved = !waiting;
        self.finish("resolve", "resolve.done", "the customer has nothing else".into(), true)
    }

    /// A turn that did not help: counts towards escalation.
    async fn failed(&mut self, phrase: Phrase, why: String) -> Outcome {
        let text = self.wording().say(phrase, &[]);
        self.failed_with(text, why).await
    }

    async fn failed_with(&mut self, text: String, why: String) -> Outcome {
        self.state.failed += 1;
        if self.state.failed >= self.bot.config.escalation.max_failed_turns {
            return self
                .escalate(Reason::FailedTurns, format!("{} failed turns; last: {why}", self.state.failed), None)
                .await;
        }
        self.replies.push(text);
        self.finish("clarify", "failed_turn", why, false)
    }

    /// A failed turn whose reply is already written.
    async fn failed_keep(&mut self, why: String) -> Outcome {
        self.state.failed += 1;
        if self.state.failed >= self.bot.config.escalation.max_failed_turns {
            return self
                .escalate(Reason::FailedTurns, format!("{} failed turns; last: {why}", self.state.failed), None)
                .await;
        }
        self.finish("clarify", "failed_turn", why, false)
    }

    async fn escalate(&mut self, reason: Reason, cue: String, queue: Option<String>) -> Outcome {
        let settings = &self.bot.config.escalation;
        let queue = queue.or_else(|| reason.queue(settings)).or_else(|| settings.default_queue.clone());
        let outlook = self.env.outlook(queue.as_deref()).await;
        let open = self.bot.hours.as_ref().is_none_or(|h| h.is_open(self.input.now));
        let available = open && outlook.queue.is_some() && outlook.working > 0;
        let ack = match reason {
            Reason::ExplicitRequest => Phrase::HandoffRequest,
            Reason::Sensitive(_) => Phrase::HandoffSensitive,
            Reason::Frustration => Phrase::HandoffFrustrated,
            Reason::FailedTurns | Reason::Loop => Phrase::HandoffFailed,
            Reason::ActionFailed => Phrase::HandoffActionFailed,
            Reason::HighValue => Phrase::HandoffPriority,
            Reason::Verification => Phrase::HandoffVerification,
            Reason::Language => Phrase::HandoffLanguage,
            Reason::IntentRule | Reason::ApprovalRejected => Phrase::HandoffGeneric,
        };
        let action = self.action.clone().unwrap_or_else(|| "do that".into());
        let wording = self.wording();
        let mut message =
            if reason == Reason::ApprovalRejected { String::new() } else { wording.say(ack, &[("action", action)]) };
        let team = outlook.queue.clone().unwrap_or_default();
        let follow_up = if available {
            let next = if outlook.free > 0 {
                wording.say(Phrase::WaitNow, &[("queue", team)])
            } else {
                let seconds = u64::from(outlook.waiting + 1) * u64::from(self.bot.config.expected_handle_seconds)
                    / u64::from(outlook.working.max(1));
                let minutes = seconds.div_ceil(60).max(1);
                wording.say(Phrase::WaitMinutes, &[("queue", team), ("minutes", minutes.to_string())])
            };
            push_sentence(&mut message, &next);
            None
        } else {
            let (via, contact) = match self.input.contact {
                Contact { email: true, .. } => ("email", wording.say(Phrase::ByEmail, &[])),
                Contact { phone: true, .. } => ("phone", wording.say(Phrase::ByPhone, &[])),
                _ => ("conversation", wording.say(Phrase::InThisChat, &[])),
            };
            push_sentence(&mut message, &wording.say(Phrase::NoAgent, &[("contact", contact)]));
            if let Some(hours) = self.bot.hours.as_ref().filter(|_| !open) {
                push_sentence(&mut message, &wording.say(Phrase::OpeningHours, &[("hours", hours.describe())]));
            }
            if via == "conversation" {
                push_sentence(&mut message, &wording.say(Phrase::LeaveEmail, &[]));
            }
            Some(FollowUp { via: via.into(), reason: reason.code().into() })
        };
        self.replies.push(message);
        self.state.pending = Pending::Nothing;
        self.state.escalated = Some(Escalated { reason, turn: self.state.turns, queue: outlook.queue.clone() });
        let label = self
            .state
            .goal
            .as_ref()
            .and_then(|g| g.intent.as_deref())
            .and_then(|i| self.bot.intents.iter().find(|s| s.spec.name == i).and_then(|s| s.spec.label.clone()));
        let summary = HandoffSummary::build(&self.state, reason, &cue, &self.input.trajectory, label.as_deref());
        let handoff = Handoff {
            reason,
            queue: outlook.queue.or(queue),
            priority: reason.priority(&self.bot.config.escalation),
            summary,
            available,
            follow_up,
        };
        let mut outcome = self.finish("escalate", &format!("escalate.{}", reason.code()), cue, true);
        outcome.decision.escalation = Some(reason.code().to_owned());
        outcome.decision.outcome["available"] = json!(handoff.available);
        outcome.decision.outcome["queue"] = json!(handoff.queue);
        outcome.handoff = Some(handoff);
        outcome
    }

    fn finish(&mut self, kind: &'static str, rule: &str, reason: String, progress: bool) -> Outcome {
        if progress {
            self.state.unprogressed = 0;
        } else {
            self.state.unprogressed += 1;
        }
        let outcome = json!({
            "replies": self.replies.len(),
            "pending": self.state.pending.label(),
            "failed": self.state.failed,
            "resolve": self.resolve,
            "approval": self.approval.as_ref().map(|a| a.action.clone()),
            "calls": self.external_calls,
        });
        Outcome {
            state: self.state.clone(),
            replies: std::mem::take(&mut self.replies),
            resolve: self.resolve,
            handoff: None,
            approval: self.approval.take(),
            decision: Decision {
                kind,
                rule: rule.to_owned(),
                reason,
                escalation: None,
                inputs: self.inputs.clone(),
                outcome,
                progress,
            },
        }
    }
}

fn slot_kind_name(kind: crate::config::SlotKind) -> Option<&'static str> {
    match kind {
        crate::config::SlotKind::OrderNumber => Some("order_number"),
        crate::config::SlotKind::TrackingNumber => Some("tracking_number"),
        _ => None,
    }
}

fn push_sentence(message: &mut String, sentence: &str) {
    if !message.is_empty() {
        message.push(' ');
    }
    message.push_str(sentence);
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
