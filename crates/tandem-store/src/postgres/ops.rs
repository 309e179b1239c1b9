//! The PostgreSQL backend's queries, generic over a pooled client or a transaction.

use std::time::{Duration, Instant};

use deadpool_postgres::{GenericClient, Pool};
use tandem_domain::{
    Agent, AgentId, AgentState, Conversation, ConversationId, Customer, CustomerId, DomainEvent, Identity, Message,
    MessageId, Queue, QueueId, StoredEvent, Timestamp, Workspace, WorkspaceId, time,
};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{Json, ToSql};
use uuid::Uuid;

use super::rows::{self, get};
use crate::codec::{author_columns, owner_columns};
use crate::merge::absorb_profile;
use crate::{
    ApiKeyRecord, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange, OwnerFilter,
    SessionRecord, StoreError, StoreResult, Timeline,
};

type Param<'a> = &'a (dyn ToSql + Sync);

/// The one place PostgreSQL errors become store errors.
pub fn db_error(error: tokio_postgres::Error) -> StoreError {
    if let Some(code) = error.code() {
        if *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            return StoreError::Conflict(error.to_string());
        }
        if *code == SqlState::FOREIGN_KEY_VIOLATION || *code == SqlState::CHECK_VIOLATION {
            return StoreError::Invalid(error.to_string());
        }
        if code.code().starts_with("08") || code.code().starts_with("53") || code.code().starts_with("57") {
            return StoreError::Unavailable(error.to_string());
        }
        return StoreError::Other(error.to_string());
    }
    if error.is_closed() {
        return StoreError::Unavailable(error.to_string());
    }
    StoreError::Unavailable(error.to_string())
}

async fn one<C: GenericClient, T>(
    c: &C,
    sql: &str,
    params: &[Param<'_>],
    decode: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    let row = c.query_opt(&stmt, params).await.map_err(db_error)?;
    row.as_ref().map(decode).transpose()
}

async fn many<C: GenericClient, T>(
    c: &C,
    sql: &str,
    params: &[Param<'_>],
    decode: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    let rows = c.query(&stmt, params).await.map_err(db_error)?;
    rows.iter().map(decode).collect()
}

async fn exec<C: GenericClient>(c: &C, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    c.execute(&stmt, params).await.map_err(db_error)
}

fn found<T>(value: Option<T>, what: &'static str) -> StoreResult<T> {
    value.ok_or(StoreError::NotFound(what))
}

fn micros(at: Timestamp) -> i64 {
    time::to_micros(at)
}

fn taken(error: StoreError, what: &str) -> StoreError {
    match error {
        StoreError::Conflict(_) => StoreError::Conflict(what.to_owned()),
        other => other,
    }
}

// --- workspaces and access ----------------------------------------------------------

pub(super) async fn insert_workspace<C: GenericClient>(c: &C, ws: &Workspace) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO workspaces (id, slug, name, chat_key, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&ws.id.as_uuid(), &ws.slug.as_str(), &ws.name, &ws.chat_key, &micros(ws.created_at)],
    )
    .await
    .map_err(|e| taken(e, &format!("a workspace with slug `{}` already exists", ws.slug)))?;
    Ok(())
}

pub(super) async fn workspace_by_id<C: GenericClient>(c: &C, id: WorkspaceId) -> StoreResult<Workspace> {
    let sql = format!("SELECT {} FROM workspaces WHERE id = $1", rows::WORKSPACE_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid()], rows::workspace).await?, "workspace")
}

pub(super) async fn workspace_where<C: GenericClient>(c: &C, column: &str, value: &str) -> StoreResult<Workspace> {
    let sql = if column == "slug" {
        format!("SELECT {} FROM workspaces WHERE slug = $1", rows::WORKSPACE_COLUMNS)
    } else {
        format!("SELECT {} FROM workspaces WHERE chat_key = $1", rows::WORKSPACE_COLUMNS)
    };
    found(one(c, &sql, &[&value], rows::workspace).await?, "workspace")
}

