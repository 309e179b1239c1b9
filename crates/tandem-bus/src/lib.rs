//! The event bus: how committed events reach live views (WebSocket hubs, other nodes).
//!
//! The event log in the store is the source of truth; the bus is a notification
//! channel. A subscriber that falls behind is told how many events it missed and catches
//! up from the log by `seq`, so nothing a client relies on lives only on the bus.

#![forbid(unsafe_code)]

use std::sync::Arc;

use async_trait::async_trait;
use tandem_domain::{StoredEvent, WorkspaceId};
use thiserror::Error;
use tokio::sync::broadcast;

/// What can go wrong on the bus.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BusError {
    #[error("the event bus is unavailable: {0}")]
    Unavailable(String),
}

/// Publishes committed events and hands out subscriptions.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Publishes events that were committed to the event log, in `seq` order.
    async fn publish(&self, events: &[StoredEvent]) -> Result<(), BusError>;

    /// Subscribes to the events of one workspace (or all, for internal consumers).
    fn subscribe(&self, workspace: Option<WorkspaceId>) -> Subscription;
}

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Event(Arc<StoredEvent>),
    /// The subscriber fell behind and `missed` events were dropped for it; catch up
    /// from the event log.
    Lagged {
        missed: u64,
    },
    /// The bus shut down.
    Closed,
}

/// A stream of events, filtered to one workspace when asked.
pub struct Subscription {
    receiver: broadcast::Receiver<Arc<StoredEvent>>,
    workspace: Option<WorkspaceId>,
}

impl Subscription {
    /// Wraps a broadcast receiver (used by every implementation).
    pub fn new(receiver: broadcast::Receiver<Arc<StoredEvent>>, workspace: Option<WorkspaceId>) -> Self {
        Self { receiver, workspace }
    }

    /// The next event for this subscription.
    pub async fn next(&mut self) -> Delivery {
        loop {
            match self.receiver.recv().await {
                Ok(event) if self.workspace.is_none_or(|ws| ws == event.workspace_id) => return Delivery::Event(event),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => return Delivery::Lagged { missed },
                Err(broadcast::error::RecvError::Closed) => return Delivery::Closed,
            }
        }
    }
}

/// The embedded bus: a bounded in-process broadcast channel.
pub struct InProcessBus {
    sender: broadcast::Sender<Arc<StoredEvent>>,
}

impl InProcessBus {
    /// A bus that buffers up to `capacity` events per subscriber before it lags.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Self { sender }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(8192)
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[StoredEvent]) -> Result<(), BusError> {
        for event in events {
            // No subscribers is not an error: the event is in the log.
            let _ = self.sender.send(Arc::new(event.clone()));
        }
        Ok(())
    }

    fn subscribe(&self, workspace: Option<WorkspaceId>) -> Subscription {
        Subscription::new(self.sender.subscribe(), workspace)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tandem_domain::{DomainEvent, QueueId, time};

    fn event(ws: WorkspaceId, seq: i64) -> StoredEvent {
        let mut e = StoredEvent::for_workspace(ws, DomainEvent::QueueCreated { queue_id: QueueId::new() }, time::now());
        e.seq = seq;
        e
    }

    #[tokio::test]
    async fn subscribers_get_their_workspace_in_order() {
        let bus = InProcessBus::new(64);
        let (a, b) = (WorkspaceId::new(), WorkspaceId::new());
        let mut sub = bus.subscribe(Some(a));
        let mut all = bus.subscribe(None);
        bus.publish(&[event(a, 1), event(b, 2), event(a, 3)]).await.unwrap();
        for expected in [1, 3] {
            let Delivery::Event(e) = sub.next().await else { panic!("expected an event") };
            assert_eq!(e.seq, expected);
        }
        for expected in [1, 2, 3] {
            let Delivery::Event(e) = all.next().await else { panic!("expected an event") };
            assert_eq!(e.seq, expected);
        }
    }

    #[tokio::test]
    async fn a_slow_subscriber_learns_it_lagged() {
        let bus = InProcessBus::new(16);
        let ws = WorkspaceId::new();
        let mut sub = bus.subscribe(Some(ws));
        let events: Vec<_> = (1..=40).map(|seq| event(ws, seq)).collect();
        bus.publish(&events).await.unwrap();
        assert!(matches!(sub.next().await, Delivery::Lagged { missed } if missed > 0));
    }
}
