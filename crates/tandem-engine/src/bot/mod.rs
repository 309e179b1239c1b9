//! The virtual agent in the service. After a customer message commits in a conversation
//! the bot owns, the engine takes the bot's turn ([`tandem_bot::take_turn`]) — in the
//! background, or inline when a channel wants the reply in its answer — and commits the
//! replies, the new bot state, the decision and any handover or task in one store
//! transaction checked against the conversation's version: a conversation a person took
//! meanwhile is never written to by the bot.
//!
//! Turns in one conversation run one at a time, in message order; a restart answers
//! what was committed but not yet answered. Each workspace's configuration is read at
//! every turn (compiled once per version), so an edit on any node takes effect at once.

mod commit;
mod env;
mod handback;
mod http;
mod metrics;
mod tasks;
mod turn;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;
use tandem_bot::{BotConfig, CompiledBot};
use tandem_domain::agent::Role;
use tandem_domain::{ConversationId, DomainEvent, Owner, StoredEvent, Timestamp, ValidationError, WorkspaceId};
use tandem_store::{BotConfigRecord, BotDecisionRecord, OwnerFilter};
use tokio::sync::Semaphore;

pub use http::{ActionCaller, HttpCaller};
pub use metrics::{BotMetrics, ReasonCount};
pub use tasks::TaskVerdict;
pub use turn::BotTurnReport;

use crate::{Actor, Engine, EngineError, EngineResult};

/// How the virtual agent runs in this process.
#[derive(Clone)]
pub struct BotOptions {
    /// Makes the actions' HTTP calls.
    pub caller: Arc<dyn ActionCaller>,
    /// Turns taken at the same time, across conversations.
    pub concurrency: usize,
}

impl Default for BotOptions {
    fn default() -> Self {
        Self { caller: Arc::new(HttpCaller), concurrency: 32 }
    }
}

pub(crate) struct BotRuntime {
    caller: Arc<dyn ActionCaller>,
    /// Compiled configurations by workspace, with the version they were compiled from
    /// (0: the built-in default).
    configs: Mutex<HashMap<WorkspaceId, (i64, Arc<CompiledBot>)>>,
    /// One lock per conversation with turns in flight, so turns run in message order.
    locks: Mutex<HashMap<ConversationId, Weak<tokio::sync::Mutex<()>>>>,
    permits: Semaphore,
}

impl BotRuntime {
    fn new(options: BotOptions) -> Self {
        Self {
            caller: options.caller,
            configs: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
            permits: Semaphore::new(options.concurrency.max(1)),
        }
    }

    fn lock_for(&self, id: ConversationId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lock) = locks.get(&id).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, weak| weak.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(id, Arc::downgrade(&lock));
        lock
    }
}

/// A workspace's configuration as an admin sees it.
#[derive(Clone, Debug, Serialize)]
pub struct BotConfigView {
    pub config: BotConfig,
    /// 0 while the built-in default is in use.
    pub version: i64,
    pub updated_at: Option<Timestamp>,
    pub updated_by: Option<String>,
}

/// A secret's name and when it was set (its value is never shown).
#[derive(Clone, Debug, Serialize)]
pub struct SecretName {
    pub name: String,
    pub updated_at: Timestamp,
}

fn who(actor: Actor) -> String {
    match actor {
        Actor::Agent { agent_id, .. } => format!("agent:{agent_id}"),
        Actor::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
    }
}

fn config_error(e: tandem_bot::ConfigError) -> EngineError {
    EngineError::Validation(ValidationError::new(format!("config.{}", e.field), e.message))
}

impl Engine {
    /// Runs the virtual agent on conversations the bot owns.
    #[must_use]
    pub fn with_bot(mut self, options: BotOptions) -> Self {
        self.bot = Some(Arc::new(BotRuntime::new(options)));
        self
    }

    /// Whether the virtual agent runs in this engine.
    pub fn bot_enabled(&self) -> bool {
        self.bot.is_some()
    }

