//! What a customer's message says beyond its intent, in the languages Tandem speaks:
//! a request for a person (however phrased, typos included), a sensitive topic that a
//! person should handle, yes / no / "that's all", a greeting, thanks, or a question
//! whether the bot is a bot. Word lists with typo-tolerant matching on the normal form
//! from [`crate::text`]; high precision first — a miss falls through to the intent and
//! the failed-turn rule, so nobody is trapped by a gap in a list.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::text::{self, Matching, find_phrase, phrase};

/// A list of phrases, each compiled to normalised words. Fuzzy lists accept typos
/// (one edit in words of five letters or more); the others need the words as listed,
/// since one letter turns "cancel" into "cancer".
pub struct Lexicon {
    phrases: Vec<Vec<String>>,
    matching: Matching,
}

impl Lexicon {
    pub fn new(phrases: &[&str], fuzzy: bool) -> Self {
        let matching = if fuzzy { Matching::Typos } else { Matching::Exact };
        Self { phrases: phrases.iter().map(|p| phrase(p)).filter(|p| !p.is_empty()).collect(), matching }
    }

    /// The first phrase found in `words`, as written in the list.
    pub fn find(&self, words: &[&str]) -> Option<String> {
        self.phrases.iter().find(|p| find_phrase(words, p, self.matching).is_some()).map(|p| p.join(" "))
    }

    /// Positions where any phrase starts.
    fn positions(&self, words: &[&str]) -> Vec<usize> {
        self.phrases.iter().filter_map(|p| find_phrase(words, p, self.matching)).collect()
    }

    pub fn matches(&self, words: &[&str]) -> bool {
        self.find(words).is_some()
    }

    /// The length in words of the longest phrase found, if any.
    fn longest(&self, words: &[&str]) -> Option<usize> {
        self.phrases.iter().filter(|p| find_phrase(words, p, self.matching).is_some()).map(Vec::len).max()
    }
}

/// A topic a person should handle, with the reason code it escalates under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Fraud,
    LegalThreat,
    Bereavement,
    Vulnerability,
    Cancellation,
    BillingDispute,
    Complaint,
}

impl Topic {
    pub const ALL: [Topic; 7] = [
        Self::Fraud,
        Self::LegalThreat,
        Self::Bereavement,
        Self::Vulnerability,
        Self::Cancellation,
        Self::BillingDispute,
        Self::Complaint,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fraud => "fraud",
            Self::LegalThreat => "legal_threat",
            Self::Bereavement => "bereavement",
            Self::Vulnerability => "vulnerability",
            Self::Cancellation => "cancellation",
            Self::BillingDispute => "billing_dispute",
            Self::Complaint => "complaint",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// In a sentence for people (summaries, audit).
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Fraud => "fraud or account security",
            Self::LegalThreat => "a legal threat",
            Self::Bereavement => "a bereavement",
            Self::Vulnerability => "a vulnerable customer (health, hardship)",
            Self::Cancellation => "cancellation or retention",
            Self::BillingDispute => "a billing dispute or negotiation",
            Self::Complaint => "a complaint",
        }
    }

    fn lexicon(self) -> &'static Lexicon {
        match self {
            Self::Fraud => list("fraud"),
            Self::LegalThreat => list("legal"),
            Self::Bereavement => list("bereavement"),
            Self::Vulnerability => list("vulnerability"),
            Self::Cancellation => list("cancellation"),
            Self::BillingDispute => list("billing"),
            Self::Complaint => list("complaint"),
        }
    }
}

/// A short reply to a question the bot asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Yes,
    No,
    /// "No thanks, that's all", "bye".
    Done,
}

/// Everything the lexicons found in one message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    /// The cue of a request for a person ("talk to a human", "agente").
    pub human_request: Option<String>,
    pub topic: Option<Topic>,
    /// The phrase that named the topic.
    pub topic_cue: Option<String>,
    pub reply: Option<Reply>,
    pub greeting: bool,
    pub thanks: bool,
    /// "Are you a bot?"
    pub asks_if_bot: bool,
    /// Number of words (email addresses and links left out).
    pub words: usize,
    /// Of those, words with a letter (not order numbers or dates alone).
    pub alpha_words: usize,
}

