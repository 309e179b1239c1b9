//! Agent assist beyond knowledge cards: canned responses, suggested replies (from the
//! conversation's knowledge cards and the canned responses that fit it) with agents'
//! verdicts on them, the wrap-up (a suggested disposition and summary the agent edits;
//! what they changed is recorded), and the customer's side: leaving an email and rating
//! the conversation.

use serde::Serialize;
use tandem_domain::agent::Role;
use tandem_domain::{
    Author, Body, CannedResponse, CannedResponseId, Channel, Command, ConversationId, DomainEvent, Identity, Message,
    MessageKind, Owner, StoredEvent, Task, TaskId, TaskKind, TaskStatus, ValidationError,
};
use tandem_store::{ChatVisitorRecord, ConversationFilter, StoreError};

use crate::commands::{Planned, message};
use crate::{Actor, Engine, EngineError, EngineResult};

/// A reply an agent may send or start from.
#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    /// `knowledge` or `canned`.
    pub source: String,
    /// The article id or the canned response's shortcut.
    pub reference: String,
    /// Where it comes from, for people: the article's title or the canned response's.
    pub title: String,
    pub text: String,
}

/// A suggested wrap-up for a conversation.
#[derive(Clone, Debug, Serialize)]
pub struct WrapUpSuggestion {
    pub disposition: String,
    pub summary: String,
}

/// What an agent settles a conversation with.
#[derive(Clone, Debug)]
pub struct WrapUp {
    pub disposition: String,
    pub summary: String,
    /// What was suggested, to record what the agent changed.
    pub suggested: Option<WrapUpSuggestion>,
}

const VERDICTS: [&str; 4] = ["shown", "accepted", "edited", "rejected"];

/// The first sentences of a passage, as a reply to start from.
fn opening(text: &str, max: usize) -> String {
    let mut out = String::new();
    for sentence in text.split_inclusive(['.', '!', '?']) {
        if out.chars().count() + sentence.chars().count() > max && !out.is_empty() {
            break;
        }
        out.push_str(sentence);
    }
    out.trim().to_owned()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 3).map(str::to_owned).collect()
}

impl Engine {
    /// The workspace's canned responses, by shortcut (agents).
    pub async fn canned_responses(&self, actor: Actor) -> EngineResult<Vec<CannedResponse>> {
        actor.require(Role::Agent)?;
        Ok(self.store.canned_responses(actor.workspace_id()).await?)
    }

    /// Adds a canned response (supervisors); its shortcut is unique in the workspace.
    pub async fn create_canned_response(
        &self,
        actor: Actor,
        shortcut: &str,
        title: &str,
        body: &str,
        language: Option<&str>,
    ) -> EngineResult<CannedResponse> {
        actor.require(Role::Supervisor)?;
        let canned = CannedResponse::new(actor.workspace_id(), shortcut, title, body, language, self.now())?;
        self.store.create_canned_response(&canned).await?;
        Ok(canned)
    }

    pub async fn delete_canned_response(&self, actor: Actor, id: CannedResponseId) -> EngineResult<()> {
        actor.require(Role::Supervisor)?;
        Ok(self.store.delete_canned_response(actor.workspace_id(), id).await?)
    }