    /// The configuration a turn in `ws` runs with: the saved one (compiled once per
    /// version) or the built-in default.
    async fn compiled_bot(&self, runtime: &BotRuntime, ws: WorkspaceId) -> EngineResult<Arc<CompiledBot>> {
        let record = self.store.bot_config(ws).await?;
        let version = record.as_ref().map_or(0, |r| r.version);
        if let Some((v, bot)) = runtime.configs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&ws)
            && *v == version
        {
            return Ok(Arc::clone(bot));
        }
        let bot = match record {
            None => CompiledBot::default_config(),
            Some(r) => match serde_json::from_value::<BotConfig>(r.config.clone())
                .map_err(|e| e.to_string())
                .and_then(|c| c.compile().map_err(|e| e.to_string()))
            {
                Ok(bot) => bot,
                Err(error) => {
                    // The default policy, but never a bot the workspace switched off.
                    let enabled = r.config.get("enabled").and_then(serde_json::Value::as_bool).unwrap_or(true);
                    tracing::error!(workspace.id = %ws, version, %error, enabled, "the saved bot configuration does not compile; using the built-in default");
                    let mut fallback = CompiledBot::default_config();
                    fallback.config.enabled = enabled;
                    fallback
                }
            },
        };
        let bot = Arc::new(bot);
        runtime
            .configs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(ws, (version, Arc::clone(&bot)));
        Ok(bot)
    }

    /// The workspace's bot configuration (supervisors and admins).
    pub async fn bot_config(&self, actor: Actor) -> EngineResult<BotConfigView> {
        actor.require(Role::Supervisor)?;
        Ok(match self.store.bot_config(actor.workspace_id()).await? {
            None => BotConfigView { config: BotConfig::default(), version: 0, updated_at: None, updated_by: None },
            Some(r) => BotConfigView {
                config: serde_json::from_value(r.config)
                    .map_err(|e| EngineError::Internal(format!("the stored bot configuration is unreadable: {e}")))?,
                version: r.version,
                updated_at: Some(r.updated_at),
                updated_by: Some(r.updated_by),
            },
        })
    }

    /// Replaces the bot configuration (admins). It is checked whole first; a bad one is
    /// refused with the field to fix and changes nothing. `expected_version` guards
    /// against overwriting someone else's edit.
    pub async fn set_bot_config(
        &self,
        actor: Actor,
        config: BotConfig,
        expected_version: Option<i64>,
    ) -> EngineResult<BotConfigView> {
        actor.require(Role::Admin)?;
        let ws = actor.workspace_id();
        config.clone().compile().map_err(config_error)?;
        let current = self.store.bot_config(ws).await?.map_or(0, |r| r.version);
        if let Some(expected) = expected_version
            && expected != current
        {
            return Err(EngineError::Conflict(format!(
                "the bot configuration is at version {current}, not {expected}; reload it and try again"
            )));
        }
        let now = self.now();
        let record = BotConfigRecord {
            workspace_id: ws,
            config: serde_json::to_value(&config).map_err(|e| EngineError::Internal(e.to_string()))?,
            version: current + 1,
            updated_at: now,
            updated_by: who(actor),
        };
        let event = StoredEvent::for_workspace(ws, DomainEvent::BotConfigUpdated { version: record.version }, now);
        let stored = self.store.save_bot_config(&record, vec![event]).await?;
        self.publish(&stored).await;
        tracing::info!(workspace.id = %ws, version = record.version, "bot configuration saved");
        Ok(BotConfigView {
            config,
            version: record.version,
            updated_at: Some(now),
            updated_by: Some(record.updated_by),
        })
    }

    /// Sets a secret action headers refer to as `{secret.name}` (admins).
    pub async fn set_bot_secret(&self, actor: Actor, name: &str, value: &str) -> EngineResult<()> {
        actor.require(Role::Admin)?;
        if !tandem_bot::template::valid_secret_name(name) {
            return Err(ValidationError::new("name", "use 1 to 64 lowercase letters, digits and `_`").into());
        }
        if value.is_empty() || value.len() > 4096 || value.chars().any(char::is_control) {
            return Err(ValidationError::new("value", "use 1 to 4096 characters without control characters").into());
        }
        self.store.set_bot_secret(actor.workspace_id(), name, value, self.now()).await?;
        tracing::info!(workspace.id = %actor.workspace_id(), secret = name, "bot secret set");
        Ok(())
    }

    pub async fn delete_bot_secret(&self, actor: Actor, name: &str) -> EngineResult<()> {
        actor.require(Role::Admin)?;
        Ok(self.store.delete_bot_secret(actor.workspace_id(), name).await?)
    }

    /// The secrets' names (never their values).
    pub async fn bot_secret_names(&self, actor: Actor) -> EngineResult<Vec<SecretName>> {
        actor.require(Role::Admin)?;
        Ok(self
            .store
            .bot_secret_names(actor.workspace_id())
            .await?
            .into_iter()
            .map(|(name, updated_at)| SecretName { name, updated_at })
            .collect())
    }

    /// Every bot decision in a conversation, oldest first (agents).
    pub async fn bot_decisions(
        &self,
        actor: Actor,
        conversation: ConversationId,
    ) -> EngineResult<Vec<BotDecisionRecord>> {
        actor.require(Role::Agent)?;
        let ws = actor.workspace_id();
        self.store.conversation(ws, conversation).await?;
        Ok(self.store.bot_decisions(ws, conversation).await?)
    }

    /// The handoff summary of a conversation's latest escalation, if the bot escalated it.
    pub async fn handoff_summary(
        &self,
        actor: Actor,
        conversation: ConversationId,
    ) -> EngineResult<Option<tandem_bot::HandoffSummary>> {
        let decisions = self.bot_decisions(actor, conversation).await?;
        Ok(decisions
            .iter()
            .rev()
            .find(|d| d.kind == "escalate")
            .and_then(|d| serde_json::from_value(d.outcome.get("summary")?.clone()).ok()))
    }

    /// Starts the bot's turn on a conversation in the background (after a commit).
    pub(crate) fn spawn_bot(&self, ws: WorkspaceId, id: ConversationId) {
        if self.bot.is_none() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(error) = engine.run_bot(ws, id).await {
                tracing::warn!(%error, conversation.id = %id, "the virtual agent could not take its turn");
            }
        });
    }

    /// Answers what was committed but not answered before a restart: every open
    /// conversation the bot owns gets its turns. Call once, inside a Tokio runtime.
    pub async fn start_bot(&self) -> EngineResult<usize> {
        if self.bot.is_none() {
            return Ok(0);
        }
        let mut started = 0;
        // Older conversations wait for the customer's next message (see `next_unanswered`).
        let recent = self.now() - chrono::Duration::hours(1);
        for ws in self.store.workspace_ids().await? {
            for conversation in self.open_conversations(ws, OwnerFilter::Bot).await? {
                if conversation.owner == Owner::Bot && conversation.last_message_at >= recent {
                    self.spawn_bot(ws, conversation.id);
                    started += 1;
                }
            }
        }
        Ok(started)
    }
}
