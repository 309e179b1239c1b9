//! The virtual agent: its configuration and secrets per workspace, its state per
//! conversation, and the turn transaction that writes a conversation change, the state,
//! the decision and any tasks together. Every check is in the statement that writes
//! (`ON CONFLICT DO NOTHING`, `WHERE version = ...`), so of two racing writers the
//! second changes no row and gets `Conflict`.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::checks::{self, BOT_CONFIG_CHANGED, BOT_STATE_CHANGED};
use crate::{BotConfigRecord, BotDecisionRecord, BotStateRecord, BotTurnCommit};
use tandem_domain::DecisionId;

fn config_row(row: &Row) -> StoreResult<BotConfigRecord> {
    Ok(BotConfigRecord {
        workspace_id: WorkspaceId::from_uuid(get(row, 0)?),
        config: rows::json(row, 1)?,
        version: get(row, 2)?,
        updated_at: rows::at(row, 3)?,
        updated_by: get(row, 4)?,
    })
}

fn state_row(row: &Row) -> StoreResult<BotStateRecord> {
    Ok(BotStateRecord {
        workspace_id: WorkspaceId::from_uuid(get(row, 0)?),
        conversation_id: ConversationId::from_uuid(get(row, 1)?),
        state: rows::json(row, 2)?,
        version: get(row, 3)?,
        updated_at: rows::at(row, 4)?,
    })
}

const DECISION_COLUMNS: &str = "id, workspace_id, conversation_id, message_id, turn, kind, rule, reason, escalation, \
     inputs, outcome, latency_us, external_us, at";

fn duration_of(row: &Row, idx: usize, what: &str) -> StoreResult<u64> {
    u64::try_from(get::<i64>(row, idx)?).map_err(|_| crate::codec::corrupt(what, "negative"))
}

fn decision_row(row: &Row) -> StoreResult<BotDecisionRecord> {
    Ok(BotDecisionRecord {
        id: DecisionId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        conversation_id: ConversationId::from_uuid(get(row, 2)?),
        message_id: get::<Option<Uuid>>(row, 3)?.map(MessageId::from_uuid),
        turn: u32::try_from(get::<i32>(row, 4)?).map_err(|_| crate::codec::corrupt("bot turn", "negative"))?,
        kind: get(row, 5)?,
        rule: get(row, 6)?,
        reason: get(row, 7)?,
        escalation: get(row, 8)?,
        inputs: rows::json(row, 9)?,
        outcome: rows::json(row, 10)?,
        latency_us: duration_of(row, 11, "decision latency")?,
        external_us: duration_of(row, 12, "decision external time")?,
        at: rows::at(row, 13)?,
    })
}

pub(in crate::postgres) async fn bot_config<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
) -> StoreResult<Option<BotConfigRecord>> {
    one(
        c,
        "SELECT workspace_id, config, version, updated_at, updated_by FROM bot_configs WHERE workspace_id = $1",
        &[&ws.as_uuid()],
        config_row,
    )
    .await
}

/// Inserts the first version or replaces the one just before `record.version`.
pub(in crate::postgres) async fn save_bot_config<C: GenericClient>(c: &C, r: &BotConfigRecord) -> StoreResult<()> {
    let changed = if r.version == 1 {
        exec(
            c,
            "INSERT INTO bot_configs (workspace_id, config, version, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO NOTHING",
            &[&r.workspace_id.as_uuid(), &Json(&r.config), &r.version, &micros(r.updated_at), &r.updated_by],
        )
        .await?
    } else {
        exec(
            c,
            "UPDATE bot_configs SET config = $1, version = $2, updated_at = $3, updated_by = $4 \
             WHERE workspace_id = $5 AND version = $6",
            &[
                &Json(&r.config),
                &r.version,
                &micros(r.updated_at),
                &r.updated_by,
                &r.workspace_id.as_uuid(),
                &(r.version - 1),
            ],
        )
        .await?
    };
    if changed == 1 { Ok(()) } else { Err(StoreError::Conflict(BOT_CONFIG_CHANGED.into())) }
}

pub(in crate::postgres) async fn set_bot_secret<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    name: &str,
    value: &str,
    at: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO bot_secrets (workspace_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[&ws.as_uuid(), &name, &value, &micros(at)],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn delete_bot_secret<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    name: &str,
) -> StoreResult<()> {
    let deleted =
        exec(c, "DELETE FROM bot_secrets WHERE workspace_id = $1 AND name = $2", &[&ws.as_uuid(), &name]).await?;
    if deleted == 1 { Ok(()) } else { Err(StoreError::NotFound("bot secret")) }
}

// Names are ordered byte by byte (`COLLATE "C"`), as SQLite orders them, whatever the
// database's collation.

