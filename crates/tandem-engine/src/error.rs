//! The engine's error type: what went wrong, in words a client can act on.

use tandem_domain::{TransitionError, ValidationError};
use tandem_store::StoreError;
use thiserror::Error;

/// Why a use case failed. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    /// The input breaks a rule; `field` says which.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule, or a concurrent change that retries could not resolve.
    #[error("{0}")]
    Conflict(String),
    /// The conversation's lifecycle does not allow the command.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The request is well-formed but not allowed by a business rule.
    #[error("{0}")]
    Invalid(String),
    #[error("the idempotency key was already used for a different request; use a new key")]
    IdempotencyKeyReused,
    /// Credentials are missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The database or another dependency is down; retrying later may help.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or corrupt data.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            StoreError::Invalid(message) => Self::Invalid(message),
            StoreError::Unavailable(message) => Self::Unavailable(message),
            StoreError::Other(message) => Self::Internal(message),
        }
    }
}
