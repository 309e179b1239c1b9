//! Queues that conversations wait in for an agent.

use serde::{Deserialize, Serialize};

use crate::text::bounded_text;
use crate::{QueueId, Timestamp, ValidationError, WorkspaceId};

/// A queue. Routing details (required skills, SLA targets) arrive with the routing engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub id: QueueId,
    pub workspace_id: WorkspaceId,
    /// Unique within the workspace.
    pub name: String,
    pub created_at: Timestamp,
}

/// Checks a queue name.
pub fn parse_queue_name(raw: &str) -> Result<String, ValidationError> {
    bounded_text("name", raw, 80)
}