pub(super) async fn insert_api_key<C: GenericClient>(c: &C, key: &ApiKeyRecord) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO api_keys (id, workspace_id, name, key_hash, prefix, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &key.id.as_uuid(),
            &key.workspace_id.as_uuid(),
            &key.name,
            &key.key_hash,
            &key.prefix,
            &micros(key.created_at),
            &key.revoked_at.map(micros),
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn api_key_by_hash<C: GenericClient>(c: &C, hash: &str) -> StoreResult<ApiKeyRecord> {
    let record = one(
        c,
        "SELECT id, workspace_id, name, key_hash, prefix, created_at, revoked_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        &[&hash],
        |row| {
            Ok(ApiKeyRecord {
                id: tandem_domain::ApiKeyId::from_uuid(get(row, 0)?),
                workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
                name: get(row, 2)?,
                key_hash: get(row, 3)?,
                prefix: get(row, 4)?,
                created_at: time::from_micros(get(row, 5)?),
                revoked_at: get::<Option<i64>>(row, 6)?.map(time::from_micros),
            })
        },
    )
    .await?;
    found(record, "API key")
}

pub(super) async fn insert_session<C: GenericClient>(c: &C, s: &SessionRecord) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO sessions (token_hash, workspace_id, agent_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&s.token_hash, &s.workspace_id.as_uuid(), &s.agent_id.as_uuid(), &s.csrf_token, &micros(s.created_at), &micros(s.expires_at)],
    )
    .await?;
    Ok(())
}

pub(super) async fn session_by_hash<C: GenericClient>(c: &C, hash: &str, now: Timestamp) -> StoreResult<SessionRecord> {
    let record = one(
        c,
        "SELECT s.token_hash, s.workspace_id, s.agent_id, a.role, s.csrf_token, s.created_at, s.expires_at \
         FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        &[&hash, &micros(now)],
        |row| {
            Ok(SessionRecord {
                token_hash: get(row, 0)?,
                workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
                agent_id: AgentId::from_uuid(get(row, 2)?),
                role: crate::codec::parse_enum("role", get::<&str>(row, 3)?, tandem_domain::agent::Role::parse)?,
                csrf_token: get(row, 4)?,
                created_at: time::from_micros(get(row, 5)?),
                expires_at: time::from_micros(get(row, 6)?),
            })
        },
    )
    .await?;
    found(record, "session")
}

pub(super) async fn delete_session<C: GenericClient>(c: &C, hash: &str) -> StoreResult<()> {
    exec(c, "DELETE FROM sessions WHERE token_hash = $1", &[&hash]).await?;
    Ok(())
}

pub(super) async fn insert_chat_visitor<C: GenericClient>(c: &C, v: &ChatVisitorRecord) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO chat_visitors (token_hash, workspace_id, visitor_id, created_at) VALUES ($1, $2, $3, $4)",
        &[&v.token_hash, &v.workspace_id.as_uuid(), &v.visitor_id, &micros(v.created_at)],
    )
    .await?;
    Ok(())
}

pub(super) async fn chat_visitor_by_hash<C: GenericClient>(c: &C, hash: &str) -> StoreResult<ChatVisitorRecord> {
    let record = one(
        c,
        "SELECT token_hash, workspace_id, visitor_id, created_at FROM chat_visitors WHERE token_hash = $1",
        &[&hash],
        |row| {
            Ok(ChatVisitorRecord {
                token_hash: get(row, 0)?,
                workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
                visitor_id: get(row, 2)?,
                created_at: time::from_micros(get(row, 3)?),
            })
        },
    )
    .await?;
    found(record, "chat visitor")
}

// --- agents and queues --------------------------------------------------------------

pub(super) async fn insert_agent<C: GenericClient>(c: &C, a: &Agent, password_hash: &str) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO agents (id, workspace_id, email, display_name, role, skills, languages, capacity, state, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &a.id.as_uuid(),
            &a.workspace_id.as_uuid(),
            &a.email,
            &a.display_name,
            &a.role.as_str(),
            &Json(&a.skills),
            &Json(&a.languages),
            &Json(&a.capacity),
            &a.state.as_str(),
            &password_hash,
            &micros(a.created_at),
        ],
    )
    .await
    .map_err(|e| taken(e, &format!("an agent with email `{}` already exists in this workspace", a.email)))?;
    Ok(())
}

