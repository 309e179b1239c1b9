//! The append-only event log's vocabulary. Every state change is recorded as an event in
//! the same transaction as the change; the event bus then carries it to live views.
//!
//! Events carry ids, never message bodies: the log is read by analytics and replicated
//! to other nodes, and bodies stay in the message table where access is controlled.

use serde::{Deserialize, Serialize};

use crate::{
    AgentId, AgentState, ArticleId, Author, CardVerdict, Channel, ConversationId, ConversationStatus, CustomerId,
    DecisionId, EventId, Identity, MessageId, MessageKind, OfferId, Owner, Priority, QueueId, Tag, TaskId, TaskKind,
    TaskStatus, Timestamp, WorkspaceId,
};

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    CustomerCreated {
        customer_id: CustomerId,
    },
    CustomerUpdated {
        customer_id: CustomerId,
    },
    IdentityLinked {
        customer_id: CustomerId,
        identity: Identity,
    },
    /// `source` was merged into `target`; its conversations and identities moved.
    CustomersMerged {
        target: CustomerId,
        source: CustomerId,
        conversations_moved: u64,
        identities_moved: u64,
    },
    ConversationCreated {
        conversation_id: ConversationId,
        customer_id: CustomerId,
        channel: Channel,
        owner: Owner,
    },
    StatusChanged {
        conversation_id: ConversationId,
        from: ConversationStatus,
        to: ConversationStatus,
    },
    OwnerChanged {
        conversation_id: ConversationId,
        from: Owner,
        to: Owner,
    },
    ChannelSwitched {
        conversation_id: ConversationId,
        from: Channel,
        to: Channel,
    },
    PriorityChanged {
        conversation_id: ConversationId,
        from: Priority,
        to: Priority,
    },
    TagsChanged {
        conversation_id: ConversationId,
        tags: Vec<Tag>,
    },
    MessageCreated {
        message_id: MessageId,
        conversation_id: ConversationId,
        kind: MessageKind,
        author: Author,
        channel: Channel,
    },
    AgentCreated {
        agent_id: AgentId,
    },
    AgentStateChanged {
        agent_id: AgentId,
        from: AgentState,
        to: AgentState,
    },
    QueueCreated {
        queue_id: QueueId,
    },
    QueueUpdated {
        queue_id: QueueId,
    },
    /// Routing offered the conversation to an agent; `rule` and `score` say why.
    OfferMade {
        offer_id: OfferId,
        conversation_id: ConversationId,
        agent_id: AgentId,
        queue_id: QueueId,
        rule: String,
        score: serde_json::Value,
        expires_at: Option<Timestamp>,
    },
    OfferAccepted {
        offer_id: OfferId,
        conversation_id: ConversationId,
        agent_id: AgentId,
    },
    OfferDeclined {
        offer_id: OfferId,
        conversation_id: ConversationId,
        agent_id: AgentId,
    },
    OfferTimedOut {
        offer_id: OfferId,
        conversation_id: ConversationId,
        agent_id: AgentId,
    },
    /// The offer ended without an answer: the conversation left the queue, or the
    /// service restarted.
    OfferWithdrawn {
        offer_id: OfferId,
        conversation_id: ConversationId,
        agent_id: AgentId,
        reason: String,
    },
    ArticleCreated {
        article_id: ArticleId,
        version: u32,
    },
    /// A new version of an article (content, classification or status changed).
    ArticleUpdated {
        article_id: ArticleId,
        version: u32,
    },
    /// Knowledge cards were computed for a conversation after a customer message.
    KnowledgeRecommended {
        conversation_id: ConversationId,
        message_id: MessageId,
        cards: Vec<CardRef>,
    },
    CardFeedbackGiven {
        conversation_id: ConversationId,
        article_id: ArticleId,
        passage: u32,
        verdict: CardVerdict,
    },
    /// The virtual agent took a turn; `kind` and `rule` say what it did and why (the
    /// whole decision is kept under `decision_id`).
    BotDecided {
        conversation_id: ConversationId,
        decision_id: DecisionId,
        /// The customer message the turn answered, if a message started it.
        message_id: Option<MessageId>,
        kind: String,
        rule: String,
    },
    /// The virtual agent handed the conversation to people.
    BotEscalated {
        conversation_id: ConversationId,
        reason: String,
        queue_id: Option<QueueId>,
    },
    /// A workspace's virtual-agent configuration was replaced.
    BotConfigUpdated {
        version: i64,
    },
    TaskCreated {
        task_id: TaskId,
        kind: TaskKind,
        conversation_id: Option<ConversationId>,
    },
    TaskSettled {
        task_id: TaskId,
        status: TaskStatus,
        conversation_id: Option<ConversationId>,
    },
    /// An agent's verdict on a suggested reply: `shown`, `accepted`, `edited` or `rejected`.
    SuggestionFeedback {
        conversation_id: ConversationId,
        /// `knowledge` or `canned`.
        source: String,
        /// Which suggestion (the article or the canned response).
        reference: String,
        verdict: String,
    },
    /// An agent wrapped the conversation up; whether they changed what was suggested.
    WrapUpRecorded {
        conversation_id: ConversationId,
        disposition: String,
        disposition_changed: bool,
        summary_changed: bool,
    },
    /// The customer rated the conversation (1 to 5).
    CsatRated {
        conversation_id: ConversationId,
        rating: u8,
    },
}

