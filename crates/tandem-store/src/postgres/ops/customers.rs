//! Customers, identities, merges and timelines.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::postgres) async fn customer_locking<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: CustomerId,
    lock: bool,
) -> StoreResult<Customer> {
    let sql = format!(
        "SELECT {} FROM customers WHERE id = $1 AND workspace_id = $2{}",
        rows::CUSTOMER_COLUMNS,
        if lock { " FOR UPDATE" } else { "" }
    );
    let mut customer = found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::customer).await?, "customer")?;
    customer.identities = many(
        c,
        "SELECT kind, value FROM customer_identities WHERE customer_id = $1 ORDER BY created_at, kind, value",
        &[&id.as_uuid()],
        rows::identity,
    )
    .await?;
    Ok(customer)
}

pub(in crate::postgres) async fn customer<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: CustomerId,
) -> StoreResult<Customer> {
    customer_locking(c, ws, id, false).await
}

pub(in crate::postgres) async fn identity_owner<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    identity: &Identity,
) -> StoreResult<Option<CustomerId>> {
    one(
        c,
        "SELECT customer_id FROM customer_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3",
        &[&ws.as_uuid(), &identity.kind.as_str(), &identity.value],
        |row| get::<Uuid>(row, 0).map(CustomerId::from_uuid),
    )
    .await
}

pub(in crate::postgres) async fn insert_customer<C: GenericClient>(c: &C, cu: &Customer) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO customers (id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &cu.id.as_uuid(),
            &cu.workspace_id.as_uuid(),
            &cu.display_name,
            &cu.tier.as_str(),
            &cu.preferred_language,
            &Json(&cu.attributes),
            &cu.merged_into.map(|m| m.as_uuid()),
            &micros(cu.created_at),
            &micros(cu.updated_at),
        ],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn write_customer_fields<C: GenericClient>(
    c: &C,
    cu: &Customer,
    expected_updated_at: Timestamp,
) -> StoreResult<()> {
    let changed = exec(
        c,
        "UPDATE customers SET display_name = $1, tier = $2, preferred_language = $3, attributes = $4, updated_at = $5 \
         WHERE id = $6 AND workspace_id = $7 AND updated_at = $8 AND merged_into IS NULL",
        &[
            &cu.display_name,
            &cu.tier.as_str(),
            &cu.preferred_language,
            &Json(&cu.attributes),
            &micros(cu.updated_at),
            &cu.id.as_uuid(),
            &cu.workspace_id.as_uuid(),
            &micros(expected_updated_at),
        ],
    )
    .await?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the customer changed meanwhile; reload and retry".into()))
    }
}

pub(in crate::postgres) async fn insert_identities<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    customer: CustomerId,
    identities: &[Identity],
    now: Timestamp,
) -> StoreResult<()> {
    if identities.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = identities.iter().map(|i| i.kind.as_str()).collect();
    let values: Vec<&str> = identities.iter().map(|i| i.value.as_str()).collect();
    exec(
        c,
        "INSERT INTO customer_identities (workspace_id, kind, value, customer_id, created_at) \
         SELECT $1, k, v, $4, $5 FROM unnest($2::text[], $3::text[]) AS t(k, v)",
        &[&ws.as_uuid(), &kinds, &values, &customer.as_uuid(), &micros(now)],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn update_customer<C: GenericClient>(
    c: &C,
    change: CustomerChange,
) -> StoreResult<Vec<StoredEvent>> {
    write_customer_fields(c, &change.customer, change.expected_updated_at).await?;
    insert_events(c, change.events).await
}

pub(in crate::postgres) async fn link_identity<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    customer_id: CustomerId,
    identity: &Identity,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    let customer = customer_locking(c, ws, customer_id, true).await?;
    if customer.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "this customer was merged into another one; link the identity to that one".into(),
        ));
    }
    match identity_owner(c, ws, identity).await? {
        Some(owner) if owner == customer_id => return Ok(Vec::new()),
        Some(_) => {
            return Err(StoreError::Conflict(format!(
                "{identity} belongs to another customer; merge the customers instead"
            )));
        }
        None => {}
    }
    insert_identities(c, ws, customer_id, std::slice::from_ref(identity), now)
        .await
        .map_err(|e| taken(e, &format!("{identity} belongs to another customer; merge the customers instead")))?;
    let event = DomainEvent::IdentityLinked { customer_id, identity: identity.clone() };
    insert_events(c, vec![StoredEvent::for_customer(ws, customer_id, event, now)]).await
}

