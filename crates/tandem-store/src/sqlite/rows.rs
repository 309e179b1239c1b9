//! Decoding SQLite rows into domain values. Column lists live next to their decoders so
//! a query and its decoder cannot drift apart.

use rusqlite::Row;
use tandem_domain::{
    Agent, AgentId, AgentState, Channel, Conversation, ConversationId, ConversationStatus, Customer, CustomerId,
    EventId, Identity, IdentityKind, Message, MessageId, MessageKind, Priority, Queue, QueueId, Slug, StoredEvent,
    Tier, Workspace, WorkspaceId, agent::Role, time,
};
use uuid::Uuid;

use super::ops::db_error;
use crate::codec::{author_from_columns, corrupt, from_json, owner_from_columns, parse_enum};
use crate::{StoreError, StoreResult};

fn text(row: &Row<'_>, idx: usize) -> StoreResult<String> {
    row.get(idx).map_err(db_error)
}

fn opt_text(row: &Row<'_>, idx: usize) -> StoreResult<Option<String>> {
    row.get(idx).map_err(db_error)
}

fn int(row: &Row<'_>, idx: usize) -> StoreResult<i64> {
    row.get(idx).map_err(db_error)
}

fn opt_int(row: &Row<'_>, idx: usize) -> StoreResult<Option<i64>> {
    row.get(idx).map_err(db_error)
}

pub(super) fn uuid(row: &Row<'_>, idx: usize) -> StoreResult<Uuid> {
    let raw = text(row, idx)?;
    Uuid::parse_str(&raw).map_err(|e| corrupt("id", e))
}

fn opt_uuid(row: &Row<'_>, idx: usize) -> StoreResult<Option<Uuid>> {
    opt_text(row, idx)?.map(|raw| Uuid::parse_str(&raw).map_err(|e| corrupt("id", e))).transpose()
}

fn channel(row: &Row<'_>, idx: usize) -> StoreResult<Channel> {
    parse_enum("channel", &text(row, idx)?, str::parse::<Channel>)
}

pub(super) const WORKSPACE_COLUMNS: &str = "id, slug, name, chat_key, created_at";

pub(super) fn workspace(row: &Row<'_>) -> StoreResult<Workspace> {
    Ok(Workspace {
        id: WorkspaceId::from_uuid(uuid(row, 0)?),
        slug: parse_enum("slug", &text(row, 1)?, Slug::parse)?,
        name: text(row, 2)?,
        chat_key: text(row, 3)?,
        created_at: time::from_micros(int(row, 4)?),
    })
}

pub(super) const AGENT_COLUMNS: &str =
    "id, workspace_id, email, display_name, role, skills, languages, capacity, state, created_at, password_hash";

pub(super) fn agent(row: &Row<'_>) -> StoreResult<Agent> {
    Ok(Agent {
        id: AgentId::from_uuid(uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 1)?),
        email: text(row, 2)?,
        display_name: text(row, 3)?,
        role: parse_enum("role", &text(row, 4)?, Role::parse)?,
        skills: from_json("skills", &text(row, 5)?)?,
        languages: from_json("languages", &text(row, 6)?)?,
        capacity: from_json("capacity", &text(row, 7)?)?,
        state: parse_enum("agent state", &text(row, 8)?, AgentState::parse)?,
        created_at: time::from_micros(int(row, 9)?),
    })
}

pub(super) const QUEUE_COLUMNS: &str = "id, workspace_id, name, created_at, routing";

pub(super) fn queue(row: &Row<'_>) -> StoreResult<Queue> {
    Ok(Queue {
        id: QueueId::from_uuid(uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 1)?),
        name: text(row, 2)?,
        created_at: time::from_micros(int(row, 3)?),
        routing: from_json("queue routing", &text(row, 4)?)?,
    })
}

pub(super) const ROUTING_ENTRY_COLUMNS: &str =
    "workspace_id, conversation_id, queue_id, class_priority, arrived_at, seq";

