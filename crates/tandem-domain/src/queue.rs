//! Queues that conversations wait in for an agent.

use serde::{Deserialize, Serialize};

use crate::text::bounded_text;
use crate::{QueueId, Skill, Timestamp, ValidationError, WorkspaceId};

/// A queue and how conversations in it are routed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    pub id: QueueId,
    pub workspace_id: WorkspaceId,
    /// Unique within the workspace.
    pub name: String,
    #[serde(default)]
    pub routing: QueueRouting,
    pub created_at: Timestamp,
}

/// Who may answer a queue, how fast, and how requirements relax while a conversation waits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueRouting {
    pub required_skills: Vec<Skill>,
    /// Agents must speak it; without it, they must speak the conversation's language.
    pub language: Option<String>,
    /// Class priority added to every conversation in the queue.
    pub priority: i32,
    /// Service-level target: this share answered within `sla_seconds`.
    pub sla_target: f64,
    pub sla_seconds: u32,
    pub overflow: Vec<OverflowRule>,
}

impl Default for QueueRouting {
    fn default() -> Self {
        Self {
            required_skills: Vec::new(),
            language: None,
            priority: 0,
            sla_target: 0.8,
            sla_seconds: 20,
            overflow: Vec::new(),
        }
    }
}

/// After `after_seconds` in the queue, required proficiency drops by `relax_levels` and,
/// with `any_language`, the language requirement is waived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverflowRule {
    pub after_seconds: u32,
    pub relax_levels: u8,
    #[serde(default)]
    pub any_language: bool,
}

impl QueueRouting {
    /// Checks targets and steps; the error names the field to fix.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !(self.sla_target > 0.0 && self.sla_target <= 1.0) {
            return Err(ValidationError::new("routing.sla_target", "use a share in (0, 1], e.g. 0.8"));
        }
        if self.priority.abs() > 1000 {
            return Err(ValidationError::new("routing.priority", "use a value between -1000 and 1000"));
        }
        let mut last = 0;
        for step in &self.overflow {
            if step.after_seconds <= last {
                return Err(ValidationError::new(
                    "routing.overflow",
                    "each step needs an after_seconds greater than the step before (and > 0)",
                ));
            }
            if step.relax_levels > 4 {
                return Err(ValidationError::new("routing.overflow", "relax_levels is 0 to 4"));
            }
            last = step.after_seconds;
        }
        if self.overflow.len() > 8 {
            return Err(ValidationError::new("routing.overflow", "at most 8 steps"));
        }
        if let Some(lang) = &self.language
            && (lang.len() < 2 || lang.len() > 8 || !lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-'))
        {
            return Err(ValidationError::new("routing.language", "use a language code such as `en` or `pt-BR`"));
        }
        Ok(())
    }
}

/// Checks a queue name.
pub fn parse_queue_name(raw: &str) -> Result<String, ValidationError> {
    bounded_text("name", raw, 80)
}
