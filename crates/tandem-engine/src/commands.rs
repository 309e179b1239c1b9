//! Conversation commands: reply, note, assign/transfer, tag, priority, resolve, close,
//! reopen. Each loads the conversation, asks the domain's pure lifecycle for the change,
//! and saves it with an optimistic version check, retrying when a concurrent change won.

use tandem_domain::{
    AgentId, Author, Body, Command, Conversation, ConversationId, DomainEvent, Message, MessageId, MessageKind,
    Priority, QueueId, StoredEvent, Tag, Timestamp, Transition,
};
use tandem_store::{ConversationChange, StoreError};

use crate::{Actor, Engine, EngineError, EngineResult};

/// Where a conversation is assigned or transferred to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignTarget {
    Agent(AgentId),
    Queue(QueueId),
    Bot,
}

/// The timeline note of a hand-back to the bot; the bot answers only what comes after it.
pub(crate) const HANDED_BACK: &str = "Handed back to the virtual agent";

/// How many times a command is re-run after losing a race to a concurrent change.
const RETRIES: usize = 4;

/// A planned change: the conversation after it, its domain events and new messages.
pub(crate) struct Planned {
    pub conversation: Conversation,
    pub events: Vec<DomainEvent>,
    pub messages: Vec<Message>,
}

impl Planned {
    pub(crate) fn from_transition(t: Transition) -> Self {
        Self { conversation: t.conversation, events: t.events, messages: Vec::new() }
    }

    pub(crate) fn with_message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }
}

pub(crate) fn message(
    conversation: &Conversation,
    kind: MessageKind,
    author: Author,
    body: Body,
    now: Timestamp,
) -> Message {
    Message {
        id: MessageId::new(),
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        kind,
        author,
        body,
        language: None,
        channel: conversation.channel,
        attachments: Vec::new(),
        external_id: None,
        understanding: None,
        created_at: now,
    }
}

fn system_note(conversation: &Conversation, text: String, now: Timestamp) -> Message {
    Message::system(conversation.workspace_id, conversation.id, conversation.channel, text, now)
}

/// The agent a command is done as: the logged-in agent, or the one an API key names.
pub(crate) fn acting_agent(actor: Actor, named: Option<AgentId>) -> EngineResult<AgentId> {
    match (actor.agent_id(), named) {
        (Some(me), None) => Ok(me),
        (Some(me), Some(named)) if me == named => Ok(me),
        (Some(_), Some(_)) => {
            Err(EngineError::Forbidden("agents can only act as themselves; leave out agent_id".into()))
        }
        (None, Some(named)) => Ok(named),
        (None, None) => Err(EngineError::Validation(tandem_domain::ValidationError::new(
            "agent_id",
            "an API key must name the agent this is done as",
        ))),
    }
}

impl Engine {
    /// Loads, plans and saves a change, retrying on a concurrent change; publishes.
    pub(crate) async fn change<F>(
        &self,
        actor: Actor,
        id: ConversationId,
        plan: F,
    ) -> EngineResult<(Conversation, Vec<Message>)>
    where
        F: Fn(&Conversation, Timestamp) -> EngineResult<Planned>,
    {
        self.change_in(actor.workspace_id(), id, plan).await
    }

