//! Tasks for people: follow-ups and approvals, listed newest first and settled once.
//! Settling is one `UPDATE ... WHERE status = 'open'`, so of two people settling a task
//! at once the second changes nothing and gets `Conflict`.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::checks;
use crate::codec::parse_enum;
use crate::{TaskFilter, TaskSettlement};
use tandem_domain::{Task, TaskId, TaskKind, TaskStatus};

const TASK_COLUMNS: &str = "id, workspace_id, conversation_id, customer_id, kind, status, title, details, created_at, \
     due_at, settled_at, settled_by, note";

fn task_row(row: &Row) -> StoreResult<Task> {
    Ok(Task {
        id: TaskId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        conversation_id: get::<Option<Uuid>>(row, 2)?.map(ConversationId::from_uuid),
        customer_id: get::<Option<Uuid>>(row, 3)?.map(CustomerId::from_uuid),
        kind: parse_enum("task kind", get::<&str>(row, 4)?, TaskKind::parse)?,
        status: parse_enum("task status", get::<&str>(row, 5)?, TaskStatus::parse)?,
        title: get(row, 6)?,
        details: rows::json(row, 7)?,
        created_at: rows::at(row, 8)?,
        due_at: rows::opt_at(row, 9)?,
        settled_at: rows::opt_at(row, 10)?,
        settled_by: get(row, 11)?,
        note: get(row, 12)?,
    })
}

/// Inserts a task; `NotFound` if it names a conversation its workspace does not have.
pub(in crate::postgres) async fn insert_task<C: GenericClient>(c: &C, t: &Task) -> StoreResult<()> {
    if let Some(conversation_id) = t.conversation_id {
        conversation(c, t.workspace_id, conversation_id).await?;
    }
    exec(
        c,
        "INSERT INTO tasks (id, workspace_id, conversation_id, customer_id, kind, status, title, details, created_at, \
         due_at, settled_at, settled_by, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &t.id.as_uuid(),
            &t.workspace_id.as_uuid(),
            &t.conversation_id.map(|x| x.as_uuid()),
            &t.customer_id.map(|x| x.as_uuid()),
            &t.kind.as_str(),
            &t.status.as_str(),
            &t.title,
            &Json(&t.details),
            &micros(t.created_at),
            &t.due_at.map(micros),
            &t.settled_at.map(micros),
            &t.settled_by,
            &t.note,
        ],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn task<C: GenericClient>(c: &C, ws: WorkspaceId, id: TaskId) -> StoreResult<Task> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1 AND workspace_id = $2");
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], task_row).await?, "task")
}

pub(in crate::postgres) async fn tasks<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    f: &TaskFilter,
) -> StoreResult<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE workspace_id = $1 AND ($2::text IS NULL OR status = $2) \
         AND ($3::text IS NULL OR kind = $3) AND ($4::uuid IS NULL OR conversation_id = $4) \
         ORDER BY created_at DESC, id DESC LIMIT $5"
    );
    many(
        c,
        &sql,
        &[
            &ws.as_uuid(),
            &f.status.map(TaskStatus::as_str),
            &f.kind.map(TaskKind::as_str),
            &f.conversation.map(|x| x.as_uuid()),
            &i64::from(checks::task_limit(f.limit)),
        ],
        task_row,
    )
    .await
}

/// Settles an open task (see `Store::settle_task`) and returns it as stored.
pub(in crate::postgres) async fn settle_task<C: GenericClient>(c: &C, s: &TaskSettlement) -> StoreResult<Task> {
    checks::settled_status(s.status)?;
    let sql = format!(
        "UPDATE tasks SET status = $1, settled_at = $2, settled_by = $3, note = COALESCE($4::text, note), \
         details = COALESCE($5::jsonb, details) WHERE id = $6 AND workspace_id = $7 AND status = 'open' \
         RETURNING {TASK_COLUMNS}"
    );
    let settled = one(
        c,
        &sql,
        &[
            &s.status.as_str(),
            &micros(s.at),
            &s.by,
            &s.note,
            &s.details.as_ref().map(Json),
            &s.task_id.as_uuid(),
            &s.workspace_id.as_uuid(),
        ],
        task_row,
    )
    .await?;
    match settled {
        Some(task) => Ok(task),
        None => {
            let current = task(c, s.workspace_id, s.task_id).await?;
            Err(StoreError::Conflict(format!("the task is already {}", current.status.as_str())))
        }
    }
}
