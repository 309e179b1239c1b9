//! The supervisor's live view: each queue's waiting count, longest wait and service level
//! today against its target; each agent's state and load; every open conversation with
//! its owner, how long the customer has waited and their sentiment (frustrated ones
//! flagged); and the virtual agent's day (escalations by reason, containment).

use std::collections::HashMap;

use serde::Serialize;
use tandem_domain::agent::Role;
use tandem_domain::{Author, ConversationId, ConversationStatus, Owner, QueueId, Timestamp};
use tandem_store::OwnerFilter;

use crate::{Actor, BotMetrics, Engine, EngineResult};

#[derive(Clone, Debug, Serialize)]
pub struct QueueLive {
    pub id: QueueId,
    pub name: String,
    pub waiting: usize,
    pub longest_wait_seconds: i64,
    /// Share answered within the target today (`None` before anything was answered or
    /// waited past the target).
    pub service_level: Option<f64>,
    pub sla_target: f64,
    pub sla_seconds: u32,
    pub answered_today: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct AgentLive {
    pub id: tandem_domain::AgentId,
    pub name: String,
    pub state: &'static str,
    /// Open conversations they own.
    pub load: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct LiveConversation {
    pub id: ConversationId,
    pub customer_id: tandem_domain::CustomerId,
    pub customer: Option<String>,
    pub channel: &'static str,
    pub status: &'static str,
    /// `bot`, the queue's name or the agent's name.
    pub owner: String,
    pub owner_kind: &'static str,
    /// Since the customer's last unanswered message (0 when the last word was ours).
    pub waiting_seconds: i64,
    pub sentiment: f32,
    pub frustrated: bool,
    pub priority: u8,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub at: Timestamp,
    pub queues: Vec<QueueLive>,
    pub agents: Vec<AgentLive>,
    pub conversations: Vec<LiveConversation>,
    /// The virtual agent today (since midnight UTC).
    pub bot: BotMetrics,
}

impl Engine {
    /// The live view (supervisors).
    pub async fn overview(&self, actor: Actor) -> EngineResult<Overview> {
        actor.require(Role::Supervisor)?;
        let ws = actor.workspace_id();
        let now = self.now();
        let midnight = now.date_naive().and_hms_opt(0, 0, 0).map_or(now, |d| d.and_utc());
        let queues = self.store.list_queues(ws).await?;
        let agents = self.store.list_agents(ws).await?;
        let entries = self.store.routing_entries_since(ws, midnight).await?;
        let mut open = Vec::new();
        for owner in [OwnerFilter::Bot, OwnerFilter::AnyQueue, OwnerFilter::AnyAgent] {
            open.extend(self.open_conversations(ws, owner).await?);
        }
        let queue_names: HashMap<QueueId, String> = queues.iter().map(|q| (q.id, q.name.clone())).collect();
        let agent_names: HashMap<tandem_domain::AgentId, String> =
            agents.iter().map(|a| (a.id, a.display_name.clone())).collect();
        let queues = queues
            .iter()
            .map(|q| {
                let mine: Vec<_> = entries.iter().filter(|e| e.queue_id == q.id).collect();
                let waiting: Vec<_> = mine.iter().filter(|e| e.closed_at.is_none()).collect();
                let longest = waiting.iter().map(|e| (now - e.arrived_at).num_seconds()).max().unwrap_or(0);
                let target = i64::from(q.routing.sla_seconds);
                // Picked up: an accepted offer, or taken by (or given to) an agent.
                let answered: Vec<i64> = mine
                    .iter()
                    .filter(|e| matches!(e.outcome.as_deref(), Some("answered" | "taken")))
                    .filter_map(|e| e.closed_at.map(|c| (c - e.arrived_at).num_seconds()))
                    .collect();
                let within = answered.iter().filter(|s| **s <= target).count();
                let late_waiting = waiting.iter().filter(|e| (now - e.arrived_at).num_seconds() > target).count();
                let left_late = mine
                    .iter()
                    .filter(|e| matches!(e.outcome.as_deref(), Some("left")))
                    .filter(|e| e.closed_at.is_some_and(|c| (c - e.arrived_at).num_seconds() > target))
                    .count();
                let counted = answered.len() + late_waiting + left_late;
                QueueLive {
                    id: q.id,
                    name: q.name.clone(),
                    waiting: waiting.len(),
                    longest_wait_seconds: longest,
                    service_level: (counted > 0).then(|| within as f64 / counted as f64),
                    sla_target: q.routing.sla_target,
                    sla_seconds: q.routing.sla_seconds,
                    answered_today: answered.len(),
                }
            })
            .collect();
        let mut load: HashMap<tandem_domain::AgentId, usize> = HashMap::new();
        for c in &open {
            if let Owner::Agent(a) = c.owner {
                *load.entry(a).or_default() += 1;
            }
        }
        let agents = agents
            .iter()
            .map(|a| AgentLive {
                id: a.id,
                name: a.display_name.clone(),
                state: a.state.as_str(),
                load: load.get(&a.id).copied().unwrap_or(0),
            })
            .collect();
        let mut conversations = Vec::new();
        for c in open.iter().filter(|c| c.status != ConversationStatus::Closed) {
            let customer = self.store.customer(ws, c.customer_id).await.ok().and_then(|c| c.display_name);
            let messages = self.store.messages(ws, c.id).await?;
            let last_word = messages.iter().rev().find(|m| m.kind.visible_to_customer());
            let waiting_seconds = match last_word {
                Some(m) if matches!(m.author, Author::Customer(_)) => (now - m.created_at).num_seconds(),
                _ => 0,
            };
            let (owner, owner_kind) = match c.owner {
                Owner::Bot => ("virtual agent".to_owned(), "bot"),
                Owner::Queue(q) => (queue_names.get(&q).cloned().unwrap_or_else(|| "a queue".into()), "queue"),
                Owner::Agent(a) => (agent_names.get(&a).cloned().unwrap_or_else(|| "an agent".into()), "agent"),
            };
            conversations.push(LiveConversation {
                id: c.id,
                customer_id: c.customer_id,
                customer,
                channel: c.channel.as_str(),
                status: c.status.as_str(),
                owner,
                owner_kind,
                waiting_seconds,
                sentiment: c.sentiment.smoothed,
                frustrated: c.sentiment.frustrated(),
                priority: c.priority.get(),
                tags: c.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            });
        }
        conversations.sort_by(|a, b| b.frustrated.cmp(&a.frustrated).then(b.waiting_seconds.cmp(&a.waiting_seconds)));
        let bot = self.bot_metrics_since(actor, midnight).await?;
        Ok(Overview { at: now, queues, agents, conversations, bot })
    }
}