/// Reads a message. Email addresses and links are left out first: "someone@else.com"
/// is not somebody to talk to.
pub fn detect(message: &str) -> Detected {
    let plain: Vec<&str> = message
        .split_whitespace()
        .filter(|w| !(w.contains('@') || w.contains("://") || w.to_lowercase().starts_with("www.")))
        .collect();
    let normalized = text::normalize(&plain.join(" "));
    let words = text::words(&normalized);
    let (topic, topic_cue) = match Topic::ALL.into_iter().find_map(|t| t.lexicon().find(&words).map(|cue| (t, cue))) {
        Some((t, cue)) => (Some(t), Some(cue)),
        None => (None, None),
    };
    Detected {
        human_request: human_request(&words),
        topic,
        topic_cue,
        reply: reply(&words),
        greeting: words.len() <= 4 && list("greeting").matches(&words),
        thanks: list("thanks").matches(&words),
        asks_if_bot: list("asks_if_bot").matches(&words),
        words: words.len(),
        alpha_words: words.iter().filter(|w| w.chars().any(char::is_alphabetic)).count(),
    }
}

/// A request for a person: an unmistakable phrase, or a word for a person with a
/// request cue (or on its own in a short message), not negated ("I don't need an
/// agent") and not "in person".
fn human_request(words: &[&str]) -> Option<String> {
    if let Some(cue) = list("direct").find(words) {
        return Some(cue);
    }
    if list("not_a_request").matches(words) {
        return None;
    }
    let nouns = list("person").positions(words);
    let first = nouns.iter().min().copied()?;
    let cue_positions = list("cues").positions(words);
    let short = words.len() <= 4;
    if cue_positions.is_empty() && !short {
        return None;
    }
    let negated = list("negation").positions(words).into_iter().any(|n| n < first && first - n <= 5);
    if negated {
        return None;
    }
    list("person").find(words)
}

/// Yes, no or done, when the message is that answer: three words or fewer, or at least
/// half of it the phrase ("no, that didn't help"), so "that's wrong, it hasn't shipped"
/// or "right, but can you make it 11 instead?" are not taken for a no or a yes.
fn reply(words: &[&str]) -> Option<Reply> {
    if words.is_empty() || words.len() > 8 {
        return None;
    }
    let answers = |lexicon: &Lexicon| lexicon.longest(words).is_some_and(|n| words.len() <= 3 || n * 2 >= words.len());
    if answers(list("done")) {
        return Some(Reply::Done);
    }
    if answers(list("no")) {
        return Some(Reply::No);
    }
    if answers(list("yes")) {
        return Some(Reply::Yes);
    }
    None
}

/// The word lists, from `data/lexicons.txt`.
const LEXICONS: &str = include_str!("../data/lexicons.txt");

/// Every list by name, parsed once.
static LISTS: LazyLock<HashMap<String, Lexicon>> = LazyLock::new(|| parse_lexicons(LEXICONS));

/// Parses the lexicon file: `[name]` or `[name fuzzy]` headers, one phrase per line,
/// `#` comments.
fn parse_lexicons(text: &str) -> HashMap<String, Lexicon> {
    let mut lists: HashMap<String, (bool, Vec<&str>)> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let mut parts = header.split_whitespace();
            let name = parts.next().unwrap_or_default().to_owned();
            let fuzzy = parts.next() == Some("fuzzy");
            lists.entry(name.clone()).or_insert((fuzzy, Vec::new()));
            current = Some(name);
            continue;
        }
        if let Some(list) = current.as_ref().and_then(|n| lists.get_mut(n)) {
            list.1.push(line);
        }
    }
    lists.into_iter().map(|(name, (fuzzy, phrases))| (name, Lexicon::new(&phrases, fuzzy))).collect()
}

/// A list by name (empty when the file lacks it; a test checks every name is there).
fn list(name: &str) -> &'static Lexicon {
    static EMPTY: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new(&[], false));
    LISTS.get(name).unwrap_or(&EMPTY)
}

