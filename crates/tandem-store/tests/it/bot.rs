//! Virtual-agent and task stories: the configuration saved as versions, secrets by name,
//! a bot turn committed whole or not at all, decisions in order, and tasks settled once.

use chrono::Duration;
use serde_json::json;
use tandem_domain::ingest::ContinuityPolicy;
use tandem_domain::{
    Author, Body, Channel, Command, Conversation, DecisionId, DomainEvent, Identity, Message, MessageId, MessageKind,
    Owner, Queue, QueueId, QueueRouting, StoredEvent, Task, TaskId, TaskKind, TaskStatus, Timestamp, WorkspaceId, time,
};
use tandem_store::{
    BotConfigRecord, BotDecisionRecord, BotStateRecord, BotTurnCommit, ConversationChange, Store, StoreError,
    TaskFilter, TaskSettlement,
};

use crate::stories::{inbound, workspace};

const CONFIG_CHANGED: &str = "the bot configuration changed since it was read; reload it and try again";

/// A new conversation owned by the bot, and the customer message that opened it.
async fn bot_conversation(store: &dyn Store, ws: WorkspaceId, who: &str) -> (Conversation, MessageId) {
    let identity = Identity::external(&format!("crm:{who}")).unwrap();
    let out = store
        .ingest(
            inbound(ws, Channel::WebChat, &[identity], "where is my order?"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    assert_eq!(out.conversation.owner, Owner::Bot);
    (out.conversation, out.message.id)
}

fn config(ws: WorkspaceId, version: i64, greeting: &str) -> BotConfigRecord {
    BotConfigRecord {
        workspace_id: ws,
        config: json!({ "greeting": greeting, "intents": { "order_status": { "action": "lookup_order" } } }),
        version,
        updated_at: time::now(),
        updated_by: "agent:0190".into(),
    }
}

fn config_updated(ws: WorkspaceId, version: i64) -> StoredEvent {
    StoredEvent::for_workspace(ws, DomainEvent::BotConfigUpdated { version }, time::now())
}

fn decision(conversation: &Conversation, message: Option<MessageId>, turn: u32, at: Timestamp) -> BotDecisionRecord {
    BotDecisionRecord {
        id: DecisionId::new(),
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        message_id: message,
        turn,
        kind: "answer".into(),
        rule: "intent.order_status".into(),
        reason: "the customer asked where their order is".into(),
        escalation: None,
        inputs: json!({ "intent": "order_status", "confidence": 0.93, "messages": [message] }),
        outcome: json!({ "reply": "template:order_status", "action": { "name": "lookup_order", "status": 200 } }),
        latency_us: 1_850,
        external_us: 42_000,
        at,
    }
}

fn follow_up(ws: WorkspaceId, conversation: Option<&Conversation>, title: &str, created_at: Timestamp) -> Task {
    Task {
        id: TaskId::new(),
        workspace_id: ws,
        conversation_id: conversation.map(|c| c.id),
        customer_id: conversation.map(|c| c.customer_id),
        kind: TaskKind::FollowUp,
        status: TaskStatus::Open,
        title: title.into(),
        details: json!({ "contact": { "email": "ann@example.test" } }),
        created_at,
        due_at: Some(created_at + Duration::hours(4)),
        settled_at: None,
        settled_by: None,
        note: None,
    }
}

fn task_created(task: &Task) -> StoredEvent {
    let event = DomainEvent::TaskCreated { task_id: task.id, kind: task.kind, conversation_id: task.conversation_id };
    StoredEvent::for_workspace(task.workspace_id, event, task.created_at)
}

/// `conversation` one version on, as a bot reply leaves it.
fn replied(conversation: &Conversation, at: Timestamp) -> Conversation {
    Conversation { version: conversation.version + 1, updated_at: at, ..conversation.clone() }
}

/// One bot turn over `read` (the conversation as the bot read it, its state at
/// `state_version`) that leaves the conversation as `next`: a reply, the state one
/// version on, the decision, any tasks and the events of all of it.
fn turn(
    read: &Conversation,
    next: Conversation,
    state_version: i64,
    decision: BotDecisionRecord,
    tasks: Vec<Task>,
) -> BotTurnCommit {
    let at = decision.at;
    let reply = Message {
        id: MessageId::new(),
        workspace_id: read.workspace_id,
        conversation_id: read.id,
        kind: MessageKind::Outbound,
        author: Author::Bot,
        body: Body::parse(&format!("Reply of turn {}", decision.turn)).unwrap(),
        language: Some("en".into()),
        channel: read.channel,
        attachments: vec![],
        external_id: None,
        understanding: None,
        created_at: at,
    };
    let created = DomainEvent::MessageCreated {
        message_id: reply.id,
        conversation_id: read.id,
        kind: reply.kind,
        author: reply.author,
        channel: reply.channel,
    };
    let decided = DomainEvent::BotDecided {
        conversation_id: read.id,
        decision_id: decision.id,
        message_id: decision.message_id,
        kind: decision.kind.clone(),
        rule: decision.rule.clone(),
    };
    let mut events =
        vec![StoredEvent::for_conversation(&next, created, at), StoredEvent::for_conversation(&next, decided, at)];
    events.extend(tasks.iter().map(task_created));
    let state = BotStateRecord {
        workspace_id: read.workspace_id,
        conversation_id: read.id,
        state: json!({ "turns": decision.turn, "slots": { "order": "A-1001" } }),
        version: state_version + 1,
        updated_at: at,
    };
    BotTurnCommit {
        change: ConversationChange {
            conversation: next,
            expected_version: read.version,
            messages: vec![reply],
            events,
        },
        state,
        expected_state_version: state_version,
        decision,
        tasks,
        settle: None,
    }
}

pub async fn bot_configuration_is_saved_as_versions(store: &dyn Store) {
    let ws = workspace(store, "bot-config").await;
    assert_eq!(store.bot_config(ws.id).await.unwrap(), None);
    assert_eq!(
        store.save_bot_config(&config(ws.id, 2, "Hi"), vec![config_updated(ws.id, 2)]).await,
        Err(StoreError::Conflict(CONFIG_CHANGED.into())),
        "the first save is version 1"
    );

    let first = config(ws.id, 1, "Hi");
    let stored = store.save_bot_config(&first, vec![config_updated(ws.id, 1)]).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].seq > 0);
    assert_eq!(store.bot_config(ws.id).await.unwrap(), Some(first.clone()));

    for stale in [config(ws.id, 1, "Hello"), config(ws.id, 3, "Hello"), config(ws.id, 0, "Hello")] {
        assert_eq!(
            store.save_bot_config(&stale, vec![config_updated(ws.id, stale.version)]).await,
            Err(StoreError::Conflict(CONFIG_CHANGED.into())),
            "version {} after 1",
            stale.version
        );
    }
    assert_eq!(store.bot_config(ws.id).await.unwrap(), Some(first), "a refused save changes nothing");

    let second = config(ws.id, 2, "Hello");
    store.save_bot_config(&second, vec![config_updated(ws.id, 2)]).await.unwrap();
    assert_eq!(store.bot_config(ws.id).await.unwrap(), Some(second.clone()));

    let other = workspace(store, "bot-config-other").await;
    assert_eq!(store.bot_config(other.id).await.unwrap(), None, "another workspace has no configuration");
    let theirs = config(other.id, 1, "Bonjour");
    store.save_bot_config(&theirs, vec![]).await.unwrap();
    assert_eq!(store.bot_config(other.id).await.unwrap(), Some(theirs));
    assert_eq!(store.bot_config(ws.id).await.unwrap(), Some(second));

    let versions: Vec<_> = store
        .events_since(ws.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            DomainEvent::BotConfigUpdated { version } => Some(version),
            _ => None,
        })
        .collect();
    assert_eq!(versions, vec![1, 2], "only the saves that happened left events");
}

