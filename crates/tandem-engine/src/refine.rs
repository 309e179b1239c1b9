//! The asynchronous embedding tier: after an inbound message is committed with its
//! real-time understanding, a background worker embeds it (in batches, off the request
//! path) and stores a refined understanding. Best effort: when the queue is full the
//! real-time understanding simply stays.

use std::sync::Arc;

use tandem_domain::{MessageId, Understanding, WorkspaceId};
use tandem_nlp::refine::Refiner;
use tandem_store::Store;
use tokio::sync::mpsc;

/// A message waiting to be refined.
pub(crate) struct RefineJob {
    pub workspace_id: WorkspaceId,
    pub message_id: MessageId,
    pub text: String,
    pub understanding: Understanding,
}

/// How many messages wait at most; beyond that refinement is skipped.
const QUEUE: usize = 4096;
/// How many messages are embedded together.
const BATCH: usize = 32;

/// Starts the worker; returns the queue to feed it.
pub(crate) fn spawn(refiner: Arc<Refiner>, store: Arc<dyn Store>) -> mpsc::Sender<RefineJob> {
    let (tx, mut rx) = mpsc::channel::<RefineJob>(QUEUE);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let refiner = Arc::clone(&refiner);
            let refined = tokio::task::spawn_blocking(move || {
                let texts: Vec<&str> = jobs.iter().map(|j| j.text.as_str()).collect();
                let mut understandings: Vec<Understanding> = jobs.iter().map(|j| j.understanding.clone()).collect();
                let result = refiner.refine(&texts, &mut understandings);
                (jobs, understandings, result)
            })
            .await;
            let Ok((jobs, understandings, result)) = refined else {
                tracing::warn!("the refinement task failed");
                continue;
            };
            if let Err(error) = result {
                tracing::warn!(%error, "could not refine a batch of messages");
                continue;
            }
            for (job, understanding) in jobs.iter().zip(&understandings) {
                if let Err(error) = store.update_understanding(job.workspace_id, job.message_id, understanding).await {
                    tracing::warn!(%error, message.id = %job.message_id, "could not store a refined understanding");
                }
            }
        }
    });
    tx
}
