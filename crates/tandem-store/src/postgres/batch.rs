//! Group commit for ingest on PostgreSQL.
//!
//! Ingest is the hot path: every channel's every message. Run one message per
//! transaction and each costs a dozen round trips; on a small machine the statements,
//! not the disk, are the limit. So inbound messages queue for a batcher task that takes
//! everything waiting (up to `max_batch`), reads the state all of them need in a few
//! set-based queries, runs the domain's `plan_ingest` for each in order against that
//! state in memory (so two messages of one customer in one batch see each other), and
//! writes every change with one multi-row statement per table, in one transaction.
//! A batch that loses a race with another node (uniqueness or version conflict) is
//! retried; one that keeps failing is split so a single bad message cannot block others.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{GenericClient, Pool};
use tandem_domain::ingest::{ContinuityPolicy, plan_ingest};
use tandem_domain::{
    Conversation, ConversationId, ConversationStatus, Customer, CustomerId, Identity, IdentityKind, InboundMessage,
    MessageId, StoredEvent, Timestamp, WorkspaceId, time,
};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::{Json, ToSql};
use uuid::Uuid;

use super::ops::{self, db_error};
use super::rows::{self, get};
use crate::codec::{author_columns, corrupt, owner_columns, parse_enum};
use crate::{IngestOutcome, StoreError, StoreResult};

/// How many times a batch that lost a race is retried before it is split.
const RETRIES: usize = 4;

pub(super) struct Job {
    pub message: InboundMessage,
    pub policy: ContinuityPolicy,
    pub now: Timestamp,
    pub reply: oneshot::Sender<StoreResult<IngestOutcome>>,
}

/// Starts the batcher; ingest calls send it jobs. Up to `in_flight` batches run at once
/// (on different connections), so one batch's round trips overlap another's work; while
/// all are busy, arriving messages gather into the next, larger batch.
pub(super) fn spawn(pool: Pool, max_batch: usize, in_flight: usize) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(max_batch.max(1) * 16);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = std::sync::Arc::clone(&permits).acquire_owned().await else { break };
            let Some(first) = rx.recv().await else { break };
            let mut jobs = vec![first];
            while jobs.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let pool = pool.clone();
            tokio::spawn(async move {
                let (inputs, replies): (Vec<_>, Vec<_>) =
                    jobs.into_iter().map(|j| ((j.message, j.policy, j.now), j.reply)).unzip();
                let results = run_with_retry(&pool, &inputs).await;
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
                drop(permit);
            });
        }
    });
    tx
}

type Input = (InboundMessage, ContinuityPolicy, Timestamp);

/// An owned statement parameter, so a pipelined statement's future owns its arrays.
type Param<'a> = Box<dyn ToSql + Sync + Send + 'a>;

fn param<'a, T: ToSql + Sync + Send + 'a>(value: T) -> Param<'a> {
    Box::new(value)
}

/// A write statement waiting in the pipeline.
type Pending<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<()>> + Send + 'a>>;

async fn run_with_retry(pool: &Pool, inputs: &[Input]) -> Vec<StoreResult<IngestOutcome>> {
    let mut last_error = StoreError::Other("no attempt made".into());
    for _ in 0..RETRIES {
        match run_batch(pool, inputs).await {
            Ok(outcomes) => return outcomes,
            Err(StoreError::Conflict(message)) => last_error = StoreError::Conflict(message),
            Err(error) => {
                last_error = error;
                break;
            }
        }
    }
    if inputs.len() == 1 {
        return vec![Err(last_error)];
    }
    tracing::warn!(error = %last_error, size = inputs.len(), "ingest batch failed; retrying its messages one by one");
    let mut results = Vec::with_capacity(inputs.len());
    for input in inputs {
        results.push(
            Box::pin(run_with_retry(pool, std::slice::from_ref(input)))
                .await
                .pop()
                .unwrap_or_else(|| Err(last_error.clone())),
        );
    }
    results
}

/// What the batch knows, loaded from the database and updated as messages are planned.
#[derive(Default)]
struct State {
    owners: HashMap<(WorkspaceId, Identity), CustomerId>,
    customers: HashMap<CustomerId, Customer>,
    loaded_updated_at: HashMap<CustomerId, Timestamp>,
    open: HashMap<CustomerId, Conversation>,
    loaded_version: HashMap<ConversationId, i64>,
}

