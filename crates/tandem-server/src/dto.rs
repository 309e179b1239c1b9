//! Wire shapes: what the API reads and writes. Only this module knows them; handlers
//! convert to and from domain types at the boundary. Requests reject unknown fields.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_domain::{Agent, Attachment, Author, Conversation, Customer, Identity, Message, Owner, Queue, StoredEvent};
use tandem_store::IngestOutcome;
use utoipa::ToSchema;
use uuid::Uuid;

pub mod bot;

// --- shared pieces ------------------------------------------------------------------

/// Who owns a conversation: `bot`, a `queue` or an `agent` (with its id).
#[derive(Serialize, ToSchema)]
pub struct OwnerDto {
    /// `bot`, `queue` or `agent`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
}

impl From<Owner> for OwnerDto {
    fn from(owner: Owner) -> Self {
        let id = match owner {
            Owner::Bot => None,
            Owner::Queue(q) => Some(q.as_uuid()),
            Owner::Agent(a) => Some(a.as_uuid()),
        };
        Self { kind: owner.kind_str(), id }
    }
}

/// Who wrote a message: `customer`, `bot`, `agent` or `system`.
#[derive(Serialize, ToSchema)]
pub struct AuthorDto {
    pub kind: &'static str,
    pub id: Option<Uuid>,
}

