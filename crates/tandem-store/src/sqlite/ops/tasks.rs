//! Tasks for people: follow-ups and approvals, listed newest first and settled once.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::checks;
use crate::codec::parse_enum;
use crate::{TaskFilter, TaskSettlement};
use tandem_domain::{Task, TaskId, TaskKind, TaskStatus};

const TASK_COLUMNS: &str = "id, workspace_id, conversation_id, customer_id, kind, status, title, details, created_at, \
     due_at, settled_at, settled_by, note";

fn opt_at(row: &Row<'_>, idx: usize) -> StoreResult<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx).map_err(db_error)?.map(time::from_micros))
}

fn task_row(row: &Row<'_>) -> StoreResult<Task> {
    Ok(Task {
        id: TaskId::from_uuid(rows::uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
        conversation_id: rows::opt_id(row, 2)?.map(ConversationId::from_uuid),
        customer_id: rows::opt_id(row, 3)?.map(CustomerId::from_uuid),
        kind: parse_enum("task kind", &rows::string(row, 4)?, TaskKind::parse)?,
        status: parse_enum("task status", &rows::string(row, 5)?, TaskStatus::parse)?,
        title: rows::string(row, 6)?,
        details: rows::json(row, 7, "task details")?,
        created_at: time::from_micros(rows::integer(row, 8)?),
        due_at: opt_at(row, 9)?,
        settled_at: opt_at(row, 10)?,
        settled_by: rows::opt_string(row, 11)?,
        note: rows::opt_string(row, 12)?,
    })
}

/// Inserts a task; `NotFound` if it names a conversation its workspace does not have.
pub(in crate::sqlite) fn insert_task(conn: &Connection, t: &Task) -> StoreResult<()> {
    if let Some(conversation_id) = t.conversation_id {
        conversation(conn, t.workspace_id, conversation_id)?;
    }
    exec(
        conn,
        "INSERT INTO tasks (id, workspace_id, conversation_id, customer_id, kind, status, title, details, created_at, \
         due_at, settled_at, settled_by, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            id(t.id),
            id(t.workspace_id),
            t.conversation_id.map(id),
            t.customer_id.map(id),
            t.kind.as_str(),
            t.status.as_str(),
            t.title,
            to_json(&t.details)?,
            micros(t.created_at),
            t.due_at.map(micros),
            t.settled_at.map(micros),
            t.settled_by,
            t.note
        ],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn task(conn: &Connection, ws: WorkspaceId, task_id: TaskId) -> StoreResult<Task> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1 AND workspace_id = ?2");
    found(one(conn, &sql, [id(task_id), id(ws)], task_row)?, "task")
}

pub(in crate::sqlite) fn tasks(conn: &Connection, ws: WorkspaceId, f: &TaskFilter) -> StoreResult<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE workspace_id = ?1 AND (?2 IS NULL OR status = ?2) \
         AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR conversation_id = ?4) \
         ORDER BY created_at DESC, id DESC LIMIT ?5"
    );
    many(
        conn,
        &sql,
        params![
            id(ws),
            f.status.map(TaskStatus::as_str),
            f.kind.map(TaskKind::as_str),
            f.conversation.map(id),
            checks::task_limit(f.limit)
        ],
        task_row,
    )
}

/// Settles an open task (see `Store::settle_task`) and returns it as stored.
pub(in crate::sqlite) fn settle_task(conn: &Connection, s: &TaskSettlement) -> StoreResult<Task> {
    checks::settled_status(s.status)?;
    let changed = exec(
        conn,
        "UPDATE tasks SET status = ?1, settled_at = ?2, settled_by = ?3, note = COALESCE(?4, note), \
         details = COALESCE(?5, details) WHERE id = ?6 AND workspace_id = ?7 AND status = 'open'",
        params![
            s.status.as_str(),
            micros(s.at),
            s.by,
            s.note,
            s.details.as_ref().map(to_json).transpose()?,
            id(s.task_id),
            id(s.workspace_id)
        ],
    )?;
    let stored = task(conn, s.workspace_id, s.task_id)?;
    if changed == 0 {
        return Err(StoreError::Conflict(format!("the task is already {}", stored.status.as_str())));
    }
    Ok(stored)
}