/// The writes a batch makes, in the order they must happen.
#[derive(Default)]
struct Writes {
    new_customers: Vec<CustomerId>,
    changed_customers: Vec<CustomerId>,
    identities: Vec<(WorkspaceId, Identity, CustomerId, Timestamp)>,
    conversations: Vec<ConversationId>,
    new_conversations: HashSet<ConversationId>,
    final_conversations: HashMap<ConversationId, Conversation>,
    messages: Vec<tandem_domain::Message>,
    idempotency: Vec<IdempotencyRow>,
    events: Vec<(usize, StoredEvent)>,
}

struct IdempotencyRow {
    workspace_id: WorkspaceId,
    key: String,
    fingerprint: String,
    message_id: MessageId,
    conversation_id: ConversationId,
    customer_id: CustomerId,
    customer_created: bool,
    conversation_created: bool,
    at: Timestamp,
}

/// How each input is answered.
enum Answer {
    Planned(Box<IngestOutcome>),
    /// A retry of a key stored before this batch.
    Stored {
        message: MessageId,
        conversation: ConversationId,
        workspace: WorkspaceId,
        customer: CustomerId,
        customer_created: bool,
        conversation_created: bool,
    },
    /// A retry of a key used earlier in this batch (by input `usize`).
    Earlier(usize),
    Refused(StoreError),
}

struct StoredKey {
    fingerprint: String,
    message: MessageId,
    conversation: ConversationId,
    customer: CustomerId,
    customer_created: bool,
    conversation_created: bool,
}

async fn run_batch(pool: &Pool, inputs: &[Input]) -> StoreResult<Vec<StoreResult<IngestOutcome>>> {
    let mut client = pool.get().await.map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))?;
    let tx = client.transaction().await.map_err(db_error)?;
    let (stored_keys, owners) =
        futures_util::future::try_join(load_keys(&tx, inputs), load_owners(&tx, inputs)).await?;
    let mut state = load_state(&tx, owners).await?;
    let mut writes = Writes::default();
    let mut answers = Vec::with_capacity(inputs.len());
    let mut batch_keys: HashMap<(WorkspaceId, String), (String, usize)> = HashMap::new();
    for (index, (msg, policy, now)) in inputs.iter().enumerate() {
        if let Some(idem) = &msg.idempotency {
            let key = (msg.workspace_id, idem.key.clone());
            if let Some(stored) = stored_keys.get(&key) {
                answers.push(if stored.fingerprint == idem.fingerprint {
                    Answer::Stored {
                        message: stored.message,
                        conversation: stored.conversation,
                        workspace: msg.workspace_id,
                        customer: stored.customer,
                        customer_created: stored.customer_created,
                        conversation_created: stored.conversation_created,
                    }
                } else {
                    Answer::Refused(StoreError::IdempotencyKeyReused)
                });
                continue;
            }
            if let Some((fingerprint, earlier)) = batch_keys.get(&key) {
                answers.push(if *fingerprint == idem.fingerprint {
                    Answer::Earlier(*earlier)
                } else {
                    Answer::Refused(StoreError::IdempotencyKeyReused)
                });
                continue;
            }
            batch_keys.insert(key, (idem.fingerprint.clone(), index));
        }
        answers.push(Answer::Planned(Box::new(plan_one(&mut state, &mut writes, index, msg, policy, *now)?)));
    }
    let events = write(&tx, &state, &writes, writes.events.iter().map(|(_, e)| e.clone()).collect()).await?;
    let input_of: HashMap<tandem_domain::EventId, usize> = writes.events.iter().map(|(i, e)| (e.id, *i)).collect();
    let mut events_by_input: HashMap<usize, Vec<StoredEvent>> = HashMap::new();
    for event in events {
        if let Some(index) = input_of.get(&event.id) {
            events_by_input.entry(*index).or_default().push(event);
        }
    }
    let mut outcomes: Vec<StoreResult<IngestOutcome>> = Vec::with_capacity(answers.len());
    for (index, answer) in answers.into_iter().enumerate() {
        let outcome = match answer {
            Answer::Planned(mut outcome) => {
                outcome.events = events_by_input.remove(&index).unwrap_or_default();
                outcome.events.sort_by_key(|e| e.seq);
                Ok(*outcome)
            }
            Answer::Stored { message, conversation, workspace, customer, customer_created, conversation_created } => {
                Ok(IngestOutcome {
                    customer_id: customer,
                    customer_created,
                    conversation: ops::conversation(&tx, workspace, conversation).await?,
                    conversation_created,
                    message: ops::message(&tx, workspace, message).await?,
                    replayed: true,
                    events: Vec::new(),
                })
            }
            Answer::Earlier(earlier) => match outcomes.get(earlier) {
                Some(Ok(first)) => Ok(IngestOutcome { replayed: true, events: Vec::new(), ..first.clone() }),
                _ => Err(StoreError::Other("an idempotent retry refers to a failed message".into())),
            },
            Answer::Refused(error) => Err(error),
        };
        outcomes.push(outcome);
    }
    tx.commit().await.map_err(db_error)?;
    Ok(outcomes)
}

