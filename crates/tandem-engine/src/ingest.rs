//! The inbound pipeline: every channel adapter's message enters here.

use tandem_domain::InboundMessage;
use tandem_domain::ingest::Idempotency;
use tandem_store::IngestOutcome;

use crate::{BotTurnReport, Engine, EngineResult, auth, refine};

/// An inbound message with the client's idempotency key, if it sent one.
#[derive(Clone, Debug)]
pub struct InboundRequest {
    pub message: InboundMessage,
    pub idempotency_key: Option<String>,
}

impl Engine {
    /// Stores an inbound message — resolving the customer, joining or opening their
    /// conversation — and publishes what changed. When this returns `Ok` the message is
    /// committed. A retry with the same idempotency key returns the first outcome.
    pub async fn ingest(&self, request: InboundRequest) -> EngineResult<IngestOutcome> {
        let outcome = self.ingest_only(request).await?;
        if self.bot_should_answer(&outcome) {
            self.spawn_bot(outcome.message.workspace_id, outcome.conversation.id);
        }
        Ok(outcome)
    }

    /// Like [`Engine::ingest`], then waits for the virtual agent's turns when the bot
    /// owns the conversation (a voice gateway or a chat widget that wants the reply in
    /// its answer). The message is committed whatever the bot does; a bot failure is
    /// logged and answered with no turns.
    pub async fn ingest_and_answer(
        &self,
        request: InboundRequest,
    ) -> EngineResult<(IngestOutcome, Vec<BotTurnReport>)> {
        let outcome = self.ingest_only(request).await?;
        if !self.bot_should_answer(&outcome) {
            return Ok((outcome, Vec::new()));
        }
        let (ws, id) = (outcome.message.workspace_id, outcome.conversation.id);
        match self.answer_now(ws, id, outcome.message.id).await {
            Ok(turns) => Ok((outcome, turns)),
            Err(error) => {
                tracing::warn!(%error, conversation.id = %id, "the virtual agent could not answer inline; retrying in the background");
                self.spawn_bot(ws, id);
                Ok((outcome, Vec::new()))
            }
        }
    }

    fn bot_should_answer(&self, outcome: &IngestOutcome) -> bool {
        self.bot_enabled()
            && !outcome.replayed
            && outcome.conversation.owner == tandem_domain::Owner::Bot
            && matches!(outcome.message.author, tandem_domain::Author::Customer(_))
    }

    async fn ingest_only(&self, request: InboundRequest) -> EngineResult<IngestOutcome> {
        let InboundRequest { mut message, idempotency_key } = request;
        if let Some(raw) = idempotency_key {
            let key = Idempotency::parse_key(&raw)?;
            message.idempotency = Some(Idempotency { key, fingerprint: fingerprint(&message) });
        }
        if let Some(enricher) = &self.enricher
            && message.understanding.is_none()
        {
            message.understanding = Some(enricher.understand(message.body.as_str()));
        }
        let outcome = self.store.ingest(message, self.config.continuity, self.now()).await?;
        tracing::debug!(
            conversation.id = %outcome.conversation.id,
            message.id = %outcome.message.id,
            replayed = outcome.replayed,
            "ingested"
        );
        self.publish(&outcome.events).await;
        if !outcome.replayed {
            self.sync_routing(&outcome.conversation).await;
            // Cards are for people: while the bot answers, it records the question itself
            // (for the gaps report) from its own search, and cards are made on request.
            let bot_answers = self.bot_enabled() && outcome.conversation.owner == tandem_domain::Owner::Bot;
            if matches!(outcome.message.author, tandem_domain::Author::Customer(_)) && !bot_answers {
                self.queue_recommendation(outcome.message.workspace_id, outcome.conversation.id);
            }
        }
        if let (Some(queue), Some(understanding), false) =
            (&self.refiner, &outcome.message.understanding, outcome.replayed)
        {
            let job = refine::RefineJob {
                workspace_id: outcome.message.workspace_id,
                message_id: outcome.message.id,
                text: outcome.message.body.as_str().to_owned(),
                understanding: understanding.clone(),
            };
            if queue.try_send(job).is_err() {
                tracing::debug!(message.id = %outcome.message.id, "refinement queue full; keeping the real-time understanding");
            }
        }
        Ok(outcome)
    }
}

/// A stable hash of what a message says and who sent it, so reusing an idempotency key
/// for a different message is detected.
fn fingerprint(m: &InboundMessage) -> String {
    let mut text = String::with_capacity(m.body.as_str().len() + 128);
    let sep = '\u{1f}';
    text.push_str(m.channel.as_str());
    for identity in &m.identities {
        text.push(sep);
        text.push_str(&identity.to_string());
    }
    for field in [
        Some(m.body.as_str()),
        m.display_name.as_deref(),
        m.subject.as_deref(),
        m.language.as_deref(),
        m.external_id.as_deref(),
    ] {
        text.push(sep);
        text.push_str(field.unwrap_or("\u{0}"));
    }
    for a in &m.attachments {
        text.push(sep);
        text.push_str(&format!("{}|{}|{}|{}", a.name, a.content_type, a.size_bytes, a.url.as_deref().unwrap_or("")));
    }
    auth::sha256_hex(text.as_bytes())
}