    /// Replies to suggest in a conversation: the best knowledge cards turned into a reply,
    /// and canned responses that share words with what the customer asked.
    pub async fn suggestions(&self, actor: Actor, id: ConversationId) -> EngineResult<Vec<Suggestion>> {
        actor.require(Role::Agent)?;
        let ws = actor.workspace_id();
        let conversation = self.store.conversation(ws, id).await?;
        let cards = self.knowledge_cards(actor, id).await?;
        let mut out: Vec<Suggestion> = cards
            .cards
            .iter()
            .enumerate()
            // The best card passed the recommendation's own bar; a second must be sure.
            .filter(|(i, c)| *i == 0 || c.hit.confidence >= 0.15)
            .map(|(_, c)| c)
            .take(2)
            .map(|c| Suggestion {
                source: "knowledge".into(),
                reference: c.hit.article_id.to_string(),
                title: c.hit.title.clone(),
                text: opening(&c.hit.text, 400),
            })
            .collect();
        let messages = self.store.messages(ws, id).await?;
        let asked: Vec<String> = messages
            .iter()
            .rev()
            .filter(|m| matches!(m.author, Author::Customer(_)))
            .take(2)
            .flat_map(|m| words(m.understanding.as_ref().map_or("", |u| u.redacted.as_str())))
            .chain(cards.intent.iter().flat_map(|i| words(&i.replace('_', " "))))
            .collect();
        let language = conversation.language.as_deref().map(|l| l.split('-').next().unwrap_or(l).to_owned());
        let mut canned: Vec<(usize, CannedResponse)> = self
            .store
            .canned_responses(ws)
            .await?
            .into_iter()
            .filter(|c| {
                c.language.is_none()
                    || c.language.as_deref().map(|l| l.split('-').next()) == language.as_deref().map(Some)
            })
            .map(|c| {
                let own = words(&format!("{} {} {}", c.shortcut.replace('-', " "), c.title, c.body));
                (asked.iter().filter(|w| own.contains(w)).count(), c)
            })
            .filter(|(score, _)| *score > 0)
            .collect();
        canned.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.shortcut.cmp(&b.1.shortcut)));
        out.extend(canned.into_iter().take(2).map(|(_, c)| Suggestion {
            source: "canned".into(),
            reference: c.shortcut,
            title: c.title,
            text: c.body,
        }));
        Ok(out)
    }

    /// Records an agent's verdict on a suggestion (kept in the conversation's events).
    pub async fn suggestion_feedback(
        &self,
        actor: Actor,
        id: ConversationId,
        source: &str,
        reference: &str,
        verdict: &str,
    ) -> EngineResult<()> {
        actor.require(Role::Agent)?;
        if !matches!(source, "knowledge" | "canned") {
            return Err(ValidationError::new("source", "use knowledge or canned").into());
        }
        if !VERDICTS.contains(&verdict) {
            return Err(ValidationError::new("verdict", "use shown, accepted, edited or rejected").into());
        }
        if reference.trim().is_empty() || reference.len() > 100 {
            return Err(
                ValidationError::new("reference", "name the article or canned response (1 to 100 characters)").into()
            );
        }
        let event = DomainEvent::SuggestionFeedback {
            conversation_id: id,
            source: source.into(),
            reference: reference.trim().into(),
            verdict: verdict.into(),
        };
        self.change(actor, id, |c, now| {
            let mut next = c.clone();
            next.version += 1;
            next.updated_at = now;
            Ok(Planned { conversation: next, events: vec![event.clone()], messages: Vec::new() })
        })
        .await?;
        Ok(())
    }

    /// A wrap-up to start from: the disposition from what the customer wanted, the
    /// summary from the bot's handover (when there was one) and the conversation's course.
    pub async fn wrap_up_suggestion(&self, actor: Actor, id: ConversationId) -> EngineResult<WrapUpSuggestion> {
        actor.require(Role::Agent)?;
        let ws = actor.workspace_id();
        let conversation = self.store.conversation(ws, id).await?;
        let messages = self.store.messages(ws, id).await?;
        let handoff = self.handoff_summary(actor, id).await?;
        let first_intent = messages
            .iter()
            .filter(|m| matches!(m.author, Author::Customer(_)))
            .find_map(|m| m.understanding.as_ref()?.intent.as_ref()?.intent.clone());
        let intent = handoff.as_ref().and_then(|h| h.intent.clone()).or(first_intent);
        let disposition =
            intent.as_deref().map_or_else(|| "General enquiry".to_owned(), tandem_bot::summary::intent_label);
        let customer_messages = messages.iter().filter(|m| matches!(m.author, Author::Customer(_))).count();
        let agent_replies =
            messages.iter().filter(|m| matches!(m.author, Author::Agent(_)) && m.kind == MessageKind::Outbound).count();
        let mut summary = match &handoff {
            Some(h) => format!("{}. ", h.goal),
            None => messages
                .iter()
                .find(|m| matches!(m.author, Author::Customer(_)))
                .and_then(|m| m.understanding.as_ref())
                .map(|u| format!("Customer: “{}”. ", tandem_bot::text::clip(&u.redacted, 160)))
                .unwrap_or_default(),
        };
        if let Some(h) = &handoff {
            if !h.facts.is_empty() {
                let facts: Vec<String> = h.facts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                summary.push_str(&format!("Facts: {}. ", facts.join(", ")));
            }
            summary.push_str(&format!("The virtual agent handed over: {}. ", h.reason));
        }
        summary.push_str(&format!(
            "{customer_messages} customer message(s), {agent_replies} agent repl{} on {}.",
            if agent_replies == 1 { "y" } else { "ies" },
            conversation.channel.as_str().replace('_', " ")
        ));
        Ok(WrapUpSuggestion { disposition, summary })
    }

    /// Wraps up and resolves: the disposition and summary are kept as an internal note,
    /// and whether the agent changed the suggestion is recorded.
    pub async fn wrap_up(
        &self,
        actor: Actor,
        id: ConversationId,
        wrap: WrapUp,
    ) -> EngineResult<tandem_domain::Conversation> {
        actor.require(Role::Agent)?;
        let agent =
            actor.agent_id().ok_or_else(|| EngineError::Forbidden("a wrap-up is an agent's; log in as one".into()))?;
        let disposition = tandem_domain::text::bounded_text("disposition", &wrap.disposition, 80)?;
        let summary = tandem_domain::text::bounded_text("summary", &wrap.summary, 4000)?;
        let (disposition_changed, summary_changed) = match &wrap.suggested {
            Some(s) => (s.disposition.trim() != disposition, s.summary.trim() != summary),
            None => (true, true),
        };
        let note = Body::parse(&format!("Wrap-up — {disposition}\n{summary}"))?;
        let event = DomainEvent::WrapUpRecorded {
            conversation_id: id,
            disposition: disposition.clone(),
            disposition_changed,
            summary_changed,
        };
        let (conversation, _) = self
            .change(actor, id, |c, now| {
                if c.owner != Owner::Agent(agent) && actor.require(Role::Supervisor).is_err() {
                    return Err(EngineError::Forbidden("wrap up your own conversations (or ask a supervisor)".into()));
                }
                let t = c.apply(&Command::Resolve, now)?;
                let wrapped = message(&t.conversation, MessageKind::Note, Author::Agent(agent), note.clone(), now);
                let mut planned = Planned::from_transition(t).with_message(wrapped);
                planned.events.push(event.clone());
                Ok(planned)
            })
            .await?;
        Ok(conversation)
    }

    /// The web-chat visitor's most recent conversation.
    pub async fn chat_conversation(&self, visitor: &ChatVisitorRecord) -> EngineResult<tandem_domain::Conversation> {
        self.visitor_conversation(visitor).await
    }

    /// The visitor's most recent conversation.
    async fn visitor_conversation(&self, visitor: &ChatVisitorRecord) -> EngineResult<tandem_domain::Conversation> {
        let identity = Identity::web_visitor(&visitor.visitor_id)?;
        let customer = match self.store.customer_by_identity(visitor.workspace_id, &identity).await {
            Ok(c) => c,
            Err(StoreError::NotFound(_)) => {
                return Err(EngineError::Invalid("write a message first; there is no conversation yet".into()));
            }
            Err(e) => return Err(e.into()),
        };
        let filter = ConversationFilter {
            customer: Some(customer.id),
            channel: Some(Channel::WebChat),
            limit: 1,
            ..ConversationFilter::default()
        };
        let latest = self.store.list_conversations(visitor.workspace_id, &filter).await?;
        latest.into_iter().next().ok_or(EngineError::NotFound("conversation"))
    }

    /// The web-chat visitor leaves an email so people can answer when nobody is working:
    /// an internal note and a follow-up task for people. The address is *not* linked to
    /// the customer as an identity — nobody verified it, and linking would let anyone
    /// who types someone else's address into a chat read that person's emails.
    pub async fn chat_contact(&self, visitor: &ChatVisitorRecord, email: &str) -> EngineResult<()> {
        let email = Identity::email(email)?.value;
        let conversation = self.visitor_conversation(visitor).await?;
        let note = Body::parse(&format!(
            "The customer left an email to write back to: {email} (not verified: confirm who they are before sharing account details)"
        ))?;
        let (conversation, _) = self
            .change_in(visitor.workspace_id, conversation.id, |c, now| {
                let mut next = c.clone();
                next.version += 1;
                next.updated_at = now;
                let left = message(&next, MessageKind::Note, Author::System, note.clone(), now);
                Ok(Planned { conversation: next, events: Vec::new(), messages: vec![left] })
            })
            .await?;
        let now = self.now();
        let task = Task {
            id: TaskId::new(),
            workspace_id: visitor.workspace_id,
            conversation_id: Some(conversation.id),
            customer_id: Some(conversation.customer_id),
            kind: TaskKind::FollowUp,
            status: TaskStatus::Open,
            title: "Write back to the web-chat customer by email".into(),
            details: serde_json::json!({ "via": "email", "email": email, "verified": false }),
            created_at: now,
            due_at: None,
            settled_at: None,
            settled_by: None,
            note: None,
        };
        let made =
            DomainEvent::TaskCreated { task_id: task.id, kind: task.kind, conversation_id: task.conversation_id };
        let events =
            self.store.create_task(&task, vec![StoredEvent::for_conversation(&conversation, made, now)]).await?;
        self.publish(&events).await;
        Ok(())
    }

    /// The visitor rates their latest conversation, 1 to 5.
    pub async fn chat_rating(&self, visitor: &ChatVisitorRecord, rating: u8) -> EngineResult<()> {
        if !(1..=5).contains(&rating) {
            return Err(ValidationError::new("rating", "rate from 1 (poor) to 5 (excellent)").into());
        }
        let conversation = self.visitor_conversation(visitor).await?;
        if conversation.status.is_open() {
            return Err(EngineError::Conflict("rate the conversation once it has ended".into()));
        }
        let event = DomainEvent::CsatRated { conversation_id: conversation.id, rating };
        self.change_in(visitor.workspace_id, conversation.id, |c, now| {
            let mut next = c.clone();
            next.version += 1;
            next.updated_at = now;
            Ok(Planned { conversation: next, events: vec![event.clone()], messages: Vec::<Message>::new() })
        })
        .await?;
        Ok(())
    }
}