/// Plans one message against the batch state and records its writes.
fn plan_one(
    state: &mut State,
    writes: &mut Writes,
    index: usize,
    msg: &InboundMessage,
    policy: &ContinuityPolicy,
    now: Timestamp,
) -> StoreResult<IngestOutcome> {
    let ws = msg.workspace_id;
    let mut resolved: Option<CustomerId> = None;
    let mut taken = Vec::new();
    for identity in &msg.identities {
        match (state.owners.get(&(ws, identity.clone())).copied(), resolved) {
            (Some(owner), None) => resolved = Some(owner),
            (Some(owner), Some(first)) if owner != first => taken.push(identity.clone()),
            _ => {}
        }
    }
    let existing = resolved.and_then(|id| state.customers.get(&id));
    let open = existing.and_then(|c| state.open.get(&c.id));
    let plan = plan_ingest(msg, existing, &taken, open, policy, now);
    let customer_id = plan.customer.id;
    if plan.customer_is_new {
        writes.new_customers.push(customer_id);
    } else if plan.customer_changed
        && state.loaded_updated_at.contains_key(&customer_id)
        && !writes.changed_customers.contains(&customer_id)
    {
        writes.changed_customers.push(customer_id);
    }
    for identity in &plan.new_identities {
        state.owners.insert((ws, identity.clone()), customer_id);
        writes.identities.push((ws, identity.clone(), customer_id, now));
    }
    state.customers.insert(customer_id, plan.customer.clone());
    let conversation = plan.conversation.clone();
    if plan.conversation_is_new {
        writes.new_conversations.insert(conversation.id);
    }
    if !writes.final_conversations.contains_key(&conversation.id) {
        writes.conversations.push(conversation.id);
    }
    writes.final_conversations.insert(conversation.id, conversation.clone());
    state.open.insert(customer_id, conversation.clone());
    let inbound =
        plan.inbound().cloned().ok_or_else(|| StoreError::Other("an ingest plan without a message".into()))?;
    if let Some(idem) = &msg.idempotency {
        writes.idempotency.push(IdempotencyRow {
            workspace_id: ws,
            key: idem.key.clone(),
            fingerprint: idem.fingerprint.clone(),
            message_id: inbound.id,
            conversation_id: conversation.id,
            customer_id,
            customer_created: plan.customer_is_new,
            conversation_created: plan.conversation_is_new,
            at: now,
        });
    }
    writes.messages.extend(plan.messages);
    writes.events.extend(plan.events.into_iter().map(|e| (index, e)));
    Ok(IngestOutcome {
        customer_id,
        customer_created: plan.customer_is_new,
        conversation,
        conversation_created: plan.conversation_is_new,
        message: inbound,
        replayed: false,
        events: Vec::new(),
    })
}

async fn load_keys<C: GenericClient>(
    c: &C,
    inputs: &[Input],
) -> StoreResult<HashMap<(WorkspaceId, String), StoredKey>> {
    let (workspaces, keys): (Vec<Uuid>, Vec<&str>) = inputs
        .iter()
        .filter_map(|(m, _, _)| m.idempotency.as_ref().map(|i| (m.workspace_id.as_uuid(), i.key.as_str())))
        .unzip();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = c
        .prepare_cached(
            "SELECT workspace_id, key, fingerprint, message_id, conversation_id, customer_id, customer_created, conversation_created \
             FROM idempotency_keys WHERE (workspace_id, key) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))",
        )
        .await
        .map_err(db_error)?;
    let found = c.query(&stmt, &[&workspaces, &keys]).await.map_err(db_error)?;
    let mut out = HashMap::with_capacity(found.len());
    for row in &found {
        out.insert(
            (WorkspaceId::from_uuid(get(row, 0)?), get::<String>(row, 1)?),
            StoredKey {
                fingerprint: get(row, 2)?,
                message: MessageId::from_uuid(get(row, 3)?),
                conversation: ConversationId::from_uuid(get(row, 4)?),
                customer: CustomerId::from_uuid(get(row, 5)?),
                customer_created: get(row, 6)?,
                conversation_created: get(row, 7)?,
            },
        );
    }
    Ok(out)
}

