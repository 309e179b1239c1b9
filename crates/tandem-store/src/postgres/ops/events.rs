//! The event log.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Appends events in one statement and returns them with their assigned `seq`.
pub(in crate::postgres) async fn insert_events<C: GenericClient>(
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

pub(in crate::postgres) async fn events_since<C: GenericClient>(
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