pub(super) async fn agent<C: GenericClient>(c: &C, ws: WorkspaceId, id: AgentId) -> StoreResult<Agent> {
    let sql = format!("SELECT {} FROM agents WHERE id = $1 AND workspace_id = $2", rows::AGENT_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::agent).await?, "agent")
}

pub(super) async fn agent_credentials<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    email: &str,
) -> StoreResult<(Agent, String)> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = $1 AND email = $2", rows::AGENT_COLUMNS);
    let record = one(c, &sql, &[&ws.as_uuid(), &email], |row| Ok((rows::agent(row)?, get(row, 10)?))).await?;
    found(record, "agent")
}

pub(super) async fn list_agents<C: GenericClient>(c: &C, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = $1 ORDER BY display_name, id", rows::AGENT_COLUMNS);
    many(c, &sql, &[&ws.as_uuid()], rows::agent).await
}

pub(super) async fn set_agent_state<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: AgentId,
    state: AgentState,
    now: Timestamp,
) -> StoreResult<(Agent, Vec<StoredEvent>)> {
    let sql = format!("SELECT {} FROM agents WHERE id = $1 AND workspace_id = $2 FOR UPDATE", rows::AGENT_COLUMNS);
    let mut current = found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::agent).await?, "agent")?;
    if current.state == state {
        return Ok((current, Vec::new()));
    }
    exec(c, "UPDATE agents SET state = $1 WHERE id = $2", &[&state.as_str(), &id.as_uuid()]).await?;
    let event = DomainEvent::AgentStateChanged { agent_id: id, from: current.state, to: state };
    current.state = state;
    let events = insert_events(c, vec![StoredEvent::for_workspace(ws, event, now)]).await?;
    Ok((current, events))
}

pub(super) async fn insert_queue<C: GenericClient>(c: &C, q: &Queue) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO queues (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)",
        &[&q.id.as_uuid(), &q.workspace_id.as_uuid(), &q.name, &micros(q.created_at)],
    )
    .await
    .map_err(|e| taken(e, &format!("a queue named `{}` already exists in this workspace", q.name)))?;
    Ok(())
}

pub(super) async fn queue<C: GenericClient>(c: &C, ws: WorkspaceId, id: QueueId) -> StoreResult<Queue> {
    let sql = format!("SELECT {} FROM queues WHERE id = $1 AND workspace_id = $2", rows::QUEUE_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::queue).await?, "queue")
}

pub(super) async fn list_queues<C: GenericClient>(c: &C, ws: WorkspaceId) -> StoreResult<Vec<Queue>> {
    let sql = format!("SELECT {} FROM queues WHERE workspace_id = $1 ORDER BY name", rows::QUEUE_COLUMNS);
    many(c, &sql, &[&ws.as_uuid()], rows::queue).await
}

// --- customers ----------------------------------------------------------------------

async fn customer_locking<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: CustomerId,
    lock: bool,
) -> StoreResult<Customer> {
    let sql = format!(
        "SELECT {} FROM customers WHERE id = $1 AND workspace_id = $2{}",
        rows::CUSTOMER_COLUMNS,
        if lock { " FOR UPDATE" } else { "" }
    );
    let mut customer = found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::customer).await?, "customer")?;
    customer.identities = many(
        c,
        "SELECT kind, value FROM customer_identities WHERE customer_id = $1 ORDER BY created_at, kind, value",
        &[&id.as_uuid()],
        rows::identity,
    )
    .await?;
    Ok(customer)
}

pub(super) async fn customer<C: GenericClient>(c: &C, ws: WorkspaceId, id: CustomerId) -> StoreResult<Customer> {
    customer_locking(c, ws, id, false).await
}

pub(super) async fn identity_owner<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    identity: &Identity,
) -> StoreResult<Option<CustomerId>> {
    one(
        c,
        "SELECT customer_id FROM customer_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3",
        &[&ws.as_uuid(), &identity.kind.as_str(), &identity.value],
        |row| get::<Uuid>(row, 0).map(CustomerId::from_uuid),
    )
    .await
}

