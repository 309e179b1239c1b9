//! Routing: queue entries in entry order, offers with their outcome.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::{OfferRecord, OfferStatus, RoutingEntry, RoutingEntryRecord};
use tandem_domain::OfferId;

pub(in crate::postgres) async fn workspace_ids<C: GenericClient>(c: &C) -> StoreResult<Vec<WorkspaceId>> {
    many(c, "SELECT id FROM workspaces ORDER BY id", &[], |row| Ok(WorkspaceId::from_uuid(get(row, 0)?))).await
}

async fn open_entry<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Option<RoutingEntry>> {
    let sql = format!(
        "SELECT {} FROM routing_entries WHERE conversation_id = $1 AND workspace_id = $2 AND closed_at IS NULL",
        rows::ROUTING_ENTRY_COLUMNS
    );
    one(c, &sql, &[&conversation.as_uuid(), &ws.as_uuid()], rows::routing_entry).await
}

/// Keeps the conversation's open entry if it has one; else stores `entry`. The partial
/// unique index on open entries settles a race between two openers: the loser inserts
/// nothing and returns the winner's entry.
pub(in crate::postgres) async fn open_routing_entry<C: GenericClient>(
    c: &C,
    entry: &RoutingEntry,
    now: Timestamp,
) -> StoreResult<RoutingEntry> {
    if let Some(existing) = open_entry(c, entry.workspace_id, entry.conversation_id).await? {
        return Ok(existing);
    }
    let seq = one(
        c,
        "INSERT INTO routing_entries (workspace_id, conversation_id, queue_id, class_priority, arrived_at, entered_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (conversation_id) WHERE closed_at IS NULL DO NOTHING RETURNING seq",
        &[
            &entry.workspace_id.as_uuid(),
            &entry.conversation_id.as_uuid(),
            &entry.queue_id.as_uuid(),
            &entry.class_priority,
            &micros(entry.arrived_at),
            &micros(now),
        ],
        |row| get::<i64>(row, 0),
    )
    .await?;
    match seq {
        Some(seq) => Ok(RoutingEntry { seq, ..entry.clone() }),
        None => open_entry(c, entry.workspace_id, entry.conversation_id)
            .await?
            .ok_or_else(|| StoreError::Conflict("the conversation is already in a routing queue".into())),
    }
}

pub(in crate::postgres) async fn close_routing_entry<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation: ConversationId,
    outcome: &str,
    at: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE routing_entries SET closed_at = $1, outcome = $2 \
         WHERE workspace_id = $3 AND conversation_id = $4 AND closed_at IS NULL",
        &[&micros(at), &outcome, &ws.as_uuid(), &conversation.as_uuid()],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn open_routing_entries<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
) -> StoreResult<Vec<RoutingEntry>> {
    let sql = format!(
        "SELECT {} FROM routing_entries WHERE workspace_id = $1 AND closed_at IS NULL ORDER BY seq",
        rows::ROUTING_ENTRY_COLUMNS
    );
    many(c, &sql, &[&ws.as_uuid()], rows::routing_entry).await
}

pub(in crate::postgres) async fn routing_arrivals<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    since: Timestamp,
) -> StoreResult<Vec<(QueueId, u64)>> {
    many(
        c,
        "SELECT queue_id, COUNT(*) FROM routing_entries WHERE workspace_id = $1 AND entered_at >= $2 \
         GROUP BY queue_id ORDER BY queue_id",
        &[&ws.as_uuid(), &micros(since)],
        |row| Ok((QueueId::from_uuid(get(row, 0)?), u64::try_from(get::<i64>(row, 1)?).unwrap_or(0))),
    )
    .await
}

/// Open entries and those that entered at or after `since`, in entry order.
pub(in crate::postgres) async fn routing_entries_since<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    since: Timestamp,
) -> StoreResult<Vec<RoutingEntryRecord>> {
    let sql = format!(
        "SELECT {} FROM routing_entries WHERE workspace_id = $1 AND (closed_at IS NULL OR entered_at >= $2) \
         ORDER BY seq",
        rows::ROUTING_ENTRY_RECORD_COLUMNS
    );
    many(c, &sql, &[&ws.as_uuid(), &micros(since)], rows::routing_entry_record).await
}