pub async fn bot_secrets_are_set_replaced_listed_and_deleted(store: &dyn Store) {
    let ws = workspace(store, "bot-secrets").await;
    let other = workspace(store, "bot-secrets-other").await;
    assert!(store.bot_secrets(ws.id).await.unwrap().is_empty());
    let t0 = time::now();
    store.set_bot_secret(ws.id, "crm_token", "tok-1", t0).await.unwrap();
    store.set_bot_secret(ws.id, "alpha", "a-1", t0).await.unwrap();
    store.set_bot_secret(ws.id, "Billing", "b-1", t0).await.unwrap();
    store.set_bot_secret(other.id, "crm_token", "theirs", t0).await.unwrap();

    // By name, byte order (capitals first) in both backends.
    let t1 = t0 + Duration::seconds(5);
    store.set_bot_secret(ws.id, "alpha", "a-2", t1).await.unwrap();
    assert_eq!(
        store.bot_secrets(ws.id).await.unwrap(),
        vec![("Billing".into(), "b-1".into()), ("alpha".into(), "a-2".into()), ("crm_token".into(), "tok-1".into())]
    );
    assert_eq!(
        store.bot_secret_names(ws.id).await.unwrap(),
        vec![("Billing".into(), t0), ("alpha".into(), t1), ("crm_token".into(), t0)]
    );
    assert_eq!(store.bot_secrets(other.id).await.unwrap(), vec![("crm_token".into(), "theirs".into())]);

    assert_eq!(store.delete_bot_secret(other.id, "alpha").await, Err(StoreError::NotFound("bot secret")));
    store.delete_bot_secret(ws.id, "alpha").await.unwrap();
    assert_eq!(store.delete_bot_secret(ws.id, "alpha").await, Err(StoreError::NotFound("bot secret")));
    store.delete_bot_secret(other.id, "crm_token").await.unwrap();
    assert_eq!(store.bot_secret_names(ws.id).await.unwrap(), vec![("Billing".into(), t0), ("crm_token".into(), t0)]);
    assert!(store.bot_secret_names(other.id).await.unwrap().is_empty());
}

