//! The virtual agent's figures for a workspace: containment (conversations the bot
//! resolved with no person), escalations by reason, the failed-turn rate, the action
//! success rate and turn latency (excluding business-system calls), from its decisions.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use tandem_domain::agent::Role;
use tandem_domain::{ConversationId, Timestamp};

use crate::{Actor, Engine, EngineResult};

/// The most decisions read for one report.
const DECISIONS: u32 = 200_000;

/// How often the bot escalated for one reason.
#[derive(Clone, Debug, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// The bot's figures over a period.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BotMetrics {
    pub since: Option<Timestamp>,
    /// Conversations the bot took at least one turn in.
    pub conversations: u64,
    /// Turns on customer messages.
    pub turns: u64,
    pub resolved_by_bot: u64,
    pub escalated: u64,
    /// Resolved by the bot, with no person, over conversations the bot handled.
    pub containment_rate: f64,
    pub escalations_by_reason: Vec<ReasonCount>,
    /// Turns that did not help (not understood, no answer, a refused detail) over turns.
    pub failed_turn_rate: f64,
    pub action_calls: u64,
    pub action_successes: u64,
    pub action_success_rate: f64,
    /// Turn latency excluding business-system calls, in milliseconds.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// Whether the report stopped at its limit of decisions (older ones not counted).
    pub truncated: bool,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

impl Engine {
    /// The bot's figures for the last `days` days (supervisors).
    pub async fn bot_metrics(&self, actor: Actor, days: u32) -> EngineResult<BotMetrics> {
        actor.require(Role::Supervisor)?;
        if !(1..=366).contains(&days) {
            return Err(tandem_domain::ValidationError::new("days", "use 1 to 366").into());
        }
        self.bot_metrics_since(actor, self.now() - chrono::Duration::days(i64::from(days))).await
    }

    /// The bot's figures from `since` on (supervisors).
    pub async fn bot_metrics_since(&self, actor: Actor, since: Timestamp) -> EngineResult<BotMetrics> {
        actor.require(Role::Supervisor)?;
        let decisions = self.store.bot_decisions_since(actor.workspace_id(), since, DECISIONS).await?;
        let mut conversations: HashSet<ConversationId> = HashSet::new();
        let mut resolved: HashSet<ConversationId> = HashSet::new();
        let mut escalated: HashSet<ConversationId> = HashSet::new();
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        let mut latencies = Vec::new();
        let (mut turns, mut failed, mut calls, mut successes) = (0u64, 0u64, 0u64, 0u64);
        for d in &decisions {
            if matches!(d.kind.as_str(), "silent" | "resume") {
                continue;
            }
            conversations.insert(d.conversation_id);
            if d.message_id.is_some() && d.kind != "superseded" {
                turns += 1;
                latencies.push(d.latency_us);
            }
            match d.kind.as_str() {
                "clarify" => failed += 1,
                "resolve" => {
                    resolved.insert(d.conversation_id);
                }
                "escalate" => {
                    escalated.insert(d.conversation_id);
                    *reasons.entry(d.escalation.clone().unwrap_or_else(|| "unknown".into())).or_default() += 1;
                }
                _ => {}
            }
            for call in d.outcome.get("calls").and_then(|c| c.as_array()).into_iter().flatten() {
                if call.get("action").is_some() {
                    calls += 1;
                    let status = call.get("status").and_then(serde_json::Value::as_u64).unwrap_or(0);
                    successes += u64::from((200..300).contains(&status));
                }
            }
        }
        let contained = resolved.difference(&escalated).count() as u64;
        latencies.sort_unstable();
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut by_reason: Vec<ReasonCount> =
            reasons.into_iter().map(|(reason, count)| ReasonCount { reason, count }).collect();
        by_reason.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
        Ok(BotMetrics {
            since: Some(since),
            conversations: conversations.len() as u64,
            turns,
            resolved_by_bot: contained,
            escalated: escalated.len() as u64,
            containment_rate: ratio(contained, conversations.len() as u64),
            escalations_by_reason: by_reason,
            failed_turn_rate: ratio(failed, turns),
            action_calls: calls,
            action_successes: successes,
            action_success_rate: ratio(successes, calls),
            latency_p50_ms: percentile(&latencies, 0.5),
            latency_p99_ms: percentile(&latencies, 0.99),
            truncated: decisions.len() as u32 >= DECISIONS,
        })
    }
}