async fn insert_customer<C: GenericClient>(c: &C, cu: &Customer) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO customers (id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &cu.id.as_uuid(),
            &cu.workspace_id.as_uuid(),
            &cu.display_name,
            &cu.tier.as_str(),
            &cu.preferred_language,
            &Json(&cu.attributes),
            &cu.merged_into.map(|m| m.as_uuid()),
            &micros(cu.created_at),
            &micros(cu.updated_at),
        ],
    )
    .await?;
    Ok(())
}

async fn write_customer_fields<C: GenericClient>(
    c: &C,
    cu: &Customer,
    expected_updated_at: Timestamp,
) -> StoreResult<()> {
    let changed = exec(
        c,
        "UPDATE customers SET display_name = $1, tier = $2, preferred_language = $3, attributes = $4, updated_at = $5 \
         WHERE id = $6 AND workspace_id = $7 AND updated_at = $8 AND merged_into IS NULL",
        &[
            &cu.display_name,
            &cu.tier.as_str(),
            &cu.preferred_language,
            &Json(&cu.attributes),
            &micros(cu.updated_at),
            &cu.id.as_uuid(),
            &cu.workspace_id.as_uuid(),
            &micros(expected_updated_at),
        ],
    )
    .await?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the customer changed meanwhile; reload and retry".into()))
    }
}

async fn insert_identities<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    customer: CustomerId,
    identities: &[Identity],
    now: Timestamp,
) -> StoreResult<()> {
    if identities.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = identities.iter().map(|i| i.kind.as_str()).collect();
    let values: Vec<&str> = identities.iter().map(|i| i.value.as_str()).collect();
    exec(
        c,
        "INSERT INTO customer_identities (workspace_id, kind, value, customer_id, created_at) \
         SELECT $1, k, v, $4, $5 FROM unnest($2::text[], $3::text[]) AS t(k, v)",
        &[&ws.as_uuid(), &kinds, &values, &customer.as_uuid(), &micros(now)],
    )
    .await?;
    Ok(())
}

pub(super) async fn update_customer<C: GenericClient>(c: &C, change: CustomerChange) -> StoreResult<Vec<StoredEvent>> {
    write_customer_fields(c, &change.customer, change.expected_updated_at).await?;
    insert_events(c, change.events).await
}

pub(super) async fn link_identity<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    customer_id: CustomerId,
    identity: &Identity,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    let customer = customer_locking(c, ws, customer_id, true).await?;
    if customer.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "this customer was merged into another one; link the identity to that one".into(),
        ));
    }
    match identity_owner(c, ws, identity).await? {
        Some(owner) if owner == customer_id => return Ok(Vec::new()),
        Some(_) => {
            return Err(StoreError::Conflict(format!(
                "{identity} belongs to another customer; merge the customers instead"
            )));
        }
        None => {}
    }
    insert_identities(c, ws, customer_id, std::slice::from_ref(identity), now)
        .await
        .map_err(|e| taken(e, &format!("{identity} belongs to another customer; merge the customers instead")))?;
    let event = DomainEvent::IdentityLinked { customer_id, identity: identity.clone() };
    insert_events(c, vec![StoredEvent::for_customer(ws, customer_id, event, now)]).await
}

