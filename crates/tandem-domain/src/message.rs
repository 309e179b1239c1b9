//! Messages: what the customer, the bot, agents and the system say in a conversation.

use serde::{Deserialize, Serialize};

use crate::text::bounded_text;
use crate::{AgentId, Channel, ConversationId, CustomerId, MessageId, Timestamp, ValidationError, WorkspaceId};

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// From the customer.
    Inbound,
    /// To the customer (from an agent or the bot).
    Outbound,
    /// Internal note between agents; never shown to the customer.
    Note,
    /// A system event in the timeline (channel switch, assignment...); never shown to
    /// the customer.
    System,
}

impl MessageKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Note => "note",
            Self::System => "system",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Inbound, Self::Outbound, Self::Note, Self::System].into_iter().find(|k| k.as_str() == value)
    }

    /// Whether the customer sees messages of this kind.
    pub const fn visible_to_customer(self) -> bool {
        matches!(self, Self::Inbound | Self::Outbound)
    }
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Author {
    Customer(CustomerId),
    Bot,
    Agent(AgentId),
    System,
}

impl Author {
    pub const fn kind_str(self) -> &'static str {
        match self {
            Self::Customer(_) => "customer",
            Self::Bot => "bot",
            Self::Agent(_) => "agent",
            Self::System => "system",
        }
    }
}

/// A message body: trimmed, non-empty, at most [`Body::MAX_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Body(String);

impl Body {
    pub const MAX_CHARS: usize = 20_000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded_text("body", raw, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps text the system itself wrote (no validation needed).
    pub(crate) fn system(text: String) -> Self {
        Self(text)
    }
}

impl TryFrom<String> for Body {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Body> for String {
    fn from(body: Body) -> Self {
        body.0
    }
}

/// Metadata of an attachment. The bytes live with the channel or an object store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub url: Option<String>,
}

impl Attachment {
    pub const MAX_PER_MESSAGE: usize = 20;

    pub fn parse(name: &str, content_type: &str, size_bytes: u64, url: Option<&str>) -> Result<Self, ValidationError> {
        let name = bounded_text("attachments.name", name, 255)?;
        let content_type = content_type.trim();
        let type_ok = content_type.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
            && content_type.len() <= 127
            && content_type.bytes().all(|b| b.is_ascii_graphic());
        if !type_ok {
            return Err(ValidationError::new("attachments.content_type", "use a MIME type like `image/png`"));
        }
        let url = match url.map(str::trim) {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                Some(bounded_text("attachments.url", u, 2048)?)
            }
            Some(_) => return Err(ValidationError::new("attachments.url", "use an http:// or https:// URL")),
            None => None,
        };
        Ok(Self { name, content_type: content_type.to_owned(), size_bytes, url })
    }
}

/// A message in a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub kind: MessageKind,
    pub author: Author,
    pub body: Body,
    pub language: Option<String>,
    pub channel: Channel,
    pub attachments: Vec<Attachment>,
    /// The channel provider's id for this message (email Message-ID, SMS sid...).
    pub external_id: Option<String>,
    /// What message understanding found (inbound messages).
    #[serde(default)]
    pub understanding: Option<crate::Understanding>,
    pub created_at: Timestamp,
}

impl Message {
    /// A system note in the timeline (e.g. "Customer continued on email").
    pub fn system(
        workspace_id: WorkspaceId,
        conversation_id: ConversationId,
        channel: Channel,
        text: String,
        now: Timestamp,
    ) -> Self {
        Self {
            id: MessageId::new(),
            workspace_id,
            conversation_id,
            kind: MessageKind::System,
            author: Author::System,
            body: Body::system(text),
            language: None,
            channel,
            attachments: Vec::new(),
            external_id: None,
            understanding: None,
            created_at: now,
        }
    }
}
