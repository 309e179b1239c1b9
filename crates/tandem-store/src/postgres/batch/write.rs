//! The batch's writes: one multi-row statement per table, pipelined in dependency
//! order, then the events.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A write statement waiting in the pipeline.
type Pending<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<()>> + Send + 'a>>;

/// An owned statement parameter, so a pipelined statement's future owns its arrays.
type Param<'a> = Box<dyn ToSql + Sync + Send + 'a>;

fn param<'a, T: ToSql + Sync + Send + 'a>(value: T) -> Param<'a> {
    Box::new(value)
}

const INSERT_CUSTOMERS: &str = "INSERT INTO customers (id, workspace_id, display_name, tier, preferred_language, attributes, merged_into, created_at, updated_at) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[], $8::bigint[], $9::bigint[])";

const UPDATE_CUSTOMERS: &str = "UPDATE customers c SET display_name = u.display_name, preferred_language = u.preferred_language, updated_at = u.updated_at \
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u(id, display_name, preferred_language, updated_at, expected) \
             WHERE c.id = u.id AND c.updated_at = u.expected AND c.merged_into IS NULL";

const INSERT_IDENTITIES: &str = "INSERT INTO customer_identities (workspace_id, kind, value, customer_id, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bigint[])";

const INSERT_KEYS: &str = "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, message_id, conversation_id, customer_id, customer_created, conversation_created, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::bool[], $8::bool[], $9::bigint[])";

const INSERT_CONVERSATIONS: &str = "INSERT INTO conversations (id, workspace_id, customer_id, status, owner_kind, owner_id, priority, tags, channel, \
         channel_history, subject, language, created_at, updated_at, last_message_at, resolved_at, closed_at, version, sentiment) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::smallint[], $8::jsonb[], \
         $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[], $19::jsonb[])";

const UPDATE_CONVERSATIONS: &str = "UPDATE conversations c SET status = u.status, owner_kind = u.owner_kind, owner_id = u.owner_id, priority = u.priority, \
         tags = u.tags, channel = u.channel, channel_history = u.channel_history, subject = u.subject, language = u.language, \
         updated_at = u.updated_at, last_message_at = u.last_message_at, resolved_at = u.resolved_at, closed_at = u.closed_at, \
         version = u.version, sentiment = u.sentiment \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::smallint[], $6::jsonb[], $7::text[], $8::jsonb[], \
         $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::jsonb[]) \
         AS u(id, status, owner_kind, owner_id, priority, tags, channel, channel_history, subject, language, updated_at, \
         last_message_at, resolved_at, closed_at, version, expected, sentiment) \
         WHERE c.id = u.id AND c.version = u.expected";

const INSERT_MESSAGES: &str = "INSERT INTO messages (id, workspace_id, conversation_id, kind, author_kind, author_id, body, language, channel, attachments, external_id, created_at, understanding) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], \
         $9::text[], $10::jsonb[], $11::text[], $12::bigint[], $13::jsonb[])";

/// Every statement the write phase may run.
const WRITE_STATEMENTS: [&str; 7] = [
    INSERT_CUSTOMERS,
    UPDATE_CUSTOMERS,
    INSERT_IDENTITIES,
    INSERT_CONVERSATIONS,
    UPDATE_CONVERSATIONS,
    INSERT_MESSAGES,
    INSERT_KEYS,
];

