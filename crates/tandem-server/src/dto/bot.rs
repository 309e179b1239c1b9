//! Wire shapes of the virtual agent (configuration, secrets, decisions, handoff
//! summaries, metrics) and of tasks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_domain::Task;
use tandem_engine::{BotConfigView, BotMetrics, BotTurnReport, SecretName};
use tandem_store::BotDecisionRecord;
use utoipa::ToSchema;
use uuid::Uuid;

use super::MessageDto;

/// The bot's configuration (see `examples/bot/demo.toml` for every field).
#[derive(Serialize, ToSchema)]
pub struct BotConfigDto {
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// 0 while the built-in default is in use.
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

impl From<BotConfigView> for BotConfigDto {
    fn from(v: BotConfigView) -> Self {
        Self {
            config: serde_json::to_value(&v.config).unwrap_or_default(),
            version: v.version,
            updated_at: v.updated_at,
            updated_by: v.updated_by,
        }
    }
}

/// A new configuration. Send TOML instead with `Content-Type: application/toml` (and the
/// expected version, if any, in `If-Match`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotConfigRequest {
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// Refuse the save unless the stored configuration is at this version (0: none saved).
    pub expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRequest {
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct SecretNameDto {
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

impl From<SecretName> for SecretNameDto {
    fn from(s: SecretName) -> Self {
        Self { name: s.name, updated_at: s.updated_at }
    }
}

/// One decision of the bot, with what it saw (no message text), the rule and why.
#[derive(Serialize, ToSchema)]
pub struct BotDecisionDto {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub message_id: Option<Uuid>,
    pub turn: u32,
    /// `answer`, `ask`, `confirm`, `act`, `clarify`, `reply`, `wait`, `resolve`,
    /// `escalate`, `superseded`, `resume`.
    pub kind: String,
    pub rule: String,
    pub reason: String,
    /// The escalation reason code, when it escalated.
    pub escalation: Option<String>,
    #[schema(value_type = Object)]
    pub inputs: serde_json::Value,
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    /// Deciding, excluding business-system calls.
    pub latency_ms: f64,
    pub external_ms: f64,
    pub at: DateTime<Utc>,
}

impl From<&BotDecisionRecord> for BotDecisionDto {
    fn from(d: &BotDecisionRecord) -> Self {
        Self {
            id: d.id.as_uuid(),
            conversation_id: d.conversation_id.as_uuid(),
            message_id: d.message_id.map(|m| m.as_uuid()),
            turn: d.turn,
            kind: d.kind.clone(),
            rule: d.rule.clone(),
            reason: d.reason.clone(),
            escalation: d.escalation.clone(),
            inputs: d.inputs.clone(),
            outcome: d.outcome.clone(),
            latency_ms: d.latency_us as f64 / 1000.0,
            external_ms: d.external_us as f64 / 1000.0,
            at: d.at,
        }
    }
}

/// The handoff summary of the bot's latest escalation (`summary` is null when the bot
/// never escalated this conversation).
#[derive(Serialize, ToSchema)]
pub struct HandoffDto {
    /// goal, intent, facts, tried, sentiment, reason, reason_code, cue, language,
    /// verified, bot_turns.
    #[schema(value_type = Option<Object>)]
    pub summary: Option<serde_json::Value>,
    /// The summary as the internal note reads.
    pub text: Option<String>,
}

/// What a bot turn did (in an ingest answer with `wait_for_bot=true`).
#[derive(Serialize, ToSchema)]
pub struct BotTurnDto {
    pub decision_id: Uuid,
    pub kind: String,
    pub rule: String,
    pub replies: Vec<MessageDto>,
    /// The reason code, when the bot handed over.
    pub escalated: Option<String>,
    pub resolved: bool,
}

impl From<&BotTurnReport> for BotTurnDto {
    fn from(r: &BotTurnReport) -> Self {
        Self {
            decision_id: r.decision_id.as_uuid(),
            kind: r.kind.clone(),
            rule: r.rule.clone(),
            replies: r.replies.iter().map(MessageDto::from).collect(),
            escalated: r.escalated.clone(),
            resolved: r.resolved,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReasonCountDto {
    pub reason: String,
    pub count: u64,
}

/// The bot's figures over a period.
#[derive(Serialize, ToSchema)]
pub struct BotMetricsDto {
    pub since: Option<DateTime<Utc>>,
    pub conversations: u64,
    pub turns: u64,
    pub resolved_by_bot: u64,
    pub escalated: u64,
    /// Resolved by the bot with no person, over conversations it handled.
    pub containment_rate: f64,
    pub escalations_by_reason: Vec<ReasonCountDto>,
    pub failed_turn_rate: f64,
    pub action_calls: u64,
    pub action_successes: u64,
    pub action_success_rate: f64,
    /// Turn latency excluding business-system calls.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub truncated: bool,
}

impl From<BotMetrics> for BotMetricsDto {
    fn from(m: BotMetrics) -> Self {
        Self {
            since: m.since,
            conversations: m.conversations,
            turns: m.turns,
            resolved_by_bot: m.resolved_by_bot,
            escalated: m.escalated,
            containment_rate: m.containment_rate,
            escalations_by_reason: m
                .escalations_by_reason
                .into_iter()
                .map(|r| ReasonCountDto { reason: r.reason, count: r.count })
                .collect(),
            failed_turn_rate: m.failed_turn_rate,
            action_calls: m.action_calls,
            action_successes: m.action_successes,
            action_success_rate: m.action_success_rate,
            latency_p50_ms: m.latency_p50_ms,
            latency_p99_ms: m.latency_p99_ms,
            truncated: m.truncated,
        }
    }
}

/// A task for a person.
#[derive(Serialize, ToSchema)]
pub struct TaskDto {
    pub id: Uuid,
    pub conversation_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// `follow_up` or `approval`.
    pub kind: &'static str,
    /// `open`, `done`, `approved`, `rejected` or `cancelled`.
    pub status: &'static str,
    pub title: String,
    /// For an approval: the action, its description and the details it will run with.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    pub note: Option<String>,
}

impl From<&Task> for TaskDto {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id.as_uuid(),
            conversation_id: t.conversation_id.map(|c| c.as_uuid()),
            customer_id: t.customer_id.map(|c| c.as_uuid()),
            kind: t.kind.as_str(),
            status: t.status.as_str(),
            title: t.title.clone(),
            details: t.details.clone(),
            created_at: t.created_at,
            due_at: t.due_at,
            settled_at: t.settled_at,
            settled_by: t.settled_by.clone(),
            note: t.note.clone(),
        }
    }
}

/// How to settle a task.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleTaskRequest {
    /// `done` or `cancel` (follow-ups); `approve`, `reject` or `cancel` (approvals; a
    /// supervisor's call, and a rejection needs a `note`).
    pub verdict: String,
    pub note: Option<String>,
}

/// The settled task and, for an approval, the bot's turn that told the customer.
#[derive(Serialize, ToSchema)]
pub struct SettledTaskDto {
    pub task: TaskDto,
    pub bot_turn: Option<BotTurnDto>,
}
