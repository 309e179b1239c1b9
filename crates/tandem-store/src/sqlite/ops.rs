//! The SQLite backend's queries, as synchronous functions over a connection. Write
//! functions run on the writer thread inside the group transaction; read functions on a
//! read-only connection.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Params, Row, ToSql, params, params_from_iter};
use tandem_domain::{
    Agent, AgentId, AgentState, Conversation, ConversationId, Customer, CustomerId, DomainEvent, Identity,
    InboundMessage, Message, MessageId, Queue, QueueId, StoredEvent, Timestamp, Workspace, WorkspaceId,
    ingest::{ContinuityPolicy, plan_ingest},
    time,
};

use super::rows::{self, found};
use crate::codec::{author_columns, owner_columns, to_json};
use crate::merge::absorb_profile;
use crate::{
    ApiKeyRecord, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange, IngestOutcome,
    OwnerFilter, SessionRecord, StoreError, StoreResult, Timeline,
};

/// The one place SQLite errors become store errors.
pub(crate) fn db_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &error {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            ErrorCode::ConstraintViolation => StoreError::Conflict(error.to_string()),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Unavailable(error.to_string()),
            ErrorCode::CannotOpen | ErrorCode::DiskFull | ErrorCode::ReadOnly | ErrorCode::SystemIoFailure => {
                StoreError::Unavailable(error.to_string())
            }
            _ => StoreError::Other(error.to_string()),
        },
        _ => StoreError::Other(error.to_string()),
    }
}

fn one<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query(params).map_err(db_error)?;
    match rows.next().map_err(db_error)? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

fn many<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query(params).map_err(db_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        out.push(decode(row)?);
    }
    Ok(out)
}

fn exec<P: Params>(conn: &Connection, sql: &str, params: P) -> StoreResult<usize> {
    conn.prepare_cached(sql).map_err(db_error)?.execute(params).map_err(db_error)
}

fn id<T: ToString>(value: T) -> String {
    value.to_string()
}

fn micros(at: Timestamp) -> i64 {
    time::to_micros(at)
}

/// Turns a uniqueness conflict into a message naming what is taken.
fn taken(error: StoreError, what: &str) -> StoreError {
    match error {
        StoreError::Conflict(_) => StoreError::Conflict(what.to_owned()),
        other => other,
    }
}

// --- workspaces and access ----------------------------------------------------------

pub(super) fn insert_workspace(conn: &Connection, ws: &Workspace) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO workspaces (id, slug, name, chat_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id(ws.id), ws.slug.as_str(), ws.name, ws.chat_key, micros(ws.created_at)],
    )
    .map_err(|e| taken(e, &format!("a workspace with slug `{}` already exists", ws.slug)))?;
    Ok(())
}

pub(super) fn workspace_where(conn: &Connection, column: &str, value: &str) -> StoreResult<Workspace> {
    let sql = match column {
        "id" => format!("SELECT {} FROM workspaces WHERE id = ?1", rows::WORKSPACE_COLUMNS),
        "slug" => format!("SELECT {} FROM workspaces WHERE slug = ?1", rows::WORKSPACE_COLUMNS),
        _ => format!("SELECT {} FROM workspaces WHERE chat_key = ?1", rows::WORKSPACE_COLUMNS),
    };
    found(one(conn, &sql, [value], rows::workspace)?, "workspace")
}

pub(super) fn insert_api_key(conn: &Connection, key: &ApiKeyRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO api_keys (id, workspace_id, name, key_hash, prefix, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id(key.id),
            id(key.workspace_id),
            key.name,
            key.key_hash,
            key.prefix,
            micros(key.created_at),
            key.revoked_at.map(micros)
        ],
    )?;
    Ok(())
}

pub(super) fn api_key_by_hash(conn: &Connection, hash: &str) -> StoreResult<ApiKeyRecord> {
    let record = one(
        conn,
        "SELECT id, workspace_id, name, key_hash, prefix, created_at, revoked_at FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
        [hash],
        |row| {
            Ok(ApiKeyRecord {
                id: tandem_domain::ApiKeyId::from_uuid(rows::uuid(row, 0)?),
                workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
                name: row.get(2).map_err(db_error)?,
                key_hash: row.get(3).map_err(db_error)?,
                prefix: row.get(4).map_err(db_error)?,
                created_at: time::from_micros(row.get(5).map_err(db_error)?),
                revoked_at: row.get::<_, Option<i64>>(6).map_err(db_error)?.map(time::from_micros),
            })
        },
    )?;
    found(record, "API key")
}

