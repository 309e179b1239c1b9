//! Routing stories: queue settings, entries in entry order, offers and their outcome.

use chrono::Duration;
use tandem_domain::ingest::ContinuityPolicy;
use tandem_domain::{
    AgentId, Channel, Command, Conversation, ConversationStatus, DomainEvent, Identity, OfferId, OverflowRule, Owner,
    Queue, QueueId, QueueRouting, Skill, StoredEvent, Timestamp, WorkspaceId, time,
};
use tandem_store::{ConversationChange, OfferRecord, OfferStatus, RoutingEntry, RoutingEntryRecord, Store, StoreError};

use crate::stories::{agent, inbound, workspace};

async fn queue(store: &dyn Store, ws: WorkspaceId, name: &str) -> Queue {
    let queue = Queue {
        id: QueueId::new(),
        workspace_id: ws,
        name: name.into(),
        routing: QueueRouting::default(),
        created_at: time::now(),
    };
    store.create_queue(&queue, vec![]).await.unwrap();
    queue
}

/// A new conversation from customer `who`, put in `queue`.
async fn queued(store: &dyn Store, ws: WorkspaceId, who: &str, queue: QueueId) -> Conversation {
    let identity = Identity::external(&format!("crm:{who}")).unwrap();
    let out = store
        .ingest(inbound(ws, Channel::WebChat, &[identity], "hello"), ContinuityPolicy::default(), time::now())
        .await
        .unwrap();
    let t = out.conversation.apply(&Command::Enqueue { queue }, time::now()).unwrap();
    store
        .save_conversation(ConversationChange {
            conversation: t.conversation.clone(),
            expected_version: out.conversation.version,
            messages: vec![],
            events: vec![],
        })
        .await
        .unwrap();
    t.conversation
}

async fn new_agent(store: &dyn Store, ws: WorkspaceId, email: &str) -> AgentId {
    let a = agent(ws, email);
    store.create_agent(&a, "hash", vec![]).await.unwrap();
    a.id
}

fn entry(conversation: &Conversation, queue: QueueId, class_priority: i32, arrived_at: Timestamp) -> RoutingEntry {
    RoutingEntry {
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        queue_id: queue,
        class_priority,
        arrived_at,
        seq: 0,
    }
}

fn offer(conversation: &Conversation, agent: AgentId, queue: QueueId, created_at: Timestamp) -> OfferRecord {
    OfferRecord {
        id: OfferId::new(),
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        agent_id: agent,
        queue_id: queue,
        rule: "skills_then_longest_idle".into(),
        score: serde_json::json!({ "skill": 3, "idle_seconds": 42.5 }),
        created_at,
        expires_at: Some(created_at + Duration::seconds(20)),
        status: OfferStatus::Pending,
        decided_at: None,
    }
}

fn offer_made(o: &OfferRecord, conversation: &Conversation) -> StoredEvent {
    let event = DomainEvent::OfferMade {
        offer_id: o.id,
        conversation_id: o.conversation_id,
        agent_id: o.agent_id,
        queue_id: o.queue_id,
        rule: o.rule.clone(),
        score: o.score.clone(),
        expires_at: o.expires_at,
    };
    StoredEvent::for_conversation(conversation, event, o.created_at)
}

/// The change that gives `conversation` to `agent`.
fn assign(conversation: &Conversation, agent: AgentId, at: Timestamp) -> ConversationChange {
    let t = conversation.apply(&Command::Assign { agent }, at).unwrap();
    let events = t.events.iter().map(|e| StoredEvent::for_conversation(&t.conversation, e.clone(), at)).collect();
    ConversationChange {
        conversation: t.conversation,
        expected_version: conversation.version,
        messages: vec![],
        events,
    }
}

