//! Decoding PostgreSQL rows into domain values. Column lists live next to their
//! decoders so a query and its decoder cannot drift apart.

use serde::de::DeserializeOwned;
use tandem_domain::{
    Agent, AgentId, AgentState, Channel, Conversation, ConversationId, ConversationStatus, Customer, CustomerId,
    EventId, Identity, IdentityKind, Message, MessageId, MessageKind, OfferId, Priority, Queue, QueueId, Slug,
    StoredEvent, Tier, Workspace, WorkspaceId, agent::Role, time,
};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Json};
use uuid::Uuid;

use super::ops::db_error;
use crate::codec::{author_from_columns, corrupt, owner_from_columns, parse_enum};
use crate::{OfferRecord, OfferStatus, RoutingEntry, RoutingEntryRecord, StoreResult};

pub(super) fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).map_err(db_error)
}

pub(super) fn json<T: DeserializeOwned>(row: &Row, idx: usize) -> StoreResult<T> {
    let Json(value) = row.try_get::<_, Json<T>>(idx).map_err(|e| corrupt("JSON column", e))?;
    Ok(value)
}

pub(super) fn at(row: &Row, idx: usize) -> StoreResult<tandem_domain::Timestamp> {
    get::<i64>(row, idx).map(time::from_micros)
}

pub(super) fn opt_at(row: &Row, idx: usize) -> StoreResult<Option<tandem_domain::Timestamp>> {
    Ok(get::<Option<i64>>(row, idx)?.map(time::from_micros))
}

fn channel(row: &Row, idx: usize) -> StoreResult<Channel> {
    parse_enum("channel", get::<&str>(row, idx)?, str::parse::<Channel>)
}

pub(super) const WORKSPACE_COLUMNS: &str = "id, slug, name, chat_key, created_at";

pub(super) fn workspace(row: &Row) -> StoreResult<Workspace> {
    Ok(Workspace {
        id: WorkspaceId::from_uuid(get(row, 0)?),
        slug: parse_enum("slug", get::<&str>(row, 1)?, Slug::parse)?,
        name: get(row, 2)?,
        chat_key: get(row, 3)?,
        created_at: at(row, 4)?,
    })
}

pub(super) const AGENT_COLUMNS: &str =
    "id, workspace_id, email, display_name, role, skills, languages, capacity, state, created_at, password_hash";

pub(super) fn agent(row: &Row) -> StoreResult<Agent> {
    Ok(Agent {
        id: AgentId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        email: get(row, 2)?,
        display_name: get(row, 3)?,
        role: parse_enum("role", get::<&str>(row, 4)?, Role::parse)?,
        skills: json(row, 5)?,
        languages: json(row, 6)?,
        capacity: json(row, 7)?,
        state: parse_enum("agent state", get::<&str>(row, 8)?, AgentState::parse)?,
        created_at: at(row, 9)?,
    })
}

pub(super) const QUEUE_COLUMNS: &str = "id, workspace_id, name, created_at, routing";

pub(super) fn queue(row: &Row) -> StoreResult<Queue> {
    Ok(Queue {
        id: QueueId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        name: get(row, 2)?,
        created_at: at(row, 3)?,
        routing: json(row, 4)?,
    })
}

pub(super) const ROUTING_ENTRY_COLUMNS: &str =
    "workspace_id, conversation_id, queue_id, class_priority, arrived_at, seq";

pub(super) fn routing_entry(row: &Row) -> StoreResult<RoutingEntry> {
    Ok(RoutingEntry {
        workspace_id: WorkspaceId::from_uuid(get(row, 0)?),
        conversation_id: ConversationId::from_uuid(get(row, 1)?),
        queue_id: QueueId::from_uuid(get(row, 2)?),
        class_priority: get(row, 3)?,
        arrived_at: at(row, 4)?,
        seq: get(row, 5)?,
    })
}

pub(super) const ROUTING_ENTRY_RECORD_COLUMNS: &str =
    "conversation_id, queue_id, arrived_at, entered_at, closed_at, outcome";

pub(super) fn routing_entry_record(row: &Row) -> StoreResult<RoutingEntryRecord> {
    Ok(RoutingEntryRecord {
        conversation_id: ConversationId::from_uuid(get(row, 0)?),
        queue_id: QueueId::from_uuid(get(row, 1)?),
        arrived_at: at(row, 2)?,
        entered_at: at(row, 3)?,
        closed_at: opt_at(row, 4)?,
        outcome: get(row, 5)?,
    })
}

pub(super) const OFFER_COLUMNS: &str =
    "id, workspace_id, conversation_id, agent_id, queue_id, rule, score, created_at, expires_at, status, decided_at";