pub(super) fn insert_session(conn: &Connection, s: &SessionRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO sessions (token_hash, workspace_id, agent_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            s.token_hash,
            id(s.workspace_id),
            id(s.agent_id),
            s.csrf_token,
            micros(s.created_at),
            micros(s.expires_at)
        ],
    )?;
    Ok(())
}

pub(super) fn session_by_hash(conn: &Connection, hash: &str, now: Timestamp) -> StoreResult<SessionRecord> {
    let record = one(
        conn,
        "SELECT s.token_hash, s.workspace_id, s.agent_id, a.role, s.csrf_token, s.created_at, s.expires_at \
         FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        params![hash, micros(now)],
        |row| {
            let role: String = row.get(3).map_err(db_error)?;
            Ok(SessionRecord {
                token_hash: row.get(0).map_err(db_error)?,
                workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
                agent_id: AgentId::from_uuid(rows::uuid(row, 2)?),
                role: crate::codec::parse_enum("role", &role, tandem_domain::agent::Role::parse)?,
                csrf_token: row.get(4).map_err(db_error)?,
                created_at: time::from_micros(row.get(5).map_err(db_error)?),
                expires_at: time::from_micros(row.get(6).map_err(db_error)?),
            })
        },
    )?;
    found(record, "session")
}

pub(super) fn delete_session(conn: &Connection, hash: &str) -> StoreResult<()> {
    exec(conn, "DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
    Ok(())
}

pub(super) fn insert_chat_visitor(conn: &Connection, v: &ChatVisitorRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO chat_visitors (token_hash, workspace_id, visitor_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![v.token_hash, id(v.workspace_id), v.visitor_id, micros(v.created_at)],
    )?;
    Ok(())
}

pub(super) fn chat_visitor_by_hash(conn: &Connection, hash: &str) -> StoreResult<ChatVisitorRecord> {
    let record = one(
        conn,
        "SELECT token_hash, workspace_id, visitor_id, created_at FROM chat_visitors WHERE token_hash = ?1",
        [hash],
        |row| {
            Ok(ChatVisitorRecord {
                token_hash: row.get(0).map_err(db_error)?,
                workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
                visitor_id: row.get(2).map_err(db_error)?,
                created_at: time::from_micros(row.get(3).map_err(db_error)?),
            })
        },
    )?;
    found(record, "chat visitor")
}

// --- agents and queues --------------------------------------------------------------

pub(super) fn insert_agent(conn: &Connection, a: &Agent, password_hash: &str) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO agents (id, workspace_id, email, display_name, role, skills, languages, capacity, state, password_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id(a.id),
            id(a.workspace_id),
            a.email,
            a.display_name,
            a.role.as_str(),
            to_json(&a.skills)?,
            to_json(&a.languages)?,
            to_json(&a.capacity)?,
            a.state.as_str(),
            password_hash,
            micros(a.created_at)
        ],
    )
    .map_err(|e| taken(e, &format!("an agent with email `{}` already exists in this workspace", a.email)))?;
    Ok(())
}

pub(super) fn agent(conn: &Connection, ws: WorkspaceId, agent: AgentId) -> StoreResult<Agent> {
    let sql = format!("SELECT {} FROM agents WHERE id = ?1 AND workspace_id = ?2", rows::AGENT_COLUMNS);
    found(one(conn, &sql, [id(agent), id(ws)], rows::agent)?, "agent")
}

pub(super) fn agent_credentials(conn: &Connection, ws: WorkspaceId, email: &str) -> StoreResult<(Agent, String)> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = ?1 AND email = ?2", rows::AGENT_COLUMNS);
    let record =
        one(conn, &sql, [id(ws), email.to_owned()], |row| Ok((rows::agent(row)?, row.get(10).map_err(db_error)?)))?;
    found(record, "agent")
}

pub(super) fn list_agents(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = ?1 ORDER BY display_name, id", rows::AGENT_COLUMNS);
    many(conn, &sql, [id(ws)], rows::agent)
}