/// A knowledge card by reference: which passage of which article, and its score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardRef {
    pub article_id: ArticleId,
    pub version: u32,
    pub passage: u32,
    pub score: f32,
}

/// The stable name of an event type, as stored in the log's `kind` column.
pub type EventKind = &'static str;

impl DomainEvent {
    pub const fn kind(&self) -> EventKind {
        match self {
            Self::CustomerCreated { .. } => "customer_created",
            Self::CustomerUpdated { .. } => "customer_updated",
            Self::IdentityLinked { .. } => "identity_linked",
            Self::CustomersMerged { .. } => "customers_merged",
            Self::ConversationCreated { .. } => "conversation_created",
            Self::StatusChanged { .. } => "status_changed",
            Self::OwnerChanged { .. } => "owner_changed",
            Self::ChannelSwitched { .. } => "channel_switched",
            Self::PriorityChanged { .. } => "priority_changed",
            Self::TagsChanged { .. } => "tags_changed",
            Self::MessageCreated { .. } => "message_created",
            Self::AgentCreated { .. } => "agent_created",
            Self::AgentStateChanged { .. } => "agent_state_changed",
            Self::QueueCreated { .. } => "queue_created",
            Self::QueueUpdated { .. } => "queue_updated",
            Self::OfferMade { .. } => "offer_made",
            Self::OfferAccepted { .. } => "offer_accepted",
            Self::OfferDeclined { .. } => "offer_declined",
            Self::OfferTimedOut { .. } => "offer_timed_out",
            Self::OfferWithdrawn { .. } => "offer_withdrawn",
            Self::ArticleCreated { .. } => "article_created",
            Self::ArticleUpdated { .. } => "article_updated",
            Self::KnowledgeRecommended { .. } => "knowledge_recommended",
            Self::CardFeedbackGiven { .. } => "card_feedback_given",
            Self::BotDecided { .. } => "bot_decided",
            Self::BotEscalated { .. } => "bot_escalated",
            Self::BotConfigUpdated { .. } => "bot_config_updated",
            Self::TaskCreated { .. } => "task_created",
            Self::TaskSettled { .. } => "task_settled",
            Self::SuggestionFeedback { .. } => "suggestion_feedback",
            Self::WrapUpRecorded { .. } => "wrap_up_recorded",
            Self::CsatRated { .. } => "csat_rated",
        }
    }
}

/// An event with the header every consumer filters on. `seq` is assigned by the store
/// (strictly increasing per installation); it is 0 until the event is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub conversation_id: Option<ConversationId>,
    pub customer_id: Option<CustomerId>,
    /// The conversation's owner after this event (for visibility filtering).
    pub owner: Option<Owner>,
    pub at: Timestamp,
    pub event: DomainEvent,
}

impl StoredEvent {
    /// An event not yet stored, about a conversation.
    pub fn for_conversation(conversation: &crate::Conversation, event: DomainEvent, at: Timestamp) -> Self {
        Self {
            seq: 0,
            id: EventId::new(),
            workspace_id: conversation.workspace_id,
            conversation_id: Some(conversation.id),
            customer_id: Some(conversation.customer_id),
            owner: Some(conversation.owner),
            at,
            event,
        }
    }

    /// An event not yet stored, about a customer.
    pub fn for_customer(workspace_id: WorkspaceId, customer_id: CustomerId, event: DomainEvent, at: Timestamp) -> Self {
        Self {
            seq: 0,
            id: EventId::new(),
            workspace_id,
            conversation_id: None,
            customer_id: Some(customer_id),
            owner: None,
            at,
            event,
        }
    }

    /// An event not yet stored, about the workspace itself (agents, queues).
    pub fn for_workspace(workspace_id: WorkspaceId, event: DomainEvent, at: Timestamp) -> Self {
        Self {
            seq: 0,
            id: EventId::new(),
            workspace_id,
            conversation_id: None,
            customer_id: None,
            owner: None,
            at,
            event,
        }
    }

    /// Whether an agent with `role` and `agent_id` may see this event. Supervisors and
    /// admins see the whole workspace; agents see what is queued, what is theirs, what
    /// was just taken from them, and workspace-level events.
    pub fn visible_to_agent(&self, agent_id: AgentId, role: crate::Role) -> bool {
        if role >= crate::Role::Supervisor {
            return true;
        }
        // An offer is for the agent it was made to.
        if let DomainEvent::OfferMade { agent_id: to, .. }
        | DomainEvent::OfferAccepted { agent_id: to, .. }
        | DomainEvent::OfferDeclined { agent_id: to, .. }
        | DomainEvent::OfferTimedOut { agent_id: to, .. }
        | DomainEvent::OfferWithdrawn { agent_id: to, .. } = self.event
        {
            return to == agent_id;
        }
        if let DomainEvent::OwnerChanged { from: Owner::Agent(previous), .. } = self.event
            && previous == agent_id
        {
            return true;
        }
        match (self.conversation_id, self.owner) {
            (None, _) => !matches!(
                self.event,
                DomainEvent::CustomerCreated { .. }
                    | DomainEvent::CustomerUpdated { .. }
                    | DomainEvent::IdentityLinked { .. }
                    | DomainEvent::CustomersMerged { .. }
            ),
            (Some(_), Some(Owner::Queue(_))) => true,
            (Some(_), Some(Owner::Agent(owner))) => owner == agent_id,
            (Some(_), _) => false,
        }
    }
}
