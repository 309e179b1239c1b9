//! Agents: the people who work conversations, with their role, skills and capacity.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::text::bounded_text;
use crate::{AgentId, Channel, Timestamp, ValidationError, WorkspaceId};

/// What an agent may do. Ordered: each role can do what the ones before it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        [Self::Agent, Self::Supervisor, Self::Admin].into_iter().find(|r| r.as_str() == value).ok_or_else(|| {
            ValidationError::new("role", format!("unknown role `{value}`; use agent, supervisor or admin"))
        })
    }
}

/// An agent's presence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Available,
    Busy,
    WrapUp,
    Away,
    #[default]
    Offline,
}

impl AgentState {
    pub const ALL: [AgentState; 5] = [Self::Available, Self::Busy, Self::WrapUp, Self::Away, Self::Offline];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Busy => "busy",
            Self::WrapUp => "wrap_up",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            ValidationError::new(
                "state",
                format!("unknown state `{value}`; use available, busy, wrap_up, away or offline"),
            )
        })
    }
}

/// A skill with a proficiency from 1 (basic) to 5 (expert).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
    pub level: u8,
}

impl Skill {
    pub fn parse(name: &str, level: u8) -> Result<Self, ValidationError> {
        let name = bounded_text("skills.name", &name.to_lowercase(), 50)?;
        if !(1..=5).contains(&level) {
            return Err(ValidationError::new(
                "skills.level",
                format!("{level} is out of range; use 1 (basic) to 5 (expert)"),
            ));
        }
        Ok(Self { name, level })
    }
}

/// How many conversations an agent handles at once, per channel.
pub type Capacity = BTreeMap<Channel, u16>;

/// The default capacity: 3 chats, 5 emails or messaging threads, 1 voice call.
pub fn default_capacity() -> Capacity {
    Channel::ALL
        .into_iter()
        .map(|c| {
            let n = match c {
                Channel::WebChat => 3,
                Channel::Voice => 1,
                Channel::Email | Channel::Sms | Channel::Whatsapp | Channel::Api => 5,
            };
            (c, n)
        })
        .collect()
}

/// An agent account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    /// Lowercased login email, unique within the workspace.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub skills: Vec<Skill>,
    pub languages: Vec<String>,
    pub capacity: Capacity,
    pub state: AgentState,
    pub created_at: Timestamp,
}