/// Loads the owners of every identity in the batch.
async fn load_owners<C: GenericClient>(
    c: &C,
    inputs: &[Input],
) -> StoreResult<HashMap<(WorkspaceId, Identity), CustomerId>> {
    let (mut workspaces, mut kinds, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for (m, _, _) in inputs {
        for identity in &m.identities {
            workspaces.push(m.workspace_id.as_uuid());
            kinds.push(identity.kind.as_str());
            values.push(identity.value.as_str());
        }
    }
    let stmt = c
        .prepare_cached(
            "SELECT workspace_id, kind, value, customer_id FROM customer_identities \
             WHERE (workspace_id, kind, value) IN (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]))",
        )
        .await
        .map_err(db_error)?;
    let mut owners = HashMap::new();
    for row in &c.query(&stmt, &[&workspaces, &kinds, &values]).await.map_err(db_error)? {
        let kind = parse_enum("identity kind", get::<&str>(row, 1)?, str::parse::<IdentityKind>)?;
        let identity = Identity { kind, value: get(row, 2)? };
        owners.insert((WorkspaceId::from_uuid(get(row, 0)?), identity), CustomerId::from_uuid(get(row, 3)?));
    }
    Ok(owners)
}

/// Loads the customers the batch's identities resolved to, their identities, and their
/// open conversations (locked, in id order), in three pipelined queries.
async fn load_state<C: GenericClient>(
    c: &C,
    owners: HashMap<(WorkspaceId, Identity), CustomerId>,
) -> StoreResult<State> {
    let mut state = State { owners, ..State::default() };
    let ids: Vec<Uuid> = state.owners.values().map(|c| c.as_uuid()).collect::<HashSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(state);
    }
    let customers_sql = format!("SELECT {} FROM customers WHERE id = ANY($1)", rows::CUSTOMER_COLUMNS);
    let identities_sql = "SELECT customer_id, kind, value FROM customer_identities WHERE customer_id = ANY($1) ORDER BY created_at, kind, value";
    let conversations_sql = format!(
        "SELECT {} FROM conversations WHERE customer_id = ANY($1) AND status = ANY($2) ORDER BY id FOR UPDATE",
        rows::CONVERSATION_COLUMNS
    );
    let (customers, identities, conversations) = futures_util::future::try_join3(
        c.prepare_cached(&customers_sql),
        c.prepare_cached(identities_sql),
        c.prepare_cached(&conversations_sql),
    )
    .await
    .map_err(db_error)?;
    let open: Vec<&str> = ConversationStatus::OPEN.iter().map(|s| s.as_str()).collect();
    let (customer_rows, identity_rows, conversation_rows) = futures_util::future::try_join3(
        c.query(&customers, &[&ids]),
        c.query(&identities, &[&ids]),
        c.query(&conversations, &[&ids, &open]),
    )
    .await
    .map_err(db_error)?;
    for row in &customer_rows {
        let customer = rows::customer(row)?;
        state.loaded_updated_at.insert(customer.id, customer.updated_at);
        state.customers.insert(customer.id, customer);
    }
    for row in &identity_rows {
        let kind = parse_enum("identity kind", get::<&str>(row, 1)?, str::parse::<IdentityKind>)?;
        if let Some(customer) = state.customers.get_mut(&CustomerId::from_uuid(get(row, 0)?)) {
            customer.identities.push(Identity { kind, value: get(row, 2)? });
        }
    }
    for row in &conversation_rows {
        let conversation = rows::conversation(row)?;
        state.loaded_version.insert(conversation.id, conversation.version);
        let newer = state.open.get(&conversation.customer_id).is_none_or(|current| {
            (conversation.last_message_at, conversation.id) > (current.last_message_at, current.id)
        });
        if newer {
            state.open.insert(conversation.customer_id, conversation);
        }
    }
    Ok(state)
}

const INSERT_CUSTOMERS: &str = "INSERT INTO customers (id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[], $8::bigint[], $9::bigint[])";

