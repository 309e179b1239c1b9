//! The store's error type. Each backend maps its driver's errors in one place.

use thiserror::Error;

/// What went wrong in the store, in domain words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The record does not exist in this workspace.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule or an optimistic-concurrency check failed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An idempotency key was reused for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// The request is valid in form but breaks a rule the store enforces.
    #[error("{0}")]
    Invalid(String),
    /// The database cannot be reached or is overloaded; retrying may help.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug, corrupt data).
    #[error("storage error: {0}")]
    Other(String),
}

impl StoreError {
    pub fn other(error: impl std::fmt::Display) -> Self {
        Self::Other(error.to_string())
    }
}
