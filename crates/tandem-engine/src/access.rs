//! Workspaces, API keys, agents, sessions, queues and web-chat visitors: who may do what.

use tandem_domain::agent::{Role, default_capacity};
use tandem_domain::customer::parse_language;
use tandem_domain::queue::parse_queue_name;
use tandem_domain::text::bounded_text;
use tandem_domain::{
    Agent, AgentId, AgentState, ApiKeyId, DomainEvent, Identity, Queue, QueueId, QueueRouting, Skill, Slug,
    StoredEvent, ValidationError, Workspace, WorkspaceId,
};
use tandem_store::{ApiKeyRecord, ChatVisitorRecord, SessionRecord, StoreError};

use crate::{Engine, EngineError, EngineResult, auth};

/// Who is making a request, once authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An integration with an API key: full access to its workspace.
    ApiKey { workspace_id: WorkspaceId, key_id: ApiKeyId },
    /// A logged-in agent.
    Agent { workspace_id: WorkspaceId, agent_id: AgentId, role: Role },
}

impl Actor {
    pub const fn workspace_id(self) -> WorkspaceId {
        match self {
            Self::ApiKey { workspace_id, .. } | Self::Agent { workspace_id, .. } => workspace_id,
        }
    }

    /// The agent behind the request, if it is one.
    pub const fn agent_id(self) -> Option<AgentId> {
        match self {
            Self::Agent { agent_id, .. } => Some(agent_id),
            Self::ApiKey { .. } => None,
        }
    }

    /// Refuses the request unless the actor has at least `role` (API keys have all).
    pub fn require(self, role: Role) -> EngineResult<()> {
        match self {
            Self::Agent { role: have, .. } if have < role => {
                Err(EngineError::Forbidden(format!("this needs the {} role; you are {}", role.as_str(), have.as_str())))
            }
            _ => Ok(()),
        }
    }
}

/// A new agent account, as an admin enters it.
#[derive(Clone, Debug)]
pub struct NewAgent {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub skills: Vec<(String, u8)>,
    pub languages: Vec<String>,
}

/// A web-chat visitor's session, returned when a chat starts.
#[derive(Clone, Debug)]
pub struct StartedChat {
    pub workspace: Workspace,
    pub visitor_id: String,
    /// Present only when a new token was issued.
    pub token: Option<String>,
}

fn check_password(password: &str) -> Result<(), ValidationError> {
    let chars = password.chars().count();
    if (10..=128).contains(&chars) { Ok(()) } else { Err(ValidationError::new("password", "use 10 to 128 characters")) }
}

impl Engine {
    /// Creates a workspace and its first API key; returns the key's secret (shown once).
    pub async fn create_workspace(&self, slug: &str, name: &str) -> EngineResult<(Workspace, String)> {
        let workspace = Workspace {
            id: WorkspaceId::new(),
            slug: Slug::parse(slug)?,
            name: bounded_text("name", name, 120)?,
            chat_key: auth::new_token("wck_")[..28].to_owned(),
            created_at: self.now(),
        };
        self.store.create_workspace(&workspace).await?;
        let (_, secret) = self.create_api_key(workspace.id, "default").await?;
        Ok((workspace, secret))
    }

    /// Creates an API key; returns its record and secret (the secret is not stored).
    pub async fn create_api_key(&self, workspace_id: WorkspaceId, name: &str) -> EngineResult<(ApiKeyRecord, String)> {
        let secret = auth::new_token("tdm_");
        let record = ApiKeyRecord {
            id: ApiKeyId::new(),
            workspace_id,
            name: bounded_text("name", name, 80)?,
            key_hash: auth::token_hash(&secret),
            prefix: secret[..12].to_owned(),
            created_at: self.now(),
            revoked_at: None,
        };
        self.store.create_api_key(&record).await?;
        Ok((record, secret))
    }