pub async fn queue_routing_settings_round_trip(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let routing = QueueRouting {
        required_skills: vec![Skill::parse("billing", 3).unwrap()],
        language: Some("en".into()),
        priority: 5,
        sla_target: 0.9,
        sla_seconds: 30,
        overflow: vec![
            OverflowRule { after_seconds: 60, relax_levels: 1, any_language: false },
            OverflowRule { after_seconds: 120, relax_levels: 2, any_language: true },
        ],
    };
    let billing = Queue {
        id: QueueId::new(),
        workspace_id: ws.id,
        name: "Billing".into(),
        routing: routing.clone(),
        created_at: time::now(),
    };
    store.create_queue(&billing, vec![]).await.unwrap();
    assert_eq!(store.queue(ws.id, billing.id).await.unwrap(), billing);
    let sales = queue(store, ws.id, "Sales").await;
    assert_eq!(store.queue(ws.id, sales.id).await.unwrap().routing, QueueRouting::default());

    let updated = Queue {
        name: "Billing & refunds".into(),
        routing: QueueRouting { language: None, priority: -3, overflow: vec![], ..routing },
        ..billing.clone()
    };
    let events =
        vec![StoredEvent::for_workspace(ws.id, DomainEvent::QueueUpdated { queue_id: billing.id }, time::now())];
    let stored = store.update_queue(&updated, events).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].seq > 0);
    assert_eq!(store.queue(ws.id, billing.id).await.unwrap(), updated);
    assert_eq!(store.list_queues(ws.id).await.unwrap(), vec![updated.clone(), sales.clone()]);

    let clash = Queue { name: "Sales".into(), ..updated.clone() };
    assert!(matches!(store.update_queue(&clash, vec![]).await, Err(StoreError::Conflict(m)) if m.contains("Sales")));
    assert_eq!(store.queue(ws.id, billing.id).await.unwrap(), updated, "a refused update changes nothing");
    let unknown = Queue { id: QueueId::new(), name: "Nowhere".into(), ..updated.clone() };
    assert_eq!(store.update_queue(&unknown, vec![]).await, Err(StoreError::NotFound("queue")));
    let other = workspace(store, "globex").await;
    let elsewhere = Queue { workspace_id: other.id, name: "Stolen".into(), ..updated.clone() };
    assert_eq!(store.update_queue(&elsewhere, vec![]).await, Err(StoreError::NotFound("queue")));
    assert_eq!(store.queue(ws.id, billing.id).await.unwrap(), updated);
}

pub async fn routing_entries_open_once_and_list_in_entry_order(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let sales = queue(store, ws.id, "Sales").await;
    let t0 = time::now();
    let a = queued(store, ws.id, "a", billing.id).await;
    let b = queued(store, ws.id, "b", sales.id).await;
    let c = queued(store, ws.id, "c", billing.id).await;

    let ea = store.open_routing_entry(&entry(&a, billing.id, 1, t0)).await.unwrap();
    assert!(ea.seq > 0, "the store assigns the entry order");
    assert_eq!(ea, RoutingEntry { seq: ea.seq, ..entry(&a, billing.id, 1, t0) });
    let eb = store.open_routing_entry(&entry(&b, sales.id, 7, t0 + Duration::seconds(1))).await.unwrap();
    let ec = store.open_routing_entry(&entry(&c, billing.id, 0, t0 - Duration::seconds(5))).await.unwrap();
    assert!(ea.seq < eb.seq && eb.seq < ec.seq);

    // Opening again keeps the first entry, whatever the new one says.
    let again = store.open_routing_entry(&entry(&a, sales.id, 9, t0 + Duration::minutes(1))).await.unwrap();
    assert_eq!(again, ea);

    let open = store.open_routing_entries(ws.id).await.unwrap();
    assert_eq!(open, vec![ea.clone(), eb.clone(), ec.clone()], "entry order, not arrival time");

    // Two concurrent opens for one conversation store one entry.
    let d = queued(store, ws.id, "d", sales.id).await;
    let ed = entry(&d, sales.id, 0, t0);
    let (first, second) = tokio::join!(store.open_routing_entry(&ed), store.open_routing_entry(&ed));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first, second);
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap(), vec![ea, eb, ec, first]);

    let other = workspace(store, "globex").await;
    assert!(store.open_routing_entries(other.id).await.unwrap().is_empty());
    let ids = store.workspace_ids().await.unwrap();
    assert!(ids.contains(&ws.id) && ids.contains(&other.id));
}

