//! Agents and queues.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::postgres) async fn insert_agent<C: GenericClient>(
    c: &C,
    a: &Agent,
    password_hash: &str,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO agents (id, workspace_id, email, display_name, role, skills, languages, capacity, state, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &a.id.as_uuid(),
            &a.workspace_id.as_uuid(),
            &a.email,
            &a.display_name,
            &a.role.as_str(),
            &Json(&a.skills),
            &Json(&a.languages),
            &Json(&a.capacity),
            &a.state.as_str(),
            &password_hash,
            &micros(a.created_at),
        ],
    )
    .await
    .map_err(|e| taken(e, &format!("an agent with email `{}` already exists in this workspace", a.email)))?;
    Ok(())
}

pub(in crate::postgres) async fn agent<C: GenericClient>(c: &C, ws: WorkspaceId, id: AgentId) -> StoreResult<Agent> {
    let sql = format!("SELECT {} FROM agents WHERE id = $1 AND workspace_id = $2", rows::AGENT_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::agent).await?, "agent")
}

pub(in crate::postgres) async fn agent_credentials<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    email: &str,
) -> StoreResult<(Agent, String)> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = $1 AND email = $2", rows::AGENT_COLUMNS);
    let record = one(c, &sql, &[&ws.as_uuid(), &email], |row| Ok((rows::agent(row)?, get(row, 10)?))).await?;
    found(record, "agent")
}

pub(in crate::postgres) async fn list_agents<C: GenericClient>(c: &C, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = $1 ORDER BY display_name, id", rows::AGENT_COLUMNS);
    many(c, &sql, &[&ws.as_uuid()], rows::agent).await
}

pub(in crate::postgres) async fn set_agent_state<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: AgentId,
    state: AgentState,
    now: Timestamp,
) -> StoreResult<(Agent, Vec<StoredEvent>)> {
    let sql = format!("SELECT {} FROM agents WHERE id = $1 AND workspace_id = $2 FOR UPDATE", rows::AGENT_COLUMNS);
    let mut current = found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::agent).await?, "agent")?;
    if current.state == state {
        return Ok((current, Vec::new()));
    }
    exec(c, "UPDATE agents SET state = $1 WHERE id = $2", &[&state.as_str(), &id.as_uuid()]).await?;
    let event = DomainEvent::AgentStateChanged { agent_id: id, from: current.state, to: state };
    current.state = state;
    let events = insert_events(c, vec![StoredEvent::for_workspace(ws, event, now)]).await?;
    Ok((current, events))
}

pub(in crate::postgres) async fn insert_queue<C: GenericClient>(c: &C, q: &Queue) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO queues (id, workspace_id, name, created_at, routing) VALUES ($1, $2, $3, $4, $5)",
        &[&q.id.as_uuid(), &q.workspace_id.as_uuid(), &q.name, &micros(q.created_at), &Json(&q.routing)],
    )
    .await
    .map_err(|e| taken(e, &format!("a queue named `{}` already exists in this workspace", q.name)))?;
    Ok(())
}

pub(in crate::postgres) async fn queue<C: GenericClient>(c: &C, ws: WorkspaceId, id: QueueId) -> StoreResult<Queue> {
    let sql = format!("SELECT {} FROM queues WHERE id = $1 AND workspace_id = $2", rows::QUEUE_COLUMNS);
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], rows::queue).await?, "queue")
}

pub(in crate::postgres) async fn list_queues<C: GenericClient>(c: &C, ws: WorkspaceId) -> StoreResult<Vec<Queue>> {
    let sql = format!("SELECT {} FROM queues WHERE workspace_id = $1 ORDER BY name", rows::QUEUE_COLUMNS);
    many(c, &sql, &[&ws.as_uuid()], rows::queue).await
}

pub(in crate::postgres) async fn update_queue<C: GenericClient>(c: &C, q: &Queue) -> StoreResult<()> {
    let changed = exec(
        c,
        "UPDATE queues SET name = $1, routing = $2 WHERE id = $3 AND workspace_id = $4",
        &[&q.name, &Json(&q.routing), &q.id.as_uuid(), &q.workspace_id.as_uuid()],
    )
    .await
    .map_err(|e| taken(e, &format!("a queue named `{}` already exists in this workspace", q.name)))?;
    if changed == 0 {
        return Err(StoreError::NotFound("queue"));
    }
    Ok(())
}
