//! The bot's environment in the service: knowledge search over public articles, calls
//! to business systems through the [`ActionCaller`], the queue outlook from routing, and
//! the workspace's secrets. Time spent in business-system calls is measured apart, so a
//! turn's latency can be reported without it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
            let response = engine.blocking(move |k| k.search(&request)).await.map_err(|e| e.to_string())?;
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
        let call = call.clone();
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