pub(super) async fn merge_customers<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    target_id: CustomerId,
    source_id: CustomerId,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    if target_id == source_id {
        return Err(StoreError::Invalid("a customer cannot be merged into itself".into()));
    }
    // Lock in id order so two merges of the same pair cannot deadlock.
    let (first, second) = if target_id < source_id { (target_id, source_id) } else { (source_id, target_id) };
    let a = customer_locking(c, ws, first, true).await?;
    let b = customer_locking(c, ws, second, true).await?;
    let (mut target, source) = if a.id == target_id { (a, b) } else { (b, a) };
    if target.merged_into.is_some() || source.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "one of the customers was already merged; use the customer it was merged into".into(),
        ));
    }
    let (t, s, w) = (target_id.as_uuid(), source_id.as_uuid(), ws.as_uuid());
    let conversations_moved = exec(
        c,
        "UPDATE conversations SET customer_id = $1, version = version + 1, updated_at = $2 WHERE customer_id = $3 AND workspace_id = $4",
        &[&t, &micros(now), &s, &w],
    )
    .await?;
    exec(
        c,
        "UPDATE messages SET author_id = $1 WHERE author_kind = 'customer' AND author_id = $2 AND workspace_id = $3",
        &[&t, &s, &w],
    )
    .await?;
    let identities_moved = exec(
        c,
        "UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2 AND workspace_id = $3",
        &[&t, &s, &w],
    )
    .await?;
    let expected = target.updated_at;
    absorb_profile(&mut target, &source, now);
    write_customer_fields(c, &target, expected).await?;
    exec(c, "UPDATE customers SET merged_into = $1, updated_at = $2 WHERE id = $3", &[&t, &micros(now), &s]).await?;
    let merged =
        DomainEvent::CustomersMerged { target: target_id, source: source_id, conversations_moved, identities_moved };
    insert_events(c, vec![StoredEvent::for_customer(ws, target_id, merged, now)]).await
}

pub(super) async fn timeline<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    customer_id: CustomerId,
) -> StoreResult<Timeline> {
    customer(c, ws, customer_id).await?;
    let sql = format!(
        "SELECT {} FROM conversations WHERE customer_id = $1 AND workspace_id = $2 ORDER BY created_at, id",
        rows::CONVERSATION_COLUMNS
    );
    let conversations = many(c, &sql, &[&customer_id.as_uuid(), &ws.as_uuid()], rows::conversation).await?;
    let sql = format!(
        "SELECT {} FROM messages WHERE workspace_id = $2 AND conversation_id IN \
         (SELECT id FROM conversations WHERE customer_id = $1 AND workspace_id = $2) ORDER BY created_at, id",
        rows::MESSAGE_COLUMNS
    );
    let messages = many(c, &sql, &[&customer_id.as_uuid(), &ws.as_uuid()], rows::message).await?;
    Ok(Timeline { conversations, messages })
}

// --- conversations and messages -----------------------------------------------------

pub(super) async fn conversation<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: ConversationId,
) -> StoreResult<Conversation> {
    let sql = format!("SELECT {} FROM conversations WHERE id = $1 AND workspace_id = $2", rows::CONVERSATION_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::conversation).await?, "conversation")
}

pub(super) async fn list_conversations<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    filter: &ConversationFilter,
) -> StoreResult<Vec<Conversation>> {
    let mut sql = format!("SELECT {} FROM conversations WHERE workspace_id = $1", rows::CONVERSATION_COLUMNS);
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(ws.as_uuid())];
    let mut push = |sql: &mut String, fragment: &str, value: Box<dyn ToSql + Sync + Send>| {
        args.push(value);
        sql.push_str(&fragment.replace('?', &format!("${}", args.len())));
    };
    if !filter.statuses.is_empty() {
        let statuses: Vec<String> = filter.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        push(&mut sql, " AND status = ANY(?)", Box::new(statuses));
    }
    match filter.owner {
        Some(OwnerFilter::Bot) => sql.push_str(" AND owner_kind = 'bot'"),
        Some(OwnerFilter::AnyQueue) => sql.push_str(" AND owner_kind = 'queue'"),
        Some(OwnerFilter::AnyAgent) => sql.push_str(" AND owner_kind = 'agent'"),
        Some(OwnerFilter::Queue(q)) => {
            push(&mut sql, " AND owner_kind = 'queue' AND owner_id = ?", Box::new(q.as_uuid()))
        }
        Some(OwnerFilter::Agent(a)) => {
            push(&mut sql, " AND owner_kind = 'agent' AND owner_id = ?", Box::new(a.as_uuid()))
        }
        None => {}
    }
    if let Some(channel) = filter.channel {
        push(&mut sql, " AND channel = ?", Box::new(channel.as_str().to_owned()));
    }
    if let Some(customer) = filter.customer {
        push(&mut sql, " AND customer_id = ?", Box::new(customer.as_uuid()));
    }
    if let Some(before) = filter.before {
        push(&mut sql, " AND id < ?", Box::new(before.as_uuid()));
    }
    push(&mut sql, " ORDER BY id DESC LIMIT ?", Box::new(i64::from(filter.limit)));
    let params: Vec<Param<'_>> = args.iter().map(|a| a.as_ref() as Param<'_>).collect();
    let rows = c.query(sql.as_str(), &params).await.map_err(db_error)?;
    rows.iter().map(rows::conversation).collect()
}

