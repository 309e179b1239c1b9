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

mod load;
mod write;

use crate::codec::{author_columns, corrupt, owner_columns, parse_enum};
use crate::{IngestOutcome, StoreError, StoreResult};
use load::{load_keys, load_owners, load_state};
pub(super) use write::insert_messages;
use write::write;

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
