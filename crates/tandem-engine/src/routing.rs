//! Routing in the service: the pure [`tandem_routing::Router`] per workspace, kept in step
//! with the store.
//!
//! The store is the truth; the router is an index over it. A conversation is routed while
//! it is open and owned by a queue; an agent's load is the open conversations they own.
//! After every committed conversation change the engine calls [`Engine::sync_routing`],
//! which compares that truth with the router and enqueues, removes, occupies or releases.
//! Every decision is stored before it is published: offers with their rule and scores
//! (`routing_offers`), entries in entry order (`routing_entries`). On start each workspace
//! is rebuilt from the store: agents and their loads, open entries in their original
//! order (queued conversations without one get one), and offers left pending by the
//! previous process are withdrawn and re-routed — nothing is lost and nothing is held
//! twice.
//!
//! One lock per engine serialises routing changes, so two accepts of one offer cannot
//! both win (and the store's pending→accepted update would refuse the second anyway).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tandem_domain::{
    Agent, AgentId, AgentState, Channel, Command, Conversation, ConversationId, DomainEvent, OfferId, Owner, Queue,
    QueueId, StoredEvent, Timestamp, WorkspaceId,
};
use tandem_routing::erlang::{self, Staffing, StaffingTarget};
use tandem_routing::{
    AgentSpec, ContactSpec, Decision, Millis, OverflowStep, PriorityInputs, PriorityWeights, QueueSpec, RouteError,
    Router, RouterConfig, SkillReq,
};
use tandem_store::{ConversationChange, ConversationFilter, OfferRecord, OfferStatus, OwnerFilter, RoutingEntry};
use tokio::sync::Mutex;

use crate::{Actor, Engine, EngineError, EngineResult};

/// Routing behaviour.
#[derive(Clone, Debug)]
pub struct RoutingConfig {
    pub router: RouterConfig,
    pub weights: PriorityWeights,
    /// How often offer timeouts and overflow steps are checked.
    pub tick: Duration,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self { router: RouterConfig::default(), weights: PriorityWeights::default(), tick: Duration::from_millis(250) }
    }
}

type WsRouter = Router<AgentId, QueueId, ConversationId>;

struct WorkspaceRouting {
    router: WsRouter,
    /// Router offer number → stored offer.
    offers: HashMap<u64, (OfferId, QueueId)>,
    by_offer: HashMap<OfferId, u64>,
    /// Conversations in a queue: which one, since when (aging), with what class priority.
    queued: HashMap<ConversationId, (QueueId, Timestamp, i32)>,
    /// Open conversations owned by agents, and on which channel (the agents' load).
    held: HashMap<ConversationId, (AgentId, Channel)>,
}

/// The routing state of every workspace loaded so far.
pub(crate) struct Routing {
    config: RoutingConfig,
    workspaces: Mutex<HashMap<WorkspaceId, WorkspaceRouting>>,
}

impl Routing {
    pub(crate) fn new(config: RoutingConfig) -> Self {
        Self { config, workspaces: Mutex::new(HashMap::new()) }
    }
}

fn millis(at: Timestamp) -> Millis {
    at.timestamp_millis()
}

fn from_millis(ms: Millis) -> Option<Timestamp> {
    chrono::DateTime::from_timestamp_millis(ms)
}

fn queue_spec(q: &Queue) -> QueueSpec<QueueId> {
    QueueSpec {
        key: q.id,
        required_skills: q.routing.required_skills.iter().map(|s| SkillReq::new(s.name.clone(), s.level)).collect(),
        language: q.routing.language.clone(),
        priority: q.routing.priority,
        overflow: q
            .routing
            .overflow
            .iter()
            .map(|o| OverflowStep {
                after_ms: Millis::from(o.after_seconds) * 1000,
                relax_levels: o.relax_levels,
                any_language: o.any_language,
            })
            .collect(),
    }
}

