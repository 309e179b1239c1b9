//! Stories every backend must tell the same way.

use std::collections::HashSet;

use chrono::Duration;
use tandem_domain::ingest::{ContinuityPolicy, Idempotency};
use tandem_domain::{
    Agent, AgentId, AgentState, ApiKeyId, Body, Channel, Command, ConversationStatus, DomainEvent, Identity,
    InboundMessage, MessageKind, Owner, Queue, QueueId, QueueRouting, Slug, StoredEvent, Tier, Workspace, WorkspaceId,
    agent::Role, time,
};
use tandem_store::{
    ApiKeyRecord, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange, OwnerFilter,
    SessionRecord, Store, StoreError,
};

pub(crate) async fn workspace(store: &dyn Store, slug: &str) -> Workspace {
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: Slug::parse(slug).unwrap(),
        name: format!("{slug} inc"),
        chat_key: format!("chat-{}", uuid::Uuid::now_v7().simple()),
        created_at: time::now(),
    };
    store.create_workspace(&ws).await.unwrap();
    ws
}

pub(crate) fn inbound(ws: WorkspaceId, channel: Channel, identities: &[Identity], body: &str) -> InboundMessage {
    InboundMessage {
        workspace_id: ws,
        channel,
        identities: InboundMessage::normalize_identities(identities.to_vec()).unwrap(),
        display_name: None,
        body: Body::parse(body).unwrap(),
        subject: None,
        language: None,
        attachments: vec![],
        external_id: None,
        idempotency: None,
        understanding: None,
    }
}

pub(crate) fn email(address: &str) -> Identity {
    Identity::email(address).unwrap()
}

pub(crate) fn agent(ws: WorkspaceId, email: &str) -> Agent {
    Agent {
        id: AgentId::new(),
        workspace_id: ws,
        email: email.into(),
        display_name: email.split('@').next().unwrap().into(),
        role: Role::Agent,
        skills: vec![tandem_domain::Skill::parse("billing", 3).unwrap()],
        languages: vec!["en".into(), "es".into()],
        capacity: tandem_domain::agent::default_capacity(),
        state: AgentState::Offline,
        created_at: time::now(),
    }
}

pub async fn workspaces_are_unique_and_found_by_slug_and_chat_key(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    assert_eq!(store.workspace(ws.id).await.unwrap(), ws);
    assert_eq!(store.workspace_by_slug("acme").await.unwrap(), ws);
    assert_eq!(store.workspace_by_chat_key(&ws.chat_key).await.unwrap(), ws);
    let dup = Workspace { id: WorkspaceId::new(), chat_key: "other".into(), ..ws.clone() };
    assert!(matches!(store.create_workspace(&dup).await, Err(StoreError::Conflict(m)) if m.contains("acme")));
    assert_eq!(store.workspace_by_slug("nope").await, Err(StoreError::NotFound("workspace")));
    store.ping().await.unwrap();
}

