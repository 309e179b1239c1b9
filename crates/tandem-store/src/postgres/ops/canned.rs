//! Canned responses: texts agents insert by shortcut, one per shortcut in a workspace
//! (the unique index settles two creates racing for one shortcut).

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::checks;
use tandem_domain::{CannedResponse, CannedResponseId};

const CANNED_COLUMNS: &str = "id, workspace_id, shortcut, title, body, language, created_at";

fn canned_row(row: &Row) -> StoreResult<CannedResponse> {
    Ok(CannedResponse {
        id: CannedResponseId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        shortcut: get(row, 2)?,
        title: get(row, 3)?,
        body: get(row, 4)?,
        language: get(row, 5)?,
        created_at: rows::at(row, 6)?,
    })
}

/// Inserts a canned response; `Conflict` naming the shortcut if the workspace has one.
pub(in crate::postgres) async fn insert_canned_response<C: GenericClient>(
    c: &C,
    canned: &CannedResponse,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO canned_responses (id, workspace_id, shortcut, title, body, language, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &canned.id.as_uuid(),
            &canned.workspace_id.as_uuid(),
            &canned.shortcut,
            &canned.title,
            &canned.body,
            &canned.language,
            &micros(canned.created_at),
        ],
    )
    .await
    .map_err(|e| taken(e, &checks::shortcut_taken(&canned.shortcut)))?;
    Ok(())
}

/// By shortcut, byte by byte (`COLLATE "C"`), as SQLite orders them.
pub(in crate::postgres) async fn canned_responses<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
) -> StoreResult<Vec<CannedResponse>> {
    let sql = format!(
        "SELECT {CANNED_COLUMNS} FROM canned_responses WHERE workspace_id = $1 ORDER BY shortcut COLLATE \"C\""
    );
    many(c, &sql, &[&ws.as_uuid()], canned_row).await
}

pub(in crate::postgres) async fn delete_canned_response<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: CannedResponseId,
) -> StoreResult<()> {
    let deleted =
        exec(c, "DELETE FROM canned_responses WHERE id = $1 AND workspace_id = $2", &[&id.as_uuid(), &ws.as_uuid()])
            .await?;
    if deleted == 1 { Ok(()) } else { Err(StoreError::NotFound("canned response")) }
}
