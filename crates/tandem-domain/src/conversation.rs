//! Conversations and their lifecycle.
//!
//! A conversation is always in one [`ConversationStatus`] and has exactly one [`Owner`];
//! the two agree (a `queued` conversation is owned by a queue, an `assigned` one by an
//! agent...). Every change goes through [`Conversation::apply`], a pure function that
//! either returns the changed conversation with the events describing the change, or a
//! [`TransitionError`] and changes nothing.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    AgentId, Channel, ConversationId, CustomerId, DomainEvent, QueueId, Timestamp, ValidationError, WorkspaceId,
};

/// Where a conversation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The virtual agent owns it.
    Bot,
    /// Waiting in a queue for an agent.
    Queued,
    /// An agent owns it and the next move is theirs.
    Assigned,
    /// An agent owns it and replied; the next move is the customer's.
    WaitingOnCustomer,
    /// Done; may be reopened.
    Resolved,
    /// Archived; final.
    Closed,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 6] =
        [Self::Bot, Self::Queued, Self::Assigned, Self::WaitingOnCustomer, Self::Resolved, Self::Closed];

    /// The statuses in which a conversation is open (someone must act on it).
    pub const OPEN: [ConversationStatus; 4] = [Self::Bot, Self::Queued, Self::Assigned, Self::WaitingOnCustomer];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Queued => "queued",
            Self::Assigned => "assigned",
            Self::WaitingOnCustomer => "waiting_on_customer",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    pub const fn is_open(self) -> bool {
        matches!(self, Self::Bot | Self::Queued | Self::Assigned | Self::WaitingOnCustomer)
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            ValidationError::new(
                "status",
                format!("unknown status `{value}`; use bot, queued, assigned, waiting_on_customer, resolved or closed"),
            )
        })
    }
}

impl fmt::Display for ConversationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who owns a conversation. Exactly one, always.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    Bot,
    Queue(QueueId),
    Agent(AgentId),
}

impl Owner {
    /// The open status an owner implies when a conversation is (re)opened with it.
    pub const fn open_status(self) -> ConversationStatus {
        match self {
            Self::Bot => ConversationStatus::Bot,
            Self::Queue(_) => ConversationStatus::Queued,
            Self::Agent(_) => ConversationStatus::Assigned,
        }
    }

    pub const fn kind_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Queue(_) => "queue",
            Self::Agent(_) => "agent",
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bot => f.write_str("bot"),
            Self::Queue(id) => write!(f, "queue:{id}"),
            Self::Agent(id) => write!(f, "agent:{id}"),
        }
    }
}

/// Whether `status` and `owner` agree. True for every stored conversation.
pub const fn status_matches_owner(status: ConversationStatus, owner: Owner) -> bool {
    use ConversationStatus as S;
    match status {
        S::Bot => matches!(owner, Owner::Bot),
        S::Queued => matches!(owner, Owner::Queue(_)),
        S::Assigned | S::WaitingOnCustomer => matches!(owner, Owner::Agent(_)),
        S::Resolved | S::Closed => true,
    }
}

/// Priority: 0 (lowest) to 9 (most urgent). Routing adds aging on top.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Priority(u8);

impl Priority {
    pub const MAX: u8 = 9;
    pub const NORMAL: Priority = Priority(3);