pub(super) fn offer(row: &Row) -> StoreResult<OfferRecord> {
    let status: &str = get(row, 9)?;
    Ok(OfferRecord {
        id: OfferId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        conversation_id: ConversationId::from_uuid(get(row, 2)?),
        agent_id: AgentId::from_uuid(get(row, 3)?),
        queue_id: QueueId::from_uuid(get(row, 4)?),
        rule: get(row, 5)?,
        score: json(row, 6)?,
        created_at: at(row, 7)?,
        expires_at: opt_at(row, 8)?,
        status: OfferStatus::parse(status).ok_or_else(|| corrupt("offer status", status))?,
        decided_at: opt_at(row, 10)?,
    })
}

pub(super) const CUSTOMER_COLUMNS: &str =
    "id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at";

/// A customer without identities (the caller loads them).
pub(super) fn customer(row: &Row) -> StoreResult<Customer> {
    Ok(Customer {
        id: CustomerId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        display_name: get(row, 2)?,
        tier: parse_enum("tier", get::<&str>(row, 3)?, Tier::parse)?,
        preferred_language: get(row, 4)?,
        attributes: json(row, 5)?,
        identities: Vec::new(),
        merged_into: get::<Option<Uuid>>(row, 6)?.map(CustomerId::from_uuid),
        created_at: at(row, 7)?,
        updated_at: at(row, 8)?,
    })
}

pub(super) fn identity(row: &Row) -> StoreResult<Identity> {
    let kind = parse_enum("identity kind", get::<&str>(row, 0)?, str::parse::<IdentityKind>)?;
    Ok(Identity { kind, value: get(row, 1)? })
}

pub(super) const CONVERSATION_COLUMNS: &str = "id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, \
     channel, channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version, sentiment";

pub(super) fn conversation(row: &Row) -> StoreResult<Conversation> {
    let priority = u8::try_from(get::<i16>(row, 6)?).map_err(|e| corrupt("priority", e))?;
    Ok(Conversation {
        id: ConversationId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        customer_id: CustomerId::from_uuid(get(row, 2)?),
        status: parse_enum("status", get::<&str>(row, 3)?, ConversationStatus::parse)?,
        owner: owner_from_columns(get::<&str>(row, 4)?, get(row, 5)?)?,
        priority: Priority::new(priority).map_err(|e| corrupt("priority", e))?,
        tags: json(row, 7)?,
        channel: channel(row, 8)?,
        channel_history: json(row, 9)?,
        subject: get(row, 10)?,
        language: get(row, 11)?,
        created_at: at(row, 12)?,
        updated_at: at(row, 13)?,
        last_message_at: at(row, 14)?,
        resolved_at: opt_at(row, 15)?,
        closed_at: opt_at(row, 16)?,
        version: get(row, 17)?,
        sentiment: json(row, 18)?,
    })
}

pub(super) const MESSAGE_COLUMNS: &str = "id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at, understanding";

pub(super) fn message(row: &Row) -> StoreResult<Message> {
    let kind: &str = get(row, 3)?;
    Ok(Message {
        id: MessageId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        conversation_id: ConversationId::from_uuid(get(row, 2)?),
        kind: MessageKind::parse(kind).ok_or_else(|| corrupt("message kind", kind))?,
        author: author_from_columns(get::<&str>(row, 4)?, get(row, 5)?)?,
        body: parse_enum("body", get::<&str>(row, 6)?, tandem_domain::Body::parse)?,
        language: get(row, 7)?,
        channel: channel(row, 8)?,
        attachments: json(row, 9)?,
        external_id: get(row, 10)?,
        created_at: at(row, 11)?,
        understanding: get::<Option<Json<tandem_domain::Understanding>>>(row, 12)
            .map_err(|e| corrupt("understanding", e))?
            .map(|Json(u)| u),
    })
}

pub(super) const EVENT_COLUMNS: &str =
    "seq, id, workspace_id, conversation_id, customer_id, owner_kind, owner_id, payload, created_at";

pub(super) fn event(row: &Row) -> StoreResult<StoredEvent> {
    let owner = match get::<Option<&str>>(row, 5)? {
        Some(kind) => Some(owner_from_columns(kind, get(row, 6)?)?),
        None => None,
    };
    Ok(StoredEvent {
        seq: get(row, 0)?,
        id: EventId::from_uuid(get(row, 1)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 2)?),
        conversation_id: get::<Option<Uuid>>(row, 3)?.map(ConversationId::from_uuid),
        customer_id: get::<Option<Uuid>>(row, 4)?.map(CustomerId::from_uuid),
        owner,
        event: json(row, 7)?,
        at: at(row, 8)?,
    })
}