pub async fn closing_a_routing_entry_removes_it_from_the_open_list(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let t0 = time::now();
    let a = queued(store, ws.id, "a", billing.id).await;
    let b = queued(store, ws.id, "b", billing.id).await;
    let c = queued(store, ws.id, "c", billing.id).await;
    let ea = store.open_routing_entry(&entry(&a, billing.id, 0, t0)).await.unwrap();
    let eb = store.open_routing_entry(&entry(&b, billing.id, 0, t0)).await.unwrap();
    let ec = store.open_routing_entry(&entry(&c, billing.id, 0, t0)).await.unwrap();

    store.close_routing_entry(ws.id, b.id, "left", time::now()).await.unwrap();
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap(), vec![ea.clone(), ec.clone()]);
    // Closing with no open entry is fine.
    store.close_routing_entry(ws.id, b.id, "left", time::now()).await.unwrap();
    // Another workspace cannot close it.
    let other = workspace(store, "globex").await;
    store.close_routing_entry(other.id, a.id, "answered", time::now()).await.unwrap();
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap(), vec![ea.clone(), ec.clone()]);

    // Coming back opens a new entry at the end of the line.
    let back = store.open_routing_entry(&entry(&b, billing.id, 0, t0)).await.unwrap();
    assert!(back.seq > ec.seq && back.seq != eb.seq);
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap(), vec![ea, ec, back]);
}

pub async fn routing_arrivals_count_by_queue(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let sales = queue(store, ws.id, "Sales").await;
    let idle = queue(store, ws.id, "Idle").await;
    let before = time::now() - Duration::seconds(1);
    let a = queued(store, ws.id, "a", billing.id).await;
    let b = queued(store, ws.id, "b", billing.id).await;
    let c = queued(store, ws.id, "c", sales.id).await;
    store.open_routing_entry(&entry(&a, billing.id, 0, before)).await.unwrap();
    store.open_routing_entry(&entry(&b, billing.id, 0, before)).await.unwrap();
    store.open_routing_entry(&entry(&c, sales.id, 0, before)).await.unwrap();
    // A conversation that left and came back arrived twice; a repeated open did not.
    store.close_routing_entry(ws.id, a.id, "left", time::now()).await.unwrap();
    store.open_routing_entry(&entry(&a, billing.id, 0, before)).await.unwrap();
    store.open_routing_entry(&entry(&a, billing.id, 0, before)).await.unwrap();

    let mut arrivals = store.routing_arrivals(ws.id, before).await.unwrap();
    arrivals.sort();
    let mut expected = vec![(billing.id, 3), (sales.id, 1)];
    expected.sort();
    assert_eq!(arrivals, expected);
    assert!(!arrivals.iter().any(|(q, _)| *q == idle.id), "a queue nobody entered is absent");
    assert!(store.routing_arrivals(ws.id, time::now() + Duration::hours(1)).await.unwrap().is_empty());
    let other = workspace(store, "globex").await;
    assert!(store.routing_arrivals(other.id, before).await.unwrap().is_empty());
}

/// Waits until the clock has moved on, so a timestamp taken next is later than every
/// one the store took before (both keep microseconds).
async fn tick() -> Timestamp {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    time::now()
}