    pub fn new(value: u8) -> Result<Self, ValidationError> {
        if value <= Self::MAX {
            Ok(Self(value))
        } else {
            Err(ValidationError::new("priority", format!("{value} is out of range; use 0 (lowest) to 9 (most urgent)")))
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Priority {
    type Error = ValidationError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Priority> for u8 {
    fn from(p: Priority) -> Self {
        p.0
    }
}

/// A tag: 1–50 characters of lowercase letters, digits, `-`, `_`, `:` or `/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim().to_lowercase();
        let ok = (1..=50).contains(&value.chars().count())
            && value.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '/'));
        if ok {
            Ok(Self(value))
        } else {
            Err(ValidationError::new(
                "tags",
                format!("`{}` is not a tag: use 1 to 50 letters, digits, `-`, `_`, `:` or `/`", raw.trim()),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> Self {
        tag.0
    }
}

/// One stretch of a conversation on one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSpan {
    pub channel: Channel,
    pub since: Timestamp,
}

/// A conversation between one customer and the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub customer_id: CustomerId,
    pub status: ConversationStatus,
    pub owner: Owner,
    pub priority: Priority,
    pub tags: BTreeSet<Tag>,
    /// The channel the conversation is on now.
    pub channel: Channel,
    /// Every channel the conversation has been on, oldest first (the last is `channel`).
    pub channel_history: Vec<ChannelSpan>,
    pub subject: Option<String>,
    pub language: Option<String>,
    /// The customer's sentiment over this conversation.
    #[serde(default)]
    pub sentiment: crate::SentimentTrajectory,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_message_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// Incremented on every change; stores use it for optimistic concurrency.
    pub version: i64,
}

/// A request to change a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Put it in a queue: escalation from the bot, or a transfer from an agent or queue.
    Enqueue {
        queue: QueueId,
    },
    /// Give it to an agent: from the bot or a queue, or a transfer between agents.
    Assign {
        agent: AgentId,
    },
    /// Hand it back to the virtual agent.
    ReturnToBot,
    /// An agent sent the customer a reply. An unowned (bot or queue) conversation is
    /// taken by the replying agent; one owned by another agent is refused.
    AgentReplied {
        agent: AgentId,
    },
    /// The customer wrote; the move is the agent's again.
    CustomerMessaged {
        channel: Channel,
    },
    Resolve,
    Close,
    Reopen,
    SetPriority(Priority),
    Tag {
        add: Vec<Tag>,
        remove: Vec<Tag>,
    },
}

impl Command {
    /// A short name for errors and logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Enqueue { .. } => "enqueue",
            Self::Assign { .. } => "assign",
            Self::ReturnToBot => "return_to_bot",
            Self::AgentReplied { .. } => "agent_reply",
            Self::CustomerMessaged { .. } => "customer_message",
            Self::Resolve => "resolve",
            Self::Close => "close",
            Self::Reopen => "reopen",
            Self::SetPriority(_) => "set_priority",
            Self::Tag { .. } => "tag",
        }
    }
}

/// Why a command was refused. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("cannot {command} a {status} conversation{hint}")]
    InvalidTransition { command: &'static str, status: ConversationStatus, hint: &'static str },
    #[error("the conversation is owned by another agent; transfer it first")]
    NotOwner,
    #[error("nothing to change: {0}")]
    NoChange(&'static str),
}

/// The result of a successful command: the changed conversation and what happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub conversation: Conversation,
    pub events: Vec<DomainEvent>,
}

impl Conversation {
    /// A new conversation, owned by `owner`, on `channel`.
    pub fn new(
        workspace_id: WorkspaceId,
        customer_id: CustomerId,
        channel: Channel,
        owner: Owner,
        now: Timestamp,
    ) -> Self {
        Self {
            id: ConversationId::new(),
            workspace_id,
            customer_id,
            status: owner.open_status(),
            owner,
            priority: Priority::NORMAL,
            tags: BTreeSet::new(),
            channel,
            channel_history: vec![ChannelSpan { channel, since: now }],
            subject: None,
            language: None,
            sentiment: crate::SentimentTrajectory::default(),
            created_at: now,
            updated_at: now,
            last_message_at: now,
            resolved_at: None,
            closed_at: None,
            version: 1,
        }
    }

    /// Applies `command` at `now`. Pure: `self` is untouched either way.
    pub fn apply(&self, command: &Command, now: Timestamp) -> Result<Transition, TransitionError> {
        let mut next = self.clone();
        let mut events = Vec::new();
        next.apply_in_place(command, now, &mut events)?;
        // A customer message is a change even when the status stays (last_message_at moves).
        if events.is_empty() && !matches!(command, Command::CustomerMessaged { .. }) {
            return Err(TransitionError::NoChange("the conversation is already in that state"));
        }
        next.updated_at = now;
        next.version += 1;
        debug_assert!(status_matches_owner(next.status, next.owner));
        Ok(Transition { conversation: next, events })
    }