pub(super) fn set_agent_state(
    conn: &Connection,
    ws: WorkspaceId,
    agent_id: AgentId,
    state: AgentState,
    now: Timestamp,
) -> StoreResult<(Agent, Vec<StoredEvent>)> {
    let mut current = agent(conn, ws, agent_id)?;
    if current.state == state {
        return Ok((current, Vec::new()));
    }
    exec(conn, "UPDATE agents SET state = ?1 WHERE id = ?2", params![state.as_str(), id(agent_id)])?;
    let event = DomainEvent::AgentStateChanged { agent_id, from: current.state, to: state };
    current.state = state;
    let events = insert_events(conn, vec![StoredEvent::for_workspace(ws, event, now)])?;
    Ok((current, events))
}

pub(super) fn insert_queue(conn: &Connection, q: &Queue) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO queues (id, workspace_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id(q.id), id(q.workspace_id), q.name, micros(q.created_at)],
    )
    .map_err(|e| taken(e, &format!("a queue named `{}` already exists in this workspace", q.name)))?;
    Ok(())
}

pub(super) fn queue(conn: &Connection, ws: WorkspaceId, queue: QueueId) -> StoreResult<Queue> {
    let sql = format!("SELECT {} FROM queues WHERE id = ?1 AND workspace_id = ?2", rows::QUEUE_COLUMNS);
    found(one(conn, &sql, [id(queue), id(ws)], rows::queue)?, "queue")
}

pub(super) fn list_queues(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<Queue>> {
    let sql = format!("SELECT {} FROM queues WHERE workspace_id = ?1 ORDER BY name", rows::QUEUE_COLUMNS);
    many(conn, &sql, [id(ws)], rows::queue)
}

// --- customers ----------------------------------------------------------------------

pub(super) fn customer(conn: &Connection, ws: WorkspaceId, customer_id: CustomerId) -> StoreResult<Customer> {
    let sql = format!("SELECT {} FROM customers WHERE id = ?1 AND workspace_id = ?2", rows::CUSTOMER_COLUMNS);
    let mut customer = found(one(conn, &sql, [id(customer_id), id(ws)], rows::customer)?, "customer")?;
    customer.identities = many(
        conn,
        "SELECT kind, value FROM customer_identities WHERE customer_id = ?1 ORDER BY created_at, kind, value",
        [id(customer_id)],
        rows::identity,
    )?;
    Ok(customer)
}

pub(super) fn identity_owner(
    conn: &Connection,
    ws: WorkspaceId,
    identity: &Identity,
) -> StoreResult<Option<CustomerId>> {
    one(
        conn,
        "SELECT customer_id FROM customer_identities WHERE workspace_id = ?1 AND kind = ?2 AND value = ?3",
        params![id(ws), identity.kind.as_str(), identity.value],
        |row| rows::uuid(row, 0).map(CustomerId::from_uuid),
    )
}

fn insert_customer(conn: &Connection, c: &Customer) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO customers (id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id(c.id),
            id(c.workspace_id),
            c.display_name,
            c.tier.as_str(),
            c.preferred_language,
            to_json(&c.attributes)?,
            c.merged_into.map(id),
            micros(c.created_at),
            micros(c.updated_at)
        ],
    )?;
    Ok(())
}

fn write_customer_fields(conn: &Connection, c: &Customer, expected_updated_at: Timestamp) -> StoreResult<()> {
    let changed = exec(
        conn,
        "UPDATE customers SET display_name = ?1, tier = ?2, preferred_language = ?3, attributes = ?4, updated_at = ?5 \
         WHERE id = ?6 AND workspace_id = ?7 AND updated_at = ?8 AND merged_into IS NULL",
        params![
            c.display_name,
            c.tier.as_str(),
            c.preferred_language,
            to_json(&c.attributes)?,
            micros(c.updated_at),
            id(c.id),
            id(c.workspace_id),
            micros(expected_updated_at)
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the customer changed meanwhile; reload and retry".into()))
    }
}

fn insert_identity(
    conn: &Connection,
    ws: WorkspaceId,
    customer: CustomerId,
    identity: &Identity,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO customer_identities (workspace_id, kind, value, customer_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id(ws), identity.kind.as_str(), identity.value, id(customer), micros(now)],
    )
    .map_err(|e| taken(e, &format!("{identity} belongs to another customer; merge the customers instead")))?;
    Ok(())
}