const UPDATE_CUSTOMERS: &str = "UPDATE customers c SET display_name = u.display_name, preferred_language = u.preferred_language, updated_at = u.updated_at \
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u(id, display_name, preferred_language, updated_at, expected) \
             WHERE c.id = u.id AND c.updated_at = u.expected AND c.merged_into IS NULL";

const INSERT_IDENTITIES: &str = "INSERT INTO customer_identities (workspace_id, kind, value, customer_id, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bigint[])";

const INSERT_KEYS: &str = "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, message_id, conversation_id, customer_id, customer_created, conversation_created, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::bool[], $8::bool[], $9::bigint[])";

const INSERT_CONVERSATIONS: &str = "INSERT INTO conversations (id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, channel, \
         channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::smallint[], $8::jsonb[], \
         $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[])";

const UPDATE_CONVERSATIONS: &str = "UPDATE conversations c SET status = u.status, owner_kind = u.owner_kind, owner_id = u.owner_id, priority = u.priority, \
         tags = u.tags, channel = u.channel, channel_history = u.channel_history, subject = u.subject, language = u.language, \
         updated_at = u.updated_at, last_message_at = u.last_message_at, resolved_at = u.resolved_at, closed_at = u.closed_at, \
         version = u.version \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::smallint[], $6::jsonb[], $7::text[], $8::jsonb[], \
         $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[]) \
         AS u(id, status, owner_kind, owner_id, priority, tags, channel, channel_history, subject, language, updated_at, \
         last_message_at, resolved_at, closed_at, version, expected) \
         WHERE c.id = u.id AND c.version = u.expected";

const INSERT_MESSAGES: &str = "INSERT INTO messages (id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], \
         $9::text[], $10::jsonb[], $11::text[], $12::bigint[])";

/// Every statement the write phase may run.
const WRITE_STATEMENTS: [&str; 7] = [
    INSERT_CUSTOMERS,
    UPDATE_CUSTOMERS,
    INSERT_IDENTITIES,
    INSERT_CONVERSATIONS,
    UPDATE_CONVERSATIONS,
    INSERT_MESSAGES,
    INSERT_KEYS,
];

/// Writes the batch's changes: one statement per table, pipelined, then the events.
async fn write<C: GenericClient>(
    c: &C,
    state: &State,
    writes: &Writes,
    events: Vec<StoredEvent>,
) -> StoreResult<Vec<StoredEvent>> {
    // Prepare every statement first (a no-op once the connection has them cached), so
    // the pipelined executions below are sent strictly in order: parents before the
    // rows that reference them.
    for sql in WRITE_STATEMENTS {
        c.prepare_cached(sql).await.map_err(db_error)?;
    }
    let mut pipeline: Vec<Pending<'_>> = Vec::new();
    let customer =
        |id: &CustomerId| state.customers.get(id).ok_or_else(|| StoreError::Other("planned customer missing".into()));
    if !writes.new_customers.is_empty() {
        let rows = writes.new_customers.iter().map(customer).collect::<StoreResult<Vec<_>>>()?;
        pipeline.push(Box::pin(exec(
            c,
            INSERT_CUSTOMERS,
            vec![
                param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.workspace_id.as_uuid()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.display_name.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.tier.as_str()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.preferred_language.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| Json(&r.attributes)).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.merged_into.map(|m| m.as_uuid())).collect::<Vec<_>>()),
                param(rows.iter().map(|r| time::to_micros(r.created_at)).collect::<Vec<_>>()),
                param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
            ],
            rows.len(),
        )));
    }
    if !writes.changed_customers.is_empty() {
        let rows = writes.changed_customers.iter().map(customer).collect::<StoreResult<Vec<_>>>()?;
        let expected = writes
            .changed_customers
            .iter()
            .map(|id| {
                state
                    .loaded_updated_at
                    .get(id)
                    .map(|t| time::to_micros(*t))
                    .ok_or_else(|| corrupt("batch", "customer version"))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        pipeline.push(Box::pin(exec(
            c,
            UPDATE_CUSTOMERS,
            vec![
                param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.display_name.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.preferred_language.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
                param(expected),
            ],
            rows.len(),
        )));
    }
    if !writes.identities.is_empty() {
        let ids = &writes.identities;
        pipeline.push(Box::pin(exec(
            c,
            INSERT_IDENTITIES,
            vec![
                param(ids.iter().map(|(w, ..)| w.as_uuid()).collect::<Vec<_>>()),
                param(ids.iter().map(|(_, i, ..)| i.kind.as_str()).collect::<Vec<_>>()),
                param(ids.iter().map(|(_, i, ..)| i.value.as_str()).collect::<Vec<_>>()),
                param(ids.iter().map(|(_, _, c, _)| c.as_uuid()).collect::<Vec<_>>()),
                param(ids.iter().map(|(.., at)| time::to_micros(*at)).collect::<Vec<_>>()),
            ],
            ids.len(),
        )));
    }
    let (new, changed): (Vec<_>, Vec<_>) = writes
        .conversations
        .iter()
        .filter_map(|id| writes.final_conversations.get(id))
        .partition(|c| writes.new_conversations.contains(&c.id));
    if !new.is_empty() {
        pipeline.push(Box::pin(insert_conversations(c, new)));
    }
    if !changed.is_empty() {
        let expected = changed
            .iter()
            .map(|cv| state.loaded_version.get(&cv.id).copied().ok_or_else(|| corrupt("batch", "conversation version")))
            .collect::<StoreResult<Vec<_>>>()?;
        pipeline.push(Box::pin(update_conversations(c, changed, expected)));
    }
    pipeline.push(Box::pin(insert_messages(c, &writes.messages)));
    if !writes.idempotency.is_empty() {
        let k = &writes.idempotency;
        pipeline.push(Box::pin(exec(
            c,
            INSERT_KEYS,
            vec![
                param(k.iter().map(|r| r.workspace_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.key.as_str()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.fingerprint.as_str()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.message_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.conversation_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.customer_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.customer_created).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.conversation_created).collect::<Vec<_>>()),
                param(k.iter().map(|r| time::to_micros(r.at)).collect::<Vec<_>>()),
            ],
            k.len(),
        )));
    }
    let (_, stored) =
        futures_util::future::try_join(futures_util::future::try_join_all(pipeline), ops::insert_events(c, events))
            .await?;
    Ok(stored)
}