pub async fn a_bot_turn_commits_conversation_state_decision_and_tasks(store: &dyn Store) {
    let ws = workspace(store, "bot-turn").await;
    let (conversation, inbound_id) = bot_conversation(store, ws.id, "ann").await;
    assert_eq!(store.bot_state(ws.id, conversation.id).await.unwrap(), None);

    let t1 = time::now();
    let promised = follow_up(ws.id, Some(&conversation), "Call Ann back about order A-1001", t1);
    let first = turn(
        &conversation,
        replied(&conversation, t1),
        0,
        decision(&conversation, Some(inbound_id), 1, t1),
        vec![promised.clone()],
    );
    let stored = store.commit_bot_turn(first.clone()).await.unwrap();
    assert_eq!(stored.len(), 3, "message, decision and task events");
    assert!(stored.iter().all(|e| e.seq > 0));
    assert_eq!(store.conversation(ws.id, conversation.id).await.unwrap(), first.change.conversation);
    let messages = store.messages(ws.id, conversation.id).await.unwrap();
    assert_eq!(messages.iter().map(|m| m.id).collect::<Vec<_>>(), vec![inbound_id, first.change.messages[0].id]);
    assert_eq!(messages[1], first.change.messages[0]);
    assert_eq!(store.bot_state(ws.id, conversation.id).await.unwrap(), Some(first.state.clone()));
    assert_eq!(store.bot_decisions(ws.id, conversation.id).await.unwrap(), vec![first.decision.clone()]);
    assert_eq!(store.task(ws.id, promised.id).await.unwrap(), promised);
    let of_conversation = TaskFilter { conversation: Some(conversation.id), ..TaskFilter::default() };
    assert_eq!(store.tasks(ws.id, &of_conversation).await.unwrap(), vec![promised.clone()]);

    // The second turn escalates: the conversation goes to a queue, the state moves on.
    let queue = Queue {
        id: QueueId::new(),
        workspace_id: ws.id,
        name: "Orders".into(),
        routing: QueueRouting::default(),
        created_at: time::now(),
    };
    store.create_queue(&queue, vec![]).await.unwrap();
    let read = first.change.conversation.clone();
    let t2 = t1 + Duration::seconds(30);
    let escalated = read.apply(&Command::Enqueue { queue: queue.id }, t2).unwrap().conversation;
    let mut escalation = decision(&read, None, 2, t2);
    escalation.kind = "escalate".into();
    escalation.rule = "escalate.explicit_request".into();
    escalation.escalation = Some("explicit_request".into());
    let second = turn(&read, escalated.clone(), 1, escalation, vec![]);
    let stored = store.commit_bot_turn(second.clone()).await.unwrap();
    assert_eq!(stored.len(), 2);
    let now_stored = store.conversation(ws.id, conversation.id).await.unwrap();
    assert_eq!(now_stored, escalated);
    assert_eq!(now_stored.owner, Owner::Queue(queue.id));
    let state = store.bot_state(ws.id, conversation.id).await.unwrap().unwrap();
    assert_eq!((state.version, state.state["turns"].as_u64()), (2, Some(2)));
    assert_eq!(state, second.state);
    assert_eq!(store.bot_decisions(ws.id, conversation.id).await.unwrap(), vec![first.decision, second.decision]);
    assert_eq!(store.messages(ws.id, conversation.id).await.unwrap().len(), 3);

    let seqs: Vec<i64> = store.events_since(ws.id, 0, 100).await.unwrap().iter().map(|e| e.seq).collect();
    assert!(stored.iter().all(|e| seqs.contains(&e.seq)), "the turn's events are in the log");

    let other = workspace(store, "bot-turn-other").await;
    assert_eq!(store.bot_state(other.id, conversation.id).await.unwrap(), None);
    assert!(store.bot_decisions(other.id, conversation.id).await.unwrap().is_empty());
    assert_eq!(store.task(other.id, promised.id).await, Err(StoreError::NotFound("task")));
}