impl From<Author> for AuthorDto {
    fn from(author: Author) -> Self {
        let id = match author {
            Author::Customer(c) => Some(c.as_uuid()),
            Author::Agent(a) => Some(a.as_uuid()),
            Author::Bot | Author::System => None,
        };
        Self { kind: author.kind_str(), id }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct AttachmentDto {
    pub name: String,
    /// A MIME type, e.g. `image/png`.
    pub content_type: String,
    pub size_bytes: u64,
    /// Where the bytes can be fetched (http or https).
    #[serde(default)]
    pub url: Option<String>,
}

impl From<&Attachment> for AttachmentDto {
    fn from(a: &Attachment) -> Self {
        Self {
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            url: a.url.clone(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityDto {
    /// `email`, `phone`, `web_visitor` or `external`.
    pub kind: String,
    pub value: String,
}

impl From<&Identity> for IdentityDto {
    fn from(i: &Identity) -> Self {
        Self { kind: i.kind.as_str().to_owned(), value: i.value.clone() }
    }
}

// --- responses ----------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct ChannelSpanDto {
    pub channel: &'static str,
    pub since: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDto {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// `bot`, `queued`, `assigned`, `waiting_on_customer`, `resolved` or `closed`.
    pub status: &'static str,
    pub owner: OwnerDto,
    /// 0 (lowest) to 9 (most urgent).
    pub priority: u8,
    pub tags: Vec<String>,
    /// The channel the conversation is on now.
    pub channel: &'static str,
    pub channel_history: Vec<ChannelSpanDto>,
    pub subject: Option<String>,
    pub language: Option<String>,
    /// The customer's sentiment over the conversation: smoothed score, recent scores,
    /// frustration signals.
    #[schema(value_type = Object)]
    pub sentiment: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Increments with every change.
    pub version: i64,
}

impl From<&Conversation> for ConversationDto {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.as_uuid(),
            customer_id: c.customer_id.as_uuid(),
            status: c.status.as_str(),
            owner: c.owner.into(),
            priority: c.priority.get(),
            tags: c.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            channel: c.channel.as_str(),
            channel_history: c
                .channel_history
                .iter()
                .map(|s| ChannelSpanDto { channel: s.channel.as_str(), since: s.since })
                .collect(),
            subject: c.subject.clone(),
            language: c.language.clone(),
            sentiment: serde_json::to_value(&c.sentiment).unwrap_or(serde_json::Value::Null),
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_message_at: c.last_message_at,
            resolved_at: c.resolved_at,
            closed_at: c.closed_at,
            version: c.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageDto {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// `inbound`, `outbound`, `note` (internal) or `system`.
    pub kind: &'static str,
    pub author: AuthorDto,
    pub body: String,
    pub language: Option<String>,
    pub channel: &'static str,
    pub attachments: Vec<AttachmentDto>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What message understanding found (inbound messages): language, redacted text,
    /// PII spans, sentiment, intent, entities, frustration signals.
    #[schema(value_type = Option<Object>)]
    pub understanding: Option<serde_json::Value>,
}

impl From<&Message> for MessageDto {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.as_uuid(),
            conversation_id: m.conversation_id.as_uuid(),
            kind: m.kind.as_str(),
            author: m.author.into(),
            body: m.body.as_str().to_owned(),
            language: m.language.clone(),
            channel: m.channel.as_str(),
            attachments: m.attachments.iter().map(AttachmentDto::from).collect(),
            external_id: m.external_id.clone(),
            created_at: m.created_at,
            understanding: m.understanding.as_ref().and_then(|u| serde_json::to_value(u).ok()),
        }
    }
}

/// A conversation with its messages, oldest first.
#[derive(Serialize, ToSchema)]
pub struct ConversationDetailDto {
    pub conversation: ConversationDto,
    pub messages: Vec<MessageDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationDto>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_before: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerDto {
    pub id: Uuid,
    pub display_name: Option<String>,
    /// `standard`, `silver`, `gold` or `platinum`.
    pub tier: &'static str,
    pub preferred_language: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub identities: Vec<IdentityDto>,
    /// Set when this customer was merged into another; follow it.
    pub merged_into: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Customer> for CustomerDto {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id.as_uuid(),
            display_name: c.display_name.clone(),
            tier: c.tier.as_str(),
            preferred_language: c.preferred_language.clone(),
            attributes: c.attributes.clone(),
            identities: c.identities.iter().map(IdentityDto::from).collect(),
            merged_into: c.merged_into.map(|m| m.as_uuid()),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A customer's profile with every conversation and message across channels, in order.
#[derive(Serialize, ToSchema)]
pub struct TimelineDto {
    pub customer: CustomerDto,
    pub conversations: Vec<ConversationDto>,
    pub messages: Vec<MessageDto>,
}

#[derive(Serialize, ToSchema)]
pub struct IngestResponse {
    pub message: MessageDto,
    pub conversation: ConversationDto,
    pub customer_id: Uuid,
    pub customer_created: bool,
    pub conversation_created: bool,
    /// True when this answers a retry with an Idempotency-Key already used.
    pub replayed: bool,
    /// With `wait_for_bot=true`: the virtual agent's turns on this message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_turns: Option<Vec<bot::BotTurnDto>>,
}

impl From<&IngestOutcome> for IngestResponse {
    fn from(o: &IngestOutcome) -> Self {
        Self {
            message: (&o.message).into(),
            conversation: (&o.conversation).into(),
            customer_id: o.customer_id.as_uuid(),
            customer_created: o.customer_created,
            conversation_created: o.conversation_created,
            replayed: o.replayed,
            bot_turns: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SkillDto {
    pub name: String,
    /// 1 (basic) to 5 (expert).
    pub level: u8,
}

#[derive(Serialize, ToSchema)]
pub struct AgentDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `agent`, `supervisor` or `admin`.
    pub role: &'static str,
    pub skills: Vec<SkillDto>,
    pub languages: Vec<String>,
    /// Concurrent conversations per channel.
    pub capacity: BTreeMap<String, u16>,
    /// `available`, `busy`, `wrap_up`, `away` or `offline`.
    pub state: &'static str,
    pub created_at: DateTime<Utc>,
}

impl From<&Agent> for AgentDto {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id.as_uuid(),
            email: a.email.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str(),
            skills: a.skills.iter().map(|s| SkillDto { name: s.name.clone(), level: s.level }).collect(),
            languages: a.languages.clone(),
            capacity: a.capacity.iter().map(|(c, n)| (c.as_str().to_owned(), *n)).collect(),
            state: a.state.as_str(),
            created_at: a.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct QueueDto {
    pub id: Uuid,
    pub name: String,
    pub routing: QueueRoutingDto,
    pub created_at: DateTime<Utc>,
}

impl From<&Queue> for QueueDto {
    fn from(q: &Queue) -> Self {
        Self { id: q.id.as_uuid(), name: q.name.clone(), routing: (&q.routing).into(), created_at: q.created_at }
    }
}

/// How a queue's conversations are routed.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueRoutingDto {
    /// Skills an agent needs, each with a minimum level 1–5.
    #[serde(default)]
    pub required_skills: Vec<SkillRequestDto>,
    /// Agents must speak it; without it, the conversation's language.
    #[serde(default)]
    pub language: Option<String>,
    /// Added to every conversation's priority in this queue.
    #[serde(default)]
    pub priority: i32,
    /// Service-level target: this share answered within `sla_seconds` (default 0.8).
    #[serde(default = "default_sla_target")]
    pub sla_target: f64,
    #[serde(default = "default_sla_seconds")]
    pub sla_seconds: u32,
    /// Requirements relaxed step by step while a conversation waits.
    #[serde(default)]
    pub overflow: Vec<OverflowDto>,
}

fn default_sla_target() -> f64 {
    0.8
}

fn default_sla_seconds() -> u32 {
    20
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillRequestDto {
    pub name: String,
    pub level: u8,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverflowDto {
    pub after_seconds: u32,
    pub relax_levels: u8,
    #[serde(default)]
    pub any_language: bool,
}

impl From<&tandem_domain::QueueRouting> for QueueRoutingDto {
    fn from(r: &tandem_domain::QueueRouting) -> Self {
        Self {
            required_skills: r
                .required_skills
                .iter()
                .map(|s| SkillRequestDto { name: s.name.clone(), level: s.level })
                .collect(),
            language: r.language.clone(),
            priority: r.priority,
            sla_target: r.sla_target,
            sla_seconds: r.sla_seconds,
            overflow: r
                .overflow
                .iter()
                .map(|o| OverflowDto {
                    after_seconds: o.after_seconds,
                    relax_levels: o.relax_levels,
                    any_language: o.any_language,
                })
                .collect(),
        }
    }
}

impl QueueRoutingDto {
    pub fn into_domain(self) -> tandem_domain::QueueRouting {
        tandem_domain::QueueRouting {
            required_skills: self
                .required_skills
                .into_iter()
                .map(|s| tandem_domain::Skill { name: s.name, level: s.level })
                .collect(),
            language: self.language,
            priority: self.priority,
            sla_target: self.sla_target,
            sla_seconds: self.sla_seconds,
            overflow: self
                .overflow
                .into_iter()
                .map(|o| tandem_domain::OverflowRule {
                    after_seconds: o.after_seconds,
                    relax_levels: o.relax_levels,
                    any_language: o.any_language,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQueueRequest {
    pub name: Option<String>,
    pub routing: Option<QueueRoutingDto>,
}

/// A routing decision: a conversation offered to an agent, why, and how it ended.
#[derive(Serialize, ToSchema)]
pub struct OfferDto {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub agent_id: Uuid,
    pub queue_id: Uuid,
    /// `best`, `overflow_step_N`, `sticky` or `direct_transfer`.
    pub rule: String,
    /// Class and effective priority, skill fit, agent load and wait at decision time.
    #[schema(value_type = Object)]
    pub score: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// `pending`, `accepted`, `declined`, `timed_out` or `withdrawn`.
    pub status: &'static str,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<&tandem_store::OfferRecord> for OfferDto {
    fn from(o: &tandem_store::OfferRecord) -> Self {
        Self {
            id: o.id.as_uuid(),
            conversation_id: o.conversation_id.as_uuid(),
            agent_id: o.agent_id.as_uuid(),
            queue_id: o.queue_id.as_uuid(),
            rule: o.rule.clone(),
            score: o.score.clone(),
            created_at: o.created_at,
            expires_at: o.expires_at,
            status: o.status.as_str(),
            decided_at: o.decided_at,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OfferActionRequest {
    /// With an API key: the agent this is done as.
    pub agent_id: Option<Uuid>,
}

/// A conversation waiting in a queue.
#[derive(Serialize, ToSchema)]
pub struct WaitingDto {
    pub conversation_id: Uuid,
    /// Set while an offer to this agent is open.
    pub offered_to: Option<Uuid>,
}

/// Erlang-C performance at a number of agents.
#[derive(Serialize, ToSchema)]
pub struct PerformanceDto {
    pub agents: u32,
    pub service_level: f64,
    pub asa_seconds: Option<f64>,
    pub occupancy: f64,
    pub wait_probability: f64,
}

impl From<&tandem_routing::erlang::Performance> for PerformanceDto {
    fn from(p: &tandem_routing::erlang::Performance) -> Self {
        Self {
            agents: p.agents,
            service_level: p.service_level,
            asa_seconds: p.asa_seconds.is_finite().then_some(p.asa_seconds),
            occupancy: p.occupancy,
            wait_probability: p.wait_probability,
        }
    }
}

/// A queue's staffing need from its recent arrivals.
#[derive(Serialize, ToSchema)]
pub struct QueueStaffingDto {
    pub queue_id: Uuid,
    pub name: String,
    pub arrivals: u64,
    pub arrivals_per_hour: f64,
    pub waiting: usize,
    pub aht_seconds: f64,
    pub sla_target: f64,
    pub sla_seconds: f64,
    pub traffic_erlangs: f64,
    /// Agents needed on contacts.
    pub agents: u32,
    /// Agents to schedule with shrinkage.
    pub scheduled: u32,
    pub at_agents: PerformanceDto,
    pub one_below: Option<PerformanceDto>,
}

impl From<&tandem_engine::QueueStaffing> for QueueStaffingDto {
    fn from(q: &tandem_engine::QueueStaffing) -> Self {
        Self {
            queue_id: q.queue_id.as_uuid(),
            name: q.name.clone(),
            arrivals: q.arrivals,
            arrivals_per_hour: q.arrivals_per_hour,
            waiting: q.waiting,
            aht_seconds: q.target.aht_seconds,
            sla_target: q.target.service_level,
            sla_seconds: q.target.target_seconds,
            traffic_erlangs: q.staffing.traffic_erlangs,
            agents: q.staffing.agents,
            scheduled: q.staffing.scheduled,
            at_agents: (&q.staffing.at_agents).into(),
            one_below: q.staffing.one_below.as_ref().map(PerformanceDto::from),
        }
    }
}

/// An entry of the event log.
#[derive(Serialize, ToSchema)]
pub struct EventDto {
    /// Strictly increasing; pass the last one seen as `after` to resume.
    pub seq: i64,
    pub id: Uuid,
    /// The event type, e.g. `message_created`, `status_changed`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub conversation_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// The event's fields (ids, from/to values; never message bodies).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<&StoredEvent> for EventDto {
    fn from(e: &StoredEvent) -> Self {
        Self {
            seq: e.seq,
            id: e.id.as_uuid(),
            kind: e.event.kind(),
            at: e.at,
            conversation_id: e.conversation_id.map(|c| c.as_uuid()),
            customer_id: e.customer_id.map(|c| c.as_uuid()),
            data: serde_json::to_value(&e.event).unwrap_or(serde_json::Value::Null),
        }
    }
}

// --- requests -----------------------------------------------------------------------

/// Who sent an inbound message. At least one identity is required; any known one finds
/// the customer, and unknown ones are linked to them.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FromDto {
    pub email: Option<String>,
    /// International format, e.g. `+44 20 7946 0958`.
    pub phone: Option<String>,
    /// A web-chat visitor id.
    pub visitor_id: Option<String>,
    /// An id in an external system, e.g. `crm:10042`.
    pub external_id: Option<String>,
    /// The sender's display name, if the channel gives one.
    pub name: Option<String>,
}

/// An inbound message from any channel (what every channel adapter sends).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundRequestDto {
    /// `web_chat`, `email`, `sms`, `whatsapp`, `voice` or `api`.
    pub channel: String,
    pub from: FromDto,
    /// The message text (at most 20,000 characters).
    pub body: String,
    pub subject: Option<String>,
    /// A language code like `en` or `pt-BR`, if known.
    pub language: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentDto>,
    /// The channel provider's message id.
    pub external_id: Option<String>,
    /// Makes retries safe; the `Idempotency-Key` header does the same.
    pub idempotency_key: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    pub body: String,
    /// The agent the reply is sent as (API keys only; agents reply as themselves).
    pub agent_id: Option<Uuid>,
}

/// Exactly one of `agent_id`, `queue_id` or `to_bot`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub agent_id: Option<Uuid>,
    pub queue_id: Option<Uuid>,
    #[serde(default)]
    pub to_bot: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsRequest {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityRequest {
    /// 0 (lowest) to 9 (most urgent).
    pub priority: u8,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate customer to merge into this one.
    pub source_customer_id: Uuid,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct EditCustomerRequest {
    pub display_name: Option<String>,
    pub tier: Option<String>,
    pub preferred_language: Option<String>,
    /// Keys to set; `null` removes a key.
    #[schema(value_type = Object)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A new customer: at least one identity, and profile fields.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub visitor_id: Option<String>,
    /// An id in an external system, e.g. `crm:10042`.
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    /// `standard`, `silver`, `gold` or `platinum`.
    pub tier: Option<String>,
    pub preferred_language: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The workspace's slug.
    pub workspace: String,
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub agent: AgentDto,
    /// Send in `X-CSRF-Token` on state-changing requests made with the session cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub workspace_id: Uuid,
    /// The logged-in agent; absent for an API key.
    pub agent: Option<AgentDto>,
    /// With a session: the token to send in `X-CSRF-Token` (a page reloaded after login
    /// reads it here).
    pub csrf_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillRequest {
    pub name: String,
    pub level: u8,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    pub email: String,
    pub display_name: String,
    /// `agent`, `supervisor` or `admin`.
    pub role: String,
    /// 10 to 128 characters.
    pub password: String,
    #[serde(default)]
    pub skills: Vec<SkillRequest>,
    #[serde(default)]
    pub languages: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentStateRequest {
    /// `available`, `busy`, `wrap_up`, `away` or `offline`.
    pub state: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQueueRequest {
    pub name: String,
    pub routing: Option<QueueRoutingDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyCreated {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    /// The secret; shown only now.
    pub secret: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartChatRequest {
    /// The workspace's public chat widget key.
    pub chat_key: String,
    /// A token from an earlier chat, to resume it.
    pub token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StartChatResponse {
    pub visitor_id: String,
    /// A new visitor token (absent when an existing token was resumed).
    pub token: Option<String>,
    pub workspace_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatMessageRequest {
    pub body: String,
}

/// A message as the web-chat customer sees it.
#[derive(Serialize, ToSchema)]
pub struct ChatMessageDto {
    pub id: Uuid,
    /// `inbound` (from the customer) or `outbound` (to the customer).
    pub kind: &'static str,
    /// `customer`, `bot` or `agent`.
    pub author: &'static str,
    /// The agent's first name or the virtual agent's name (`None` for the customer).
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Message> for ChatMessageDto {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.as_uuid(),
            kind: m.kind.as_str(),
            author: m.author.kind_str(),
            author_name: None,
            body: m.body.as_str().to_owned(),
            created_at: m.created_at,
        }
    }
}

/// Where the web-chat visitor's latest conversation stands.
#[derive(Serialize, ToSchema)]
pub struct ChatStatusDto {
    /// The latest conversation (`None` before the first message).
    pub conversation_id: Option<Uuid>,
    /// The latest conversation's status (`None` before the first message).
    pub conversation_status: Option<&'static str>,
    /// `bot`, `queue` or `agent`: who has the latest conversation.
    pub owner: Option<&'static str>,
    /// Whether any person is available right now (the widget offers to leave an email
    /// when nobody is).
    pub agents_available: bool,
}
