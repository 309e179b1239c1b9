//! The escalation policy: why the bot hands a conversation to people, as reason codes,
//! and the rules that decide it before the bot says anything else. A request for a
//! person, a sensitive topic and frustration are checked first on every message; the
//! rest (failed turns, loops, high-value customers, failed actions, identity,
//! language) are raised by the dialogue where they happen.

use serde::{Deserialize, Serialize};
use tandem_domain::understanding::FrustrationSignal;
use tandem_domain::{SentimentTrajectory, Understanding};

use crate::config::EscalationSettings;
use crate::detect::{Detected, Topic};

/// Why the bot escalated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "topic")]
pub enum Reason {
    /// The customer asked for a person.
    ExplicitRequest,
    /// A topic a person should handle.
    Sensitive(Topic),
    Frustration,
    /// Too many turns the bot could not help with.
    FailedTurns,
    /// The same request again: the bot would go round in circles.
    Loop,
    /// A high-value customer with a request the bot cannot finish on its own.
    HighValue,
    /// A business system failed or timed out.
    ActionFailed,
    /// The customer's identity could not be confirmed.
    Verification,
    /// No wording or knowledge in the customer's language.
    Language,
    /// The workspace routes this intent to people.
    IntentRule,
    /// A person rejected the action the bot prepared.
    ApprovalRejected,
}

const PLAIN: [(Reason, &str); 10] = [
    (Reason::ExplicitRequest, "explicit_request"),
    (Reason::Frustration, "frustration"),
    (Reason::FailedTurns, "failed_turns"),
    (Reason::Loop, "loop"),
    (Reason::HighValue, "high_value"),
    (Reason::ActionFailed, "action_failed"),
    (Reason::Verification, "verification"),
    (Reason::Language, "language"),
    (Reason::IntentRule, "intent_rule"),
    (Reason::ApprovalRejected, "approval_rejected"),
];

impl Reason {
    /// The stable code: `explicit_request`, `fraud`, `frustration`...
    pub fn code(self) -> &'static str {
        match self {
            Self::Sensitive(topic) => topic.as_str(),
            other => PLAIN.iter().find(|(r, _)| *r == other).map_or("unknown", |(_, c)| c),
        }
    }

    pub fn parse_code(code: &str) -> Option<Self> {
        PLAIN
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(r, _)| *r)
            .or_else(|| Topic::parse(code).map(Self::Sensitive))
            .or_else(|| (code == "sensitive").then_some(Self::Sensitive(Topic::Complaint)))
    }

    /// Every code, for error messages.
    pub fn codes() -> Vec<&'static str> {
        let mut codes: Vec<&str> = PLAIN.iter().map(|(_, c)| *c).collect();
        codes.extend(Topic::ALL.iter().map(|t| t.as_str()));
        codes.push("sensitive");
        codes
    }

    /// In a sentence, for the handoff summary and the audit.
    pub fn describe(self) -> String {
        match self {
            Self::ExplicitRequest => "the customer asked for a person".into(),
            Self::Sensitive(topic) => format!("sensitive topic: {}", topic.describe()),
            Self::Frustration => "the customer is frustrated".into(),
            Self::FailedTurns => "the bot could not help after repeated attempts".into(),
            Self::Loop => "the customer repeated a request the bot had already answered".into(),
            Self::HighValue => "a high-value customer with a request the bot cannot finish".into(),
            Self::ActionFailed => "a business system call failed".into(),
            Self::Verification => "the customer's identity could not be verified".into(),
            Self::Language => "no wording or knowledge in the customer's language".into(),
            Self::IntentRule => "this request is always handled by people".into(),
            Self::ApprovalRejected => "a person rejected the prepared action".into(),
        }
    }

    /// The priority (0–9) a conversation gets when escalated for this reason.
    pub fn priority(self, settings: &EscalationSettings) -> u8 {
        let code = self.code();
        if let Some(p) = settings.priority.get(code) {
            return *p;
        }
        if let (Self::Sensitive(_), Some(p)) = (self, settings.priority.get("sensitive")) {
            return *p;
        }
        match self {
            Self::Sensitive(Topic::Fraud | Topic::LegalThreat) => 8,
            Self::Sensitive(_) => 7,
            Self::Frustration | Self::HighValue => 6,
            Self::ActionFailed | Self::Verification | Self::ApprovalRejected => 5,
            _ => 4,
        }
    }

    /// The queue (by name) configured for this reason, if any.
    pub fn queue(self, settings: &EscalationSettings) -> Option<String> {
        settings
            .queues
            .get(self.code())
            .or_else(|| matches!(self, Self::Sensitive(_)).then(|| settings.queues.get("sensitive")).flatten())
            .cloned()
    }

    /// Whether the escalation is for a sensitive reason (routing raises its priority).
    pub fn is_sensitive(self) -> bool {
        matches!(self, Self::Sensitive(_) | Self::Frustration)
    }
}

/// The rules checked on every customer message before anything else, in order. Returns
/// the reason and which cue decided.
/// `answering`: the message answers a question the bot asked (a detail, an email), so
/// the intent model's guess counts for little; `moods` are the sentiment scores of the
/// customer's substantive messages, this one included.
pub struct Screening<'a> {
    pub detected: &'a Detected,
    pub model_intent: Option<&'a str>,
    pub model_confidence: f32,
    pub understanding: Option<&'a Understanding>,
    pub trajectory: &'a SentimentTrajectory,
    pub moods: &'a [f32],
    /// Whether this message is itself substantive (four words or more).
    pub substantive: bool,
    pub answering: bool,
}