pub async fn routing_entries_since_list_open_entries_and_those_entered_since(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let sales = queue(store, ws.id, "Sales").await;
    let arrived = time::now() - Duration::minutes(3);
    let a = queued(store, ws.id, "a", billing.id).await;
    let b = queued(store, ws.id, "b", sales.id).await;
    let c = queued(store, ws.id, "c", billing.id).await;
    let d = queued(store, ws.id, "d", sales.id).await;
    let e = queued(store, ws.id, "e", billing.id).await;
    let start = tick().await;
    for (conversation, q) in [(&a, billing.id), (&b, sales.id), (&c, billing.id)] {
        store.open_routing_entry(&entry(conversation, q, 0, arrived)).await.unwrap();
    }
    let left_at = tick().await;
    store.close_routing_entry(ws.id, a.id, "left", left_at).await.unwrap();

    let since = tick().await;
    for (conversation, q) in [(&d, sales.id), (&e, billing.id)] {
        store.open_routing_entry(&entry(conversation, q, 0, arrived)).await.unwrap();
    }
    let answered_at = tick().await;
    store.close_routing_entry(ws.id, d.id, "answered", answered_at).await.unwrap();
    // Closed after `since` but entered before it: not listed from `since` on.
    store.close_routing_entry(ws.id, b.id, "answered", answered_at).await.unwrap();
    // Left and came back: the closed stay and the new open one are both listed.
    store.close_routing_entry(ws.id, e.id, "left", answered_at).await.unwrap();
    store.open_routing_entry(&entry(&e, sales.id, 0, arrived)).await.unwrap();
    let end = tick().await;

    let all = store.routing_entries_since(ws.id, start).await.unwrap();
    let summary = |records: &[RoutingEntryRecord]| {
        records.iter().map(|r| (r.conversation_id, r.queue_id, r.closed_at, r.outcome.clone())).collect::<Vec<_>>()
    };
    let (left, answered) = (Some("left".to_owned()), Some("answered".to_owned()));
    assert_eq!(
        summary(&all),
        vec![
            (a.id, billing.id, Some(left_at), left.clone()),
            (b.id, sales.id, Some(answered_at), answered.clone()),
            (c.id, billing.id, None, None),
            (d.id, sales.id, Some(answered_at), answered.clone()),
            (e.id, billing.id, Some(answered_at), left.clone()),
            (e.id, sales.id, None, None),
        ],
        "every entry since the start, in entry order"
    );
    for record in &all {
        assert_eq!(record.arrived_at, arrived, "the arrival is kept as given");
        assert!(start <= record.entered_at && record.entered_at < end, "entered when it was opened");
    }
    assert!(all[..3].iter().all(|r| r.entered_at < since) && all[3..].iter().all(|r| r.entered_at >= since));

    let recent = store.routing_entries_since(ws.id, since).await.unwrap();
    assert_eq!(recent, vec![all[2].clone(), all[3].clone(), all[4].clone(), all[5].clone()], "open, or entered since");
    let later = store.routing_entries_since(ws.id, end + Duration::hours(1)).await.unwrap();
    assert_eq!(later, vec![all[2].clone(), all[5].clone()], "open entries whenever they entered");

    // Scoped to the workspace, both ways.
    let other = workspace(store, "globex").await;
    assert!(store.routing_entries_since(other.id, start).await.unwrap().is_empty());
    let support = queue(store, other.id, "Support").await;
    let theirs = queued(store, other.id, "z", support.id).await;
    store.open_routing_entry(&entry(&theirs, support.id, 0, arrived)).await.unwrap();
    let listed = store.routing_entries_since(other.id, start).await.unwrap();
    assert_eq!(summary(&listed), vec![(theirs.id, support.id, None, None)]);
    assert_eq!(store.routing_entries_since(ws.id, start).await.unwrap(), all);
}