fn agent_spec(a: &Agent) -> AgentSpec<AgentId> {
    AgentSpec {
        key: a.id,
        skills: a.skills.iter().map(|s| SkillReq::new(s.name.clone(), s.level)).collect(),
        languages: a.languages.clone(),
        capacity: a.capacity.iter().map(|(c, n)| (*c, *n)).collect(),
        state: a.state,
    }
}

fn route_error(e: RouteError) -> EngineError {
    match e {
        RouteError::OfferGone => EngineError::Conflict("the offer is no longer open".into()),
        RouteError::NotYourOffer => EngineError::Forbidden("the offer was made to another agent".into()),
        RouteError::UnknownAgent => EngineError::NotFound("agent"),
        RouteError::UnknownQueue => EngineError::NotFound("queue"),
        RouteError::UnknownContact => EngineError::NotFound("conversation in routing"),
        other => EngineError::Invalid(other.to_string()),
    }
}

/// One queue's staffing from its recent arrivals.
#[derive(Clone, Debug, Serialize)]
pub struct QueueStaffing {
    pub queue_id: QueueId,
    pub name: String,
    pub arrivals: u64,
    pub arrivals_per_hour: f64,
    pub waiting: usize,
    pub target: StaffingTarget,
    pub staffing: Staffing,
}

/// A conversation waiting in a queue, in the order agents will get them.
#[derive(Clone, Debug, Serialize)]
pub struct WaitingConversation {
    pub conversation_id: ConversationId,
    pub offered_to: Option<AgentId>,
}

fn offer_event(
    ws: WorkspaceId,
    conversation: ConversationId,
    queue: QueueId,
    event: DomainEvent,
    at: Timestamp,
) -> StoredEvent {
    StoredEvent {
        seq: 0,
        id: tandem_domain::EventId::new(),
        workspace_id: ws,
        conversation_id: Some(conversation),
        customer_id: None,
        owner: Some(Owner::Queue(queue)),
        at,
        event,
    }
}

impl Engine {
    fn routing(&self) -> &Arc<Routing> {
        &self.routing
    }

