//! Tandem's domain: the vocabulary every other crate speaks.
//!
//! Ids, workspaces, customers and their identities, conversations and their lifecycle,
//! messages, agents, queues and the append-only event log's event types. Everything
//! here is pure: no I/O, no async runtime, no clock (callers pass `now`). Rules that
//! decide something — a lifecycle transition, which conversation an inbound message
//! joins — live here as functions over values so they can be tested exhaustively.

#![forbid(unsafe_code)]

pub mod agent;
pub mod canned;
pub mod channel;
pub mod conversation;
pub mod customer;
pub mod event;
pub mod identity;
pub mod ids;
pub mod ingest;
pub mod knowledge;
pub mod message;
pub mod queue;
pub mod task;
pub mod text;
pub mod time;
pub mod understanding;
pub mod workspace;

pub use agent::{Agent, AgentState, Capacity, Role, Skill};
pub use canned::CannedResponse;
pub use channel::Channel;
pub use conversation::{Command, Conversation, ConversationStatus, Owner, Priority, Tag, Transition, TransitionError};
pub use customer::{Customer, Tier};
pub use event::{CardRef, DomainEvent, EventKind, StoredEvent};
pub use identity::{Identity, IdentityKind};
pub use ids::{
    AgentId, ApiKeyId, ArticleId, CannedResponseId, ConversationId, CustomerId, DecisionId, EventId, MessageId,
    OfferId, QueueId, TaskId, WorkspaceId,
};
pub use ingest::{ContinuityPolicy, InboundMessage, IngestPlan};
pub use knowledge::{
    Article, ArticleContent, ArticleDraft, ArticleStatus, ArticleVersion, Audience, CardFeedback, CardVerdict, Editor,
    KnowledgeQuestion,
};
pub use message::{Attachment, Author, Body, Message, MessageKind};
pub use queue::{OverflowRule, Queue, QueueRouting};
pub use task::{Task, TaskKind, TaskStatus};
pub use text::ValidationError;
pub use time::Timestamp;
pub use understanding::{FrustrationSignal, Polarity, SentimentTrajectory, Understanding};
pub use workspace::{Slug, Workspace};
