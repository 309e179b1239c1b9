//! Routing: queue entries in entry order, offers with their outcome.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::{OfferRecord, OfferStatus, RoutingEntry, RoutingEntryRecord};
use tandem_domain::OfferId;

pub(in crate::sqlite) fn workspace_ids(conn: &Connection) -> StoreResult<Vec<WorkspaceId>> {
    many(conn, "SELECT id FROM workspaces ORDER BY id", [], |row| Ok(WorkspaceId::from_uuid(rows::uuid(row, 0)?)))
}

fn open_entry(conn: &Connection, conversation: ConversationId) -> StoreResult<Option<RoutingEntry>> {
    let sql = format!(
        "SELECT {} FROM routing_entries WHERE conversation_id = ?1 AND closed_at IS NULL",
        rows::ROUTING_ENTRY_COLUMNS
    );
    one(conn, &sql, [id(conversation)], rows::routing_entry)
}

pub(in crate::sqlite) fn open_routing_entry(
    conn: &Connection,
    entry: &RoutingEntry,
    now: Timestamp,
) -> StoreResult<RoutingEntry> {
    if let Some(existing) = open_entry(conn, entry.conversation_id)? {
        return Ok(existing);
    }
    exec(
        conn,
        "INSERT INTO routing_entries (workspace_id, conversation_id, queue_id, class_priority, arrived_at, entered_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id(entry.workspace_id),
            id(entry.conversation_id),
            id(entry.queue_id),
            entry.class_priority,
            micros(entry.arrived_at),
            micros(now)
        ],
    )?;
    Ok(RoutingEntry { seq: conn.last_insert_rowid(), ..entry.clone() })
}

pub(in crate::sqlite) fn close_routing_entry(
    conn: &Connection,
    ws: WorkspaceId,
    conversation: ConversationId,
    outcome: &str,
    at: Timestamp,
) -> StoreResult<()> {
    exec(
        conn,
        "UPDATE routing_entries SET closed_at = ?1, outcome = ?2 \
         WHERE workspace_id = ?3 AND conversation_id = ?4 AND closed_at IS NULL",
        params![micros(at), outcome, id(ws), id(conversation)],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn open_routing_entries(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<RoutingEntry>> {
    let sql = format!(
        "SELECT {} FROM routing_entries WHERE workspace_id = ?1 AND closed_at IS NULL ORDER BY seq",
        rows::ROUTING_ENTRY_COLUMNS
    );
    many(conn, &sql, [id(ws)], rows::routing_entry)
}

pub(in crate::sqlite) fn routing_arrivals(
    conn: &Connection,
    ws: WorkspaceId,
    since: Timestamp,
) -> StoreResult<Vec<(QueueId, u64)>> {
    many(
        conn,
        "SELECT queue_id, COUNT(*) FROM routing_entries WHERE workspace_id = ?1 AND entered_at >= ?2 GROUP BY queue_id",
        params![id(ws), micros(since)],
        |row| {
            let n: i64 = row.get(1).map_err(db_error)?;
            Ok((QueueId::from_uuid(rows::uuid(row, 0)?), u64::try_from(n).unwrap_or(0)))
        },
    )
}

/// Open entries and those that entered at or after `since`, in entry order.
pub(in crate::sqlite) fn routing_entries_since(
    conn: &Connection,
    ws: WorkspaceId,
    since: Timestamp,
) -> StoreResult<Vec<RoutingEntryRecord>> {
    let sql = format!(
        "SELECT {} FROM routing_entries WHERE workspace_id = ?1 AND (closed_at IS NULL OR entered_at >= ?2) \
         ORDER BY seq",
        rows::ROUTING_ENTRY_RECORD_COLUMNS
    );
    many(conn, &sql, params![id(ws), micros(since)], rows::routing_entry_record)
}

pub(in crate::sqlite) fn record_offer(conn: &Connection, o: &OfferRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO routing_offers (id, workspace_id, conversation_id, agent_id, queue_id, rule, score, created_at, \
         expires_at, status, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id(o.id),
            id(o.workspace_id),
            id(o.conversation_id),
            id(o.agent_id),
            id(o.queue_id),
            o.rule,
            to_json(&o.score)?,
            micros(o.created_at),
            o.expires_at.map(micros),
            o.status.as_str(),
            o.decided_at.map(micros)
        ],
    )?;
    Ok(())
}

/// Moves a pending offer to `status`; `Conflict` when it is no longer pending (or, with
/// `agent`, was made to someone else).
pub(in crate::sqlite) fn settle_offer(
    conn: &Connection,
    ws: WorkspaceId,
    offer: OfferId,
    agent: Option<AgentId>,
    status: OfferStatus,
    at: Timestamp,
) -> StoreResult<OfferRecord> {
    let current = offer_record(conn, ws, offer)?;
    if current.status != OfferStatus::Pending {
        return Err(StoreError::Conflict(format!("the offer is already {}", current.status.as_str())));
    }
    if agent.is_some_and(|a| a != current.agent_id) {
        return Err(StoreError::Conflict("the offer was made to another agent".into()));
    }
    let n = exec(
        conn,
        "UPDATE routing_offers SET status = ?1, decided_at = ?2 WHERE id = ?3 AND status = 'pending'",
        params![status.as_str(), micros(at), id(offer)],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict("the offer is no longer pending".into()));
    }
    Ok(OfferRecord { status, decided_at: Some(at), ..current })
}

pub(in crate::sqlite) fn offer_record(conn: &Connection, ws: WorkspaceId, offer: OfferId) -> StoreResult<OfferRecord> {
    let sql = format!("SELECT {} FROM routing_offers WHERE id = ?1 AND workspace_id = ?2", rows::OFFER_COLUMNS);
    found(one(conn, &sql, [id(offer), id(ws)], rows::offer)?, "offer")
}

pub(in crate::sqlite) fn offers(
    conn: &Connection,
    ws: WorkspaceId,
    conversation: Option<ConversationId>,
    status: Option<OfferStatus>,
    limit: u32,
) -> StoreResult<Vec<OfferRecord>> {
    let sql = format!(
        "SELECT {} FROM routing_offers WHERE workspace_id = ?1 AND (?2 IS NULL OR conversation_id = ?2) \
         AND (?3 IS NULL OR status = ?3) ORDER BY created_at DESC, id DESC LIMIT ?4",
        rows::OFFER_COLUMNS
    );
    many(conn, &sql, params![id(ws), conversation.map(id), status.map(OfferStatus::as_str), limit], rows::offer)
}
