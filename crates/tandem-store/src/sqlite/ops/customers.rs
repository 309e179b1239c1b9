//! Customers, identities, merges and timelines.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::sqlite) fn customer(
    conn: &Connection,
    ws: WorkspaceId,
    customer_id: CustomerId,
) -> StoreResult<Customer> {
    let sql = format!("SELECT {} FROM customers WHERE id = ?1 AND workspace_id = ?2", rows::CUSTOMER_COLUMNS);
    let mut customer = found(one(conn, &sql, [id(customer_id), id(ws)], rows::customer)?, "customer")?;
    customer.identities = many(
        conn,
        "SELECT kind, value FROM customer_identities WHERE customer_id = ?1 ORDER BY created_at, kind, value",
        [id(customer_id)],
        rows::identity,
    )?;
    Ok(customer)
}

pub(in crate::sqlite) fn identity_owner(
    conn: &Connection,
    ws: WorkspaceId,
    identity: &Identity,
) -> StoreResult<Option<CustomerId>> {
    one(
        conn,
        "SELECT customer_id FROM customer_identities WHERE workspace_id = ?1 AND kind = ?2 AND value = ?3",
        params![id(ws), identity.kind.as_str(), identity.value],
        |row| rows::uuid(row, 0).map(CustomerId::from_uuid),
    )
}

pub(in crate::sqlite) fn insert_customer(conn: &Connection, c: &Customer) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO customers (id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id(c.id),
            id(c.workspace_id),
            c.display_name,
            c.tier.as_str(),
            c.preferred_language,
            to_json(&c.attributes)?,
            c.merged_into.map(id),
            micros(c.created_at),
            micros(c.updated_at)
        ],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn write_customer_fields(
    conn: &Connection,
    c: &Customer,
    expected_updated_at: Timestamp,
) -> StoreResult<()> {
    let changed = exec(
        conn,
        "UPDATE customers SET display_name = ?1, tier = ?2, preferred_language = ?3, attributes = ?4, updated_at = ?5 \
         WHERE id = ?6 AND workspace_id = ?7 AND updated_at = ?8 AND merged_into IS NULL",
        params![
            c.display_name,
            c.tier.as_str(),
            c.preferred_language,
            to_json(&c.attributes)?,
            micros(c.updated_at),
            id(c.id),
            id(c.workspace_id),
            micros(expected_updated_at)
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("the customer changed meanwhile; reload and retry".into()))
    }
}

pub(in crate::sqlite) fn insert_identity(
    conn: &Connection,
    ws: WorkspaceId,
    customer: CustomerId,
    identity: &Identity,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO customer_identities (workspace_id, kind, value, customer_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id(ws), identity.kind.as_str(), identity.value, id(customer), micros(now)],
    )
    .map_err(|e| taken(e, &format!("{identity} belongs to another customer; merge the customers instead")))?;
    Ok(())
}

pub(in crate::sqlite) fn update_customer(conn: &Connection, change: CustomerChange) -> StoreResult<Vec<StoredEvent>> {
    write_customer_fields(conn, &change.customer, change.expected_updated_at)?;
    insert_events(conn, change.events)
}

pub(in crate::sqlite) fn link_identity(
    conn: &Connection,
    ws: WorkspaceId,
    customer_id: CustomerId,
    identity: &Identity,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    let customer = customer(conn, ws, customer_id)?;
    if customer.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "this customer was merged into another one; link the identity to that one".into(),
        ));
    }
    match identity_owner(conn, ws, identity)? {
        Some(owner) if owner == customer_id => return Ok(Vec::new()),
        Some(_) => {
            return Err(StoreError::Conflict(format!(
                "{identity} belongs to another customer; merge the customers instead"
            )));
        }
        None => {}
    }
    insert_identity(conn, ws, customer_id, identity, now)?;
    let event = DomainEvent::IdentityLinked { customer_id, identity: identity.clone() };
    insert_events(conn, vec![StoredEvent::for_customer(ws, customer_id, event, now)])
}

pub(in crate::sqlite) fn merge_customers(
    conn: &Connection,
    ws: WorkspaceId,
    target_id: CustomerId,
    source_id: CustomerId,
    now: Timestamp,
) -> StoreResult<Vec<StoredEvent>> {
    if target_id == source_id {
        return Err(StoreError::Invalid("a customer cannot be merged into itself".into()));
    }
    let mut target = customer(conn, ws, target_id)?;
    let source = customer(conn, ws, source_id)?;
    if target.merged_into.is_some() || source.merged_into.is_some() {
        return Err(StoreError::Invalid(
            "one of the customers was already merged; use the customer it was merged into".into(),
        ));
    }
    let conversations_moved = exec(
        conn,
        "UPDATE conversations SET customer_id = ?1, version = version + 1, updated_at = ?2 WHERE customer_id = ?3 AND workspace_id = ?4",
        params![id(target_id), micros(now), id(source_id), id(ws)],
    )?;
    exec(
        conn,
        "UPDATE messages SET author_id = ?1 WHERE author_kind = 'customer' AND author_id = ?2 AND workspace_id = ?3",
        params![id(target_id), id(source_id), id(ws)],
    )?;
    let identities_moved = exec(
        conn,
        "UPDATE customer_identities SET customer_id = ?1 WHERE customer_id = ?2 AND workspace_id = ?3",
        params![id(target_id), id(source_id), id(ws)],
    )?;
    let expected = target.updated_at;
    absorb_profile(&mut target, &source, now);
    write_customer_fields(conn, &target, expected)?;
    exec(
        conn,
        "UPDATE customers SET merged_into = ?1, updated_at = ?2 WHERE id = ?3",
        params![id(target_id), micros(now), id(source_id)],
    )?;
    let merged = DomainEvent::CustomersMerged {
        target: target_id,
        source: source_id,
        conversations_moved: conversations_moved as u64,
        identities_moved: identities_moved as u64,
    };
    insert_events(conn, vec![StoredEvent::for_customer(ws, target_id, merged, now)])
}

pub(in crate::sqlite) fn timeline(
    conn: &Connection,
    ws: WorkspaceId,
    customer_id: CustomerId,
) -> StoreResult<Timeline> {
    customer(conn, ws, customer_id)?;
    let sql = format!(
        "SELECT {} FROM conversations WHERE customer_id = ?1 AND workspace_id = ?2 ORDER BY created_at, id",
        rows::CONVERSATION_COLUMNS
    );
    let conversations = many(conn, &sql, [id(customer_id), id(ws)], rows::conversation)?;
    let sql = format!(
        "SELECT {} FROM messages WHERE workspace_id = ?2 AND conversation_id IN \
         (SELECT id FROM conversations WHERE customer_id = ?1 AND workspace_id = ?2) ORDER BY created_at, id",
        rows::MESSAGE_COLUMNS
    );
    let messages = many(conn, &sql, [id(customer_id), id(ws)], rows::message)?;
    Ok(Timeline { conversations, messages })
}

/// A new customer and its identities (`Store::create_customer`).
pub(in crate::sqlite) fn create_customer(
    conn: &Connection,
    c: &Customer,
    events: Vec<StoredEvent>,
) -> StoreResult<Vec<StoredEvent>> {
    for identity in &c.identities {
        if identity_owner(conn, c.workspace_id, identity)?.is_some() {
            return Err(StoreError::Conflict(format!("{identity} belongs to another customer")));
        }
    }
    insert_customer(conn, c)?;
    for identity in &c.identities {
        insert_identity(conn, c.workspace_id, c.id, identity, c.created_at)?;
    }
    insert_events(conn, events)
}
