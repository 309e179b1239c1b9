//! Typed identifiers. Every entity has its own newtype over a UUIDv7 (time-ordered), so
//! a `CustomerId` can never be passed where a `ConversationId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (for storage backends and parsing).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A tenant: all data belongs to exactly one workspace and never crosses to another.
    WorkspaceId
);
id_type!(
    /// A customer (a person or organisation that contacts the workspace).
    CustomerId
);
id_type!(
    /// A conversation: one customer's thread of messages across channels.
    ConversationId
);
id_type!(
    /// A message within a conversation.
    MessageId
);
id_type!(
    /// A human agent's account.
    AgentId
);
id_type!(
    /// A queue that conversations wait in for an agent.
    QueueId
);
id_type!(
    /// An entry in the event log.
    EventId
);
id_type!(
    /// An API key.
    ApiKeyId
);
id_type!(
    /// A routing offer: one conversation proposed to one agent.
    OfferId
);
id_type!(
    /// A knowledge article (one language; translations are articles of their own).
    ArticleId
);
id_type!(
    /// One decision of the virtual agent (a turn, an approval's outcome), kept for audit.
    DecisionId
);
id_type!(
    /// A task for a person: a follow-up to make, an action to approve.
    TaskId
);
id_type!(
    /// A canned response agents insert with its `/shortcut`.
    CannedResponseId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = ConversationId::new();
        assert_eq!(id.to_string().parse::<ConversationId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<ConversationId>(&json).unwrap(), id);
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = MessageId::new();
        let b = MessageId::new();
        assert!(a < b);
    }
}