pub(super) async fn messages<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation_id: ConversationId,
) -> StoreResult<Vec<Message>> {
    conversation(c, ws, conversation_id).await?;
    let sql = format!(
        "SELECT {} FROM messages WHERE conversation_id = $1 AND workspace_id = $2 ORDER BY created_at, id",
        rows::MESSAGE_COLUMNS
    );
    many(c, &sql, &[&conversation_id.as_uuid(), &ws.as_uuid()], rows::message).await
}

pub(super) async fn message<C: GenericClient>(c: &C, ws: WorkspaceId, id: MessageId) -> StoreResult<Message> {
    let sql = format!("SELECT {} FROM messages WHERE id = $1 AND workspace_id = $2", rows::MESSAGE_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::message).await?, "message")
}

async fn insert_conversation<C: GenericClient>(c: &C, cv: &Conversation) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(cv.owner);
    exec(
        c,
        "INSERT INTO conversations (id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, channel, \
         channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        &[
            &cv.id.as_uuid(),
            &cv.workspace_id.as_uuid(),
            &cv.customer_id.as_uuid(),
            &cv.status.as_str(),
            &owner_kind,
            &owner_id,
            &i16::from(cv.priority.get()),
            &Json(&cv.tags),
            &cv.channel.as_str(),
            &Json(&cv.channel_history),
            &cv.subject,
            &cv.language,
            &micros(cv.created_at),
            &micros(cv.updated_at),
            &micros(cv.last_message_at),
            &cv.resolved_at.map(micros),
            &cv.closed_at.map(micros),
            &cv.version,
        ],
    )
    .await?;
    Ok(())
}

async fn update_conversation<C: GenericClient>(c: &C, cv: &Conversation, expected_version: i64) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(cv.owner);
    let changed = exec(
        c,
        "UPDATE conversations SET status = $1, owner_kind = $2, owner_id = $3, priority = $4, tags = $5, channel = $6, \
         channel_history = $7, subject = $8, language = $9, updated_at = $10, last_message_at = $11, resolved_at = $12, \
         closed_at = $13, version = $14 WHERE id = $15 AND workspace_id = $16 AND version = $17",
        &[
            &cv.status.as_str(),
            &owner_kind,
            &owner_id,
            &i16::from(cv.priority.get()),
            &Json(&cv.tags),
            &cv.channel.as_str(),
            &Json(&cv.channel_history),
            &cv.subject,
            &cv.language,
            &micros(cv.updated_at),
            &micros(cv.last_message_at),
            &cv.resolved_at.map(micros),
            &cv.closed_at.map(micros),
            &cv.version,
            &cv.id.as_uuid(),
            &cv.workspace_id.as_uuid(),
            &expected_version,
        ],
    )
    .await?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the conversation changed meanwhile; reload and retry".into()))
    }
}

