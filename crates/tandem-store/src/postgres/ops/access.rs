//! Workspaces, API keys, sessions and web-chat visitors.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::postgres) async fn insert_workspace<C: GenericClient>(c: &C, ws: &Workspace) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO workspaces (id, slug, name, chat_key, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&ws.id.as_uuid(), &ws.slug.as_str(), &ws.name, &ws.chat_key, &micros(ws.created_at)],
    )
    .await
    .map_err(|e| taken(e, &format!("a workspace with slug `{}` already exists", ws.slug)))?;
    Ok(())
}

pub(in crate::postgres) async fn workspace_by_id<C: GenericClient>(c: &C, id: WorkspaceId) -> StoreResult<Workspace> {
    let sql = format!("SELECT {} FROM workspaces WHERE id = $1", rows::WORKSPACE_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid()], rows::workspace).await?, "workspace")
}

pub(in crate::postgres) async fn workspace_where<C: GenericClient>(
    c: &C,
    column: &str,
    value: &str,
) -> StoreResult<Workspace> {
    let sql = if column == "slug" {
        format!("SELECT {} FROM workspaces WHERE slug = $1", rows::WORKSPACE_COLUMNS)
    } else {
        format!("SELECT {} FROM workspaces WHERE chat_key = $1", rows::WORKSPACE_COLUMNS)
    };
    found(one(c, &sql, &[&value], rows::workspace).await?, "workspace")
}

pub(in crate::postgres) async fn insert_api_key<C: GenericClient>(c: &C, key: &ApiKeyRecord) -> StoreResult<()> {
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

pub(in crate::postgres) async fn api_key_by_hash<C: GenericClient>(c: &C, hash: &str) -> StoreResult<ApiKeyRecord> {
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

pub(in crate::postgres) async fn insert_session<C: GenericClient>(c: &C, s: &SessionRecord) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO sessions (token_hash, workspace_id, agent_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&s.token_hash, &s.workspace_id.as_uuid(), &s.agent_id.as_uuid(), &s.csrf_token, &micros(s.created_at), &micros(s.expires_at)],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn session_by_hash<C: GenericClient>(
    c: &C,
    hash: &str,
    now: Timestamp,
) -> StoreResult<SessionRecord> {
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

pub(in crate::postgres) async fn delete_session<C: GenericClient>(c: &C, hash: &str) -> StoreResult<()> {
    exec(c, "DELETE FROM sessions WHERE token_hash = $1", &[&hash]).await?;
    Ok(())
}

pub(in crate::postgres) async fn insert_chat_visitor<C: GenericClient>(
    c: &C,
    v: &ChatVisitorRecord,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO chat_visitors (token_hash, workspace_id, visitor_id, created_at) VALUES ($1, $2, $3, $4)",
        &[&v.token_hash, &v.workspace_id.as_uuid(), &v.visitor_id, &micros(v.created_at)],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn chat_visitor_by_hash<C: GenericClient>(
    c: &C,
    hash: &str,
) -> StoreResult<ChatVisitorRecord> {
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
