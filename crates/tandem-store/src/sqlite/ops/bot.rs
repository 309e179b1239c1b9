//! The virtual agent: its configuration and secrets per workspace, its state per
//! conversation, and the turn transaction that writes a conversation change, the state,
//! the decision and any tasks together.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::checks::{self, BOT_CONFIG_CHANGED, BOT_STATE_CHANGED};
use crate::{BotConfigRecord, BotDecisionRecord, BotStateRecord, BotTurnCommit};
use tandem_domain::DecisionId;

fn config_row(row: &Row<'_>) -> StoreResult<BotConfigRecord> {
    Ok(BotConfigRecord {
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 0)?),
        config: rows::json(row, 1, "bot configuration")?,
        version: rows::integer(row, 2)?,
        updated_at: time::from_micros(rows::integer(row, 3)?),
        updated_by: rows::string(row, 4)?,
    })
}

fn state_row(row: &Row<'_>) -> StoreResult<BotStateRecord> {
    Ok(BotStateRecord {
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 0)?),
        conversation_id: ConversationId::from_uuid(rows::uuid(row, 1)?),
        state: rows::json(row, 2, "bot state")?,
        version: rows::integer(row, 3)?,
        updated_at: time::from_micros(rows::integer(row, 4)?),
    })
}

const DECISION_COLUMNS: &str = "id, workspace_id, conversation_id, message_id, turn, kind, rule, reason, escalation, \
     inputs, outcome, latency_us, external_us, at";

fn duration_of(row: &Row<'_>, idx: usize, what: &str) -> StoreResult<u64> {
    u64::try_from(rows::integer(row, idx)?).map_err(|_| crate::codec::corrupt(what, "negative"))
}

