//! Conversations and messages, and the ingest transaction.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::sqlite) fn conversation(
    conn: &Connection,
    ws: WorkspaceId,
    conversation_id: ConversationId,
) -> StoreResult<Conversation> {
    let sql = format!("SELECT {} FROM conversations WHERE id = ?1 AND workspace_id = ?2", rows::CONVERSATION_COLUMNS);
    found(one(conn, &sql, [id(conversation_id), id(ws)], rows::conversation)?, "conversation")
}

pub(in crate::sqlite) fn latest_open_conversation(
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

pub(in crate::sqlite) fn list_conversations(
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

pub(in crate::sqlite) fn messages(
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

pub(in crate::sqlite) fn message(conn: &Connection, ws: WorkspaceId, message_id: MessageId) -> StoreResult<Message> {
    let sql = format!("SELECT {} FROM messages WHERE id = ?1 AND workspace_id = ?2", rows::MESSAGE_COLUMNS);
    found(one(conn, &sql, [id(message_id), id(ws)], rows::message)?, "message")
}

pub(in crate::sqlite) fn insert_conversation(conn: &Connection, c: &Conversation) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(c.owner);
    exec(
        conn,
        "INSERT INTO conversations (id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, channel, \
         channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version, sentiment) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
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
            c.version,
            to_json(&c.sentiment)?
        ],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn update_conversation(
    conn: &Connection,
    c: &Conversation,
    expected_version: i64,
) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(c.owner);
    let changed = exec(
        conn,
        "UPDATE conversations SET status = ?1, owner_kind = ?2, owner_id = ?3, priority = ?4, tags = ?5, channel = ?6, \
         channel_history = ?7, subject = ?8, language = ?9, updated_at = ?10, last_message_at = ?11, resolved_at = ?12, \
         closed_at = ?13, version = ?14, sentiment = ?18 WHERE id = ?15 AND workspace_id = ?16 AND version = ?17",
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
            expected_version,
            to_json(&c.sentiment)?
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the conversation changed meanwhile; reload and retry".into()))
    }
}

pub(in crate::sqlite) fn insert_message(conn: &Connection, m: &Message) -> StoreResult<()> {
    let (author_kind, author_id) = author_columns(m.author);
    exec(
        conn,
        "INSERT INTO messages (id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at, understanding) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
            micros(m.created_at),
            m.understanding.as_ref().map(to_json).transpose()?
        ],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn save_conversation(
    conn: &Connection,
    change: ConversationChange,
) -> StoreResult<Vec<StoredEvent>> {
    update_conversation(conn, &change.conversation, change.expected_version)?;
    for message in &change.messages {
        insert_message(conn, message)?;
    }
    insert_events(conn, change.events)
}

/// The inbound pipeline's transaction (see `Store::ingest`).
pub(in crate::sqlite) fn ingest(
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

pub(in crate::sqlite) fn replay(
    conn: &Connection,
    ws: WorkspaceId,
    key: &str,
    fingerprint: &str,
) -> StoreResult<Option<IngestOutcome>> {
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

pub(in crate::sqlite) fn update_understanding(
    conn: &Connection,
    ws: WorkspaceId,
    message_id: MessageId,
    understanding: &tandem_domain::Understanding,
) -> StoreResult<()> {
    let changed = exec(
        conn,
        "UPDATE messages SET understanding = ?1 WHERE id = ?2 AND workspace_id = ?3",
        params![to_json(understanding)?, id(message_id), id(ws)],
    )?;
    if changed == 1 { Ok(()) } else { Err(StoreError::NotFound("message")) }
}
