//! Workspaces, API keys, sessions and web-chat visitors.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::sqlite) fn insert_workspace(conn: &Connection, ws: &Workspace) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO workspaces (id, slug, name, chat_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id(ws.id), ws.slug.as_str(), ws.name, ws.chat_key, micros(ws.created_at)],
    )
    .map_err(|e| taken(e, &format!("a workspace with slug `{}` already exists", ws.slug)))?;
    Ok(())
}

pub(in crate::sqlite) fn workspace_where(conn: &Connection, column: &str, value: &str) -> StoreResult<Workspace> {
    let sql = match column {
        "id" => format!("SELECT {} FROM workspaces WHERE id = ?1", rows::WORKSPACE_COLUMNS),
        "slug" => format!("SELECT {} FROM workspaces WHERE slug = ?1", rows::WORKSPACE_COLUMNS),
        _ => format!("SELECT {} FROM workspaces WHERE chat_key = ?1", rows::WORKSPACE_COLUMNS),
    };
    found(one(conn, &sql, [value], rows::workspace)?, "workspace")
}

pub(in crate::sqlite) fn insert_api_key(conn: &Connection, key: &ApiKeyRecord) -> StoreResult<()> {
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

pub(in crate::sqlite) fn api_key_by_hash(conn: &Connection, hash: &str) -> StoreResult<ApiKeyRecord> {
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

pub(in crate::sqlite) fn insert_session(conn: &Connection, s: &SessionRecord) -> StoreResult<()> {
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

pub(in crate::sqlite) fn session_by_hash(conn: &Connection, hash: &str, now: Timestamp) -> StoreResult<SessionRecord> {
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

pub(in crate::sqlite) fn delete_session(conn: &Connection, hash: &str) -> StoreResult<()> {
    exec(conn, "DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
    Ok(())
}

pub(in crate::sqlite) fn insert_chat_visitor(conn: &Connection, v: &ChatVisitorRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO chat_visitors (token_hash, workspace_id, visitor_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![v.token_hash, id(v.workspace_id), v.visitor_id, micros(v.created_at)],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn chat_visitor_by_hash(conn: &Connection, hash: &str) -> StoreResult<ChatVisitorRecord> {
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