/// Runs a multi-row statement and checks it touched `expected` rows (an UPDATE that
/// matched fewer lost a race: `Conflict`, and the batch is retried).
async fn exec<C: GenericClient>(c: &C, sql: &str, params: Vec<Param<'_>>, expected: usize) -> StoreResult<()> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
    let touched = c.execute(&stmt, &refs).await.map_err(db_error)?;
    if touched as usize == expected {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!("a concurrent change: {touched} of {expected} rows matched")))
    }
}

async fn insert_conversations<C: GenericClient>(c: &C, rows: Vec<&Conversation>) -> StoreResult<()> {
    let owners: Vec<_> = rows.iter().map(|r| owner_columns(r.owner)).collect();
    exec(
        c,
        INSERT_CONVERSATIONS,
        vec![
            param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.workspace_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.customer_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>()),
            param(owners.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
            param(owners.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
            param(rows.iter().map(|r| i16::from(r.priority.get())).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.tags)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.channel_history)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.subject.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.language.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.created_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.last_message_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.resolved_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.closed_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.version).collect::<Vec<_>>()),
        ],
        rows.len(),
    )
    .await
}

async fn update_conversations<C: GenericClient>(
    c: &C,
    rows: Vec<&Conversation>,
    expected: Vec<i64>,
) -> StoreResult<()> {
    let owners: Vec<_> = rows.iter().map(|r| owner_columns(r.owner)).collect();
    exec(
        c,
        UPDATE_CONVERSATIONS,
        vec![
            param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>()),
            param(owners.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
            param(owners.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
            param(rows.iter().map(|r| i16::from(r.priority.get())).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.tags)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.channel_history)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.subject.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.language.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.last_message_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.resolved_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.closed_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.version).collect::<Vec<_>>()),
            param(expected),
        ],
        rows.len(),
    )
    .await
}

/// Inserts messages with one statement (used by the batch and by single writes).
pub(super) async fn insert_messages<C: GenericClient>(c: &C, rows: &[tandem_domain::Message]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let authors: Vec<_> = rows.iter().map(|m| author_columns(m.author)).collect();
    exec(
        c,
        INSERT_MESSAGES,
        vec![
            param(rows.iter().map(|m| m.id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.workspace_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.conversation_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>()),
            param(authors.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
            param(authors.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.body.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.language.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| Json(&m.attachments)).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.external_id.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| time::to_micros(m.created_at)).collect::<Vec<_>>()),
        ],
        rows.len(),
    )
    .await
}