fn decision_row(row: &Row<'_>) -> StoreResult<BotDecisionRecord> {
    Ok(BotDecisionRecord {
        id: DecisionId::from_uuid(rows::uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
        conversation_id: ConversationId::from_uuid(rows::uuid(row, 2)?),
        message_id: rows::opt_id(row, 3)?.map(MessageId::from_uuid),
        turn: rows::u32_of(row, 4, "bot turn")?,
        kind: rows::string(row, 5)?,
        rule: rows::string(row, 6)?,
        reason: rows::string(row, 7)?,
        escalation: rows::opt_string(row, 8)?,
        inputs: rows::json(row, 9, "decision inputs")?,
        outcome: rows::json(row, 10, "decision outcome")?,
        latency_us: duration_of(row, 11, "decision latency")?,
        external_us: duration_of(row, 12, "decision external time")?,
        at: time::from_micros(rows::integer(row, 13)?),
    })
}

pub(in crate::sqlite) fn bot_config(conn: &Connection, ws: WorkspaceId) -> StoreResult<Option<BotConfigRecord>> {
    one(
        conn,
        "SELECT workspace_id, config, version, updated_at, updated_by FROM bot_configs WHERE workspace_id = ?1",
        [id(ws)],
        config_row,
    )
}

/// Inserts the first version or replaces the one just before `record.version`; either
/// statement changes no row when another save came first.
pub(in crate::sqlite) fn save_bot_config(conn: &Connection, r: &BotConfigRecord) -> StoreResult<()> {
    let config = to_json(&r.config)?;
    let changed = if r.version == 1 {
        exec(
            conn,
            "INSERT INTO bot_configs (workspace_id, config, version, updated_at, updated_by) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace_id) DO NOTHING",
            params![id(r.workspace_id), config, r.version, micros(r.updated_at), r.updated_by],
        )?
    } else {
        exec(
            conn,
            "UPDATE bot_configs SET config = ?1, version = ?2, updated_at = ?3, updated_by = ?4 \
             WHERE workspace_id = ?5 AND version = ?6",
            params![config, r.version, micros(r.updated_at), r.updated_by, id(r.workspace_id), r.version - 1],
        )?
    };
    if changed == 1 { Ok(()) } else { Err(StoreError::Conflict(BOT_CONFIG_CHANGED.into())) }
}

pub(in crate::sqlite) fn set_bot_secret(
    conn: &Connection,
    ws: WorkspaceId,
    name: &str,
    value: &str,
    at: Timestamp,
) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO bot_secrets (workspace_id, name, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (workspace_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![id(ws), name, value, micros(at)],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn delete_bot_secret(conn: &Connection, ws: WorkspaceId, name: &str) -> StoreResult<()> {
    let deleted = exec(conn, "DELETE FROM bot_secrets WHERE workspace_id = ?1 AND name = ?2", params![id(ws), name])?;
    if deleted == 1 { Ok(()) } else { Err(StoreError::NotFound("bot secret")) }
}

pub(in crate::sqlite) fn bot_secrets(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<(String, String)>> {
    many(conn, "SELECT name, value FROM bot_secrets WHERE workspace_id = ?1 ORDER BY name", [id(ws)], |row| {
        Ok((rows::string(row, 0)?, rows::string(row, 1)?))
    })
}

pub(in crate::sqlite) fn bot_secret_names(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<(String, Timestamp)>> {
    many(conn, "SELECT name, updated_at FROM bot_secrets WHERE workspace_id = ?1 ORDER BY name", [id(ws)], |row| {
        Ok((rows::string(row, 0)?, time::from_micros(rows::integer(row, 1)?)))
    })
}

pub(in crate::sqlite) fn bot_state(
    conn: &Connection,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Option<BotStateRecord>> {
    one(
        conn,
        "SELECT workspace_id, conversation_id, state, version, updated_at FROM bot_states \
         WHERE conversation_id = ?1 AND workspace_id = ?2",
        [id(conversation), id(ws)],
        state_row,
    )
}

/// Writes the state if it is still at `expected` (0: the conversation has none yet).
fn write_state(conn: &Connection, s: &BotStateRecord, expected: i64) -> StoreResult<()> {
    let state = to_json(&s.state)?;
    let changed = if expected == 0 {
        exec(
            conn,
            "INSERT INTO bot_states (conversation_id, workspace_id, state, version, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (conversation_id) DO NOTHING",
            params![id(s.conversation_id), id(s.workspace_id), state, s.version, micros(s.updated_at)],
        )?
    } else {
        exec(
            conn,
            "UPDATE bot_states SET state = ?1, version = ?2, updated_at = ?3 \
             WHERE conversation_id = ?4 AND workspace_id = ?5 AND version = ?6",
            params![state, s.version, micros(s.updated_at), id(s.conversation_id), id(s.workspace_id), expected],
        )?
    };
    if changed == 1 { Ok(()) } else { Err(StoreError::Conflict(BOT_STATE_CHANGED.into())) }
}

fn insert_decision(conn: &Connection, d: &BotDecisionRecord) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO bot_decisions (id, workspace_id, conversation_id, message_id, turn, kind, rule, reason, \
         escalation, inputs, outcome, latency_us, external_us, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            id(d.id),
            id(d.workspace_id),
            id(d.conversation_id),
            d.message_id.map(id),
            d.turn,
            d.kind,
            d.rule,
            d.reason,
            d.escalation,
            to_json(&d.inputs)?,
            to_json(&d.outcome)?,
            checks::duration_column(d.latency_us, "decision latency")?,
            checks::duration_column(d.external_us, "decision external time")?,
            micros(d.at)
        ],
    )?;
    Ok(())
}

/// The turn transaction (see `Store::commit_bot_turn`). A conflict anywhere fails the
/// job, and the writer rolls its savepoint back, so nothing of the turn is kept.
pub(in crate::sqlite) fn commit_bot_turn(conn: &Connection, commit: BotTurnCommit) -> StoreResult<Vec<StoredEvent>> {
    checks::bot_turn(&commit)?;
    let BotTurnCommit { change, state, expected_state_version, decision, tasks, settle } = commit;
    update_conversation(conn, &change.conversation, change.expected_version)?;
    for message in &change.messages {
        insert_message(conn, message)?;
    }
    write_state(conn, &state, expected_state_version)?;
    insert_decision(conn, &decision)?;
    for task in &tasks {
        insert_task(conn, task)?;
    }
    let mut events = change.events;
    if let Some(settlement) = settle {
        super::tasks::settle_task(conn, &settlement)?;
        events.extend(settlement.events);
    }
    insert_events(conn, events)
}

pub(in crate::sqlite) fn bot_decisions(
    conn: &Connection,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Vec<BotDecisionRecord>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM bot_decisions WHERE workspace_id = ?1 AND conversation_id = ?2 ORDER BY at, id"
    );
    many(conn, &sql, [id(ws), id(conversation)], decision_row)
}

pub(in crate::sqlite) fn bot_decisions_since(
    conn: &Connection,
    ws: WorkspaceId,
    since: Timestamp,
    limit: u32,
) -> StoreResult<Vec<BotDecisionRecord>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM bot_decisions WHERE workspace_id = ?1 AND at >= ?2 ORDER BY at DESC, id DESC LIMIT ?3"
    );
    // The newest ones when the limit cuts, returned oldest first.
    let mut newest = many(conn, &sql, params![id(ws), micros(since), limit], decision_row)?;
    newest.reverse();
    Ok(newest)
}