pub(super) fn update_customer(conn: &Connection, change: CustomerChange) -> StoreResult<Vec<StoredEvent>> {
    write_customer_fields(conn, &change.customer, change.expected_updated_at)?;
    insert_events(conn, change.events)
}

pub(super) fn link_identity(
    conn: &Connection,
    ws: WorkspaceId,
    customer_id: CustomerId,
    identity: &Identity,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    let customer = customer(conn, ws, customer_id)?;
    if customer.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "this customer was merged into another one; link the identity to that one".into(),
        ));
    }
    match identity_owner(conn, ws, identity)? {
        Some(owner) if owner == customer_id => return Ok(Vec::new()),
        Some(_) => {
            return Err(StoreError::Conflict(format!(
                "{identity} belongs to another customer; merge the customers instead"
            )));
        }
        None => {}
    }
    insert_identity(conn, ws, customer_id, identity, now)?;
    let event = DomainEvent::IdentityLinked { customer_id, identity: identity.clone() };
    insert_events(conn, vec![StoredEvent::for_customer(ws, customer_id, event, now)])
}

pub(super) fn merge_customers(
    conn: &Connection,
    ws: WorkspaceId,
    target_id: CustomerId,
    source_id: CustomerId,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    if target_id == source_id {
        return Err(StoreError::Invalid("a customer cannot be merged into itself".into()));
    }
    let mut target = customer(conn, ws, target_id)?;
    let source = customer(conn, ws, source_id)?;
    if target.merged_into.is_some() || source.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "one of the customers was already merged; use the customer it was merged into".into(),
        ));
    }
    let conversations_moved = exec(
        conn,
        "UPDATE conversations SET customer_id = ?1, version = version + 1, updated_at = ?2 WHERE customer_id = ?3 AND workspace_id = ?4",
        params![id(target_id), micros(now), id(source_id), id(ws)],
    )?;
    exec(
        conn,
        "UPDATE messages SET author_id = ?1 WHERE author_kind = 'customer' AND author_id = ?2 AND workspace_id = ?3",
        params![id(target_id), id(source_id), id(ws)],
    )?;
    let identities_moved = exec(
        conn,
        "UPDATE customer_identities SET customer_id = ?1 WHERE customer_id = ?2 AND workspace_id = ?3",
        params![id(target_id), id(source_id), id(ws)],
    )?;
    let expected = target.updated_at;
    absorb_profile(&mut target, &source, now);
    write_customer_fields(conn, &target, expected)?;
    exec(
        conn,
        "UPDATE customers SET merged_into = ?1, updated_at = ?2 WHERE id = ?3",
        params![id(target_id), micros(now), id(source_id)],
    )?;
    let merged = DomainEvent::CustomersMerged {
        target: target_id,
        source: source_id,
        conversations_moved: conversations_moved as u64,
        identities_moved: identities_moved as u64,
    };
    insert_events(conn, vec![StoredEvent::for_customer(ws, target_id, merged, now)])
}

pub(super) fn timeline(conn: &Connection, ws: WorkspaceId, customer_id: CustomerId) -> StoreResult<Timeline> {
    customer(conn, ws, customer_id)?;
    let sql = format!(
        "SELECT {} FROM conversations WHERE customer_id = ?1 AND workspace_id = ?2 ORDER BY created_at, id",
        rows::CONVERSATION_COLUMNS
    );
    let conversations = many(conn, &sql, [id(customer_id), id(ws)], rows::conversation)?;
    let sql = format!(
        "SELECT {} FROM messages WHERE workspace_id = ?2 AND conversation_id IN \
         (SELECT id FROM conversations WHERE customer_id = ?1 AND workspace_id = ?2) ORDER BY created_at, id",
        rows::MESSAGE_COLUMNS
    );
    let messages = many(conn, &sql, [id(customer_id), id(ws)], rows::message)?;
    Ok(Timeline { conversations, messages })
}

// --- conversations and messages -----------------------------------------------------

