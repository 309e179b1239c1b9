//! The PostgreSQL backend's queries, generic over a pooled client or a transaction.

use std::time::{Duration, Instant};

use deadpool_postgres::{GenericClient, Pool};
use tandem_domain::{
    Agent, AgentId, AgentState, Conversation, ConversationId, Customer, CustomerId, DomainEvent, Identity, Message,
    MessageId, Queue, QueueId, StoredEvent, Timestamp, Workspace, WorkspaceId, time,
};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{Json, ToSql};
use uuid::Uuid;

use super::rows::{self, get};
use crate::codec::{author_columns, owner_columns};
use crate::merge::absorb_profile;
use crate::{
    ApiKeyRecord, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange, OwnerFilter,
    SessionRecord, StoreError, StoreResult, Timeline,
};

type Param<'a> = &'a (dyn ToSql + Sync);

/// The one place PostgreSQL errors become store errors.
pub fn db_error(error: tokio_postgres::Error) -> StoreError {
    if let Some(code) = error.code() {
        if *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            return StoreError::Conflict(error.to_string());
        }
        if *code == SqlState::FOREIGN_KEY_VIOLATION || *code == SqlState::CHECK_VIOLATION {
            return StoreError::Invalid(error.to_string());
        }
        if code.code().starts_with("08") || code.code().starts_with("53") || code.code().starts_with("57") {
            return StoreError::Unavailable(error.to_string());
        }
        return StoreError::Other(error.to_string());
    }
    if error.is_closed() {
        return StoreError::Unavailable(error.to_string());
    }
    StoreError::Unavailable(error.to_string())
}

async fn one<C: GenericClient, T>(
    c: &C,
    sql: &str,
    params: &[Param<'_>],
    decode: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    let row = c.query_opt(&stmt, params).await.map_err(db_error)?;
    row.as_ref().map(decode).transpose()
}

async fn many<C: GenericClient, T>(
    c: &C,
    sql: &str,
    params: &[Param<'_>],
    decode: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    let rows = c.query(&stmt, params).await.map_err(db_error)?;
    rows.iter().map(decode).collect()
}

async fn exec<C: GenericClient>(c: &C, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    c.execute(&stmt, params).await.map_err(db_error)
}

fn found<T>(value: Option<T>, what: &'static str) -> StoreResult<T> {
    value.ok_or(StoreError::NotFound(what))
}

fn micros(at: Timestamp) -> i64 {
    time::to_micros(at)
}

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
