//! The bot's environment in the service: knowledge search over public articles, calls
//! to business systems through the [`ActionCaller`], the queue outlook from routing, and
//! the workspace's secrets. Time spent in business-system calls is measured apart, so a
//! turn's latency can be reported without it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tandem_bot::{ActionCall, CallError, CallResponse, Environment, KnowledgeHit, KnowledgeQuery, Outlook};
use tandem_domain::{Audience, Channel, WorkspaceId};
use tandem_knowledge::SearchRequest;

use super::http::ActionCaller;
use crate::Engine;

/// How many passages the bot considers.
const HITS: usize = 3;

pub(crate) struct EngineEnv {
    pub engine: Engine,
    pub workspace_id: WorkspaceId,
    pub channel: Channel,
    pub language: Option<String>,
    pub secrets: HashMap<String, String>,
    pub caller: Arc<dyn ActionCaller>,
    /// Microseconds spent in business-system calls.
    pub external_us: AtomicU64,
    /// Scopes the `Idempotency-Key` of business-system calls (the conversation and the
    /// message, or the task), so a repeated call is recognised as one.
    pub idempotency: String,
    /// The customer message the turn answers, with its conversation and redacted text: its
    /// question is recorded for the gaps report. `None` when not analysed or no message.
    pub question: Option<(tandem_domain::ConversationId, tandem_domain::MessageId, String)>,
    /// The last query embedded and its vector: the bot searches once in the customer's
    /// language and, when that finds nothing, in any language, with one embedding.
    pub vector: Mutex<Option<(String, Option<Vec<f32>>)>>,
}

impl EngineEnv {
    /// Records how well knowledge answered the customer's message (the gaps report's
    /// input), after the turn, off its path.
    fn record_question(&self, response: &tandem_knowledge::SearchResponse) {
        let Some((conversation_id, message_id, text)) = self.question.clone() else { return };
        let best = response.hits.first();
        let question = tandem_domain::KnowledgeQuestion {
            workspace_id: self.workspace_id,
            conversation_id,
            message_id,
            text,
            language: self.language.clone(),
            best_score: best.map_or(0.0, |h| h.confidence),
            best_article: best.map(|h| h.article_id),
            at: tandem_domain::time::now(),
        };
        let store = std::sync::Arc::clone(self.engine.store());
        tokio::spawn(async move {
            if let Err(error) = store.record_knowledge_question(&question, Vec::new()).await {
                tracing::warn!(%error, "could not record the bot's knowledge question");
            }
        });
    }
}

impl Environment for EngineEnv {
    fn search(&self, query: &KnowledgeQuery) -> impl Future<Output = Result<Vec<KnowledgeHit>, String>> + Send {
        let mut request = SearchRequest::new(self.workspace_id, query.text.clone());
        request.query_language = query.language.clone().or_else(|| self.language.clone());
        request.filter.language = query.language.clone();
        request.filter.audience = Some(Audience::Public);
        request.limit = HITS;
        request.boost_tags = query.intent.iter().cloned().collect();
        let engine = self.engine.clone();
        async move {
            if request.query.trim().is_empty() {
                return Ok(Vec::new());
            }
            let cached = self
                .vector
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .filter(|(text, _)| *text == request.query)
                .map(|(_, v)| v.clone());
            let filtered = request.filter.language.is_some();
            let (response, vector) = engine
                .blocking(move |k| {
                    let vector = match cached {
                        Some(v) => v,
                        None => k.query_vector(&request.query)?,
                    };
                    let response = k.search_with_vector(&request, vector.as_deref())?;
                    Ok((response, (request.query, vector)))
                })
                .await
                .map_err(|e| e.to_string())?;
            *self.vector.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(vector);
            if filtered {
                self.record_question(&response);
            }
            tracing::debug!(
                hits = response.hits.len(),
                best = response.hits.first().map(|h| h.confidence),
                mode = ?response.mode,
                "bot knowledge search"
            );
            Ok(response
                .hits
                .into_iter()
                .map(|h| KnowledgeHit {
                    article_id: h.article_id.to_string(),
                    passage: h.passage,
                    title: h.title,
                    text: h.text,
                    language: h.language,
                    confidence: h.confidence,
                    tags: h.tags,
                })
                .collect())
        }
    }

    fn call(&self, call: &ActionCall) -> impl Future<Output = Result<CallResponse, CallError>> + Send {
        let caller = Arc::clone(&self.caller);
        let mut call = call.clone();
        call.headers.push(("Idempotency-Key".into(), format!("tandem:{}:{}", self.idempotency, call.action)));
        async move {
            let started = std::time::Instant::now();
            let result = caller.call(&call).await;
            self.external_us.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            tracing::info!(
                action = %call.action,
                status = result.as_ref().map(|r| r.status).ok(),
                failed = result.is_err(),
                millis = started.elapsed().as_millis() as u64,
                "business system call"
            );
            result
        }
    }

    fn outlook(&self, queue: Option<&str>) -> impl Future<Output = Outlook> + Send {
        let queue = queue.map(str::to_owned);
        async move {
            match self
                .engine
                .queue_outlook(self.workspace_id, queue.as_deref(), self.channel, self.language.as_deref())
                .await
            {
                Ok((_, outlook)) => outlook,
                Err(error) => {
                    tracing::warn!(%error, "could not read the queue outlook; telling the customer nobody is available");
                    Outlook::default()
                }
            }
        }
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned()
    }
}