pub(in crate::postgres) async fn bot_secrets<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
) -> StoreResult<Vec<(String, String)>> {
    many(
        c,
        "SELECT name, value FROM bot_secrets WHERE workspace_id = $1 ORDER BY name COLLATE \"C\"",
        &[&ws.as_uuid()],
        |row| Ok((get(row, 0)?, get(row, 1)?)),
    )
    .await
}

pub(in crate::postgres) async fn bot_secret_names<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
) -> StoreResult<Vec<(String, Timestamp)>> {
    many(
        c,
        "SELECT name, updated_at FROM bot_secrets WHERE workspace_id = $1 ORDER BY name COLLATE \"C\"",
        &[&ws.as_uuid()],
        |row| Ok((get(row, 0)?, rows::at(row, 1)?)),
    )
    .await
}

pub(in crate::postgres) async fn bot_state<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Option<BotStateRecord>> {
    one(
        c,
        "SELECT workspace_id, conversation_id, state, version, updated_at FROM bot_states \
         WHERE conversation_id = $1 AND workspace_id = $2",
        &[&conversation.as_uuid(), &ws.as_uuid()],
        state_row,
    )
    .await
}

/// Writes the state if it is still at `expected` (0: the conversation has none yet).
async fn write_state<C: GenericClient>(c: &C, s: &BotStateRecord, expected: i64) -> StoreResult<()> {
    let changed = if expected == 0 {
        exec(
            c,
            "INSERT INTO bot_states (conversation_id, workspace_id, state, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) DO NOTHING",
            &[
                &s.conversation_id.as_uuid(),
                &s.workspace_id.as_uuid(),
                &Json(&s.state),
                &s.version,
                &micros(s.updated_at),
            ],
        )
        .await?
    } else {
        exec(
            c,
            "UPDATE bot_states SET state = $1, version = $2, updated_at = $3 \
             WHERE conversation_id = $4 AND workspace_id = $5 AND version = $6",
            &[
                &Json(&s.state),
                &s.version,
                &micros(s.updated_at),
                &s.conversation_id.as_uuid(),
                &s.workspace_id.as_uuid(),
                &expected,
            ],
        )
        .await?
    };
    if changed == 1 { Ok(()) } else { Err(StoreError::Conflict(BOT_STATE_CHANGED.into())) }
}

async fn insert_decision<C: GenericClient>(c: &C, d: &BotDecisionRecord) -> StoreResult<()> {
    let turn = i32::try_from(d.turn).map_err(|_| StoreError::Invalid("the bot turn number is out of range".into()))?;
    exec(
        c,
        "INSERT INTO bot_decisions (id, workspace_id, conversation_id, message_id, turn, kind, rule, reason, \
         escalation, inputs, outcome, latency_us, external_us, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &d.id.as_uuid(),
            &d.workspace_id.as_uuid(),
            &d.conversation_id.as_uuid(),
            &d.message_id.map(|m| m.as_uuid()),
            &turn,
            &d.kind,
            &d.rule,
            &d.reason,
            &d.escalation,
            &Json(&d.inputs),
            &Json(&d.outcome),
            &checks::duration_column(d.latency_us, "decision latency")?,
            &checks::duration_column(d.external_us, "decision external time")?,
            &micros(d.at),
        ],
    )
    .await?;
    Ok(())
}

/// The turn transaction (see `Store::commit_bot_turn`); call inside one transaction,
/// which a conflict anywhere rolls back whole.
pub(in crate::postgres) async fn commit_bot_turn<C: GenericClient>(
    c: &C,
    commit: BotTurnCommit,
) -> StoreResult<Vec<StoredEvent>> {
    checks::bot_turn(&commit)?;
    let BotTurnCommit { change, state, expected_state_version, decision, tasks, settle } = commit;
    update_conversation(c, &change.conversation, change.expected_version).await?;
    crate::postgres::batch::insert_messages(c, &change.messages).await?;
    write_state(c, &state, expected_state_version).await?;
    insert_decision(c, &decision).await?;
    for task in &tasks {
        insert_task(c, task).await?;
    }
    let mut events = change.events;
    if let Some(settlement) = settle {
        super::tasks::settle_task(c, &settlement).await?;
        events.extend(settlement.events);
    }
    insert_events(c, events).await
}

pub(in crate::postgres) async fn bot_decisions<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Vec<BotDecisionRecord>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM bot_decisions WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY at, id"
    );
    many(c, &sql, &[&ws.as_uuid(), &conversation.as_uuid()], decision_row).await
}

pub(in crate::postgres) async fn bot_decisions_since<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    since: Timestamp,
    limit: u32,
) -> StoreResult<Vec<BotDecisionRecord>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM bot_decisions WHERE workspace_id = $1 AND at >= $2 ORDER BY at DESC, id DESC LIMIT $3"
    );
    // The newest ones when the limit cuts, returned oldest first.
    let mut newest = many(c, &sql, &[&ws.as_uuid(), &micros(since), &i64::from(limit)], decision_row).await?;
    newest.reverse();
    Ok(newest)
}
