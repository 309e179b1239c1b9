//! Conversation scenarios: a customer's turns and what must come of them — resolved by
//! the bot, or escalated for a reason to a queue with a summary holding certain facts,
//! within a number of turns. The runner (`tandem eval bot`) plays them against a live
//! service and hands back what it observed; [`check`] compares, and [`Report`] adds up
//! containment, escalation precision and recall, and turns to resolution.

use serde::{Deserialize, Serialize};

/// One scenario file (TOML).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// What it covers: intents, actions, rules, `typos`, `topic_change`...
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub customer: CustomerSetup,
    /// Needs knowledge search with an embedding model (a question in a language the
    /// shipped intent model does not read, answered from a translated article); skipped
    /// when the run searches with BM25 only.
    #[serde(default)]
    pub needs_embeddings: bool,
    /// Whether agents are working: `available` (default) or `none`.
    #[serde(default = "available")]
    pub agents: String,
    #[serde(rename = "turn")]
    pub turns: Vec<Turn>,
    pub expect: Expectation,
}

fn available() -> String {
    "available".into()
}

/// Who the customer is. Identities are made unique per run by the runner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerSetup {
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The email on file (also used to write by email).
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// The channel of the first turn (default `web_chat`).
    #[serde(default)]
    pub channel: Option<String>,
}

/// One customer message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    pub say: String,
    /// Another channel from here on (`sms`, `email`...): the customer comes back elsewhere.
    #[serde(default)]
    pub channel: Option<String>,
    /// Text each expected in the bot's replies to this message (case-insensitive).
    #[serde(default)]
    pub expect_reply: Vec<String>,
    /// Text that must not be in them.
    #[serde(default)]
    pub reject_reply: Vec<String>,
    /// The bot must say nothing (it handed over before).
    #[serde(default)]
    pub expect_silence: bool,
}

/// What must come of the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// `resolved`, `escalated` or `open`.
    pub outcome: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub summary_contains: Vec<String>,
    #[serde(default)]
    pub summary_excludes: Vec<String>,
    /// At most this many customer turns before the outcome.
    #[serde(default)]
    pub max_turns: Option<u32>,
    /// A task of this kind was created (`follow_up`, `approval`).
    #[serde(default)]
    pub task: Option<String>,
    /// The language the bot spoke.
    #[serde(default)]
    pub language: Option<String>,
}

/// What the runner saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// `resolved`, `escalated` or `open`.
    pub outcome: String,
    pub reason: Option<String>,
    pub queue: Option<String>,
    pub summary: Option<String>,
    /// Customer turns until the outcome (all of them when still open).
    pub turns_to_outcome: u32,
    /// The bot's replies to each customer message.
    pub replies: Vec<Vec<String>>,
    pub tasks: Vec<String>,
    pub language: Option<String>,
}

/// What does not match, one line each (empty: the scenario passed).
pub fn check(scenario: &Scenario, observed: &Observed) -> Vec<String> {
    let mut problems = Vec::new();
    let e = &scenario.expect;
    if e.outcome != observed.outcome {
        problems.push(format!("expected {}, got {}", e.outcome, observed.outcome));
    }
    if let Some(reason) = &e.reason
        && observed.reason.as_ref() != Some(reason)
    {
        problems.push(format!("expected reason {reason}, got {}", observed.reason.as_deref().unwrap_or("none")));
    }
    if let Some(queue) = &e.queue
        && observed.queue.as_ref() != Some(queue)
    {
        problems.push(format!("expected queue {queue}, got {}", observed.queue.as_deref().unwrap_or("none")));
    }
    let summary = observed.summary.as_deref().unwrap_or("").to_lowercase();
    for needle in &e.summary_contains {
        if !summary.contains(&needle.to_lowercase()) {
            problems.push(format!("the summary lacks “{needle}”"));
        }
    }
    for needle in &e.summary_excludes {
        if summary.contains(&needle.to_lowercase()) {
            problems.push(format!("the summary contains “{needle}”"));
        }
    }
    if let Some(max) = e.max_turns
        && observed.turns_to_outcome > max
    {
        problems.push(format!("took {} turns, at most {max} expected", observed.turns_to_outcome));
    }
    if let Some(kind) = &e.task
        && !observed.tasks.contains(kind)
    {
        problems.push(format!("no {kind} task was created"));
    }
    if let Some(lang) = &e.language
        && observed.language.as_ref() != Some(lang)
    {
        problems.push(format!(
            "expected the bot to speak {lang}, it spoke {}",
            observed.language.as_deref().unwrap_or("nothing")
        ));
    }
    for (i, turn) in scenario.turns.iter().enumerate() {
        let replies = observed.replies.get(i).map(|r| r.join("\n").to_lowercase()).unwrap_or_default();
        for needle in &turn.expect_reply {
            if !replies.contains(&needle.to_lowercase()) {
                problems.push(format!("turn {}: the reply lacks “{needle}”", i + 1));
            }
        }
        for needle in &turn.reject_reply {
            if replies.contains(&needle.to_lowercase()) {
                problems.push(format!("turn {}: the reply contains “{needle}”", i + 1));
            }
        }
        if turn.expect_silence && !replies.is_empty() {
            problems.push(format!("turn {}: the bot spoke after handing over", i + 1));
        }
    }
    problems
}

