//! The batch's reads: stored idempotency keys, identity owners, customers and their
//! open conversations, in as few round trips as possible.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) async fn load_keys<C: GenericClient>(
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
pub(super) async fn load_owners<C: GenericClient>(
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
pub(super) async fn load_state<C: GenericClient>(
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