    /// [`Engine::change`] for a caller that is not an agent or an API key (a web-chat
    /// visitor): the workspace comes from their own record.
    pub(crate) async fn change_in<F>(
        &self,
        ws: tandem_domain::WorkspaceId,
        id: ConversationId,
        plan: F,
    ) -> EngineResult<(Conversation, Vec<Message>)>
    where
        F: Fn(&Conversation, Timestamp) -> EngineResult<Planned>,
    {
        for attempt in 1..=RETRIES {
            let current = self.store.conversation(ws, id).await?;
            let now = self.now();
            let planned = plan(&current, now)?;
            let conversation = planned.conversation;
            let mut events: Vec<StoredEvent> =
                planned.events.into_iter().map(|e| StoredEvent::for_conversation(&conversation, e, now)).collect();
            for m in &planned.messages {
                let created = DomainEvent::MessageCreated {
                    message_id: m.id,
                    conversation_id: conversation.id,
                    kind: m.kind,
                    author: m.author,
                    channel: m.channel,
                };
                events.push(StoredEvent::for_conversation(&conversation, created, now));
            }
            let change = ConversationChange {
                expected_version: current.version,
                conversation: conversation.clone(),
                messages: planned.messages.clone(),
                events,
            };
            match self.store.save_conversation(change).await {
                Ok(stored) => {
                    self.publish(&stored).await;
                    self.sync_routing(&conversation).await;
                    return Ok((conversation, planned.messages));
                }
                Err(StoreError::Conflict(_)) if attempt < RETRIES => {
                    tracing::debug!(conversation.id = %id, attempt, "concurrent change; retrying");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict("the conversation is changing too fast; try again".into()))
    }

    /// An agent's reply to the customer. A bot- or queue-owned conversation is taken by
    /// the replying agent.
    pub async fn reply(
        &self,
        actor: Actor,
        id: ConversationId,
        agent: Option<AgentId>,
        body: Body,
    ) -> EngineResult<(Conversation, Message)> {
        let agent = acting_agent(actor, agent)?;
        self.store.agent(actor.workspace_id(), agent).await?;
        let (conversation, mut messages) = self
            .change(actor, id, |c, now| {
                let t = c.apply(&Command::AgentReplied { agent }, now)?;
                let reply = message(&t.conversation, MessageKind::Outbound, Author::Agent(agent), body.clone(), now);
                Ok(Planned::from_transition(t).with_message(reply))
            })
            .await?;
        let reply = messages.pop().ok_or_else(|| EngineError::Internal("a reply without a message".into()))?;
        Ok((conversation, reply))
    }

    /// An internal note: agents see it, the customer never does. Notes do not change
    /// the conversation's status; they are allowed on resolved conversations too.
    pub async fn note(
        &self,
        actor: Actor,
        id: ConversationId,
        agent: Option<AgentId>,
        body: Body,
    ) -> EngineResult<Message> {
        let agent = acting_agent(actor, agent)?;
        self.store.agent(actor.workspace_id(), agent).await?;
        let (_, mut messages) = self
            .change(actor, id, |c, now| {
                let mut next = c.clone();
                next.version += 1;
                next.updated_at = now;
                let note = message(&next, MessageKind::Note, Author::Agent(agent), body.clone(), now);
                Ok(Planned { conversation: next, events: Vec::new(), messages: vec![note] })
            })
            .await?;
        messages.pop().ok_or_else(|| EngineError::Internal("a note without a message".into()))
    }

    /// Assigns or transfers a conversation to an agent, a queue, or back to the bot.
    pub async fn assign(&self, actor: Actor, id: ConversationId, target: AssignTarget) -> EngineResult<Conversation> {
        let ws = actor.workspace_id();
        let (command, label) = match target {
            AssignTarget::Agent(agent) => {
                let agent = self.store.agent(ws, agent).await?;
                (Command::Assign { agent: agent.id }, format!("Assigned to {}", agent.display_name))
            }
            AssignTarget::Queue(queue) => {
                let queue = self.store.queue(ws, queue).await?;
                (Command::Enqueue { queue: queue.id }, format!("Moved to the {} queue", queue.name))
            }
            AssignTarget::Bot => (Command::ReturnToBot, HANDED_BACK.to_owned()),
        };
        let (conversation, _) = self
            .change(actor, id, |c, now| {
                let t = c.apply(&command, now)?;
                let note = system_note(&t.conversation, label.clone(), now);
                Ok(Planned::from_transition(t).with_message(note))
            })
            .await?;
        if target == AssignTarget::Bot {
            if let Err(error) = self.bot_handed_back(ws, id).await {
                tracing::warn!(%error, conversation.id = %id, "the bot could not record the hand-back; it resumes at the next message");
            }
            // The hook moved the version on: answer with the conversation as stored.
            return Ok(self.store.conversation(ws, id).await?);
        }
        Ok(conversation)
    }

    /// Adds and removes tags.
    pub async fn tag(
        &self,
        actor: Actor,
        id: ConversationId,
        add: Vec<Tag>,
        remove: Vec<Tag>,
    ) -> EngineResult<Conversation> {
        let command = Command::Tag { add, remove };
        let (conversation, _) =
            self.change(actor, id, |c, now| Ok(Planned::from_transition(c.apply(&command, now)?))).await?;
        Ok(conversation)
    }

    pub async fn set_priority(
        &self,
        actor: Actor,
        id: ConversationId,
        priority: Priority,
    ) -> EngineResult<Conversation> {
        let command = Command::SetPriority(priority);
        let (conversation, _) =
            self.change(actor, id, |c, now| Ok(Planned::from_transition(c.apply(&command, now)?))).await?;
        Ok(conversation)
    }

    /// Resolves, closes or reopens, with a note in the timeline saying who did it.
    pub async fn set_lifecycle(
        &self,
        actor: Actor,
        id: ConversationId,
        command: Command,
    ) -> EngineResult<Conversation> {
        let verb = match command {
            Command::Resolve => "Resolved",
            Command::Close => "Closed",
            Command::Reopen => "Reopened",
            _ => return Err(EngineError::Internal(format!("{} is not a lifecycle command", command.name()))),
        };
        let who = match actor {
            Actor::Agent { agent_id, .. } => self.store.agent(actor.workspace_id(), agent_id).await?.display_name,
            Actor::ApiKey { .. } => "an integration".to_owned(),
        };
        let (conversation, _) = self
            .change(actor, id, |c, now| {
                let t = c.apply(&command, now)?;
                let note = system_note(&t.conversation, format!("{verb} by {who}"), now);
                Ok(Planned::from_transition(t).with_message(note))
            })
            .await?;
        Ok(conversation)
    }
}