/// Everything a bot turn could have written, to compare before and after a refused one.
async fn snapshot(
    store: &dyn Store,
    conversation: &Conversation,
) -> (Conversation, Vec<Message>, Option<BotStateRecord>, Vec<BotDecisionRecord>, Vec<Task>, Vec<StoredEvent>) {
    let ws = conversation.workspace_id;
    (
        store.conversation(ws, conversation.id).await.unwrap(),
        store.messages(ws, conversation.id).await.unwrap(),
        store.bot_state(ws, conversation.id).await.unwrap(),
        store.bot_decisions(ws, conversation.id).await.unwrap(),
        store.tasks(ws, &TaskFilter::default()).await.unwrap(),
        store.events_since(ws, 0, 1_000).await.unwrap(),
    )
}

pub async fn a_stale_bot_turn_conflicts_and_writes_nothing(store: &dyn Store) {
    let ws = workspace(store, "bot-stale").await;
    let (v1, inbound_id) = bot_conversation(store, ws.id, "bob").await;
    let t1 = time::now();
    let first = turn(&v1, replied(&v1, t1), 0, decision(&v1, Some(inbound_id), 1, t1), vec![]);
    store.commit_bot_turn(first.clone()).await.unwrap();
    let v2 = first.change.conversation.clone();
    let before = snapshot(store, &v2).await;

    // The same decision and task in every attempt: a refused attempt that left a row
    // behind would make the last, valid one fail.
    let t2 = t1 + Duration::seconds(10);
    let second = decision(&v2, Some(inbound_id), 2, t2);
    let task = follow_up(ws.id, Some(&v2), "Call Bob back", t2);
    let attempt = |read: &Conversation, state_version: i64| {
        turn(read, replied(&v2, t2), state_version, second.clone(), vec![task.clone()])
    };

    // An agent (or another turn) changed the conversation since the bot read it.
    let stale_conversation = attempt(&v1, 1);
    assert!(matches!(store.commit_bot_turn(stale_conversation).await, Err(StoreError::Conflict(_))));
    assert_eq!(snapshot(store, &v2).await, before, "a stale conversation writes nothing");

    // The state changed (or appeared) since the bot read it. The conversation update
    // comes first in the transaction, so this also proves it is rolled back.
    for stale_state in [0, 2, 5] {
        assert!(
            matches!(store.commit_bot_turn(attempt(&v2, stale_state)).await, Err(StoreError::Conflict(_))),
            "state read at version {stale_state}, stored at 1"
        );
        assert_eq!(snapshot(store, &v2).await, before, "a stale state (read at {stale_state}) writes nothing");
    }

    // A turn whose parts name another workspace's conversation is refused outright.
    let other = workspace(store, "bot-stale-other").await;
    let mut misfiled = attempt(&v2, 1);
    misfiled.state.workspace_id = other.id;
    assert!(matches!(store.commit_bot_turn(misfiled).await, Err(StoreError::Invalid(_))));
    let mut misfiled = attempt(&v2, 1);
    misfiled.tasks[0].workspace_id = other.id;
    assert!(matches!(store.commit_bot_turn(misfiled).await, Err(StoreError::Invalid(_))));
    assert_eq!(snapshot(store, &v2).await, before);

    let valid = attempt(&v2, 1);
    let stored = store.commit_bot_turn(valid.clone()).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(store.bot_decisions(ws.id, v2.id).await.unwrap(), vec![first.decision, second]);
    assert_eq!(store.bot_state(ws.id, v2.id).await.unwrap().map(|s| s.version), Some(2));
    assert_eq!(store.task(ws.id, task.id).await.unwrap(), task);
    assert_eq!(store.messages(ws.id, v2.id).await.unwrap().len(), 3);
}