/// The model's guess at a request for a person counts from this confidence.
const MODEL_PERSON: f32 = 0.8;
/// The model's guess at a sensitive intent counts from this confidence.
const MODEL_SENSITIVE: f32 = 0.7;

pub fn screen(s: &Screening<'_>, settings: &EscalationSettings) -> Option<(Reason, String)> {
    let Screening { detected, model_intent, model_confidence, understanding, trajectory, .. } = *s;
    let model_confidence = if s.answering { 0.0 } else { model_confidence };
    if let Some(cue) = &detected.human_request {
        return Some((Reason::ExplicitRequest, format!("asked for a person (“{cue}”)")));
    }
    if let Some(intent @ ("contact_human_agent" | "contact_customer_service")) = model_intent
        && model_confidence >= MODEL_PERSON
    {
        return Some((Reason::ExplicitRequest, format!("intent {intent} ({model_confidence:.2})")));
    }
    let signals: &[FrustrationSignal] = understanding.map_or(&[], |u| u.signals.as_slice());
    let topic = detected
        .topic
        .map(|t| (t, format!("mentions “{}”", detected.topic_cue.clone().unwrap_or_default())))
        .or_else(|| {
            signals
                .contains(&FrustrationSignal::ThreatToLeave)
                .then(|| (Topic::Cancellation, "threatens to leave".to_owned()))
        })
        .or_else(|| {
            model_topic(model_intent?, model_confidence)
                .map(|t| (t, format!("intent {} ({model_confidence:.2})", model_intent.unwrap_or_default())))
        })
        .filter(|(t, _)| !settings.ignore_topics.contains(t));
    if let Some((topic, cue)) = topic {
        return Some((Reason::Sensitive(topic), cue));
    }
    if settings.frustration
        && let Some(signal) = frustration(signals, trajectory, s.moods, s.substantive, settings.frustration_below)
    {
        return Some((Reason::Frustration, format!("frustration: {signal:?}")));
    }
    None
}

/// The sensitive topics the shipped intent model names.
fn model_topic(intent: &str, confidence: f32) -> Option<Topic> {
    if confidence < MODEL_SENSITIVE {
        return None;
    }
    match intent {
        "complaint" => Some(Topic::Complaint),
        "delete_account" => Some(Topic::Cancellation),
        "payment_issue" => Some(Topic::BillingDispute),
        _ => None,
    }
}

/// A substantive message this negative counts as a complaint.
const NEGATIVE: f32 = -0.4;

/// A sign of frustration strong enough to hand over: swearing or shouting in this
/// message, two of the last three substantive messages negative, or a sentiment that
/// fell, is now low, with this substantive message negative. Short answers ("no",
/// "sorry, A1043") do not count: the sentiment model reads them as sad.
pub fn frustration(
    signals: &[FrustrationSignal],
    trajectory: &SentimentTrajectory,
    moods: &[f32],
    substantive: bool,
    below: f32,
) -> Option<FrustrationSignal> {
    use FrustrationSignal as F;
    if let Some(s) = signals.iter().find(|s| matches!(s, F::Profanity | F::AllCapsAnger)) {
        return Some(*s);
    }
    let recent = &moods[moods.len().saturating_sub(3)..];
    if recent.iter().filter(|m| **m <= NEGATIVE).count() >= 2 {
        return Some(F::RepeatedComplaints);
    }
    let now_negative = substantive && moods.last().is_some_and(|m| *m <= NEGATIVE);
    (now_negative && trajectory.frustration.contains(&F::FallingTrend) && trajectory.smoothed <= below)
        .then_some(F::FallingTrend)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::detect;

    fn screening<'a>(d: &'a Detected, t: &'a SentimentTrajectory, moods: &'a [f32]) -> Screening<'a> {
        Screening {
            detected: d,
            model_intent: None,
            model_confidence: 0.0,
            understanding: None,
            trajectory: t,
            moods,
            substantive: true,
            answering: false,
        }
    }

    fn screen_text(text: &str, trajectory: &SentimentTrajectory, moods: &[f32]) -> Option<Reason> {
        let d = detect(text);
        screen(&screening(&d, trajectory, moods), &EscalationSettings::default()).map(|(r, _)| r)
    }

    #[test]
    fn codes_round_trip() {
        for code in Reason::codes() {
            let reason = Reason::parse_code(code).unwrap();
            if code != "sensitive" {
                assert_eq!(reason.code(), code);
            }
        }
        assert_eq!(Reason::Sensitive(Topic::Fraud).priority(&EscalationSettings::default()), 8);
    }

    #[test]
    fn screening_order() {
        let calm = SentimentTrajectory::default();
        assert_eq!(screen_text("I want a human, my card was stolen", &calm, &[]), Some(Reason::ExplicitRequest));
        assert_eq!(screen_text("my card was stolen", &calm, &[]), Some(Reason::Sensitive(Topic::Fraud)));
        assert_eq!(screen_text("where is my order", &calm, &[]), None);
        let mut sour = SentimentTrajectory::default();
        sour.update(-0.6, &[]);
        sour.update(-0.7, &[]);
        assert_eq!(screen_text("where is my order", &sour, &[-0.6, -0.7]), Some(Reason::Frustration));
        assert_eq!(screen_text("no", &sour, &[0.2]), None, "short sad answers are not frustration");
        let ignore = EscalationSettings { ignore_topics: vec![Topic::Complaint], ..Default::default() };
        let d = detect("I have a complaint");
        assert_eq!(screen(&screening(&d, &calm, &[]), &ignore), None);
    }
}
