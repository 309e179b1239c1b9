//! Properties over random customer message sequences: no long runs of messages that
//! move nothing, a request for a person honoured on its turn, at most two failed turns
//! before a person takes over, silence after handing over, and every decision with its
//! inputs, rule and reason.

use proptest::prelude::*;

use crate::support::Chat;

/// Messages by what they are, so the properties do not lean on the bot's own labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Person,
    Gibberish,
    Other,
}

const POOL: &[(&str, Kind)] = &[
    ("I want to talk to a human", Kind::Person),
    ("agent", Kind::Person),
    ("Quiero hablar con una persona", Kind::Person),
    ("Ich möchte mit einem Menschen sprechen", Kind::Person),
    ("can i speak to a representitive pls", Kind::Person),
    ("blorp wizzle frobnicate the thing", Kind::Gibberish),
    ("qwerty asdf zxcv uiop", Kind::Gibberish),
    ("lorem ipsum dolor sit amet", Kind::Gibberish),
    ("where is my order A1043", Kind::Other),
    ("where is my order", Kind::Other),
    ("A7777", Kind::Other),
    ("A1043", Kind::Other),
    ("A9500", Kind::Other),
    ("How long does delivery take?", Kind::Other),
    ("how do I reset my password", Kind::Other),
    ("yes", Kind::Other),
    ("no", Kind::Other),
    ("no thanks", Kind::Other),
    ("thanks", Kind::Other),
    ("hi", Kind::Other),
    ("book an appointment", Kind::Other),
    ("tomorrow", Kind::Other),
    ("3pm", Kind::Other),
    ("change my shipping address", Kind::Other),
    ("maya@example.com", Kind::Other),
    ("wrong@example.com", Kind::Other),
    ("this is ridiculous", Kind::Other),
    ("I want to cancel my subscription", Kind::Other),
];

/// Whether the state moved: details, answers, attempts, a handover, a resolution or a
/// different question pending.
fn moved(before: &tandem_bot::BotState, after: &tandem_bot::BotState) -> bool {
    before.slots != after.slots
        || before.answered != after.answered
        || before.tried != after.tried
        || before.escalated != after.escalated
        || before.resolved != after.resolved
        || std::mem::discriminant(&before.pending) != std::mem::discriminant(&after.pending)
        || before.verified != after.verified
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_bot_never_traps_a_customer(picks in proptest::collection::vec(0..POOL.len(), 1..14)) {
        let mut chat = Chat::new();
        let mut idle_messages = 0usize;
        let mut gibberish_without_handover = 0usize;
        for &pick in &picks {
            let (text, kind) = POOL[pick];
            let before = chat.state.clone();
            let was_escalated = before.escalated.is_some();
            let outcome = chat.say(text).clone();
            // Every decision is kept with what it saw, the rule and the reason.
            prop_assert!(!outcome.decision.rule.is_empty() && !outcome.decision.reason.is_empty());
            prop_assert!(outcome.decision.inputs.is_object() || was_escalated);
            if was_escalated {
                // Handed over: nothing more from the bot until a person hands it back.
                prop_assert!(outcome.replies.is_empty() && outcome.handoff.is_none(), "spoke after handing over: {text}");
                continue;
            }
            if chat.state.resolved {
                break;
            }
            if kind == Kind::Person {
                prop_assert!(outcome.handoff.is_some(), "a request for a person was not honoured: {text}");
            }
            let free_text = matches!(&before.pending, tandem_bot::state::Pending::Slot { slot, .. } if slot == "address");
            if kind == Kind::Gibberish && outcome.handoff.is_none() && !free_text {
                gibberish_without_handover += 1;
                prop_assert!(gibberish_without_handover <= 1, "two failed understanding turns without a person");
            }
            if moved(&before, &chat.state) {
                idle_messages = 0;
            } else {
                idle_messages += outcome.replies.len();
                prop_assert!(idle_messages <= 3, "more than 3 bot messages without progress: {picks:?}");
            }
            if outcome.handoff.is_some() {
                prop_assert!(!outcome.replies.is_empty(), "the customer is told what happens next");
            }
        }
    }

    #[test]
    fn bot_state_round_trips(picks in proptest::collection::vec(0..POOL.len(), 1..8)) {
        let mut chat = Chat::new();
        for &pick in &picks {
            chat.say(POOL[pick].0);
        }
        let json = serde_json::to_value(&chat.state).unwrap_or_default();
        let back: tandem_bot::BotState = serde_json::from_value(json).unwrap_or_default();
        prop_assert_eq!(back, chat.state);
    }
}