pub(super) fn conversation(
    conn: &Connection,
    ws: WorkspaceId,
    conversation_id: ConversationId,
) -> StoreResult<Conversation> {
    let sql = format!("SELECT {} FROM conversations WHERE id = ?1 AND workspace_id = ?2", rows::CONVERSATION_COLUMNS);
    found(one(conn, &sql, [id(conversation_id), id(ws)], rows::conversation)?, "conversation")
}

fn latest_open_conversation(
    conn: &Connection,
    ws: WorkspaceId,
    customer_id: CustomerId,
) -> StoreResult<Option<Conversation>> {
    let sql = format!(
        "SELECT {} FROM conversations WHERE customer_id = ?1 AND workspace_id = ?2 \
         AND status IN ('bot', 'queued', 'assigned', 'waiting_on_customer') ORDER BY last_message_at DESC, id DESC LIMIT 1",
        rows::CONVERSATION_COLUMNS
    );
    one(conn, &sql, [id(customer_id), id(ws)], rows::conversation)
}

pub(super) fn list_conversations(
    conn: &Connection,
    ws: WorkspaceId,
    filter: &ConversationFilter,
) -> StoreResult<Vec<Conversation>> {
    let mut sql = format!("SELECT {} FROM conversations WHERE workspace_id = ?", rows::CONVERSATION_COLUMNS);
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(id(ws))];
    if !filter.statuses.is_empty() {
        sql.push_str(" AND status IN (");
        for (i, status) in filter.statuses.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(Box::new(status.as_str()));
        }
        sql.push(')');
    }
    match filter.owner {
        Some(OwnerFilter::Bot) => sql.push_str(" AND owner_kind = 'bot'"),
        Some(OwnerFilter::AnyQueue) => sql.push_str(" AND owner_kind = 'queue'"),
        Some(OwnerFilter::AnyAgent) => sql.push_str(" AND owner_kind = 'agent'"),
        Some(OwnerFilter::Queue(q)) => {
            sql.push_str(" AND owner_kind = 'queue' AND owner_id = ?");
            args.push(Box::new(id(q)));
        }
        Some(OwnerFilter::Agent(a)) => {
            sql.push_str(" AND owner_kind = 'agent' AND owner_id = ?");
            args.push(Box::new(id(a)));
        }
        None => {}
    }
    if let Some(channel) = filter.channel {
        sql.push_str(" AND channel = ?");
        args.push(Box::new(channel.as_str()));
    }
    if let Some(customer) = filter.customer {
        sql.push_str(" AND customer_id = ?");
        args.push(Box::new(id(customer)));
    }
    if let Some(before) = filter.before {
        sql.push_str(" AND id < ?");
        args.push(Box::new(id(before)));
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    args.push(Box::new(i64::from(filter.limit)));
    let mut stmt = conn.prepare(&sql).map_err(db_error)?;
    let mut rows = stmt.query(params_from_iter(args.iter())).map_err(db_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        out.push(rows::conversation(row)?);
    }
    Ok(out)
}

pub(super) fn messages(
    conn: &Connection,
    ws: WorkspaceId,
    conversation_id: ConversationId,
) -> StoreResult<Vec<Message>> {
    conversation(conn, ws, conversation_id)?;
    let sql = format!(
        "SELECT {} FROM messages WHERE conversation_id = ?1 AND workspace_id = ?2 ORDER BY created_at, id",
        rows::MESSAGE_COLUMNS
    );
    many(conn, &sql, [id(conversation_id), id(ws)], rows::message)
}

pub(super) fn message(conn: &Connection, ws: WorkspaceId, message_id: MessageId) -> StoreResult<Message> {
    let sql = format!("SELECT {} FROM messages WHERE id = ?1 AND workspace_id = ?2", rows::MESSAGE_COLUMNS);
    found(one(conn, &sql, [id(message_id), id(ws)], rows::message)?, "message")
}

fn insert_conversation(conn: &Connection, c: &Conversation) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(c.owner);
    exec(
        conn,
        "INSERT INTO conversations (id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, channel, \
         channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            id(c.id),
            id(c.workspace_id),
            id(c.customer_id),
            c.status.as_str(),
            owner_kind,
            owner_id.map(id),
            c.priority.get(),
            to_json(&c.tags)?,
            c.channel.as_str(),
            to_json(&c.channel_history)?,
            c.subject,
            c.language,
            micros(c.created_at),
            micros(c.updated_at),
            micros(c.last_message_at),
            c.resolved_at.map(micros),
            c.closed_at.map(micros),
            c.version
        ],
    )?;
    Ok(())
}