pub(in crate::postgres) async fn merge_customers<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    target_id: CustomerId,
    source_id: CustomerId,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    if target_id == source_id {
        return Err(StoreError::Invalid("a customer cannot be merged into itself".into()));
    }
    // Lock in id order so two merges of the same pair cannot deadlock.
    let (first, second) = if target_id < source_id { (target_id, source_id) } else { (source_id, target_id) };
    let a = customer_locking(c, ws, first, true).await?;
    let b = customer_locking(c, ws, second, true).await?;
    let (mut target, source) = if a.id == target_id { (a, b) } else { (b, a) };
    if target.merged_into.is_some() || source.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "one of the customers was already merged; use the customer it was merged into".into(),
        ));
    }
    let (t, s, w) = (target_id.as_uuid(), source_id.as_uuid(), ws.as_uuid());
    let conversations_moved = exec(
        c,
        "UPDATE conversations SET customer_id = $1, version = version + 1, updated_at = $2 WHERE customer_id = $3 AND workspace_id = $4",
        &[&t, &micros(now), &s, &w],
    )
    .await?;
    exec(
        c,
        "UPDATE messages SET author_id = $1 WHERE author_kind = 'customer' AND author_id = $2 AND workspace_id = $3",
        &[&t, &s, &w],
    )
    .await?;
    let identities_moved = exec(
        c,
        "UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2 AND workspace_id = $3",
        &[&t, &s, &w],
    )
    .await?;
    let expected = target.updated_at;
    absorb_profile(&mut target, &source, now);
    write_customer_fields(c, &target, expected).await?;
    exec(c, "UPDATE customers SET merged_into = $1, updated_at = $2 WHERE id = $3", &[&t, &micros(now), &s]).await?;
    let merged =
        DomainEvent::CustomersMerged { target: target_id, source: source_id, conversations_moved, identities_moved };
    insert_events(c, vec![StoredEvent::for_customer(ws, target_id, merged, now)]).await
}

pub(in crate::postgres) async fn timeline<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    customer_id: CustomerId,
) -> StoreResult<Timeline> {
    customer(c, ws, customer_id).await?;
    let sql = format!(
        "SELECT {} FROM conversations WHERE customer_id = $1 AND workspace_id = $2 ORDER BY created_at, id",
        rows::CONVERSATION_COLUMNS
    );
    let conversations = many(c, &sql, &[&customer_id.as_uuid(), &ws.as_uuid()], rows::conversation).await?;
    let sql = format!(
        "SELECT {} FROM messages WHERE workspace_id = $2 AND conversation_id IN \
         (SELECT id FROM conversations WHERE customer_id = $1 AND workspace_id = $2) ORDER BY created_at, id",
        rows::MESSAGE_COLUMNS
    );
    let messages = many(c, &sql, &[&customer_id.as_uuid(), &ws.as_uuid()], rows::message).await?;
    Ok(Timeline { conversations, messages })
}

/// A new customer and its identities (`Store::create_customer`).
pub(in crate::postgres) async fn create_customer<C: GenericClient>(
    c: &C,
    customer: &Customer,
    events: Vec<StoredEvent>,
) -> StoreResult<Vec<StoredEvent>> {
    for identity in &customer.identities {
        if identity_owner(c, customer.workspace_id, identity).await?.is_some() {
            return Err(StoreError::Conflict(format!("{identity} belongs to another customer")));
        }
    }
    insert_customer(c, customer).await?;
    insert_identities(c, customer.workspace_id, customer.id, &customer.identities, customer.created_at).await?;
    insert_events(c, events).await
}