    /// Loads a workspace's routing from the store (once) and returns the locked map.
    async fn routing_lock(
        &self,
        ws: WorkspaceId,
    ) -> EngineResult<tokio::sync::MutexGuard<'_, HashMap<WorkspaceId, WorkspaceRouting>>> {
        let mut guard = self.routing().workspaces.lock().await;
        if let std::collections::hash_map::Entry::Vacant(slot) = guard.entry(ws) {
            slot.insert(self.load_routing(ws).await?);
        }
        Ok(guard)
    }

    pub(crate) async fn open_conversations(
        &self,
        ws: WorkspaceId,
        owner: OwnerFilter,
    ) -> EngineResult<Vec<Conversation>> {
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .store
                .list_conversations(
                    ws,
                    &ConversationFilter {
                        statuses: tandem_domain::ConversationStatus::ALL.into_iter().filter(|s| s.is_open()).collect(),
                        owner: Some(owner),
                        channel: None,
                        customer: None,
                        before,
                        limit: 500,
                    },
                )
                .await?;
            let done = page.len() < 500;
            before = page.last().map(|c| c.id);
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    async fn load_routing(&self, ws: WorkspaceId) -> EngineResult<WorkspaceRouting> {
        let now = self.now();
        let mut state = WorkspaceRouting {
            router: Router::new(self.routing().config.router.clone()).map_err(route_error)?,
            offers: HashMap::new(),
            by_offer: HashMap::new(),
            queued: HashMap::new(),
            held: HashMap::new(),
        };
        let mut out = Vec::new();
        for q in self.store.list_queues(ws).await? {
            state.router.upsert_queue(queue_spec(&q), millis(now), &mut out).map_err(route_error)?;
        }
        // Agents start unavailable for offers until their load is known.
        let agents = self.store.list_agents(ws).await?;
        for a in &agents {
            let mut spec = agent_spec(a);
            spec.state = AgentState::Offline;
            state.router.upsert_agent(spec, millis(now), &mut out).map_err(route_error)?;
        }
        for c in self.open_conversations(ws, OwnerFilter::AnyAgent).await? {
            if let Owner::Agent(a) = c.owner
                && state.router.occupy(a, c.channel).is_ok()
            {
                state.held.insert(c.id, (a, c.channel));
            }
        }
        // Offers the previous process left open are withdrawn; their conversations are
        // routed again below, in their original place.
        for o in self.store.offers(ws, None, Some(OfferStatus::Pending), u32::MAX).await? {
            let event = DomainEvent::OfferWithdrawn {
                offer_id: o.id,
                conversation_id: o.conversation_id,
                agent_id: o.agent_id,
                reason: "restart".into(),
            };
            let events = self
                .store
                .settle_offer(
                    ws,
                    o.id,
                    OfferStatus::Withdrawn,
                    now,
                    vec![offer_event(ws, o.conversation_id, o.queue_id, event, now)],
                )
                .await?;
            self.publish(&events).await;
        }
        // Queued conversations in entry order; queued ones without an entry get one.
        let queued: HashMap<ConversationId, Conversation> =
            self.open_conversations(ws, OwnerFilter::AnyQueue).await?.into_iter().map(|c| (c.id, c)).collect();
        let mut entries = self.store.open_routing_entries(ws).await?;
        let mut with_entry = std::collections::HashSet::new();
        entries.retain(|e| {
            with_entry.insert(e.conversation_id);
            queued.get(&e.conversation_id).is_some_and(|c| c.owner == Owner::Queue(e.queue_id))
        });
        for e in self.store.open_routing_entries(ws).await? {
            if !entries.iter().any(|k| k.seq == e.seq) {
                self.store.close_routing_entry(ws, e.conversation_id, "left", now).await?;
            }
        }
        let mut missing: Vec<&Conversation> = queued.values().filter(|c| !with_entry.contains(&c.id)).collect();
        missing.sort_by_key(|c| (c.updated_at, c.id));
        for c in missing {
            if let Owner::Queue(q) = c.owner {
                let class = self.class_priority(ws, c, q).await;
                let entry = RoutingEntry {
                    workspace_id: ws,
                    conversation_id: c.id,
                    queue_id: q,
                    class_priority: class,
                    arrived_at: c.updated_at,
                    seq: 0,
                };
                entries.push(self.store.open_routing_entry(&entry).await?);
            }
        }
        for e in entries {
            let Some(c) = queued.get(&e.conversation_id) else { continue };
            let spec = ContactSpec {
                key: c.id,
                queue: e.queue_id,
                channel: c.channel,
                language: c.language.clone(),
                skills: Vec::new(),
                class_priority: e.class_priority,
                arrived_at: millis(e.arrived_at),
                previous_agent: None,
            };
            if state.router.enqueue(spec, millis(now), &mut out).is_ok() {
                state.queued.insert(c.id, (e.queue_id, e.arrived_at, e.class_priority));
            }
        }
        // Now the agents who are available take work.
        for a in &agents {
            state.router.set_agent_state(a.id, a.state, millis(now), &mut out).map_err(route_error)?;
        }
        self.apply_decisions(ws, &mut state, out, now).await;
        tracing::info!(workspace.id = %ws, waiting = state.queued.len(), held = state.held.len(), "routing loaded");
        Ok(state)
    }

    async fn class_priority(&self, ws: WorkspaceId, c: &Conversation, queue: QueueId) -> i32 {
        let queue_priority = match self.store.queue(ws, queue).await {
            Ok(q) => q.routing.priority,
            Err(_) => 0,
        };
        let tier = match self.store.customer(ws, c.customer_id).await {
            Ok(customer) => customer.tier as u8,
            Err(_) => 0,
        };
        let inputs = PriorityInputs {
            tier,
            sentiment: (c.sentiment.messages > 0).then_some(c.sentiment.smoothed),
            escalated: false,
            manual: c.priority.get().saturating_sub(tandem_domain::Priority::NORMAL.get()),
        };
        inputs.class_priority(queue_priority, &self.routing().config.weights)
    }

    /// Stores and publishes what the router decided.
    async fn apply_decisions(
        &self,
        ws: WorkspaceId,
        state: &mut WorkspaceRouting,
        decisions: Vec<Decision<ConversationId, AgentId>>,
        now: Timestamp,
    ) {
        for d in decisions {
            let result = match d {
                Decision::Offered { offer, contact, agent, rule, score, expires_at } => {
                    let queue = state.queued.get(&contact).map(|(q, _, _)| *q);
                    let Some(queue) = queue else { continue };
                    let id = OfferId::new();
                    state.offers.insert(offer, (id, queue));
                    state.by_offer.insert(id, offer);
                    let score = serde_json::to_value(score).unwrap_or_default();
                    let expires_at = (expires_at < Millis::MAX).then(|| from_millis(expires_at)).flatten();
                    let rule_name = match rule {
                        tandem_routing::Rule::Overflow { step } => format!("overflow_step_{step}"),
                        other => other.as_str().to_owned(),
                    };
                    let record = OfferRecord {
                        id,
                        workspace_id: ws,
                        conversation_id: contact,
                        agent_id: agent,
                        queue_id: queue,
                        rule: rule_name.clone(),
                        score: score.clone(),
                        created_at: now,
                        expires_at,
                        status: OfferStatus::Pending,
                        decided_at: None,
                    };
                    let event = DomainEvent::OfferMade {
                        offer_id: id,
                        conversation_id: contact,
                        agent_id: agent,
                        queue_id: queue,
                        rule: rule_name,
                        score,
                        expires_at,
                    };
                    self.store.record_offer(&record, vec![offer_event(ws, contact, queue, event, now)]).await
                }
                Decision::OfferTimedOut { offer, contact, agent } => {
                    let Some((id, queue)) = state.offers.remove(&offer) else { continue };
                    state.by_offer.remove(&id);
                    let event = DomainEvent::OfferTimedOut { offer_id: id, conversation_id: contact, agent_id: agent };
                    self.store
                        .settle_offer(
                            ws,
                            id,
                            OfferStatus::TimedOut,
                            now,
                            vec![offer_event(ws, contact, queue, event, now)],
                        )
                        .await
                }
                Decision::AgentStateChanged { agent, state: to } => {
                    self.store.set_agent_state(ws, agent, to, now).await.map(|(_, events)| events)
                }
            };
            match result {
                Ok(events) => self.publish(&events).await,
                Err(error) => tracing::error!(%error, workspace.id = %ws, "could not record a routing decision"),
            }
        }
    }

    /// Brings routing in line with a conversation just committed: in a queue → routed;
    /// owned by an agent → counted in their load; otherwise out of routing.
    pub(crate) async fn sync_routing(&self, conversation: &Conversation) {
        if let Err(error) = self.try_sync_routing(conversation).await {
            tracing::error!(%error, conversation.id = %conversation.id, "routing could not follow a conversation change");
        }
    }

    async fn try_sync_routing(&self, c: &Conversation) -> EngineResult<()> {
        let ws = c.workspace_id;
        let now = self.now();
        let mut guard = self.routing_lock(ws).await?;
        let Some(state) = guard.get_mut(&ws) else { return Ok(()) };
        let open = c.status.is_open();
        let want_queue = match c.owner {
            Owner::Queue(q) if open => Some(q),
            _ => None,
        };
        let want_agent = match c.owner {
            Owner::Agent(a) if open => Some((a, c.channel)),
            _ => None,
        };
        let mut out = Vec::new();
        // Leave a queue (or move between queues, keeping the original arrival).
        let current = state.queued.get(&c.id).copied();
        let mut arrived = None;
        if let Some((q0, since, _)) = current
            && want_queue != Some(q0)
        {
            self.withdraw_offers_of(ws, state, c.id, q0, "left the queue", now).await;
            let _ = state.router.remove(c.id, millis(now), &mut out);
            state.queued.remove(&c.id);
            // `transferred`: moved to another queue (its wait goes on there).
            let outcome = match (want_agent, want_queue) {
                (Some(_), _) => "taken",
                (None, Some(_)) => "transferred",
                (None, None) => "left",
            };
            self.store.close_routing_entry(ws, c.id, outcome, now).await?;
            if want_queue.is_some() {
                arrived = Some(since);
            }
        }
        // Agent load.
        let held = state.held.get(&c.id).copied();
        if held != want_agent {
            if let Some((a, ch)) = held {
                state.held.remove(&c.id);
                let _ = state.router.release(a, ch, millis(now), &mut out);
            }
            if let Some((a, ch)) = want_agent
                && state.router.occupy(a, ch).is_ok()
            {
                state.held.insert(c.id, (a, ch));
            }
        }
        // Enter a queue.
        if let Some(q) = want_queue
            && !state.queued.contains_key(&c.id)
        {
            let class = self.class_priority(ws, c, q).await;
            let entry = RoutingEntry {
                workspace_id: ws,
                conversation_id: c.id,
                queue_id: q,
                class_priority: class,
                arrived_at: arrived.unwrap_or(now),
                seq: 0,
            };
            let entry = self.store.open_routing_entry(&entry).await?;
            let previous_agent = self.previous_agent(ws, c).await;
            let spec = ContactSpec {
                key: c.id,
                queue: q,
                channel: c.channel,
                language: c.language.clone(),
                skills: Vec::new(),
                class_priority: entry.class_priority,
                arrived_at: millis(entry.arrived_at),
                previous_agent,
            };
            state.queued.insert(c.id, (q, entry.arrived_at, entry.class_priority));
            if let Err(e) = state.router.enqueue(spec, millis(now), &mut out) {
                state.queued.remove(&c.id);
                return Err(route_error(e));
            }
        }
        self.apply_decisions(ws, state, out, now).await;
        Ok(())
    }

    /// The agent who last accepted this customer's conversation, for sticky routing.
    async fn previous_agent(&self, ws: WorkspaceId, c: &Conversation) -> Option<AgentId> {
        let offers = self.store.offers(ws, Some(c.id), Some(OfferStatus::Accepted), 1).await.ok()?;
        offers.first().map(|o| o.agent_id)
    }

    async fn withdraw_offers_of(
        &self,
        ws: WorkspaceId,
        state: &mut WorkspaceRouting,
        conversation: ConversationId,
        queue: QueueId,
        reason: &str,
        now: Timestamp,
    ) {
        let open: Vec<(u64, OfferId)> = match state.router.contact_status(conversation) {
            Some(tandem_routing::ContactStatus::Offered { offer, .. }) => {
                state.offers.get(&offer).map(|(id, _)| (offer, *id)).into_iter().collect()
            }
            _ => Vec::new(),
        };
        for (n, id) in open {
            state.offers.remove(&n);
            state.by_offer.remove(&id);
            let agent = match self.store.offer(ws, id).await {
                Ok(o) => o.agent_id,
                Err(_) => continue,
            };
            let event = DomainEvent::OfferWithdrawn {
                offer_id: id,
                conversation_id: conversation,
                agent_id: agent,
                reason: reason.into(),
            };
            match self
                .store
                .settle_offer(
                    ws,
                    id,
                    OfferStatus::Withdrawn,
                    now,
                    vec![offer_event(ws, conversation, queue, event, now)],
                )
                .await
            {
                Ok(events) => self.publish(&events).await,
                Err(error) => tracing::warn!(%error, "could not withdraw an offer"),
            }
        }
    }

    /// Routing learns about an agent created or changed.
    pub(crate) async fn sync_agent(&self, agent: &Agent) {
        let ws = agent.workspace_id;
        let now = self.now();
        let result = async {
            let mut guard = self.routing_lock(ws).await?;
            let Some(state) = guard.get_mut(&ws) else { return Ok(()) };
            let mut out = Vec::new();
            state.router.upsert_agent(agent_spec(agent), millis(now), &mut out).map_err(route_error)?;
            self.apply_decisions(ws, state, out, now).await;
            Ok::<(), EngineError>(())
        }
        .await;
        if let Err(error) = result {
            tracing::error!(%error, agent.id = %agent.id, "routing could not follow an agent change");
        }
    }

    /// Routing learns about a queue created or changed.
    pub(crate) async fn sync_queue(&self, queue: &Queue) {
        let ws = queue.workspace_id;
        let now = self.now();
        let result = async {
            let mut guard = self.routing_lock(ws).await?;
            let Some(state) = guard.get_mut(&ws) else { return Ok(()) };
            let mut out = Vec::new();
            state.router.upsert_queue(queue_spec(queue), millis(now), &mut out).map_err(route_error)?;
            self.apply_decisions(ws, state, out, now).await;
            Ok::<(), EngineError>(())
        }
        .await;
        if let Err(error) = result {
            tracing::error!(%error, queue.id = %queue.id, "routing could not follow a queue change");
        }
    }

    /// The agent accepts an offer: the conversation becomes theirs. Of two accepts for
    /// one offer, exactly one succeeds; the other gets `Conflict`.
    pub async fn accept_offer(
        &self,
        actor: Actor,
        offer: OfferId,
        agent: Option<AgentId>,
    ) -> EngineResult<Conversation> {
        let ws = actor.workspace_id();
        let agent = crate::commands::acting_agent(actor, agent)?;
        let mut guard = self.routing_lock(ws).await?;
        let Some(state) = guard.get_mut(&ws) else { return Err(EngineError::NotFound("offer")) };
        let Some(&number) = state.by_offer.get(&offer) else {
            let record = self.store.offer(ws, offer).await?;
            return Err(EngineError::Conflict(format!("the offer is {}, no longer open", record.status.as_str())));
        };
        let record = self.store.offer(ws, offer).await?;
        if record.agent_id != agent {
            return Err(EngineError::Forbidden("the offer was made to another agent".into()));
        }
        for _ in 0..4 {
            let now = self.now();
            let current = self.store.conversation(ws, record.conversation_id).await?;
            let t = current.apply(&Command::Assign { agent }, now)?;
            let conversation = t.conversation;
            let mut events: Vec<StoredEvent> =
                t.events.into_iter().map(|e| StoredEvent::for_conversation(&conversation, e, now)).collect();
            events.push(StoredEvent::for_conversation(
                &conversation,
                DomainEvent::OfferAccepted { offer_id: offer, conversation_id: conversation.id, agent_id: agent },
                now,
            ));
            let change = ConversationChange {
                expected_version: current.version,
                conversation: conversation.clone(),
                messages: Vec::new(),
                events,
            };
            match self.store.accept_offer(ws, offer, agent, now, change).await {
                Ok(stored) => {
                    state.router.accept(number, agent).map_err(route_error)?;
                    state.offers.remove(&number);
                    state.by_offer.remove(&offer);
                    state.queued.remove(&conversation.id);
                    state.held.insert(conversation.id, (agent, conversation.channel));
                    self.publish(&stored).await;
                    return Ok(conversation);
                }
                Err(tandem_store::StoreError::Conflict(m)) => {
                    // Either the conversation changed (retry) or the offer is gone.
                    let again = self.store.offer(ws, offer).await?;
                    if again.status != OfferStatus::Pending {
                        return Err(EngineError::Conflict(m));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict("the conversation is changing too fast; try again".into()))
    }

    /// The agent declines: the conversation goes to the next best agent.
    pub async fn decline_offer(
        &self,
        actor: Actor,
        offer: OfferId,
        agent: Option<AgentId>,
    ) -> EngineResult<OfferRecord> {
        let ws = actor.workspace_id();
        let agent = crate::commands::acting_agent(actor, agent)?;
        let now = self.now();
        let mut guard = self.routing_lock(ws).await?;
        let Some(state) = guard.get_mut(&ws) else { return Err(EngineError::NotFound("offer")) };
        let Some(&number) = state.by_offer.get(&offer) else {
            let record = self.store.offer(ws, offer).await?;
            return Err(EngineError::Conflict(format!("the offer is {}, no longer open", record.status.as_str())));
        };
        let record = self.store.offer(ws, offer).await?;
        if record.agent_id != agent {
            return Err(EngineError::Forbidden("the offer was made to another agent".into()));
        }
        let event =
            DomainEvent::OfferDeclined { offer_id: offer, conversation_id: record.conversation_id, agent_id: agent };
        let stored = self
            .store
            .settle_offer(
                ws,
                offer,
                OfferStatus::Declined,
                now,
                vec![offer_event(ws, record.conversation_id, record.queue_id, event, now)],
            )
            .await?;
        state.offers.remove(&number);
        state.by_offer.remove(&offer);
        let mut out = Vec::new();
        state.router.decline(number, agent, millis(now), &mut out).map_err(route_error)?;
        self.publish(&stored).await;
        self.apply_decisions(ws, state, out, now).await;
        Ok(OfferRecord { status: OfferStatus::Declined, decided_at: Some(now), ..record })
    }

    /// Processes due timers (offer timeouts, overflow steps, ends of sticky holds) in every
    /// loaded workspace.
    pub async fn routing_tick(&self) {
        let now = self.now();
        let mut guard = self.routing().workspaces.lock().await;
        let workspaces: Vec<WorkspaceId> = guard.keys().copied().collect();
        for ws in workspaces {
            let Some(state) = guard.get_mut(&ws) else { continue };
            if state.router.next_deadline().is_none_or(|d| d > millis(now)) {
                continue;
            }
            let mut out = Vec::new();
            state.router.tick(millis(now), &mut out);
            self.apply_decisions(ws, state, out, now).await;
        }
    }

    /// Loads every workspace's routing (restoring queues after a restart) and ticks its
    /// timers in the background. Call once, inside a Tokio runtime.
    pub async fn start_routing(&self) -> EngineResult<tokio::task::JoinHandle<()>> {
        for ws in self.store.workspace_ids().await? {
            drop(self.routing_lock(ws).await?);
        }
        let engine = self.clone();
        let period = self.routing().config.tick;
        Ok(tokio::spawn(async move {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                engine.routing_tick().await;
            }
        }))
    }

    /// Conversations waiting in a queue, in the order agents will get them.
    pub async fn waiting(&self, actor: Actor, queue: QueueId) -> EngineResult<Vec<WaitingConversation>> {
        actor.require(tandem_domain::Role::Supervisor)?;
        let ws = actor.workspace_id();
        self.store.queue(ws, queue).await?;
        let guard = self.routing_lock(ws).await?;
        let Some(state) = guard.get(&ws) else { return Ok(Vec::new()) };
        let mut list: Vec<WaitingConversation> = state
            .router
            .waiting(queue)
            .into_iter()
            .map(|c| WaitingConversation { conversation_id: c, offered_to: None })
            .collect();
        // Offered ones are still in the queue from the customer's point of view.
        for (id, (q, _, _)) in &state.queued {
            if *q == queue
                && let Some(tandem_routing::ContactStatus::Offered { agent, .. }) = state.router.contact_status(*id)
            {
                list.insert(0, WaitingConversation { conversation_id: *id, offered_to: Some(agent) });
            }
        }
        Ok(list)
    }

    /// The routing decisions recorded (offers with rule, scores and outcome), newest first.
    pub async fn offers(
        &self,
        actor: Actor,
        conversation: Option<ConversationId>,
        status: Option<OfferStatus>,
        limit: u32,
    ) -> EngineResult<Vec<OfferRecord>> {
        if let Actor::Agent { agent_id, role, .. } = actor
            && role < tandem_domain::Role::Supervisor
        {
            // An agent sees the offers made to them, not the workspace's routing.
            let all = self.store.offers(actor.workspace_id(), conversation, status, 500).await?;
            return Ok(all.into_iter().filter(|o| o.agent_id == agent_id).take(limit.clamp(1, 500) as usize).collect());
        }
        Ok(self.store.offers(actor.workspace_id(), conversation, status, limit.clamp(1, 500)).await?)
    }

    /// Agents needed per queue for its service-level target, from the arrivals of the
    /// last `hours` (Erlang C).
    pub async fn staffing(
        &self,
        actor: Actor,
        hours: f64,
        aht_seconds: f64,
        shrinkage: f64,
        max_occupancy: f64,
    ) -> EngineResult<Vec<QueueStaffing>> {
        actor.require(tandem_domain::Role::Supervisor)?;
        if !(hours.is_finite() && hours > 0.0 && hours <= 24.0 * 31.0) {
            return Err(EngineError::Validation(tandem_domain::ValidationError::new(
                "hours",
                "use a window between 0 and 744 hours",
            )));
        }
        let ws = actor.workspace_id();
        let since = self.now() - chrono::Duration::milliseconds((hours * 3_600_000.0) as i64);
        let arrivals: HashMap<QueueId, u64> = self.store.routing_arrivals(ws, since).await?.into_iter().collect();
        let waiting: HashMap<QueueId, usize> = {
            let guard = self.routing_lock(ws).await?;
            let mut counts = HashMap::new();
            if let Some(state) = guard.get(&ws) {
                for (q, _, _) in state.queued.values() {
                    *counts.entry(*q).or_default() += 1;
                }
            }
            counts
        };
        let mut out = Vec::new();
        for q in self.store.list_queues(ws).await? {
            let n = arrivals.get(&q.id).copied().unwrap_or(0);
            let target = StaffingTarget {
                arrivals_per_hour: n as f64 / hours,
                aht_seconds,
                service_level: q.routing.sla_target.min(0.999),
                target_seconds: f64::from(q.routing.sla_seconds),
                shrinkage,
                max_occupancy,
            };
            let staffing = erlang::staffing(&target).map_err(|e| EngineError::Invalid(e.to_string()))?;
            out.push(QueueStaffing {
                queue_id: q.id,
                name: q.name,
                arrivals: n,
                arrivals_per_hour: target.arrivals_per_hour,
                waiting: waiting.get(&q.id).copied().unwrap_or(0),
                target,
                staffing,
            });
        }
        Ok(out)
    }
}

impl Engine {
    /// The queue named `name` (any case), or the workspace's first queue when the name
    /// is missing or unknown; `None` when the workspace has no queue.
    pub(crate) async fn resolve_queue(&self, ws: WorkspaceId, name: Option<&str>) -> EngineResult<Option<Queue>> {
        let mut queues = self.store.list_queues(ws).await?;
        queues.sort_by_key(|q| (q.created_at, q.id));
        let named = name.and_then(|n| queues.iter().position(|q| q.name.eq_ignore_ascii_case(n.trim())));
        if let (Some(n), None) = (name, named) {
            tracing::warn!(workspace.id = %ws, queue = n, "the bot's queue is not in the workspace; using the first queue");
        }
        Ok(match named {
            Some(i) => Some(queues.swap_remove(i)),
            None => queues.into_iter().next(),
        })
    }

    /// Who could take a conversation escalated to the queue `name` now (see
    /// [`Engine::resolve_queue`] for which queue that is).
    pub(crate) async fn queue_outlook(
        &self,
        ws: WorkspaceId,
        name: Option<&str>,
        channel: Channel,
        language: Option<&str>,
    ) -> EngineResult<(Option<Queue>, tandem_bot::Outlook)> {
        let Some(queue) = self.resolve_queue(ws, name).await? else {
            return Ok((None, tandem_bot::Outlook::default()));
        };
        let guard = self.routing_lock(ws).await?;
        let seen = guard.get(&ws).and_then(|state| state.router.outlook(queue.id, channel, language));
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let outlook = seen.map_or_else(tandem_bot::Outlook::default, |o| tandem_bot::Outlook {
            queue: Some(queue.name.clone()),
            working: to_u32(o.working),
            free: to_u32(o.free),
            waiting: to_u32(o.waiting),
        });
        let outlook = tandem_bot::Outlook { queue: Some(queue.name.clone()), ..outlook };
        Ok((Some(queue), outlook))
    }
}