pub async fn bot_decisions_are_listed_in_order_and_scoped(store: &dyn Store) {
    let ws = workspace(store, "bot-decisions").await;
    let other = workspace(store, "bot-decisions-other").await;
    let (a, _) = bot_conversation(store, ws.id, "a").await;
    let (b, _) = bot_conversation(store, ws.id, "b").await;
    let (theirs, _) = bot_conversation(store, other.id, "c").await;
    let t0 = time::now();
    let at = |s: i64| t0 + Duration::seconds(s);

    // Two decisions at one instant are ordered by id, whichever is written first.
    let mut tied = [DecisionId::new(), DecisionId::new()];
    tied.sort();
    let a1 = BotDecisionRecord { id: tied[1], ..decision(&a, None, 1, at(3)) };
    let a2 = decision(&a, None, 2, at(1));
    let b1 = BotDecisionRecord { id: tied[0], ..decision(&b, None, 1, at(3)) };
    let b2 = decision(&b, None, 2, at(2));
    let c1 = decision(&theirs, None, 1, at(2));

    // Each conversation's turns in sequence; the store orders by time, not by write.
    let mut a_now = a.clone();
    for (state_version, d) in [(0, &a1), (1, &a2)] {
        let commit = turn(&a_now, replied(&a_now, d.at), state_version, d.clone(), vec![]);
        store.commit_bot_turn(commit.clone()).await.unwrap();
        a_now = commit.change.conversation;
    }
    let mut b_now = b.clone();
    for (state_version, d) in [(0, &b1), (1, &b2)] {
        let commit = turn(&b_now, replied(&b_now, d.at), state_version, d.clone(), vec![]);
        store.commit_bot_turn(commit.clone()).await.unwrap();
        b_now = commit.change.conversation;
    }
    store.commit_bot_turn(turn(&theirs, replied(&theirs, c1.at), 0, c1.clone(), vec![])).await.unwrap();

    assert_eq!(store.bot_decisions(ws.id, a.id).await.unwrap(), vec![a2.clone(), a1.clone()]);
    assert_eq!(store.bot_decisions(ws.id, b.id).await.unwrap(), vec![b2.clone(), b1.clone()]);
    assert!(store.bot_decisions(ws.id, theirs.id).await.unwrap().is_empty());
    assert!(store.bot_decisions(other.id, a.id).await.unwrap().is_empty());

    let everything = vec![a2.clone(), b2.clone(), b1.clone(), a1.clone()];
    assert_eq!(store.bot_decisions_since(ws.id, t0, 100).await.unwrap(), everything);
    assert_eq!(store.bot_decisions_since(ws.id, at(2), 100).await.unwrap(), everything[1..], "since is inclusive");
    assert_eq!(
        store.bot_decisions_since(ws.id, t0, 2).await.unwrap(),
        everything[2..],
        "the newest when the limit cuts"
    );
    assert!(store.bot_decisions_since(ws.id, at(4), 100).await.unwrap().is_empty());
    assert_eq!(store.bot_decisions_since(other.id, t0, 100).await.unwrap(), vec![c1]);
}