fn update_conversation(conn: &Connection, c: &Conversation, expected_version: i64) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(c.owner);
    let changed = exec(
        conn,
        "UPDATE conversations SET status = ?1, owner_kind = ?2, owner_id = ?3, priority = ?4, tags = ?5, channel = ?6, \
         channel_history = ?7, subject = ?8, language = ?9, updated_at = ?10, last_message_at = ?11, resolved_at = ?12, \
         closed_at = ?13, version = ?14 WHERE id = ?15 AND workspace_id = ?16 AND version = ?17",
        params![
            c.status.as_str(),
            owner_kind,
            owner_id.map(id),
            c.priority.get(),
            to_json(&c.tags)?,
            c.channel.as_str(),
            to_json(&c.channel_history)?,
            c.subject,
            c.language,
            micros(c.updated_at),
            micros(c.last_message_at),
            c.resolved_at.map(micros),
            c.closed_at.map(micros),
            c.version,
            id(c.id),
            id(c.workspace_id),
            expected_version
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the conversation changed meanwhile; reload and retry".into()))
    }
}

pub(super) fn insert_message(conn: &Connection, m: &Message) -> StoreResult<()> {
    let (author_kind, author_id) = author_columns(m.author);
    exec(
        conn,
        "INSERT INTO messages (id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            id(m.id),
            id(m.workspace_id),
            id(m.conversation_id),
            m.kind.as_str(),
            author_kind,
            author_id.map(id),
            m.body.as_str(),
            m.language,
            m.channel.as_str(),
            to_json(&m.attachments)?,
            m.external_id,
            micros(m.created_at)
        ],
    )?;
    Ok(())
}

pub(super) fn save_conversation(conn: &Connection, change: ConversationChange) -> StoreResult<Vec<StoredEvent>> {
    update_conversation(conn, &change.conversation, change.expected_version)?;
    for message in &change.messages {
        insert_message(conn, message)?;
    }
    insert_events(conn, change.events)
}

/// The inbound pipeline's transaction (see `Store::ingest`).
pub(super) fn ingest(
    conn: &Connection,
    msg: &InboundMessage,
    policy: &ContinuityPolicy,
    now: Timestamp,
) -> StoreResult<IngestOutcome> {
    let ws = msg.workspace_id;
    if let Some(idem) = &msg.idempotency
        && let Some(outcome) = replay(conn, ws, &idem.key, &idem.fingerprint)?
    {
        return Ok(outcome);
    }
    let mut resolved: Option<CustomerId> = None;
    let mut taken_elsewhere = Vec::new();
    for identity in &msg.identities {
        match (identity_owner(conn, ws, identity)?, resolved) {
            (Some(owner), None) => resolved = Some(owner),
            (Some(owner), Some(first)) if owner != first => taken_elsewhere.push(identity.clone()),
            _ => {}
        }
    }
    let existing = resolved.map(|c| customer(conn, ws, c)).transpose()?;
    let open = match &existing {
        Some(c) => latest_open_conversation(conn, ws, c.id)?,
        None => None,
    };
    let plan = plan_ingest(msg, existing.as_ref(), &taken_elsewhere, open.as_ref(), policy, now);
    if plan.customer_is_new {
        insert_customer(conn, &plan.customer)?;
    } else if plan.customer_changed {
        let expected = existing.as_ref().map_or(plan.customer.updated_at, |c| c.updated_at);
        write_customer_fields(conn, &plan.customer, expected)?;
    }
    for identity in &plan.new_identities {
        insert_identity(conn, ws, plan.customer.id, identity, now)?;
    }
    match plan.expected_version {
        Some(version) => update_conversation(conn, &plan.conversation, version)?,
        None => insert_conversation(conn, &plan.conversation)?,
    }
    for message in &plan.messages {
        insert_message(conn, message)?;
    }
    let inbound =
        plan.inbound().cloned().ok_or_else(|| StoreError::Other("an ingest plan without a message".into()))?;
    if let Some(idem) = &msg.idempotency {
        exec(
            conn,
            "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, message_id, conversation_id, customer_id, \
             customer_created, conversation_created, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id(ws),
                idem.key,
                idem.fingerprint,
                id(inbound.id),
                id(plan.conversation.id),
                id(plan.customer.id),
                plan.customer_is_new,
                plan.conversation_is_new,
                micros(now)
            ],
        )?;
    }
    let events = insert_events(conn, plan.events)?;
    Ok(IngestOutcome {
        customer_id: plan.customer.id,
        customer_created: plan.customer_is_new,
        conversation: plan.conversation,
        conversation_created: plan.conversation_is_new,
        message: inbound,
        replayed: false,
        events,
    })
}