/// Writes the batch's changes: one statement per table, pipelined, then the events.
pub(super) async fn write<C: GenericClient>(
    c: &C,
    state: &State,
    writes: &Writes,
    events: Vec<StoredEvent>,
) -> StoreResult<Vec<StoredEvent>> {
    // Prepare every statement first (a no-op once the connection has them cached), so
    // the pipelined executions below are sent strictly in order: parents before the
    // rows that reference them.
    for sql in WRITE_STATEMENTS {
        c.prepare_cached(sql).await.map_err(db_error)?;
    }
    let mut pipeline: Vec<Pending<'_>> = Vec::new();
    let customer =
        |id: &CustomerId| state.customers.get(id).ok_or_else(|| StoreError::Other("planned customer missing".into()));
    if !writes.new_customers.is_empty() {
        let rows = writes.new_customers.iter().map(customer).collect::<StoreResult<Vec<_>>>()?;
        pipeline.push(Box::pin(exec(
            c,
            INSERT_CUSTOMERS,
            vec![
                param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.workspace_id.as_uuid()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.display_name.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.tier.as_str()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.preferred_language.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| Json(&r.attributes)).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.merged_into.map(|m| m.as_uuid())).collect::<Vec<_>>()),
                param(rows.iter().map(|r| time::to_micros(r.created_at)).collect::<Vec<_>>()),
                param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
            ],
            rows.len(),
        )));
    }
    if !writes.changed_customers.is_empty() {
        let rows = writes.changed_customers.iter().map(customer).collect::<StoreResult<Vec<_>>>()?;
        let expected = writes
            .changed_customers
            .iter()
            .map(|id| {
                state
                    .loaded_updated_at
                    .get(id)
                    .map(|t| time::to_micros(*t))
                    .ok_or_else(|| corrupt("batch", "customer version"))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        pipeline.push(Box::pin(exec(
            c,
            UPDATE_CUSTOMERS,
            vec![
                param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.display_name.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| r.preferred_language.as_deref()).collect::<Vec<_>>()),
                param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
                param(expected),
            ],
            rows.len(),
        )));
    }
    if !writes.identities.is_empty() {
        let ids = &writes.identities;
        pipeline.push(Box::pin(exec(
            c,
            INSERT_IDENTITIES,
            vec![
                param(ids.iter().map(|(w, ..)| w.as_uuid()).collect::<Vec<_>>()),
                param(ids.iter().map(|(_, i, ..)| i.kind.as_str()).collect::<Vec<_>>()),
                param(ids.iter().map(|(_, i, ..)| i.value.as_str()).collect::<Vec<_>>()),
                param(ids.iter().map(|(_, _, c, _)| c.as_uuid()).collect::<Vec<_>>()),
                param(ids.iter().map(|(.., at)| time::to_micros(*at)).collect::<Vec<_>>()),
            ],
            ids.len(),
        )));
    }
    let (new, changed): (Vec<_>, Vec<_>) = writes
        .conversations
        .iter()
        .filter_map(|id| writes.final_conversations.get(id))
        .partition(|c| writes.new_conversations.contains(&c.id));
    if !new.is_empty() {
        pipeline.push(Box::pin(insert_conversations(c, new)));
    }
    if !changed.is_empty() {
        let expected = changed
            .iter()
            .map(|cv| state.loaded_version.get(&cv.id).copied().ok_or_else(|| corrupt("batch", "conversation version")))
            .collect::<StoreResult<Vec<_>>>()?;
        pipeline.push(Box::pin(update_conversations(c, changed, expected)));
    }
    pipeline.push(Box::pin(insert_messages(c, &writes.messages)));
    if !writes.idempotency.is_empty() {
        let k = &writes.idempotency;
        pipeline.push(Box::pin(exec(
            c,
            INSERT_KEYS,
            vec![
                param(k.iter().map(|r| r.workspace_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.key.as_str()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.fingerprint.as_str()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.message_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.conversation_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.customer_id.as_uuid()).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.customer_created).collect::<Vec<_>>()),
                param(k.iter().map(|r| r.conversation_created).collect::<Vec<_>>()),
                param(k.iter().map(|r| time::to_micros(r.at)).collect::<Vec<_>>()),
            ],
            k.len(),
        )));
    }
    let (_, stored) =
        futures_util::future::try_join(futures_util::future::try_join_all(pipeline), ops::insert_events(c, events))
            .await?;
    Ok(stored)
}

/// Runs a multi-row statement and checks it touched `expected` rows (an UPDATE that
/// matched fewer lost a race: `Conflict`, and the batch is retried).
async fn exec<C: GenericClient>(c: &C, sql: &str, params: Vec<Param<'_>>, expected: usize) -> StoreResult<()> {
    let stmt = c.prepare_cached(sql).await.map_err(db_error)?;
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
    let touched = c.execute(&stmt, &refs).await.map_err(db_error)?;
    if touched as usize == expected {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!("a concurrent change: {touched} of {expected} rows matched")))
    }
}

async fn insert_conversations<C: GenericClient>(c: &C, rows: Vec<&Conversation>) -> StoreResult<()> {
    let owners: Vec<_> = rows.iter().map(|r| owner_columns(r.owner)).collect();
    exec(
        c,
        INSERT_CONVERSATIONS,
        vec![
            param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.workspace_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.customer_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>()),
            param(owners.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
            param(owners.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
            param(rows.iter().map(|r| i16::from(r.priority.get())).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.tags)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.channel_history)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.subject.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.language.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.created_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.last_message_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.resolved_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.closed_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.version).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.sentiment)).collect::<Vec<_>>()),
        ],
        rows.len(),
    )
    .await
}

async fn update_conversations<C: GenericClient>(
    c: &C,
    rows: Vec<&Conversation>,
    expected: Vec<i64>,
) -> StoreResult<()> {
    let owners: Vec<_> = rows.iter().map(|r| owner_columns(r.owner)).collect();
    exec(
        c,
        UPDATE_CONVERSATIONS,
        vec![
            param(rows.iter().map(|r| r.id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>()),
            param(owners.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
            param(owners.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
            param(rows.iter().map(|r| i16::from(r.priority.get())).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.tags)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| Json(&r.channel_history)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.subject.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.language.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.updated_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| time::to_micros(r.last_message_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.resolved_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.closed_at.map(time::to_micros)).collect::<Vec<_>>()),
            param(rows.iter().map(|r| r.version).collect::<Vec<_>>()),
            param(expected),
            param(rows.iter().map(|r| Json(&r.sentiment)).collect::<Vec<_>>()),
        ],
        rows.len(),
    )
    .await
}

/// Inserts messages with one statement (used by the batch and by single writes).
pub(in crate::postgres) async fn insert_messages<C: GenericClient>(
    c: &C,
    rows: &[tandem_domain::Message],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let authors: Vec<_> = rows.iter().map(|m| author_columns(m.author)).collect();
    exec(
        c,
        INSERT_MESSAGES,
        vec![
            param(rows.iter().map(|m| m.id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.workspace_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.conversation_id.as_uuid()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>()),
            param(authors.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
            param(authors.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.body.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.language.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| Json(&m.attachments)).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.external_id.as_deref()).collect::<Vec<_>>()),
            param(rows.iter().map(|m| time::to_micros(m.created_at)).collect::<Vec<_>>()),
            param(rows.iter().map(|m| m.understanding.as_ref().map(Json)).collect::<Vec<_>>()),
        ],
        rows.len(),
    )
    .await
}
