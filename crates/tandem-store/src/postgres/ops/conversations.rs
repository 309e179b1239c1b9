//! Conversations and messages.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::postgres) async fn conversation<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: ConversationId,
) -> StoreResult<Conversation> {
    let sql = format!("SELECT {} FROM conversations WHERE id = $1 AND workspace_id = $2", rows::CONVERSATION_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::conversation).await?, "conversation")
}

pub(in crate::postgres) async fn list_conversations<C: GenericClient>(
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

pub(in crate::postgres) async fn messages<C: GenericClient>(
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

pub(in crate::postgres) async fn message<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: MessageId,
) -> StoreResult<Message> {
    let sql = format!("SELECT {} FROM messages WHERE id = $1 AND workspace_id = $2", rows::MESSAGE_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::message).await?, "message")
}

pub(in crate::postgres) async fn insert_conversation<C: GenericClient>(c: &C, cv: &Conversation) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(cv.owner);
    exec(
        c,
        "INSERT INTO conversations (id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, channel, \
         channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version, sentiment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
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
            &Json(&cv.sentiment),
        ],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn update_conversation<C: GenericClient>(
    c: &C,
    cv: &Conversation,
    expected_version: i64,
) -> StoreResult<()> {
    let (owner_kind, owner_id) = owner_columns(cv.owner);
    let changed = exec(
        c,
        "UPDATE conversations SET status = $1, owner_kind = $2, owner_id = $3, priority = $4, tags = $5, channel = $6, \
         channel_history = $7, subject = $8, language = $9, updated_at = $10, last_message_at = $11, resolved_at = $12, \
         closed_at = $13, version = $14, sentiment = $18 WHERE id = $15 AND workspace_id = $16 AND version = $17",
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
            &Json(&cv.sentiment),
        ],
    )
    .await?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the conversation changed meanwhile; reload and retry".into()))
    }
}

/// One INSERT per message (the benchmark baseline's plain loop).
pub(in crate::postgres) async fn insert_each_message<C: GenericClient>(c: &C, messages: &[Message]) -> StoreResult<()> {
    for m in messages {
        let (author_kind, author_id) = author_columns(m.author);
        exec(
            c,
            "INSERT INTO messages (id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at, understanding) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
                &m.understanding.as_ref().map(Json),
            ],
        )
        .await?;
    }
    Ok(())
}

pub(in crate::postgres) async fn save_conversation<C: GenericClient>(
    c: &C,
    change: ConversationChange,
) -> StoreResult<Vec<StoredEvent>> {
    update_conversation(c, &change.conversation, change.expected_version).await?;
    crate::postgres::batch::insert_messages(c, &change.messages).await?;
    insert_events(c, change.events).await
}

pub(in crate::postgres) async fn update_understanding<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: MessageId,
    understanding: &tandem_domain::Understanding,
) -> StoreResult<()> {
    let changed = exec(
        c,
        "UPDATE messages SET understanding = $1 WHERE id = $2 AND workspace_id = $3",
        &[&Json(understanding), &id.as_uuid(), &ws.as_uuid()],
    )
    .await?;
    if changed == 1 { Ok(()) } else { Err(StoreError::NotFound("message")) }
}
