//! Canned responses: texts agents insert by shortcut, one per shortcut in a workspace
//! (the unique index settles two creates racing for one shortcut).

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::checks;
use tandem_domain::{CannedResponse, CannedResponseId};

const CANNED_COLUMNS: &str = "id, workspace_id, shortcut, title, body, language, created_at";

fn canned_row(row: &Row<'_>) -> StoreResult<CannedResponse> {
    Ok(CannedResponse {
        id: CannedResponseId::from_uuid(rows::uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
        shortcut: rows::string(row, 2)?,
        title: rows::string(row, 3)?,
        body: rows::string(row, 4)?,
        language: rows::opt_string(row, 5)?,
        created_at: time::from_micros(rows::integer(row, 6)?),
    })
}

/// Inserts a canned response; `Conflict` naming the shortcut if the workspace has one.
pub(in crate::sqlite) fn insert_canned_response(conn: &Connection, c: &CannedResponse) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO canned_responses (id, workspace_id, shortcut, title, body, language, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id(c.id), id(c.workspace_id), c.shortcut, c.title, c.body, c.language, micros(c.created_at)],
    )
    .map_err(|e| taken(e, &checks::shortcut_taken(&c.shortcut)))?;
    Ok(())
}

pub(in crate::sqlite) fn canned_responses(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<CannedResponse>> {
    let sql = format!("SELECT {CANNED_COLUMNS} FROM canned_responses WHERE workspace_id = ?1 ORDER BY shortcut");
    many(conn, &sql, [id(ws)], canned_row)
}

pub(in crate::sqlite) fn delete_canned_response(
    conn: &Connection,
    ws: WorkspaceId,
    canned: CannedResponseId,
) -> StoreResult<()> {
    let deleted =
        exec(conn, "DELETE FROM canned_responses WHERE id = ?1 AND workspace_id = ?2", params![id(canned), id(ws)])?;
    if deleted == 1 { Ok(()) } else { Err(StoreError::NotFound("canned response")) }
}
