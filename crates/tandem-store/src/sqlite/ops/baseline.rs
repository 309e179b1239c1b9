//! The benchmark baseline: a plain INSERT loop.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::sqlite) fn raw_insert_baseline(
    path: &Path,
    synchronous: crate::sqlite::Synchronous,
    rows: usize,
) -> StoreResult<Duration> {
    let mut conn = crate::sqlite::open_writer(path, synchronous)?;
    crate::sqlite::schema::migrate(&mut conn)?;
    let ws = Workspace {
        id: WorkspaceId::new(),
        slug: tandem_domain::Slug::parse("baseline").map_err(StoreError::other)?,
        name: "baseline".into(),
        chat_key: "baseline".into(),
        created_at: time::now(),
    };
    insert_workspace(&conn, &ws)?;
    let customer = Customer::new(ws.id, Vec::new(), None, time::now());
    insert_customer(&conn, &customer)?;
    let conversation =
        Conversation::new(ws.id, customer.id, tandem_domain::Channel::Api, tandem_domain::Owner::Bot, time::now());
    insert_conversation(&conn, &conversation)?;
    let body = tandem_domain::Body::parse("Hello, I would like to know where my order #A1234 is. Thanks!")
        .map_err(StoreError::other)?;
    let started = Instant::now();
    for _ in 0..rows {
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
        insert_message(&conn, &message)?;
    }
    Ok(started.elapsed())
}
