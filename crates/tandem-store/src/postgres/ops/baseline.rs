//! The benchmark baseline: a plain INSERT loop.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::postgres) async fn raw_insert_baseline(
    pool: &Pool,
    rows: usize,
    clients: usize,
) -> StoreResult<Duration> {
    let client = pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: tandem_domain::Slug::parse(&format!("baseline-{}", &Uuid::now_v7().simple().to_string()[20..]))
            .map_err(StoreError::other)?,
        name: "baseline".into(),
        chat_key: Uuid::now_v7().to_string(),
        created_at: time::now(),
    };
    insert_workspace(&client, &ws).await?;
    let customer = Customer::new(ws.id, Vec::new(), None, time::now());
    insert_customer(&client, &customer).await?;
    let conversation =
        Conversation::new(ws.id, customer.id, tandem_domain::Channel::Api, tandem_domain::Owner::Bot, time::now());
    insert_conversation(&client, &conversation).await?;
    drop(client);
    let body = tandem_domain::Body::parse("Hello, I would like to know where my order #A1234 is. Thanks!")
        .map_err(StoreError::other)?;
    let started = Instant::now();
    let per_client = rows.div_ceil(clients);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let pool = pool.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let client = pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
            for _ in 0..per_client {
                let message = Message {
                    id: MessageId::new(),
                    workspace_id: ws.id,
                    conversation_id: conversation.id,
                    kind: tandem_domain::MessageKind::Inbound,
                    author: tandem_domain::Author::Customer(customer.id),
                    body: body.clone(),
                    language: None,
                    channel: tandem_domain::Channel::Api,
                    attachments: Vec::new(),
                    external_id: None,
                    understanding: None,
                    created_at: time::now(),
                };
                insert_each_message(&client, std::slice::from_ref(&message)).await?;
            }
            Ok::<(), StoreError>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| StoreError::Other(e.to_string()))??;
    }
    Ok(started.elapsed())
}