async fn insert_messages<C: GenericClient>(c: &C, messages: &[Message]) -> StoreResult<()> {
    for m in messages {
        let (author_kind, author_id) = author_columns(m.author);
        exec(
            c,
            "INSERT INTO messages (id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &m.id.as_uuid(),
                &m.workspace_id.as_uuid(),
                &m.conversation_id.as_uuid(),
                &m.kind.as_str(),
                &author_kind,
                &author_id,
                &m.body.as_str(),
                &m.language,
                &m.channel.as_str(),
                &Json(&m.attachments),
                &m.external_id,
                &micros(m.created_at),
            ],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn save_conversation<C: GenericClient>(
    c: &C,
    change: ConversationChange,
) -> StoreResult<Vec<StoredEvent>> {
    update_conversation(c, &change.conversation, change.expected_version).await?;
    insert_messages(c, &change.messages).await?;
    insert_events(c, change.events).await
}

// --- event log ----------------------------------------------------------------------

/// Appends events in one statement and returns them with their assigned `seq`.
pub(super) async fn insert_events<C: GenericClient>(
    c: &C,
    mut events: Vec<StoredEvent>,
) -> StoreResult<Vec<StoredEvent>> {
    if events.is_empty() {
        return Ok(events);
    }
    let mut ids = Vec::with_capacity(events.len());
    let mut workspaces = Vec::with_capacity(events.len());
    let mut kinds = Vec::with_capacity(events.len());
    let mut conversations = Vec::with_capacity(events.len());
    let mut customers = Vec::with_capacity(events.len());
    let mut owner_kinds = Vec::with_capacity(events.len());
    let mut owner_ids = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    let mut ats = Vec::with_capacity(events.len());
    for e in &events {
        let (owner_kind, owner_id) = match e.owner.map(owner_columns) {
            Some((kind, id)) => (Some(kind), id),
            None => (None, None),
        };
        ids.push(e.id.as_uuid());
        workspaces.push(e.workspace_id.as_uuid());
        kinds.push(e.event.kind());
        conversations.push(e.conversation_id.map(|x| x.as_uuid()));
        customers.push(e.customer_id.map(|x| x.as_uuid()));
        owner_kinds.push(owner_kind);
        owner_ids.push(owner_id);
        payloads.push(Json(&e.event));
        ats.push(micros(e.at));
    }
    let rows = c
        .query(
            &c.prepare_cached(
                "INSERT INTO events (id, workspace_id, kind, conversation_id, customer_id, owner_kind, owner_id, payload, created_at) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::uuid[], $8::jsonb[], $9::bigint[]) \
                 RETURNING id, seq",
            )
            .await
            .map_err(db_error)?,
            &[&ids, &workspaces, &kinds, &conversations, &customers, &owner_kinds, &owner_ids, &payloads, &ats],
        )
        .await
        .map_err(db_error)?;
    for row in &rows {
        let id: Uuid = get(row, 0)?;
        let seq: i64 = get(row, 1)?;
        if let Some(event) = events.iter_mut().find(|e| e.id.as_uuid() == id) {
            event.seq = seq;
        }
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

pub(super) async fn events_since<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT {} FROM events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        rows::EVENT_COLUMNS
    );
    many(c, &sql, &[&ws.as_uuid(), &after, &i64::from(limit)], rows::event).await
}

// --- benchmark baseline -------------------------------------------------------------

pub(super) async fn raw_insert_baseline(pool: &Pool, rows: usize, clients: usize) -> StoreResult<Duration> {
    let client = pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: tandem_domain::Slug::parse(&format!("baseline-{}", &Uuid::now_v7().simple().to_string()[20..]))
            .map_err(StoreError::other)?,
        name: "baseline".into(),
        chat_key: Uuid::now_v7().to_string(),
        created_at: time::now(),
    };
    insert_workspace(&client, &ws).await?;
    let customer = Customer::new(ws.id, Vec::new(), None, time::now());
    insert_customer(&client, &customer).await?;
    let conversation =
        Conversation::new(ws.id, customer.id, tandem_domain::Channel::Api, tandem_domain::Owner::Bot, time::now());
    insert_conversation(&client, &conversation).await?;
    drop(client);
    let body = tandem_domain::Body::parse("Hello, I would like to know where my order #A1234 is. Thanks!")
        .map_err(StoreError::other)?;
    let started = Instant::now();
    let per_client = rows.div_ceil(clients);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let pool = pool.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let client = pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
            for _ in 0..per_client {
                let message = Message {
                    id: MessageId::new(),
                    workspace_id: ws.id,
                    conversation_id: conversation.id,
                    kind: tandem_domain::MessageKind::Inbound,
                    author: tandem_domain::Author::Customer(customer.id),
                    body: body.clone(),
                    language: None,
                    channel: tandem_domain::Channel::Api,
                    attachments: Vec::new(),
                    external_id: None,
                    created_at: time::now(),
                };
                insert_messages(&client, std::slice::from_ref(&message)).await?;
            }
            Ok::<(), StoreError>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| StoreError::Other(e.to_string()))??;
    }
    Ok(started.elapsed())
}