/// One scenario's result.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub file: String,
    pub expected: String,
    pub observed: Observed,
    pub problems: Vec<String>,
}

impl ScenarioResult {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The suite's figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub scenarios: usize,
    pub passed: usize,
    /// Scenarios not run (they need what this run lacks), by file.
    pub skipped: Vec<String>,
    /// Resolved by the bot / all scenarios.
    pub containment: f64,
    /// Of the escalations the bot made, the share expected.
    pub escalation_precision: f64,
    /// Of the escalations expected, the share the bot made.
    pub escalation_recall: f64,
    /// Of the expected escalations made, the share with the expected reason.
    pub reason_accuracy: f64,
    /// Customer turns to a bot resolution: median and mean.
    pub turns_to_resolution_median: f64,
    pub turns_to_resolution_mean: f64,
    pub results: Vec<ScenarioResult>,
}

impl Report {
    pub fn new(results: Vec<ScenarioResult>) -> Self {
        let n = results.len();
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        let escalated = |r: &ScenarioResult| r.observed.outcome == "escalated";
        let expected = |r: &ScenarioResult| r.expected == "escalated";
        let made = results.iter().filter(|r| escalated(r)).count();
        let wanted = results.iter().filter(|r| expected(r)).count();
        let both: Vec<&ScenarioResult> = results.iter().filter(|r| escalated(r) && expected(r)).collect();
        let right_reason = both.iter().filter(|r| !r.problems.iter().any(|p| p.starts_with("expected reason"))).count();
        let mut turns: Vec<f64> = results
            .iter()
            .filter(|r| r.observed.outcome == "resolved")
            .map(|r| f64::from(r.observed.turns_to_outcome))
            .collect();
        turns.sort_by(f64::total_cmp);
        let median = match turns.len() {
            0 => 0.0,
            k if k % 2 == 1 => turns[k / 2],
            k => (turns[k / 2 - 1] + turns[k / 2]) / 2.0,
        };
        let mean = if turns.is_empty() { 0.0 } else { turns.iter().sum::<f64>() / turns.len() as f64 };
        Self {
            scenarios: n,
            passed: results.iter().filter(|r| r.passed()).count(),
            skipped: Vec::new(),
            containment: ratio(results.iter().filter(|r| r.observed.outcome == "resolved").count(), n),
            escalation_precision: ratio(both.len(), made),
            escalation_recall: ratio(both.len(), wanted),
            reason_accuracy: ratio(right_reason, both.len()),
            turns_to_resolution_median: median,
            turns_to_resolution_mean: mean,
            results,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
name = "order status"
[customer]
email = "maya@example.com"
[[turn]]
say = "where is my order A1043?"
expect_reply = ["A1043"]
[[turn]]
say = "no thanks"
[expect]
outcome = "resolved"
max_turns = 2
"#;

    #[test]
    fn a_scenario_parses_and_checks() {
        let s: Scenario = toml::from_str(SCENARIO).unwrap();
        let mut o = Observed {
            outcome: "resolved".into(),
            turns_to_outcome: 2,
            replies: vec![vec!["Order A1043 is on its way".into()], vec!["Bye".into()]],
            ..Observed::default()
        };
        assert!(check(&s, &o).is_empty());
        o.outcome = "escalated".into();
        o.replies[0][0] = "hm".into();
        let problems = check(&s, &o);
        assert_eq!(problems.len(), 2, "{problems:?}");
        let report = Report::new(vec![ScenarioResult {
            name: s.name.clone(),
            file: "x".into(),
            expected: s.expect.outcome.clone(),
            observed: o,
            problems,
        }]);
        assert_eq!(report.passed, 0);
        assert_eq!(report.escalation_precision, 0.0);
    }
}