pub async fn offers_are_recorded_settled_and_listed(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let ann = new_agent(store, ws.id, "ann@acme.test").await;
    let bob = new_agent(store, ws.id, "bob@acme.test").await;
    let a = queued(store, ws.id, "a", billing.id).await;
    let b = queued(store, ws.id, "b", billing.id).await;
    let t0 = time::now();
    let o1 = offer(&a, ann, billing.id, t0);
    let o2 = offer(&a, bob, billing.id, t0 + Duration::seconds(1));
    let o3 = offer(&b, ann, billing.id, t0 + Duration::seconds(2));
    for (o, conversation) in [(&o1, &a), (&o2, &a), (&o3, &b)] {
        let stored = store.record_offer(o, vec![offer_made(o, conversation)]).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(stored[0].seq > 0);
        assert_eq!(store.offer(ws.id, o.id).await.unwrap(), *o);
    }

    let at = t0 + Duration::seconds(5);
    let declined = DomainEvent::OfferDeclined { offer_id: o1.id, conversation_id: a.id, agent_id: ann };
    let events = vec![StoredEvent::for_conversation(&a, declined, at)];
    let stored = store.settle_offer(ws.id, o1.id, OfferStatus::Declined, at, events).await.unwrap();
    assert_eq!(stored[0].event.kind(), "offer_declined");
    let settled = store.offer(ws.id, o1.id).await.unwrap();
    assert_eq!(settled, OfferRecord { status: OfferStatus::Declined, decided_at: Some(at), ..o1.clone() });
    let before = store.events_since(ws.id, 0, 1000).await.unwrap().len();
    assert!(matches!(
        store.settle_offer(ws.id, o1.id, OfferStatus::TimedOut, at, vec![]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.offer(ws.id, o1.id).await.unwrap(), settled, "a refused settlement changes nothing");
    for status in [OfferStatus::Pending, OfferStatus::Accepted] {
        assert!(store.settle_offer(ws.id, o2.id, status, at, vec![]).await.is_err(), "{status:?} is not an ending");
    }
    assert_eq!(store.offer(ws.id, o2.id).await.unwrap().status, OfferStatus::Pending);
    assert_eq!(store.events_since(ws.id, 0, 1000).await.unwrap().len(), before, "no events from a refusal");
    store.settle_offer(ws.id, o3.id, OfferStatus::TimedOut, at, vec![]).await.unwrap();

    let ids = |offers: Vec<OfferRecord>| offers.into_iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(ids(store.offers(ws.id, None, None, 10).await.unwrap()), vec![o3.id, o2.id, o1.id], "newest first");
    assert_eq!(ids(store.offers(ws.id, None, None, 2).await.unwrap()), vec![o3.id, o2.id]);
    assert_eq!(ids(store.offers(ws.id, None, Some(OfferStatus::Pending), 10).await.unwrap()), vec![o2.id]);
    assert_eq!(ids(store.offers(ws.id, None, Some(OfferStatus::Declined), 10).await.unwrap()), vec![o1.id]);
    assert_eq!(ids(store.offers(ws.id, None, Some(OfferStatus::TimedOut), 10).await.unwrap()), vec![o3.id]);
    assert!(store.offers(ws.id, None, Some(OfferStatus::Accepted), 10).await.unwrap().is_empty());
    assert_eq!(ids(store.offers(ws.id, Some(a.id), None, 10).await.unwrap()), vec![o2.id, o1.id]);
    assert_eq!(ids(store.offers(ws.id, Some(a.id), Some(OfferStatus::Pending), 10).await.unwrap()), vec![o2.id]);
    assert_eq!(ids(store.offers(ws.id, Some(b.id), Some(OfferStatus::Pending), 10).await.unwrap()), vec![]);

    let other = workspace(store, "globex").await;
    assert_eq!(store.offer(other.id, o2.id).await, Err(StoreError::NotFound("offer")));
    assert!(store.offers(other.id, None, None, 10).await.unwrap().is_empty());
    assert_eq!(
        store.settle_offer(other.id, o2.id, OfferStatus::Withdrawn, at, vec![]).await,
        Err(StoreError::NotFound("offer"))
    );
    assert_eq!(store.offer(ws.id, OfferId::new()).await, Err(StoreError::NotFound("offer")));
}

pub async fn accepting_an_offer_assigns_the_conversation_once(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let ann = new_agent(store, ws.id, "ann@acme.test").await;
    let bob = new_agent(store, ws.id, "bob@acme.test").await;
    let a = queued(store, ws.id, "a", billing.id).await;
    let b = queued(store, ws.id, "b", billing.id).await;
    let t0 = time::now();
    store.open_routing_entry(&entry(&a, billing.id, 0, t0)).await.unwrap();
    let eb = store.open_routing_entry(&entry(&b, billing.id, 0, t0)).await.unwrap();
    let o = offer(&a, ann, billing.id, t0);
    store.record_offer(&o, vec![offer_made(&o, &a)]).await.unwrap();

    let at = t0 + Duration::seconds(3);
    // The wrong agent cannot take it; nothing changes.
    assert!(matches!(
        store.accept_offer(ws.id, o.id, bob, at, assign(&a, bob, at)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.offer(ws.id, o.id).await.unwrap().status, OfferStatus::Pending);
    assert_eq!(store.conversation(ws.id, a.id).await.unwrap(), a);
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap().len(), 2);

    let mut change = assign(&a, ann, at);
    let accepted = DomainEvent::OfferAccepted { offer_id: o.id, conversation_id: a.id, agent_id: ann };
    change.events.push(StoredEvent::for_conversation(&change.conversation, accepted, at));
    let stored = store.accept_offer(ws.id, o.id, ann, at, change.clone()).await.unwrap();
    assert!(stored.iter().any(|e| e.event.kind() == "offer_accepted"));
    assert!(stored.iter().all(|e| e.seq > 0));

    let now = store.conversation(ws.id, a.id).await.unwrap();
    assert_eq!(now.owner, Owner::Agent(ann));
    assert_eq!(now.status, ConversationStatus::Assigned);
    assert_eq!(
        store.offer(ws.id, o.id).await.unwrap(),
        OfferRecord { status: OfferStatus::Accepted, decided_at: Some(at), ..o.clone() }
    );
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap(), vec![eb], "its routing entry is closed");

    // The first accept won: a second accept, or a settlement, is refused.
    let events = store.events_since(ws.id, 0, 1000).await.unwrap().len();
    assert!(matches!(store.accept_offer(ws.id, o.id, ann, at, change).await, Err(StoreError::Conflict(_))));
    // Even with a change that would save (made from the current version).
    let fresh = now.apply(&Command::ReturnToBot, at).unwrap();
    let fresh = ConversationChange {
        conversation: fresh.conversation,
        expected_version: now.version,
        messages: vec![],
        events: vec![],
    };
    assert!(matches!(store.accept_offer(ws.id, o.id, ann, at, fresh).await, Err(StoreError::Conflict(_))));
    assert!(matches!(
        store.settle_offer(ws.id, o.id, OfferStatus::Withdrawn, at, vec![]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.offer(ws.id, o.id).await.unwrap().status, OfferStatus::Accepted);
    assert_eq!(store.conversation(ws.id, a.id).await.unwrap(), now);
    assert_eq!(store.events_since(ws.id, 0, 1000).await.unwrap().len(), events, "no events from a refusal");

    // A stale conversation refuses the whole accept, and the offer stays pending.
    let o2 = offer(&b, bob, billing.id, at);
    store.record_offer(&o2, vec![]).await.unwrap();
    let stale = ConversationChange { expected_version: b.version - 1, ..assign(&b, bob, at) };
    assert!(matches!(store.accept_offer(ws.id, o2.id, bob, at, stale).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.offer(ws.id, o2.id).await.unwrap().status, OfferStatus::Pending);
    assert_eq!(store.open_routing_entries(ws.id).await.unwrap().len(), 1, "the entry stays open");
    assert_eq!(store.conversation(ws.id, b.id).await.unwrap(), b);
}

pub async fn concurrent_accepts_of_one_offer_let_exactly_one_win(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let billing = queue(store, ws.id, "Billing").await;
    let ann = new_agent(store, ws.id, "ann@acme.test").await;
    let a = queued(store, ws.id, "a", billing.id).await;
    let t0 = time::now();
    store.open_routing_entry(&entry(&a, billing.id, 0, t0)).await.unwrap();
    let o = offer(&a, ann, billing.id, t0);
    store.record_offer(&o, vec![]).await.unwrap();

    let at = t0 + Duration::seconds(1);
    let (first, second) = tokio::join!(
        store.accept_offer(ws.id, o.id, ann, at, assign(&a, ann, at)),
        store.accept_offer(ws.id, o.id, ann, at, assign(&a, ann, at)),
    );
    let results = [first, second];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "exactly one accept wins: {results:?}");
    assert!(results.iter().any(|r| matches!(r, Err(StoreError::Conflict(_)))), "the other conflicts: {results:?}");
    assert_eq!(store.offer(ws.id, o.id).await.unwrap().status, OfferStatus::Accepted);
    assert_eq!(store.conversation(ws.id, a.id).await.unwrap().owner, Owner::Agent(ann));
    assert!(store.open_routing_entries(ws.id).await.unwrap().is_empty());
}