pub async fn tasks_are_listed_by_filter_and_settled_once(store: &dyn Store) {
    let ws = workspace(store, "tasks").await;
    let other = workspace(store, "tasks-other").await;
    let (conversation, _) = bot_conversation(store, ws.id, "ann").await;
    let t0 = time::now();
    let call_back = follow_up(ws.id, Some(&conversation), "Call Ann back", t0);
    let refund = Task {
        kind: TaskKind::Approval,
        title: "Approve a refund of 20 EUR".into(),
        details: json!({ "action": "refund", "input": { "order": "A-1001", "amount": 20 } }),
        due_at: None,
        ..follow_up(ws.id, Some(&conversation), "", t0 + Duration::seconds(1))
    };
    let loose = follow_up(ws.id, None, "Email the newsletter list", t0 + Duration::seconds(2));
    let theirs = follow_up(other.id, None, "Not yours", t0 + Duration::seconds(3));
    for task in [&call_back, &refund, &loose, &theirs] {
        let stored = store.create_task(task, vec![task_created(task)]).await.unwrap();
        assert!(stored.len() == 1 && stored[0].seq > 0);
    }
    let misfiled = follow_up(other.id, Some(&conversation), "Another workspace's conversation", t0);
    assert_eq!(
        store.create_task(&misfiled, vec![task_created(&misfiled)]).await,
        Err(StoreError::NotFound("conversation"))
    );
    assert_eq!(store.task(other.id, misfiled.id).await, Err(StoreError::NotFound("task")));

    assert_eq!(store.task(ws.id, refund.id).await.unwrap(), refund);
    assert_eq!(store.task(ws.id, theirs.id).await, Err(StoreError::NotFound("task")));
    let list = |filter: TaskFilter| async move { store.tasks(ws.id, &filter).await.unwrap() };
    let all = vec![loose.clone(), refund.clone(), call_back.clone()];
    assert_eq!(list(TaskFilter::default()).await, all, "newest first; limit 0 is the default");
    assert_eq!(list(TaskFilter { limit: 2, ..TaskFilter::default() }).await, all[..2]);
    assert_eq!(list(TaskFilter { status: Some(TaskStatus::Open), ..TaskFilter::default() }).await, all);
    assert!(list(TaskFilter { status: Some(TaskStatus::Done), ..TaskFilter::default() }).await.is_empty());
    assert_eq!(
        list(TaskFilter { kind: Some(TaskKind::Approval), ..TaskFilter::default() }).await,
        vec![refund.clone()]
    );
    assert_eq!(
        list(TaskFilter {
            kind: Some(TaskKind::FollowUp),
            conversation: Some(conversation.id),
            ..TaskFilter::default()
        })
        .await,
        vec![call_back.clone()]
    );
    assert_eq!(store.tasks(other.id, &TaskFilter::default()).await.unwrap(), vec![theirs.clone()]);

    let settle = |task: &Task, status: TaskStatus, details: Option<serde_json::Value>| TaskSettlement {
        workspace_id: task.workspace_id,
        task_id: task.id,
        status,
        at: t0 + Duration::minutes(5),
        by: "agent:0190".into(),
        note: Some("checked the order".into()),
        details,
        events: vec![StoredEvent::for_workspace(
            task.workspace_id,
            DomainEvent::TaskSettled { task_id: task.id, status, conversation_id: task.conversation_id },
            t0 + Duration::minutes(5),
        )],
    };
    let result = json!({ "action": "refund", "result": { "status": 200, "refund_id": "R-9" } });
    let (approved, events) =
        store.settle_task(settle(&refund, TaskStatus::Approved, Some(result.clone()))).await.unwrap();
    assert!(events.len() == 1 && events[0].seq > 0);
    let expected = Task {
        status: TaskStatus::Approved,
        settled_at: Some(t0 + Duration::minutes(5)),
        settled_by: Some("agent:0190".into()),
        note: Some("checked the order".into()),
        details: result,
        ..refund.clone()
    };
    assert_eq!(approved, expected);
    assert_eq!(store.task(ws.id, refund.id).await.unwrap(), expected);

    assert_eq!(
        store.settle_task(settle(&refund, TaskStatus::Rejected, None)).await,
        Err(StoreError::Conflict("the task is already approved".into())),
        "a task is settled once"
    );
    assert_eq!(store.task(ws.id, refund.id).await.unwrap(), expected);

    let (done, _) = store.settle_task(settle(&call_back, TaskStatus::Done, None)).await.unwrap();
    assert_eq!(done.details, call_back.details, "details stay when none are given");
    assert_eq!(done.status, TaskStatus::Done);

    assert_eq!(
        store.settle_task(settle(&loose, TaskStatus::Open, None)).await,
        Err(StoreError::Invalid("a task is settled as done, approved, rejected or cancelled".into()))
    );
    let elsewhere = TaskSettlement { workspace_id: other.id, ..settle(&loose, TaskStatus::Cancelled, None) };
    assert_eq!(store.settle_task(elsewhere).await, Err(StoreError::NotFound("task")));
    let unknown = TaskSettlement { task_id: TaskId::new(), ..settle(&loose, TaskStatus::Done, None) };
    assert_eq!(store.settle_task(unknown).await, Err(StoreError::NotFound("task")));
    assert_eq!(store.task(ws.id, loose.id).await.unwrap(), loose, "refused settlements change nothing");

    assert_eq!(list(TaskFilter { status: Some(TaskStatus::Open), ..TaskFilter::default() }).await, vec![loose]);
    assert_eq!(list(TaskFilter { status: Some(TaskStatus::Approved), ..TaskFilter::default() }).await, vec![expected]);
    let settled_events = store
        .events_since(ws.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.event, DomainEvent::TaskSettled { .. }))
        .count();
    assert_eq!(settled_events, 2, "only the settlements that happened left events");
    assert_eq!(store.task(other.id, theirs.id).await.unwrap(), theirs);
}

