//! The API's one error shape and the one table from failure to status and code.
//!
//! Every error body is `{"error": {"code": "...", "message": "...", "field": "..."}}`;
//! `code` is stable (clients switch on it), `message` says what to fix, `field` names
//! the offending input when there is one. Extractor rejections (bad JSON, bad path
//! or query) use the same shape.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tandem_domain::{TransitionError, ValidationError};
use tandem_engine::EngineError;
use utoipa::ToSchema;

/// An API failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// The JSON body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: `validation_failed`, `not_found`, `invalid_transition`, ...
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The offending field, when one input is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None }
    }

    pub fn validation(error: ValidationError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: error.to_string(),
            field: Some(error.field),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::validation(error)
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        use StatusCode as S;
        match error {
            EngineError::Validation(e) => Self::validation(e),
            EngineError::NotFound(what) => Self::not_found(what),
            EngineError::Conflict(m) => Self::new(S::CONFLICT, "conflict", m),
            EngineError::Transition(TransitionError::NotOwner) => {
                Self::new(S::CONFLICT, "not_owner", TransitionError::NotOwner.to_string())
            }
            EngineError::Transition(e @ TransitionError::NoChange(_)) => {
                Self::new(S::CONFLICT, "no_change", e.to_string())
            }
            EngineError::Transition(e) => Self::new(S::CONFLICT, "invalid_transition", e.to_string()),
            EngineError::Invalid(m) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_request", m),
            EngineError::IdempotencyKeyReused => Self::new(
                S::CONFLICT,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request; use a new key",
            ),
            EngineError::Unauthorized(m) => Self::unauthorized(m),
            EngineError::Forbidden(m) => Self::forbidden(m),
            EngineError::Unavailable(m) => {
                tracing::error!(error = %m, "dependency unavailable");
                Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is temporarily unavailable; retry shortly",
                )
            }
            EngineError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Self::new(S::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side; it has been logged")
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        use StatusCode as S;
        match &rejection {
            JsonRejection::JsonDataError(e) => Self::new(S::UNPROCESSABLE_ENTITY, "invalid_body", e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Self::new(S::BAD_REQUEST, "malformed_json", e.body_text()),
            JsonRejection::MissingJsonContentType(_) => Self::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            other if other.status() == S::PAYLOAD_TOO_LARGE => Self::new(
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than the server accepts",
            ),
            other => Self::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_path", format!("{}; ids are UUIDs", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message, field: self.field } };
        (self.status, Json(body)).into_response()
    }
}

/// The fallback for unknown routes.
pub async fn route_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint; see /api/openapi.json")
}

/// The fallback for a known route with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not accept that method")
}

impl From<tandem_store::StoreError> for ApiError {
    fn from(error: tandem_store::StoreError) -> Self {
        EngineError::from(error).into()
    }
}