pub(super) fn routing_entry(row: &Row<'_>) -> StoreResult<crate::RoutingEntry> {
    Ok(crate::RoutingEntry {
        workspace_id: WorkspaceId::from_uuid(uuid(row, 0)?),
        conversation_id: tandem_domain::ConversationId::from_uuid(uuid(row, 1)?),
        queue_id: QueueId::from_uuid(uuid(row, 2)?),
        class_priority: i32::try_from(int(row, 3)?).map_err(|_| corrupt("class priority", "out of range"))?,
        arrived_at: time::from_micros(int(row, 4)?),
        seq: int(row, 5)?,
    })
}

pub(super) const ROUTING_ENTRY_RECORD_COLUMNS: &str =
    "conversation_id, queue_id, arrived_at, entered_at, closed_at, outcome";

pub(super) fn routing_entry_record(row: &Row<'_>) -> StoreResult<crate::RoutingEntryRecord> {
    Ok(crate::RoutingEntryRecord {
        conversation_id: ConversationId::from_uuid(uuid(row, 0)?),
        queue_id: QueueId::from_uuid(uuid(row, 1)?),
        arrived_at: time::from_micros(int(row, 2)?),
        entered_at: time::from_micros(int(row, 3)?),
        closed_at: opt_int(row, 4)?.map(time::from_micros),
        outcome: opt_text(row, 5)?,
    })
}

pub(super) const OFFER_COLUMNS: &str =
    "id, workspace_id, conversation_id, agent_id, queue_id, rule, score, created_at, expires_at, status, decided_at";

pub(super) fn offer(row: &Row<'_>) -> StoreResult<crate::OfferRecord> {
    let status = text(row, 9)?;
    let parsed = crate::OfferStatus::parse(&status).ok_or_else(|| corrupt("offer status", &status))?;
    Ok(crate::OfferRecord {
        id: tandem_domain::OfferId::from_uuid(uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 1)?),
        conversation_id: tandem_domain::ConversationId::from_uuid(uuid(row, 2)?),
        agent_id: tandem_domain::AgentId::from_uuid(uuid(row, 3)?),
        queue_id: QueueId::from_uuid(uuid(row, 4)?),
        rule: text(row, 5)?,
        score: from_json("offer score", &text(row, 6)?)?,
        created_at: time::from_micros(int(row, 7)?),
        expires_at: opt_int(row, 8)?.map(time::from_micros),
        status: parsed,
        decided_at: opt_int(row, 10)?.map(time::from_micros),
    })
}

pub(super) const CUSTOMER_COLUMNS: &str =
    "id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at";

/// A customer without identities (the caller loads them).
pub(super) fn customer(row: &Row<'_>) -> StoreResult<Customer> {
    Ok(Customer {
        id: CustomerId::from_uuid(uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 1)?),
        display_name: opt_text(row, 2)?,
        tier: parse_enum("tier", &text(row, 3)?, Tier::parse)?,
        preferred_language: opt_text(row, 4)?,
        attributes: from_json("attributes", &text(row, 5)?)?,
        identities: Vec::new(),
        merged_into: opt_uuid(row, 6)?.map(CustomerId::from_uuid),
        created_at: time::from_micros(int(row, 7)?),
        updated_at: time::from_micros(int(row, 8)?),
    })
}

pub(super) fn identity(row: &Row<'_>) -> StoreResult<Identity> {
    let kind = parse_enum("identity kind", &text(row, 0)?, str::parse::<IdentityKind>)?;
    Ok(Identity { kind, value: text(row, 1)? })
}

pub(super) const CONVERSATION_COLUMNS: &str = "id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, \
     channel, channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version, sentiment";

pub(super) fn conversation(row: &Row<'_>) -> StoreResult<Conversation> {
    let priority = u8::try_from(int(row, 6)?).map_err(|e| corrupt("priority", e))?;
    Ok(Conversation {
        id: ConversationId::from_uuid(uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 1)?),
        customer_id: CustomerId::from_uuid(uuid(row, 2)?),
        status: parse_enum("status", &text(row, 3)?, ConversationStatus::parse)?,
        owner: owner_from_columns(&text(row, 4)?, opt_uuid(row, 5)?)?,
        priority: Priority::new(priority).map_err(|e| corrupt("priority", e))?,
        tags: from_json("tags", &text(row, 7)?)?,
        channel: channel(row, 8)?,
        channel_history: from_json("channel history", &text(row, 9)?)?,
        subject: opt_text(row, 10)?,
        language: opt_text(row, 11)?,
        created_at: time::from_micros(int(row, 12)?),
        updated_at: time::from_micros(int(row, 13)?),
        last_message_at: time::from_micros(int(row, 14)?),
        resolved_at: opt_int(row, 15)?.map(time::from_micros),
        closed_at: opt_int(row, 16)?.map(time::from_micros),
        version: int(row, 17)?,
        sentiment: from_json("sentiment", &text(row, 18)?)?,
    })
}