pub async fn a_bot_turn_settles_its_task_once_in_the_same_transaction(store: &dyn Store) {
    let ws = workspace(store, "bot-settle").await;
    let (conversation, inbound_id) = bot_conversation(store, ws.id, "sam").await;
    let t1 = time::now();
    let mut approval = follow_up(ws.id, Some(&conversation), "Approve the address change", t1);
    approval.kind = TaskKind::Approval;
    store.create_task(&approval, vec![task_created(&approval)]).await.unwrap();
    let settlement = |at| TaskSettlement {
        workspace_id: ws.id,
        task_id: approval.id,
        status: TaskStatus::Approved,
        at,
        by: "agent:0190".into(),
        note: None,
        details: None,
        events: vec![StoredEvent::for_workspace(
            ws.id,
            DomainEvent::TaskSettled {
                task_id: approval.id,
                status: TaskStatus::Approved,
                conversation_id: Some(conversation.id),
            },
            at,
        )],
    };
    let mut first =
        turn(&conversation, replied(&conversation, t1), 0, decision(&conversation, Some(inbound_id), 1, t1), vec![]);
    first.settle = Some(settlement(t1));
    let stored = store.commit_bot_turn(first.clone()).await.unwrap();
    assert!(
        stored.iter().any(|e| matches!(e.event, DomainEvent::TaskSettled { .. })),
        "the settlement's events are written"
    );
    assert_eq!(store.task(ws.id, approval.id).await.unwrap().status, TaskStatus::Approved);
    // A second turn settling the same task conflicts and writes nothing at all.
    let read = first.change.conversation.clone();
    let t2 = t1 + Duration::seconds(5);
    let mut second = turn(&read, replied(&read, t2), 1, decision(&read, Some(inbound_id), 2, t2), vec![]);
    second.settle = Some(settlement(t2));
    let before = snapshot(store, &conversation).await;
    assert!(matches!(store.commit_bot_turn(second).await, Err(StoreError::Conflict(_))));
    assert_eq!(snapshot(store, &conversation).await, before);
}