pub async fn api_keys_sessions_and_chat_visitors(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let key = ApiKeyRecord {
        id: ApiKeyId::new(),
        workspace_id: ws.id,
        name: "crm".into(),
        key_hash: "hash-1".into(),
        prefix: "tdm_abc".into(),
        created_at: time::now(),
        revoked_at: None,
    };
    store.create_api_key(&key).await.unwrap();
    assert_eq!(store.api_key_by_hash("hash-1").await.unwrap(), key);
    let revoked = ApiKeyRecord { id: ApiKeyId::new(), key_hash: "hash-2".into(), revoked_at: Some(time::now()), ..key };
    store.create_api_key(&revoked).await.unwrap();
    assert_eq!(store.api_key_by_hash("hash-2").await, Err(StoreError::NotFound("API key")));

    let a = agent(ws.id, "ann@acme.test");
    store.create_agent(&a, "argon-hash", vec![]).await.unwrap();
    let now = time::now();
    let session = SessionRecord {
        token_hash: "session-1".into(),
        workspace_id: ws.id,
        agent_id: a.id,
        role: Role::Agent,
        csrf_token: "csrf".into(),
        created_at: now,
        expires_at: now + Duration::hours(8),
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(store.session_by_hash("session-1", now).await.unwrap(), session);
    assert_eq!(
        store.session_by_hash("session-1", now + Duration::hours(9)).await,
        Err(StoreError::NotFound("session")),
        "an expired session is not found"
    );
    store.delete_session("session-1").await.unwrap();
    assert_eq!(store.session_by_hash("session-1", now).await, Err(StoreError::NotFound("session")));

    let visitor = ChatVisitorRecord {
        token_hash: "v-1".into(),
        workspace_id: ws.id,
        visitor_id: "v_12345678".into(),
        created_at: now,
    };
    store.create_chat_visitor(&visitor).await.unwrap();
    assert_eq!(store.chat_visitor_by_hash("v-1").await.unwrap(), visitor);
}

pub async fn agents_and_queues(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let ann = agent(ws.id, "ann@acme.test");
    let events = vec![StoredEvent::for_workspace(ws.id, DomainEvent::AgentCreated { agent_id: ann.id }, time::now())];
    let stored = store.create_agent(&ann, "argon-hash", events).await.unwrap();
    assert!(stored[0].seq > 0);
    assert_eq!(store.agent(ws.id, ann.id).await.unwrap(), ann);
    let (found, hash) = store.agent_credentials(ws.id, " ANN@acme.test ").await.unwrap();
    assert_eq!((found.id, hash.as_str()), (ann.id, "argon-hash"));
    let twin = Agent { id: AgentId::new(), ..ann.clone() };
    assert!(
        matches!(store.create_agent(&twin, "x", vec![]).await, Err(StoreError::Conflict(m)) if m.contains("ann@acme.test"))
    );
    assert_eq!(store.list_agents(ws.id).await.unwrap().len(), 1);

    let (updated, events) = store.set_agent_state(ws.id, ann.id, AgentState::Available, time::now()).await.unwrap();
    assert_eq!(updated.state, AgentState::Available);
    assert!(matches!(events[0].event, DomainEvent::AgentStateChanged { to: AgentState::Available, .. }));
    let (_, none) = store.set_agent_state(ws.id, ann.id, AgentState::Available, time::now()).await.unwrap();
    assert!(none.is_empty(), "setting the same state records nothing");

    let queue = Queue {
        id: QueueId::new(),
        workspace_id: ws.id,
        name: "Billing".into(),
        routing: QueueRouting::default(),
        created_at: time::now(),
    };
    store.create_queue(&queue, vec![]).await.unwrap();
    assert_eq!(store.queue(ws.id, queue.id).await.unwrap(), queue);
    let dup = Queue { id: QueueId::new(), ..queue.clone() };
    assert!(matches!(store.create_queue(&dup, vec![]).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.list_queues(ws.id).await.unwrap(), vec![queue]);
}

pub async fn ingest_creates_customer_conversation_and_message(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let mut msg = inbound(ws.id, Channel::Email, &[email("Ann@Example.com")], "Where is my order A-1234?");
    msg.display_name = Some("Ann".into());
    msg.subject = Some("Order".into());
    msg.language = Some("en".into());
    let out = store.ingest(msg, ContinuityPolicy::default(), time::now()).await.unwrap();
    assert!(out.customer_created && out.conversation_created && !out.replayed);
    assert_eq!(out.conversation.status, ConversationStatus::Bot);
    assert_eq!(out.conversation.subject.as_deref(), Some("Order"));
    assert_eq!(out.message.kind, MessageKind::Inbound);
    let kinds: Vec<_> = out.events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds, ["customer_created", "conversation_created", "message_created"]);
    assert!(out.events.windows(2).all(|w| w[0].seq < w[1].seq));

    let customer = store.customer(ws.id, out.customer_id).await.unwrap();
    assert_eq!(customer.identities, vec![email("ann@example.com")]);
    assert_eq!(customer.display_name.as_deref(), Some("Ann"));
    assert_eq!(customer.preferred_language.as_deref(), Some("en"));
    assert_eq!(store.customer_by_identity(ws.id, &email("ann@example.com")).await.unwrap().id, customer.id);
    assert_eq!(store.conversation(ws.id, out.conversation.id).await.unwrap(), out.conversation);
    assert_eq!(store.messages(ws.id, out.conversation.id).await.unwrap(), vec![out.message.clone()]);
    assert_eq!(store.message(ws.id, out.message.id).await.unwrap(), out.message);
}

pub async fn ingest_joins_the_open_conversation_across_channels(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let t0 = time::now();
    let first = store
        .ingest(inbound(ws.id, Channel::WebChat, &[email("ann@example.com")], "hi"), ContinuityPolicy::default(), t0)
        .await
        .unwrap();
    let phone = Identity::phone("+44 20 7946 0958").unwrap();
    let msg = inbound(ws.id, Channel::Sms, &[phone.clone(), email("ann@example.com")], "it's me again, by SMS");
    let second = store.ingest(msg, ContinuityPolicy::default(), t0 + Duration::minutes(3)).await.unwrap();
    assert!(!second.customer_created && !second.conversation_created);
    assert_eq!(second.conversation.id, first.conversation.id);
    assert_eq!(second.conversation.channel, Channel::Sms);
    assert_eq!(second.conversation.channel_history.len(), 2);
    let kinds: Vec<_> = second.events.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds, ["identity_linked", "channel_switched", "message_created", "message_created"]);

    // Now known by phone alone, on a third channel.
    let third = store
        .ingest(
            inbound(ws.id, Channel::Whatsapp, &[phone], "and WhatsApp"),
            ContinuityPolicy::default(),
            t0 + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(third.conversation.id, first.conversation.id);

    let timeline = store.timeline(ws.id, first.customer_id).await.unwrap();
    assert_eq!(timeline.conversations.len(), 1);
    let summary: Vec<_> = timeline.messages.iter().map(|m| (m.kind, m.channel)).collect();
    assert_eq!(
        summary,
        [
            (MessageKind::Inbound, Channel::WebChat),
            (MessageKind::System, Channel::Sms),
            (MessageKind::Inbound, Channel::Sms),
            (MessageKind::System, Channel::Whatsapp),
            (MessageKind::Inbound, Channel::Whatsapp),
        ]
    );
    assert!(timeline.messages[1].body.as_str().contains("continued on SMS"));
}

pub async fn ingest_is_idempotent_per_key(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let mut msg = inbound(ws.id, Channel::Api, &[email("ann@example.com")], "hello");
    msg.idempotency = Some(Idempotency { key: "req-1".into(), fingerprint: "fp-1".into() });
    let first = store.ingest(msg.clone(), ContinuityPolicy::default(), time::now()).await.unwrap();
    let again = store.ingest(msg.clone(), ContinuityPolicy::default(), time::now()).await.unwrap();
    assert!(again.replayed && again.events.is_empty());
    assert_eq!(
        (again.message.id, again.conversation.id, again.customer_id),
        (first.message.id, first.conversation.id, first.customer_id)
    );
    assert!(again.customer_created && again.conversation_created, "a replay reports what the first call did");
    assert_eq!(store.messages(ws.id, first.conversation.id).await.unwrap().len(), 1, "no duplicate message");

    msg.idempotency = Some(Idempotency { key: "req-1".into(), fingerprint: "fp-other".into() });
    assert_eq!(
        store.ingest(msg, ContinuityPolicy::default(), time::now()).await.unwrap_err(),
        StoreError::IdempotencyKeyReused
    );
    assert_eq!(store.messages(ws.id, first.conversation.id).await.unwrap().len(), 1);

    // Keys are per workspace.
    let other = workspace(store, "globex").await;
    let mut elsewhere = inbound(other.id, Channel::Api, &[email("ann@example.com")], "hello");
    elsewhere.idempotency = Some(Idempotency { key: "req-1".into(), fingerprint: "fp-1".into() });
    assert!(!store.ingest(elsewhere, ContinuityPolicy::default(), time::now()).await.unwrap().replayed);
}

pub async fn ingest_outside_the_window_or_after_resolution_starts_a_new_conversation(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let policy = ContinuityPolicy { window: Duration::hours(1), ..ContinuityPolicy::default() };
    let t0 = time::now();
    let ann = [email("ann@example.com")];
    let first = store.ingest(inbound(ws.id, Channel::Email, &ann, "one"), policy, t0).await.unwrap();
    let late =
        store.ingest(inbound(ws.id, Channel::Email, &ann, "two"), policy, t0 + Duration::hours(2)).await.unwrap();
    assert!(late.conversation_created);
    assert_ne!(late.conversation.id, first.conversation.id);

    let resolved = late.conversation.apply(&Command::Resolve, t0 + Duration::hours(2)).unwrap();
    let change = ConversationChange {
        expected_version: late.conversation.version,
        conversation: resolved.conversation.clone(),
        messages: vec![],
        events: vec![],
    };
    store.save_conversation(change).await.unwrap();
    // The first conversation is still open but outside the window; the second is resolved.
    let after = store
        .ingest(inbound(ws.id, Channel::Email, &ann, "three"), policy, t0 + Duration::hours(2) + Duration::minutes(1))
        .await
        .unwrap();
    assert!(after.conversation_created);
    assert_eq!(store.timeline(ws.id, first.customer_id).await.unwrap().conversations.len(), 3);
}

pub async fn identities_of_two_customers_in_one_message_are_not_stolen(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let ann = store
        .ingest(
            inbound(ws.id, Channel::Email, &[email("ann@example.com")], "a"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let bob_phone = Identity::phone("+15550100200").unwrap();
    let bob = store
        .ingest(
            inbound(ws.id, Channel::Sms, std::slice::from_ref(&bob_phone), "b"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let both = inbound(ws.id, Channel::Email, &[email("ann@example.com"), bob_phone.clone()], "c");
    let out = store.ingest(both, ContinuityPolicy::default(), time::now()).await.unwrap();
    assert_eq!(out.customer_id, ann.customer_id, "email outranks phone");
    assert_eq!(store.customer_by_identity(ws.id, &bob_phone).await.unwrap().id, bob.customer_id);
}

pub async fn saving_a_stale_conversation_conflicts_and_changes_nothing(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let out = store
        .ingest(
            inbound(ws.id, Channel::Email, &[email("ann@example.com")], "a"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let queue = QueueId::new();
    let t = out.conversation.apply(&Command::Enqueue { queue }, time::now()).unwrap();
    let events: Vec<_> =
        t.events.iter().map(|e| StoredEvent::for_conversation(&t.conversation, e.clone(), time::now())).collect();
    let change = ConversationChange {
        conversation: t.conversation.clone(),
        expected_version: out.conversation.version,
        messages: vec![],
        events,
    };
    let stored = store.save_conversation(change.clone()).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(store.conversation(ws.id, out.conversation.id).await.unwrap(), t.conversation);
    let before_events = store.events_since(ws.id, 0, 1000).await.unwrap().len();
    assert!(matches!(store.save_conversation(change).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.conversation(ws.id, out.conversation.id).await.unwrap(), t.conversation);
    assert_eq!(store.events_since(ws.id, 0, 1000).await.unwrap().len(), before_events, "no events from a failed save");
}

pub async fn conversations_are_filtered_and_paginated(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let queue = QueueId::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let channel = if i % 2 == 0 { Channel::Email } else { Channel::Sms };
        let who = Identity::external(&format!("crm:{i}")).unwrap();
        let out = store
            .ingest(inbound(ws.id, channel, &[who], "hello"), ContinuityPolicy::default(), time::now())
            .await
            .unwrap();
        ids.push(out.conversation.clone());
    }
    let t = ids[0].apply(&Command::Enqueue { queue }, time::now()).unwrap();
    store
        .save_conversation(ConversationChange {
            conversation: t.conversation,
            expected_version: ids[0].version,
            messages: vec![],
            events: vec![],
        })
        .await
        .unwrap();
    let all = store.list_conversations(ws.id, &ConversationFilter { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        ids.iter().rev().map(|c| c.id).collect::<Vec<_>>(),
        "newest first"
    );
    let email_only = ConversationFilter { channel: Some(Channel::Email), limit: 50, ..Default::default() };
    assert_eq!(store.list_conversations(ws.id, &email_only).await.unwrap().len(), 3);
    let queued = ConversationFilter { statuses: vec![ConversationStatus::Queued], limit: 50, ..Default::default() };
    assert_eq!(store.list_conversations(ws.id, &queued).await.unwrap()[0].id, ids[0].id);
    let in_queue = ConversationFilter { owner: Some(OwnerFilter::Queue(queue)), limit: 50, ..Default::default() };
    assert_eq!(store.list_conversations(ws.id, &in_queue).await.unwrap().len(), 1);
    let bot = ConversationFilter {
        owner: Some(OwnerFilter::Bot),
        statuses: vec![ConversationStatus::Bot, ConversationStatus::Queued],
        limit: 50,
        ..Default::default()
    };
    assert_eq!(store.list_conversations(ws.id, &bot).await.unwrap().len(), 4);
    let of_customer = ConversationFilter { customer: Some(ids[2].customer_id), limit: 50, ..Default::default() };
    assert_eq!(store.list_conversations(ws.id, &of_customer).await.unwrap()[0].id, ids[2].id);
    let page1 = store.list_conversations(ws.id, &ConversationFilter { limit: 2, ..Default::default() }).await.unwrap();
    let page2 = store
        .list_conversations(
            ws.id,
            &ConversationFilter { limit: 2, before: page1.last().map(|c| c.id), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(page2.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[2].id, ids[1].id]);
}

pub async fn identities_link_and_resolve(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let ann = store
        .ingest(
            inbound(ws.id, Channel::Email, &[email("ann@example.com")], "a"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let bob = store
        .ingest(
            inbound(ws.id, Channel::Email, &[email("bob@example.com")], "b"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let crm = Identity::external("crm:42").unwrap();
    let events = store.link_identity(ws.id, ann.customer_id, &crm, time::now()).await.unwrap();
    assert!(matches!(&events[0].event, DomainEvent::IdentityLinked { identity, .. } if *identity == crm));
    assert!(
        store.link_identity(ws.id, ann.customer_id, &crm, time::now()).await.unwrap().is_empty(),
        "linking twice is a no-op"
    );
    assert!(
        matches!(store.link_identity(ws.id, bob.customer_id, &crm, time::now()).await, Err(StoreError::Conflict(m)) if m.contains("merge"))
    );
    let by_crm = store
        .ingest(inbound(ws.id, Channel::Api, &[crm], "via CRM"), ContinuityPolicy::default(), time::now())
        .await
        .unwrap();
    assert_eq!(by_crm.customer_id, ann.customer_id);
    assert_eq!(
        store.link_identity(ws.id, tandem_domain::CustomerId::new(), &email("x@y.com"), time::now()).await,
        Err(StoreError::NotFound("customer"))
    );
}

pub async fn merging_customers_moves_everything_and_loses_nothing(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let mut by_email = inbound(ws.id, Channel::Email, &[email("ann@example.com")], "by email");
    by_email.display_name = Some("Ann".into());
    let a = store.ingest(by_email, ContinuityPolicy::default(), time::now()).await.unwrap();
    let phone = Identity::phone("+15550100200").unwrap();
    let mut by_sms = inbound(ws.id, Channel::Sms, std::slice::from_ref(&phone), "by sms");
    by_sms.language = Some("es".into());
    let b = store.ingest(by_sms, ContinuityPolicy::default(), time::now()).await.unwrap();
    let mut source = store.customer(ws.id, b.customer_id).await.unwrap();
    let expected = source.updated_at;
    source.tier = Tier::Gold;
    source.updated_at = time::now();
    store
        .update_customer(CustomerChange { customer: source, expected_updated_at: expected, events: vec![] })
        .await
        .unwrap();

    let events = store.merge_customers(ws.id, a.customer_id, b.customer_id, time::now()).await.unwrap();
    assert!(matches!(
        events[0].event,
        DomainEvent::CustomersMerged { conversations_moved: 1, identities_moved: 1, .. }
    ));
    let target = store.customer(ws.id, a.customer_id).await.unwrap();
    assert_eq!(
        target.identities.iter().collect::<HashSet<_>>(),
        [email("ann@example.com"), phone.clone()].iter().collect()
    );
    assert_eq!(target.tier, Tier::Gold, "the higher tier survives");
    assert_eq!(target.preferred_language.as_deref(), Some("es"), "gaps are filled from the source");
    assert_eq!(target.display_name.as_deref(), Some("Ann"));
    let gone = store.customer(ws.id, b.customer_id).await.unwrap();
    assert_eq!(gone.merged_into, Some(a.customer_id));
    assert!(gone.identities.is_empty());
    let timeline = store.timeline(ws.id, a.customer_id).await.unwrap();
    assert_eq!(timeline.conversations.len(), 2);
    assert_eq!(timeline.messages.len(), 2);
    assert!(timeline.messages.iter().all(|m| m.author == tandem_domain::Author::Customer(a.customer_id)));
    assert_eq!(store.customer_by_identity(ws.id, &phone).await.unwrap().id, a.customer_id);
    assert!(matches!(
        store.merge_customers(ws.id, a.customer_id, b.customer_id, time::now()).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.merge_customers(ws.id, a.customer_id, a.customer_id, time::now()).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn customers_update_with_optimistic_check(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let out = store
        .ingest(
            inbound(ws.id, Channel::Email, &[email("ann@example.com")], "a"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let customer = store.customer(ws.id, out.customer_id).await.unwrap();
    let mut changed = customer.clone();
    changed.tier = Tier::Platinum;
    changed.attributes.insert("plan".into(), serde_json::json!("enterprise"));
    changed.updated_at = customer.updated_at + Duration::seconds(1);
    let events = vec![StoredEvent::for_customer(
        ws.id,
        customer.id,
        DomainEvent::CustomerUpdated { customer_id: customer.id },
        time::now(),
    )];
    store
        .update_customer(CustomerChange { customer: changed.clone(), expected_updated_at: customer.updated_at, events })
        .await
        .unwrap();
    assert_eq!(store.customer(ws.id, customer.id).await.unwrap(), changed);
    let stale = CustomerChange { customer: customer.clone(), expected_updated_at: customer.updated_at, events: vec![] };
    assert!(matches!(store.update_customer(stale).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.customer(ws.id, customer.id).await.unwrap(), changed);
}

pub async fn workspaces_are_isolated(store: &dyn Store) {
    let acme = workspace(store, "acme").await;
    let globex = workspace(store, "globex").await;
    let ann = [email("ann@example.com")];
    let a = store
        .ingest(inbound(acme.id, Channel::Email, &ann, "acme"), ContinuityPolicy::default(), time::now())
        .await
        .unwrap();
    let g = store
        .ingest(inbound(globex.id, Channel::Email, &ann, "globex"), ContinuityPolicy::default(), time::now())
        .await
        .unwrap();
    assert_ne!(a.customer_id, g.customer_id, "the same email is a different customer in another workspace");
    assert!(g.conversation_created);
    let other = globex.id;
    assert_eq!(store.customer(other, a.customer_id).await, Err(StoreError::NotFound("customer")));
    assert_eq!(store.conversation(other, a.conversation.id).await, Err(StoreError::NotFound("conversation")));
    assert_eq!(store.messages(other, a.conversation.id).await, Err(StoreError::NotFound("conversation")));
    assert_eq!(store.message(other, a.message.id).await, Err(StoreError::NotFound("message")));
    assert_eq!(store.timeline(other, a.customer_id).await, Err(StoreError::NotFound("customer")));
    assert_eq!(
        store.merge_customers(other, g.customer_id, a.customer_id, time::now()).await,
        Err(StoreError::NotFound("customer"))
    );
    assert_eq!(
        store.link_identity(other, a.customer_id, &email("x@y.com"), time::now()).await,
        Err(StoreError::NotFound("customer"))
    );
    let list = store.list_conversations(other, &ConversationFilter { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), vec![g.conversation.id]);
    assert!(store.events_since(other, 0, 100).await.unwrap().iter().all(|e| e.workspace_id == other));
    let ann_agent = agent(acme.id, "ann@acme.test");
    store.create_agent(&ann_agent, "h", vec![]).await.unwrap();
    assert_eq!(store.agent(other, ann_agent.id).await, Err(StoreError::NotFound("agent")));
    assert!(store.agent_credentials(other, "ann@acme.test").await.is_err());
    assert_eq!(
        store.set_agent_state(other, ann_agent.id, AgentState::Away, time::now()).await.unwrap_err(),
        StoreError::NotFound("agent")
    );
    let stale_cross = ConversationChange {
        conversation: tandem_domain::Conversation { workspace_id: other, ..a.conversation.clone() },
        expected_version: a.conversation.version,
        messages: vec![],
        events: vec![],
    };
    assert!(
        store.save_conversation(stale_cross).await.is_err(),
        "a conversation cannot be written through another workspace"
    );
}

pub async fn events_are_ordered_and_scoped(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    for i in 0..4 {
        let who = Identity::external(&format!("crm:{i}")).unwrap();
        store
            .ingest(inbound(ws.id, Channel::Api, &[who], "x"), ContinuityPolicy::default(), time::now())
            .await
            .unwrap();
    }
    let all = store.events_since(ws.id, 0, 1000).await.unwrap();
    assert_eq!(all.len(), 12);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let tail = store.events_since(ws.id, all[5].seq, 3).await.unwrap();
    assert_eq!(tail, all[6..9].to_vec());
    assert!(all.iter().all(|e| e.workspace_id == ws.id));
    let created = all.iter().find(|e| e.event.kind() == "conversation_created").unwrap();
    assert_eq!(created.owner, Some(Owner::Bot));
}

pub async fn concurrent_ingest_from_one_new_customer_creates_one_customer(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    // The racers run concurrently on this task (the suite receives `&dyn Store`).
    let racers = (0..8).map(|i| {
        let msg = inbound(ws.id, Channel::WebChat, &[email("racer@example.com")], &format!("message {i}"));
        store.ingest(msg, ContinuityPolicy::default(), time::now())
    });
    let results = futures_join_all(racers).await;
    let ok: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    let customers: HashSet<_> = ok.iter().map(|o| o.customer_id).collect();
    let conversations: HashSet<_> = ok.iter().map(|o| o.conversation.id).collect();
    assert_eq!(customers.len(), 1);
    assert_eq!(conversations.len(), 1);
    let conversation = *conversations.iter().next().unwrap();
    assert_eq!(store.messages(ws.id, conversation).await.unwrap().len(), 8);
}

pub async fn concurrent_retries_with_one_key_store_one_message(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let mut msg = inbound(ws.id, Channel::Api, &[email("retry@example.com")], "only once");
    msg.idempotency = Some(Idempotency { key: "same-key".into(), fingerprint: "fp".into() });
    let racers = (0..8).map(|_| store.ingest(msg.clone(), ContinuityPolicy::default(), time::now()));
    let outcomes: Vec<_> = futures_join_all(racers).await.into_iter().map(Result::unwrap).collect();
    let ids: HashSet<_> = outcomes.iter().map(|o| o.message.id).collect();
    assert_eq!(ids.len(), 1, "every retry answers with the one stored message");
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1, "exactly one call stored it");
    assert_eq!(store.messages(ws.id, outcomes[0].conversation.id).await.unwrap().len(), 1);
}

pub async fn understanding_is_stored_and_refined(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let mut msg = inbound(ws.id, Channel::Email, &[email("ann@example.com")], "my card 4111 1111 1111 1111");
    msg.understanding = Some(tandem_domain::Understanding { redacted: "my card [CARD]".into(), ..Default::default() });
    let out = store.ingest(msg, ContinuityPolicy::default(), time::now()).await.unwrap();
    let stored = store.message(ws.id, out.message.id).await.unwrap();
    assert_eq!(stored.understanding.as_ref().map(|u| u.redacted.as_str()), Some("my card [CARD]"));
    let refined =
        tandem_domain::Understanding { redacted: "my card [CARD]".into(), refined: true, ..Default::default() };
    store.update_understanding(ws.id, out.message.id, &refined).await.unwrap();
    assert_eq!(store.message(ws.id, out.message.id).await.unwrap().understanding, Some(refined.clone()));
    let other = workspace(store, "globex").await;
    assert_eq!(
        store.update_understanding(other.id, out.message.id, &refined).await,
        Err(StoreError::NotFound("message"))
    );
}

/// A minimal `join_all` so the suite needs no futures crate.
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in results.iter_mut().zip(pinned.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

pub(crate) async fn customers_are_created_with_their_identities_once(store: &dyn Store) {
    let ws = workspace(store, "crm").await;
    let mut customer = tandem_domain::Customer::new(
        ws.id,
        vec![email("vip@example.com"), Identity::external("crm:42").unwrap()],
        Some("Vera".into()),
        time::now(),
    );
    customer.tier = Tier::Platinum;
    let created = DomainEvent::CustomerCreated { customer_id: customer.id };
    let events = store
        .create_customer(&customer, vec![StoredEvent::for_customer(ws.id, customer.id, created, time::now())])
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let found = store.customer_by_identity(ws.id, &email("vip@example.com")).await.unwrap();
    assert_eq!((found.id, found.tier), (customer.id, Tier::Platinum));
    // A message from that address joins the created customer.
    let msg = inbound(ws.id, Channel::Email, &[email("vip@example.com")], "hello");
    let outcome = store.ingest(msg, ContinuityPolicy::default(), time::now()).await.unwrap();
    assert_eq!(outcome.customer_id, customer.id);
    // An identity that is taken refuses the whole customer.
    let twin = tandem_domain::Customer::new(
        ws.id,
        vec![email("new@example.com"), email("vip@example.com")],
        None,
        time::now(),
    );
    let refused = store.create_customer(&twin, Vec::new()).await.unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(ref m) if m.contains("vip@example.com")), "{refused:?}");
    assert!(matches!(store.customer_by_identity(ws.id, &email("new@example.com")).await, Err(StoreError::NotFound(_))));
    // Another workspace has its own customers by the same address.
    let other = workspace(store, "crm-two").await;
    let mut elsewhere = tandem_domain::Customer::new(other.id, vec![email("vip@example.com")], None, time::now());
    elsewhere.tier = Tier::Standard;
    store.create_customer(&elsewhere, Vec::new()).await.unwrap();
}