pub(super) const MESSAGE_COLUMNS: &str = "id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at, understanding";

pub(super) fn message(row: &Row<'_>) -> StoreResult<Message> {
    let kind = text(row, 3)?;
    Ok(Message {
        id: MessageId::from_uuid(uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 1)?),
        conversation_id: ConversationId::from_uuid(uuid(row, 2)?),
        kind: MessageKind::parse(&kind).ok_or_else(|| corrupt("message kind", &kind))?,
        author: author_from_columns(&text(row, 4)?, opt_uuid(row, 5)?)?,
        body: parse_enum("body", &text(row, 6)?, tandem_domain::Body::parse)?,
        language: opt_text(row, 7)?,
        channel: channel(row, 8)?,
        attachments: from_json("attachments", &text(row, 9)?)?,
        external_id: opt_text(row, 10)?,
        created_at: time::from_micros(int(row, 11)?),
        understanding: opt_text(row, 12)?.map(|t| from_json("understanding", &t)).transpose()?,
    })
}

pub(super) const EVENT_COLUMNS: &str =
    "seq, id, workspace_id, conversation_id, customer_id, owner_kind, owner_id, payload, created_at";

pub(super) fn event(row: &Row<'_>) -> StoreResult<StoredEvent> {
    let owner = match opt_text(row, 5)? {
        Some(kind) => Some(owner_from_columns(&kind, opt_uuid(row, 6)?)?),
        None => None,
    };
    Ok(StoredEvent {
        seq: int(row, 0)?,
        id: EventId::from_uuid(uuid(row, 1)?),
        workspace_id: WorkspaceId::from_uuid(uuid(row, 2)?),
        conversation_id: opt_uuid(row, 3)?.map(ConversationId::from_uuid),
        customer_id: opt_uuid(row, 4)?.map(CustomerId::from_uuid),
        owner,
        event: from_json("event payload", &text(row, 7)?)?,
        at: time::from_micros(int(row, 8)?),
    })
}

/// Maps a missing row to `NotFound(what)`.
pub(super) fn found<T>(value: Option<T>, what: &'static str) -> StoreResult<T> {
    value.ok_or(StoreError::NotFound(what))
}

// Small decoders shared with the knowledge queries.

pub(super) fn string(row: &Row<'_>, idx: usize) -> StoreResult<String> {
    text(row, idx)
}

pub(super) fn opt_string(row: &Row<'_>, idx: usize) -> StoreResult<Option<String>> {
    opt_text(row, idx)
}

pub(super) fn opt_id(row: &Row<'_>, idx: usize) -> StoreResult<Option<Uuid>> {
    opt_uuid(row, idx)
}

pub(super) fn integer(row: &Row<'_>, idx: usize) -> StoreResult<i64> {
    int(row, idx)
}

pub(super) fn real(row: &Row<'_>, idx: usize) -> StoreResult<f64> {
    row.get(idx).map_err(db_error)
}

pub(super) fn u32_of(row: &Row<'_>, idx: usize, what: &str) -> StoreResult<u32> {
    u32::try_from(int(row, idx)?).map_err(|_| corrupt(what, "out of range"))
}

pub(super) fn json<T: serde::de::DeserializeOwned>(row: &Row<'_>, idx: usize, what: &str) -> StoreResult<T> {
    from_json(what, &text(row, idx)?)
}

pub(super) fn verdict(row: &Row<'_>, idx: usize) -> StoreResult<tandem_domain::CardVerdict> {
    let raw = text(row, idx)?;
    tandem_domain::CardVerdict::parse(&raw).ok_or_else(|| corrupt("card verdict", raw))
}