/// The lists the detectors read.
pub const LIST_NAMES: [&str; 18] = [
    "direct",
    "person",
    "cues",
    "negation",
    "not_a_request",
    "fraud",
    "legal",
    "bereavement",
    "vulnerability",
    "cancellation",
    "billing",
    "complaint",
    "yes",
    "no",
    "done",
    "greeting",
    "thanks",
    "asks_if_bot",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn person(text: &str) -> bool {
        detect(text).human_request.is_some()
    }

    #[test]
    fn requests_for_a_person_in_many_phrasings() {
        for text in [
            "I want to talk to a human",
            "agent",
            "HUMAN PLEASE!!!",
            "can i speak to a representitive",
            "get me a real persn",
            "Let me talk to someone, this is useless",
            "I don't want to talk to a bot",
            "transfer me to customer service",
            "Quiero hablar con una persona",
            "necesito un agente por favor",
            "Je veux parler à un conseiller",
            "Ich möchte mit einem Menschen sprechen",
            "Quero falar com um atendente",
            "Vorrei parlare con un operatore",
            "is there a person I can talk to?",
            "operator",
        ] {
            assert!(person(text), "{text}");
        }
        for text in ["it's someone@else.com", "see www.someone.com"] {
            assert!(!person(text), "{text}");
        }
    }

    #[test]
    fn person_words_that_are_not_requests() {
        for text in [
            "Can I pick up my order in person at the store?",
            "I don't need an agent, just tell me where my parcel is",
            "The delivery person left it at the wrong door and nobody answered my email",
            "where is my order",
            "bot",
        ] {
            assert!(!person(text), "{text}");
        }
    }

    #[test]
    fn sensitive_topics() {
        let check = |text: &str, topic: Topic| assert_eq!(detect(text).topic, Some(topic), "{text}");
        check("There's a charge on my card I didn't authorize", Topic::Fraud);
        check("my account was hacked", Topic::Fraud);
        check("My husband passed away and the account is in his name", Topic::Bereavement);
        check("Mi madre falleció el mes pasado", Topic::Bereavement);
        check("I lost my job and can't afford the payments", Topic::Vulnerability);
        check("I will talk to my lawyer about this", Topic::LegalThreat);
        check("Je vais vous poursuivre en justice", Topic::LegalThreat);
        check("I want to cancel my subscription", Topic::Cancellation);
        check("Ich möchte kündigen", Topic::Cancellation);
        check("You charged me twice for the same order", Topic::BillingDispute);
        check("Me cobraron dos veces", Topic::BillingDispute);
        check("I want to make a complaint", Topic::Complaint);
        assert_eq!(detect("I want to cancel my order A1043").topic, None, "cancelling an order is routine");
        assert_eq!(detect("where is my package").topic, None);
    }

    #[test]
    fn short_replies() {
        let check = |text: &str, reply: Option<Reply>| assert_eq!(detect(text).reply, reply, "{text}");
        check("yes", Some(Reply::Yes));
        check("Yes, that helped, thanks!", Some(Reply::Yes));
        check("nope", Some(Reply::No));
        check("no, that didn't help", Some(Reply::No));
        check("no thanks, that's all", Some(Reply::Done));
        check("sí, gracias", Some(Reply::Yes));
        check("nein", Some(Reply::No));
        check("não, obrigado", Some(Reply::Done));
        check("I want to know when my refund arrives and why it takes so long", None);
        check("that's wrong, it hasn't shipped", None);
        check("right, but can you make it 11 instead?", None);
        check("pode mudar para as 11h?", None);
    }

    #[test]
    fn every_list_is_in_the_file() {
        for name in LIST_NAMES {
            assert!(LISTS.get(name).is_some_and(|l| !l.phrases.is_empty()), "{name}");
        }
    }

    #[test]
    fn greetings_thanks_and_bot_questions() {
        assert!(detect("Hi!").greeting);
        assert!(!detect("Hi, where is my order A1043? It was due Monday").greeting);
        assert!(detect("thanks a lot").thanks);
        assert!(detect("are you a bot?").asks_if_bot);
    }
}