fn replay(conn: &Connection, ws: WorkspaceId, key: &str, fingerprint: &str) -> StoreResult<Option<IngestOutcome>> {
    let record = conn
        .prepare_cached(
            "SELECT fingerprint, message_id, conversation_id, customer_id, customer_created, conversation_created \
             FROM idempotency_keys WHERE workspace_id = ?1 AND key = ?2",
        )
        .map_err(db_error)?
        .query_row(params![id(ws), key], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, bool>(4)?,
                row.get::<_, bool>(5)?,
            ))
        })
        .optional()
        .map_err(db_error)?;
    let Some((stored_fingerprint, message_id, conversation_id, customer_id, customer_created, conversation_created)) =
        record
    else {
        return Ok(None);
    };
    if stored_fingerprint != fingerprint {
        return Err(StoreError::IdempotencyKeyReused);
    }
    let parse = |raw: &str| uuid::Uuid::parse_str(raw).map_err(|e| crate::codec::corrupt("id", e));
    let message = message(conn, ws, MessageId::from_uuid(parse(&message_id)?))?;
    let conversation = conversation(conn, ws, ConversationId::from_uuid(parse(&conversation_id)?))?;
    Ok(Some(IngestOutcome {
        customer_id: CustomerId::from_uuid(parse(&customer_id)?),
        customer_created,
        conversation,
        conversation_created,
        message,
        replayed: true,
        events: Vec::new(),
    }))
}

// --- event log ----------------------------------------------------------------------

/// Appends events and returns them with their assigned `seq`.
pub(super) fn insert_events(conn: &Connection, mut events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO events (id, workspace_id, kind, conversation_id, customer_id, owner_kind, owner_id, payload, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db_error)?;
    for event in &mut events {
        let (owner_kind, owner_id) = match event.owner.map(owner_columns) {
            Some((kind, id)) => (Some(kind), id),
            None => (None, None),
        };
        stmt.execute(params![
            id(event.id),
            id(event.workspace_id),
            event.event.kind(),
            event.conversation_id.map(id),
            event.customer_id.map(id),
            owner_kind,
            owner_id.map(id),
            to_json(&event.event)?,
            micros(event.at)
        ])
        .map_err(db_error)?;
        event.seq = conn.last_insert_rowid();
    }
    Ok(events)
}

pub(super) fn events_since(
    conn: &Connection,
    ws: WorkspaceId,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT {} FROM events WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        rows::EVENT_COLUMNS
    );
    many(conn, &sql, params![id(ws), after, i64::from(limit)], rows::event)
}

// --- benchmark baseline -------------------------------------------------------------

pub(super) fn raw_insert_baseline(path: &Path, synchronous: super::Synchronous, rows: usize) -> StoreResult<Duration> {
    let mut conn = super::open_writer(path, synchronous)?;
    super::schema::migrate(&mut conn)?;
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: tandem_domain::Slug::parse("baseline").map_err(StoreError::other)?,
        name: "baseline".into(),
        chat_key: "baseline".into(),
        created_at: time::now(),
    };
    insert_workspace(&conn, &ws)?;
    let customer = Customer::new(ws.id, Vec::new(), None, time::now());
    insert_customer(&conn, &customer)?;
    let conversation =
        Conversation::new(ws.id, customer.id, tandem_domain::Channel::Api, tandem_domain::Owner::Bot, time::now());
    insert_conversation(&conn, &conversation)?;
    let body = tandem_domain::Body::parse("Hello, I would like to know where my order #A1234 is. Thanks!")
        .map_err(StoreError::other)?;
    let started = Instant::now();
    for _ in 0..rows {
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
        insert_message(&conn, &message)?;
    }
    Ok(started.elapsed())
}
