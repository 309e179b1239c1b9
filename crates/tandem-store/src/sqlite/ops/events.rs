//! The event log.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Appends events and returns them with their assigned `seq`.
pub(in crate::sqlite) fn insert_events(
    conn: &Connection,
    mut events: Vec<StoredEvent>,
) -> StoreResult<Vec<StoredEvent>> {
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

pub(in crate::sqlite) fn events_since(
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
