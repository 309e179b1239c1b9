//! Tasks for people: follow-ups the virtual agent promised a customer (no agent was
//! available) and actions it may only take once a person approves them.

use serde::{Deserialize, Serialize};

use crate::{ConversationId, CustomerId, TaskId, Timestamp, ValidationError, WorkspaceId};

/// What a task asks of a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Get back to the customer (by email or phone) when someone is available.
    FollowUp,
    /// Approve or reject an action the virtual agent prepared.
    Approval,
}

impl TaskKind {
    pub const ALL: [TaskKind; 2] = [Self::FollowUp, Self::Approval];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FollowUp => "follow_up",
            Self::Approval => "approval",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|k| k.as_str() == value).ok_or_else(|| {
            ValidationError::new("kind", format!("unknown task kind `{value}`; use follow_up or approval"))
        })
    }
}

/// Where a task stands. Only an open task can be settled, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    /// A follow-up was made.
    Done,
    /// An approval was given (and the action then ran; see the task's result).
    Approved,
    Rejected,
    /// No longer needed (the conversation ended another way).
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [Self::Open, Self::Done, Self::Approved, Self::Rejected, Self::Cancelled];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            ValidationError::new(
                "status",
                format!("unknown task status `{value}`; use open, done, approved, rejected or cancelled"),
            )
        })
    }
}

/// A task. `details` holds what the person needs (the action and its inputs, how to
/// reach the customer); it never holds secrets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub workspace_id: WorkspaceId,
    pub conversation_id: Option<ConversationId>,
    pub customer_id: Option<CustomerId>,
    pub kind: TaskKind,
    pub status: TaskStatus,
    pub title: String,
    pub details: serde_json::Value,
    pub created_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub settled_at: Option<Timestamp>,
    /// Who settled it: `agent:<id>`, `api_key:<id>` or `system`.
    pub settled_by: Option<String>,
    /// Why (a rejection's reason, a follow-up's note).
    pub note: Option<String>,
}