pub(in crate::postgres) async fn record_offer<C: GenericClient>(c: &C, o: &OfferRecord) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO routing_offers (id, workspace_id, conversation_id, agent_id, queue_id, rule, score, created_at, \
         expires_at, status, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &o.id.as_uuid(),
            &o.workspace_id.as_uuid(),
            &o.conversation_id.as_uuid(),
            &o.agent_id.as_uuid(),
            &o.queue_id.as_uuid(),
            &o.rule,
            &Json(&o.score),
            &micros(o.created_at),
            &o.expires_at.map(micros),
            &o.status.as_str(),
            &o.decided_at.map(micros),
        ],
    )
    .await?;
    Ok(())
}

/// Moves a pending offer to `status`; `Conflict` when it is no longer pending (or, with
/// `agent`, was made to someone else). Locks the offer row, so of two concurrent
/// settlements the second sees the first's outcome.
pub(in crate::postgres) async fn settle_offer<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    offer: OfferId,
    agent: Option<AgentId>,
    status: OfferStatus,
    at: Timestamp,
) -> StoreResult<OfferRecord> {
    let sql =
        format!("SELECT {} FROM routing_offers WHERE id = $1 AND workspace_id = $2 FOR UPDATE", rows::OFFER_COLUMNS);
    let current = found(one(c, &sql, &[&offer.as_uuid(), &ws.as_uuid()], rows::offer).await?, "offer")?;
    if current.status != OfferStatus::Pending {
        return Err(StoreError::Conflict(format!("the offer is already {}", current.status.as_str())));
    }
    if agent.is_some_and(|a| a != current.agent_id) {
        return Err(StoreError::Conflict("the offer was made to another agent".into()));
    }
    let changed = exec(
        c,
        "UPDATE routing_offers SET status = $1, decided_at = $2 WHERE id = $3 AND status = 'pending'",
        &[&status.as_str(), &micros(at), &offer.as_uuid()],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::Conflict("the offer is no longer pending".into()));
    }
    Ok(OfferRecord { status, decided_at: Some(at), ..current })
}

/// Accepts the offer, closes the conversation's routing entry as answered and saves the
/// conversation change (call inside one transaction).
pub(in crate::postgres) async fn accept_offer<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    offer: OfferId,
    agent: AgentId,
    at: Timestamp,
    change: ConversationChange,
) -> StoreResult<Vec<StoredEvent>> {
    let record = settle_offer(c, ws, offer, Some(agent), OfferStatus::Accepted, at).await?;
    close_routing_entry(c, ws, record.conversation_id, "answered", at).await?;
    save_conversation(c, change).await
}

pub(in crate::postgres) async fn offer_record<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    offer: OfferId,
) -> StoreResult<OfferRecord> {
    let sql = format!("SELECT {} FROM routing_offers WHERE id = $1 AND workspace_id = $2", rows::OFFER_COLUMNS);
    found(one(c, &sql, &[&offer.as_uuid(), &ws.as_uuid()], rows::offer).await?, "offer")
}

pub(in crate::postgres) async fn offers<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation: Option<ConversationId>,
    status: Option<OfferStatus>,
    limit: u32,
) -> StoreResult<Vec<OfferRecord>> {
    let sql = format!(
        "SELECT {} FROM routing_offers WHERE workspace_id = $1 AND ($2::uuid IS NULL OR conversation_id = $2) \
         AND ($3::text IS NULL OR status = $3) ORDER BY created_at DESC, id DESC LIMIT $4",
        rows::OFFER_COLUMNS
    );
    many(
        c,
        &sql,
        &[&ws.as_uuid(), &conversation.map(|x| x.as_uuid()), &status.map(OfferStatus::as_str), &i64::from(limit)],
        rows::offer,
    )
    .await
}
