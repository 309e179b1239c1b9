//! Agents and queues.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(in crate::sqlite) fn insert_agent(conn: &Connection, a: &Agent, password_hash: &str) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO agents (id, workspace_id, email, display_name, role, skills, languages, capacity, state, password_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id(a.id),
            id(a.workspace_id),
            a.email,
            a.display_name,
            a.role.as_str(),
            to_json(&a.skills)?,
            to_json(&a.languages)?,
            to_json(&a.capacity)?,
            a.state.as_str(),
            password_hash,
            micros(a.created_at)
        ],
    )
    .map_err(|e| taken(e, &format!("an agent with email `{}` already exists in this workspace", a.email)))?;
    Ok(())
}

pub(in crate::sqlite) fn agent(conn: &Connection, ws: WorkspaceId, agent: AgentId) -> StoreResult<Agent> {
    let sql = format!("SELECT {} FROM agents WHERE id = ?1 AND workspace_id = ?2", rows::AGENT_COLUMNS);
    found(one(conn, &sql, [id(agent), id(ws)], rows::agent)?, "agent")
}

pub(in crate::sqlite) fn agent_credentials(
    conn: &Connection,
    ws: WorkspaceId,
    email: &str,
) -> StoreResult<(Agent, String)> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = ?1 AND email = ?2", rows::AGENT_COLUMNS);
    let record =
        one(conn, &sql, [id(ws), email.to_owned()], |row| Ok((rows::agent(row)?, row.get(10).map_err(db_error)?)))?;
    found(record, "agent")
}

pub(in crate::sqlite) fn list_agents(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
    let sql = format!("SELECT {} FROM agents WHERE workspace_id = ?1 ORDER BY display_name, id", rows::AGENT_COLUMNS);
    many(conn, &sql, [id(ws)], rows::agent)
}

pub(in crate::sqlite) fn set_agent_state(
    conn: &Connection,
    ws: WorkspaceId,
    agent_id: AgentId,
    state: AgentState,
    now: Timestamp,
) -> StoreResult<(Agent, Vec<StoredEvent>)> {
    let mut current = agent(conn, ws, agent_id)?;
    if current.state == state {
        return Ok((current, Vec::new()));
    }
    exec(conn, "UPDATE agents SET state = ?1 WHERE id = ?2", params![state.as_str(), id(agent_id)])?;
    let event = DomainEvent::AgentStateChanged { agent_id, from: current.state, to: state };
    current.state = state;
    let events = insert_events(conn, vec![StoredEvent::for_workspace(ws, event, now)])?;
    Ok((current, events))
}

pub(in crate::sqlite) fn insert_queue(conn: &Connection, q: &Queue) -> StoreResult<()> {
    exec(
        conn,
        "INSERT INTO queues (id, workspace_id, name, created_at, routing) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id(q.id), id(q.workspace_id), q.name, micros(q.created_at), to_json(&q.routing)?],
    )
    .map_err(|e| taken(e, &format!("a queue named `{}` already exists in this workspace", q.name)))?;
    Ok(())
}

pub(in crate::sqlite) fn queue(conn: &Connection, ws: WorkspaceId, queue: QueueId) -> StoreResult<Queue> {
    let sql = format!("SELECT {} FROM queues WHERE id = ?1 AND workspace_id = ?2", rows::QUEUE_COLUMNS);
    found(one(conn, &sql, [id(queue), id(ws)], rows::queue)?, "queue")
}

pub(in crate::sqlite) fn list_queues(conn: &Connection, ws: WorkspaceId) -> StoreResult<Vec<Queue>> {
    let sql = format!("SELECT {} FROM queues WHERE workspace_id = ?1 ORDER BY name", rows::QUEUE_COLUMNS);
    many(conn, &sql, [id(ws)], rows::queue)
}

pub(in crate::sqlite) fn update_queue(conn: &Connection, q: &Queue) -> StoreResult<()> {
    let n = exec(
        conn,
        "UPDATE queues SET name = ?1, routing = ?2 WHERE id = ?3 AND workspace_id = ?4",
        params![q.name, to_json(&q.routing)?, id(q.id), id(q.workspace_id)],
    )
    .map_err(|e| taken(e, &format!("a queue named `{}` already exists in this workspace", q.name)))?;
    if n == 0 {
        return Err(StoreError::NotFound("queue"));
    }
    Ok(())
}