    fn apply_in_place(
        &mut self,
        command: &Command,
        now: Timestamp,
        events: &mut Vec<DomainEvent>,
    ) -> Result<(), TransitionError> {
        use ConversationStatus as S;
        let refuse = |hint: &'static str| TransitionError::InvalidTransition {
            command: command.name(),
            status: self.status,
            hint,
        };
        match command {
            Command::Enqueue { queue } => {
                if !self.status.is_open() {
                    return Err(refuse("; reopen it first"));
                }
                self.change_owner(Owner::Queue(*queue), events)?;
            }
            Command::Assign { agent } => {
                if !self.status.is_open() {
                    return Err(refuse("; reopen it first"));
                }
                self.change_owner(Owner::Agent(*agent), events)?;
            }
            Command::ReturnToBot => {
                if !self.status.is_open() {
                    return Err(refuse("; reopen it first"));
                }
                self.change_owner(Owner::Bot, events)?;
            }
            Command::AgentReplied { agent } => match (self.status, self.owner) {
                (S::Resolved | S::Closed, _) => return Err(refuse("; reopen it first")),
                (_, Owner::Agent(owner)) if owner != *agent => return Err(TransitionError::NotOwner),
                (S::Assigned | S::WaitingOnCustomer, _) => self.set_status(S::WaitingOnCustomer, events),
                (S::Bot | S::Queued, _) => {
                    self.change_owner(Owner::Agent(*agent), events)?;
                    self.set_status(S::WaitingOnCustomer, events);
                }
            },
            Command::CustomerMessaged { channel } => {
                if !self.status.is_open() {
                    return Err(refuse("; a new conversation starts instead"));
                }
                self.last_message_at = now;
                self.switch_channel(*channel, now, events);
                if self.status == S::WaitingOnCustomer {
                    self.set_status(S::Assigned, events);
                }
            }
            Command::Resolve => {
                if !self.status.is_open() {
                    return Err(refuse(""));
                }
                self.resolved_at = Some(now);
                self.set_status(S::Resolved, events);
            }
            Command::Close => {
                if self.status == S::Closed {
                    return Err(refuse(""));
                }
                if self.resolved_at.is_none() {
                    self.resolved_at = Some(now);
                }
                self.closed_at = Some(now);
                self.set_status(S::Closed, events);
            }
            Command::Reopen => {
                if self.status != S::Resolved {
                    return Err(refuse(match self.status {
                        S::Closed => "; closed conversations are final, a new message starts a new one",
                        _ => "; it is still open",
                    }));
                }
                self.resolved_at = None;
                self.set_status(self.owner.open_status(), events);
            }
            Command::SetPriority(priority) => {
                if *priority != self.priority {
                    events.push(DomainEvent::PriorityChanged {
                        conversation_id: self.id,
                        from: self.priority,
                        to: *priority,
                    });
                    self.priority = *priority;
                }
            }
            Command::Tag { add, remove } => {
                let before = self.tags.clone();
                self.tags.extend(add.iter().cloned());
                for tag in remove {
                    self.tags.remove(tag);
                }
                if self.tags != before {
                    events.push(DomainEvent::TagsChanged {
                        conversation_id: self.id,
                        tags: self.tags.iter().cloned().collect(),
                    });
                }
            }
        }
        Ok(())
    }

    fn change_owner(&mut self, to: Owner, events: &mut Vec<DomainEvent>) -> Result<(), TransitionError> {
        if self.owner == to {
            return Err(TransitionError::NoChange("the conversation already has that owner"));
        }
        events.push(DomainEvent::OwnerChanged { conversation_id: self.id, from: self.owner, to });
        self.owner = to;
        self.set_status(to.open_status(), events);
        Ok(())
    }

    fn set_status(&mut self, to: ConversationStatus, events: &mut Vec<DomainEvent>) {
        if self.status != to {
            events.push(DomainEvent::StatusChanged { conversation_id: self.id, from: self.status, to });
            self.status = to;
        }
    }

    /// Records a move to `channel`, if it is a move.
    pub(crate) fn switch_channel(&mut self, channel: Channel, now: Timestamp, events: &mut Vec<DomainEvent>) {
        if self.channel != channel {
            events.push(DomainEvent::ChannelSwitched { conversation_id: self.id, from: self.channel, to: channel });
            self.channel = channel;
            self.channel_history.push(ChannelSpan { channel, since: now });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;
    use proptest::prelude::*;

    fn conversation(owner: Owner) -> Conversation {
        Conversation::new(WorkspaceId::new(), CustomerId::new(), Channel::WebChat, owner, time::now())
    }

    /// Applies `command` to a conversation in `status` and returns the new status, or
    /// the error's display text.
    fn check(start: Owner, setup: &[Command], command: Command, expected: Result<ConversationStatus, &str>) {
        let mut conv = conversation(start);
        for step in setup {
            conv = conv.apply(step, time::now()).expect("setup step").conversation;
        }
        let before = conv.clone();
        let got = conv.apply(&command, time::now()).map(|t| t.conversation.status).map_err(|e| e.to_string());
        match expected {
            Ok(status) => assert_eq!(got, Ok(status), "{command:?}"),
            Err(text) => {
                let err = got.expect_err("expected an error");
                assert!(err.contains(text), "{err} should contain {text}");
                assert_eq!(conv, before, "a refused command changes nothing");
            }
        }
    }

    #[test]
    fn lifecycle_happy_path() {
        let queue = QueueId::new();
        let agent = AgentId::new();
        check(Owner::Bot, &[], Command::Enqueue { queue }, Ok(ConversationStatus::Queued));
        check(Owner::Bot, &[Command::Enqueue { queue }], Command::Assign { agent }, Ok(ConversationStatus::Assigned));
        check(Owner::Agent(agent), &[], Command::AgentReplied { agent }, Ok(ConversationStatus::WaitingOnCustomer));
        check(
            Owner::Agent(agent),
            &[Command::AgentReplied { agent }],
            Command::CustomerMessaged { channel: Channel::Email },
            Ok(ConversationStatus::Assigned),
        );
        check(Owner::Agent(agent), &[], Command::Resolve, Ok(ConversationStatus::Resolved));
        check(Owner::Agent(agent), &[Command::Resolve], Command::Reopen, Ok(ConversationStatus::Assigned));
        check(Owner::Queue(queue), &[Command::Resolve], Command::Reopen, Ok(ConversationStatus::Queued));
        check(Owner::Agent(agent), &[Command::Resolve], Command::Close, Ok(ConversationStatus::Closed));
        check(Owner::Bot, &[], Command::Close, Ok(ConversationStatus::Closed));
        check(Owner::Agent(agent), &[], Command::ReturnToBot, Ok(ConversationStatus::Bot));
    }

    #[test]
    fn an_agent_reply_takes_an_unowned_conversation() {
        let agent = AgentId::new();
        let conv = conversation(Owner::Queue(QueueId::new()));
        let t = conv.apply(&Command::AgentReplied { agent }, time::now()).unwrap();
        assert_eq!(t.conversation.owner, Owner::Agent(agent));
        assert_eq!(t.conversation.status, ConversationStatus::WaitingOnCustomer);
    }

    #[test]
    fn invalid_transitions_are_refused() {
        let agent = AgentId::new();
        let other = AgentId::new();
        let queue = QueueId::new();
        check(Owner::Bot, &[Command::Close], Command::Reopen, Err("closed conversations are final"));
        check(Owner::Bot, &[Command::Close], Command::Close, Err("cannot close a closed"));
        check(Owner::Bot, &[Command::Close], Command::Assign { agent }, Err("cannot assign a closed"));
        check(Owner::Bot, &[], Command::Reopen, Err("still open"));
        check(Owner::Bot, &[Command::Resolve], Command::Resolve, Err("cannot resolve a resolved"));
        check(Owner::Bot, &[Command::Resolve], Command::Enqueue { queue }, Err("reopen it first"));
        check(Owner::Bot, &[Command::Resolve], Command::AgentReplied { agent }, Err("reopen it first"));
        check(
            Owner::Bot,
            &[Command::Resolve],
            Command::CustomerMessaged { channel: Channel::Sms },
            Err("new conversation"),
        );
        check(Owner::Agent(other), &[], Command::AgentReplied { agent }, Err("owned by another agent"));
        check(Owner::Queue(queue), &[], Command::Enqueue { queue }, Err("already has that owner"));
        check(Owner::Bot, &[], Command::Tag { add: vec![], remove: vec![] }, Err("nothing to change"));
        check(Owner::Bot, &[], Command::SetPriority(Priority::NORMAL), Err("nothing to change"));
    }

    #[test]
    fn a_customer_message_on_another_channel_records_the_switch() {
        let conv = conversation(Owner::Bot);
        let t = conv.apply(&Command::CustomerMessaged { channel: Channel::Email }, time::now()).unwrap();
        assert_eq!(t.conversation.channel, Channel::Email);
        assert_eq!(t.conversation.channel_history.len(), 2);
        assert!(t.events.iter().any(|e| matches!(e, DomainEvent::ChannelSwitched { to: Channel::Email, .. })));
    }

    #[test]
    fn tags_and_priority() {
        let conv = conversation(Owner::Bot);
        let vip = Tag::parse("VIP").unwrap();
        let t = conv.apply(&Command::Tag { add: vec![vip.clone()], remove: vec![] }, time::now()).unwrap();
        assert!(t.conversation.tags.contains(&vip));
        assert!(Tag::parse("has space").is_err());
        assert!(Priority::new(10).is_err());
    }

    fn arb_command(agents: Vec<AgentId>, queues: Vec<QueueId>) -> impl Strategy<Value = Command> {
        let agent = proptest::sample::select(agents);
        let queue = proptest::sample::select(queues);
        prop_oneof![
            queue.prop_map(|queue| Command::Enqueue { queue }),
            agent.clone().prop_map(|agent| Command::Assign { agent }),
            agent.prop_map(|agent| Command::AgentReplied { agent }),
            Just(Command::ReturnToBot),
            proptest::sample::select(Channel::ALL.to_vec()).prop_map(|channel| Command::CustomerMessaged { channel }),
            Just(Command::Resolve),
            Just(Command::Close),
            Just(Command::Reopen),
            (0u8..=9).prop_map(|p| Command::SetPriority(Priority::new(p).unwrap())),
        ]
    }

    proptest! {
        /// Whatever sequence of commands arrives, a conversation always has exactly one
        /// owner that agrees with its status, a refused command changes nothing, and
        /// the version moves with every accepted change.
        #[test]
        fn owner_and_status_always_agree(commands in proptest::collection::vec(
            arb_command(vec![AgentId::new(), AgentId::new()], vec![QueueId::new(), QueueId::new()]), 1..40)
        ) {
            let mut conv = conversation(Owner::Bot);
            for command in &commands {
                let before = conv.clone();
                match conv.apply(command, time::now()) {
                    Ok(t) => {
                        prop_assert!(status_matches_owner(t.conversation.status, t.conversation.owner));
                        prop_assert_eq!(t.conversation.version, before.version + 1);
                        let is_message = matches!(command, Command::CustomerMessaged { .. });
                        prop_assert!(is_message || !t.events.is_empty());
                        conv = t.conversation;
                    }
                    Err(_) => prop_assert_eq!(&conv, &before),
                }
                if conv.status == ConversationStatus::Closed {
                    prop_assert!(conv.closed_at.is_some());
                }
            }
        }
    }
}
