//! Conversions between domain values and the column values both backends store
//! (enums as their snake_case names, owners and authors as a kind plus an id, lists as
//! JSON). Decoding failures mean corrupt data and become `StoreError::Other`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_domain::{AgentId, Author, CustomerId, Owner, QueueId};
use uuid::Uuid;

use crate::StoreError;

pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt {what} in the database: {detail}"))
}

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::other)
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

pub(crate) fn owner_columns(owner: Owner) -> (&'static str, Option<Uuid>) {
    match owner {
        Owner::Bot => ("bot", None),
        Owner::Queue(id) => ("queue", Some(id.as_uuid())),
        Owner::Agent(id) => ("agent", Some(id.as_uuid())),
    }
}

pub(crate) fn owner_from_columns(kind: &str, id: Option<Uuid>) -> Result<Owner, StoreError> {
    match (kind, id) {
        ("bot", _) => Ok(Owner::Bot),
        ("queue", Some(id)) => Ok(Owner::Queue(QueueId::from_uuid(id))),
        ("agent", Some(id)) => Ok(Owner::Agent(AgentId::from_uuid(id))),
        _ => Err(corrupt("owner", kind)),
    }
}

pub(crate) fn author_columns(author: Author) -> (&'static str, Option<Uuid>) {
    match author {
        Author::Customer(id) => ("customer", Some(id.as_uuid())),
        Author::Bot => ("bot", None),
        Author::Agent(id) => ("agent", Some(id.as_uuid())),
        Author::System => ("system", None),
    }
}

pub(crate) fn author_from_columns(kind: &str, id: Option<Uuid>) -> Result<Author, StoreError> {
    match (kind, id) {
        ("customer", Some(id)) => Ok(Author::Customer(CustomerId::from_uuid(id))),
        ("bot", _) => Ok(Author::Bot),
        ("agent", Some(id)) => Ok(Author::Agent(AgentId::from_uuid(id))),
        ("system", _) => Ok(Author::System),
        _ => Err(corrupt("author", kind)),
    }
}

/// Parses a stored enum name with the domain's parser.
pub(crate) fn parse_enum<T, E: std::fmt::Display>(
    what: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(value).map_err(|e| corrupt(what, e))
}
