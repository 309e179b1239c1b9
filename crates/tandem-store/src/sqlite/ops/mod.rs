//! The SQLite backend's queries, as synchronous functions over a connection. Write
//! functions run on the writer thread inside the group transaction; read functions on a
//! read-only connection.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Params, Row, ToSql, params, params_from_iter};
use tandem_domain::{
    Agent, AgentId, AgentState, Conversation, ConversationId, Customer, CustomerId, DomainEvent, Identity,
    InboundMessage, Message, MessageId, Queue, QueueId, StoredEvent, Timestamp, Workspace, WorkspaceId,
    ingest::{ContinuityPolicy, plan_ingest},
    time,
};

use super::rows::{self, found};
use crate::codec::{author_columns, owner_columns, to_json};
use crate::merge::absorb_profile;
use crate::{
    ApiKeyRecord, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange, IngestOutcome,
    OwnerFilter, SessionRecord, StoreError, StoreResult, Timeline,
};

/// The one place SQLite errors become store errors.
pub(crate) fn db_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &error {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            ErrorCode::ConstraintViolation => StoreError::Conflict(error.to_string()),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Unavailable(error.to_string()),
            ErrorCode::CannotOpen | ErrorCode::DiskFull | ErrorCode::ReadOnly | ErrorCode::SystemIoFailure => {
                StoreError::Unavailable(error.to_string())
            }
            _ => StoreError::Other(error.to_string()),
        },
        _ => StoreError::Other(error.to_string()),
    }
}

fn one<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query(params).map_err(db_error)?;
    match rows.next().map_err(db_error)? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

fn many<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query(params).map_err(db_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        out.push(decode(row)?);
    }
    Ok(out)
}

fn exec<P: Params>(conn: &Connection, sql: &str, params: P) -> StoreResult<usize> {
    conn.prepare_cached(sql).map_err(db_error)?.execute(params).map_err(db_error)
}

fn id<T: ToString>(value: T) -> String {
    value.to_string()
}

fn micros(at: Timestamp) -> i64 {
    time::to_micros(at)
}

/// Turns a uniqueness conflict into a message naming what is taken.
fn taken(error: StoreError, what: &str) -> StoreError {
    match error {
        StoreError::Conflict(_) => StoreError::Conflict(what.to_owned()),
        other => other,
    }
}

mod access;
mod agents;
mod baseline;
mod bot;
mod canned;
mod conversations;
mod customers;
mod events;
mod knowledge;
mod routing;
mod tasks;

pub(super) use access::*;
pub(super) use agents::*;
pub(super) use baseline::*;
pub(super) use bot::*;
pub(super) use canned::*;
pub(super) use conversations::*;
pub(super) use customers::*;
pub(super) use events::*;
pub(super) use knowledge::*;
pub(super) use routing::*;
pub(super) use tasks::*;