    /// The actor behind an API key secret.
    pub async fn authenticate_api_key(&self, secret: &str) -> EngineResult<Actor> {
        match self.store.api_key_by_hash(&auth::token_hash(secret)).await {
            Ok(key) => Ok(Actor::ApiKey { workspace_id: key.workspace_id, key_id: key.id }),
            Err(StoreError::NotFound(_)) => Err(EngineError::Unauthorized("the API key is not valid".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// The actor behind a session cookie token, with the session's CSRF token.
    pub async fn authenticate_session(&self, token: &str) -> EngineResult<(Actor, String)> {
        match self.store.session_by_hash(&auth::token_hash(token), self.now()).await {
            Ok(s) => {
                Ok((Actor::Agent { workspace_id: s.workspace_id, agent_id: s.agent_id, role: s.role }, s.csrf_token))
            }
            Err(StoreError::NotFound(_)) => {
                Err(EngineError::Unauthorized("the session has expired; log in again".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Creates an agent account.
    pub async fn create_agent(&self, workspace_id: WorkspaceId, new: NewAgent) -> EngineResult<Agent> {
        let email = Identity::email(&new.email).map_err(|e| ValidationError::new("email", e.message))?.value;
        check_password(&new.password)?;
        let skills =
            new.skills.iter().map(|(name, level)| Skill::parse(name, *level)).collect::<Result<Vec<_>, _>>()?;
        let languages = new.languages.iter().map(|l| parse_language(l)).collect::<Result<Vec<_>, _>>()?;
        let agent = Agent {
            id: AgentId::new(),
            workspace_id,
            email,
            display_name: bounded_text("display_name", &new.display_name, 80)?,
            role: new.role,
            skills,
            languages,
            capacity: default_capacity(),
            state: AgentState::Offline,
            created_at: self.now(),
        };
        let password_hash = auth::hash_password(&new.password)?;
        let event = StoredEvent::for_workspace(
            workspace_id,
            DomainEvent::AgentCreated { agent_id: agent.id },
            agent.created_at,
        );
        let events = self.store.create_agent(&agent, &password_hash, vec![event]).await?;
        self.publish(&events).await;
        self.sync_agent(&agent).await;
        Ok(agent)
    }

    /// Checks an agent's password and opens a session; returns it with the cookie token.
    pub async fn login(
        &self,
        workspace_slug: &str,
        email: &str,
        password: &str,
    ) -> EngineResult<(SessionRecord, Agent, String)> {
        let refused = || EngineError::Unauthorized("wrong workspace, email or password".into());
        let workspace = match self.store.workspace_by_slug(workspace_slug.trim()).await {
            Ok(ws) => Some(ws),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let credentials = match &workspace {
            Some(ws) => match self.store.agent_credentials(ws.id, email).await {
                Ok(found) => Some(found),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let password = password.to_owned();
        let hash = credentials.as_ref().map_or_else(|| auth::dummy_hash().to_owned(), |(_, h)| h.clone());
        // argon2 is deliberately slow: keep it off the async workers.
        let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let (agent, _) = credentials.filter(|_| matches).ok_or_else(refused)?;
        let token = auth::new_token("tds_");
        let now = self.now();
        let session = SessionRecord {
            token_hash: auth::token_hash(&token),
            workspace_id: agent.workspace_id,
            agent_id: agent.id,
            role: agent.role,
            csrf_token: auth::new_token(""),
            created_at: now,
            expires_at: now + self.config.session_ttl,
        };
        self.store.create_session(&session).await?;
        Ok((session, agent, token))
    }

    pub async fn logout(&self, token: &str) -> EngineResult<()> {
        Ok(self.store.delete_session(&auth::token_hash(token)).await?)
    }

    /// Sets an agent's presence. Agents set their own; supervisors anyone's.
    pub async fn set_agent_state(&self, actor: Actor, agent_id: AgentId, state: AgentState) -> EngineResult<Agent> {
        if actor.agent_id() != Some(agent_id) {
            actor.require(Role::Supervisor)?;
        }
        let (agent, events) = self.store.set_agent_state(actor.workspace_id(), agent_id, state, self.now()).await?;
        self.publish(&events).await;
        self.sync_agent(&agent).await;
        Ok(agent)
    }

    pub async fn create_queue(&self, workspace_id: WorkspaceId, name: &str) -> EngineResult<Queue> {
        self.create_routed_queue(workspace_id, name, QueueRouting::default()).await
    }

    /// Creates a queue with routing settings.
    pub async fn create_routed_queue(
        &self,
        workspace_id: WorkspaceId,
        name: &str,
        routing: QueueRouting,
    ) -> EngineResult<Queue> {
        routing.validate()?;
        let queue = Queue {
            id: QueueId::new(),
            workspace_id,
            name: parse_queue_name(name)?,
            routing: normalised_routing(routing)?,
            created_at: self.now(),
        };
        let event = StoredEvent::for_workspace(
            workspace_id,
            DomainEvent::QueueCreated { queue_id: queue.id },
            queue.created_at,
        );
        let events = self.store.create_queue(&queue, vec![event]).await?;
        self.publish(&events).await;
        self.sync_queue(&queue).await;
        Ok(queue)
    }

    /// Renames a queue or changes its routing (admins).
    pub async fn update_queue(
        &self,
        actor: Actor,
        id: QueueId,
        name: Option<&str>,
        routing: Option<QueueRouting>,
    ) -> EngineResult<Queue> {
        actor.require(Role::Admin)?;
        let mut queue = self.store.queue(actor.workspace_id(), id).await?;
        if let Some(name) = name {
            queue.name = parse_queue_name(name)?;
        }
        if let Some(routing) = routing {
            routing.validate()?;
            queue.routing = normalised_routing(routing)?;
        }
        let event =
            StoredEvent::for_workspace(queue.workspace_id, DomainEvent::QueueUpdated { queue_id: id }, self.now());
        let events = self.store.update_queue(&queue, vec![event]).await?;
        self.publish(&events).await;
        self.sync_queue(&queue).await;
        Ok(queue)
    }

    /// Starts (or resumes, with a valid `token`) a web-chat visitor session for the
    /// workspace whose widget presents `chat_key`.
    pub async fn start_chat(&self, chat_key: &str, token: Option<&str>) -> EngineResult<StartedChat> {
        let workspace = self.store.workspace_by_chat_key(chat_key).await.map_err(|e| match e {
            StoreError::NotFound(_) => EngineError::NotFound("chat widget key"),
            other => other.into(),
        })?;
        if let Some(token) = token
            && let Ok(visitor) = self.store.chat_visitor_by_hash(&auth::token_hash(token)).await
            && visitor.workspace_id == workspace.id
        {
            return Ok(StartedChat { workspace, visitor_id: visitor.visitor_id, token: None });
        }
        let token = auth::new_token("tcv_");
        let visitor_id = format!("v_{}", &auth::new_token("")[..24]);
        let record = ChatVisitorRecord {
            token_hash: auth::token_hash(&token),
            workspace_id: workspace.id,
            visitor_id: visitor_id.clone(),
            created_at: self.now(),
        };
        self.store.create_chat_visitor(&record).await?;
        Ok(StartedChat { workspace, visitor_id, token: Some(token) })
    }

    /// The visitor behind a web-chat token.
    pub async fn chat_visitor(&self, token: &str) -> EngineResult<ChatVisitorRecord> {
        self.store.chat_visitor_by_hash(&auth::token_hash(token)).await.map_err(|e| match e {
            StoreError::NotFound(_) => {
                EngineError::Unauthorized("the chat token is not valid; start a new chat".into())
            }
            other => other.into(),
        })
    }
}

/// Skills checked and lowercased, languages lowercased.
fn normalised_routing(mut routing: QueueRouting) -> EngineResult<QueueRouting> {
    routing.required_skills = routing
        .required_skills
        .iter()
        .map(|s| tandem_domain::Skill::parse(&s.name, s.level))
        .collect::<Result<_, _>>()?;
    routing.language = routing.language.map(|l| l.to_lowercase());
    Ok(routing)
}
