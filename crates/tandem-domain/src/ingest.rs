//! The inbound pipeline's decision, as a pure function: given an inbound message, the
//! customer its identities resolve to (if any) and that customer's open conversation
//! (if any), decide what to create and change. Stores run this inside their write
//! transaction, so the decision and the writes are atomic.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::understanding::LanguageMark;
use crate::{
    Attachment, Author, Body, Channel, Command, Conversation, Customer, DomainEvent, Identity, Message, MessageId,
    MessageKind, Owner, StoredEvent, Timestamp, Understanding, ValidationError, WorkspaceId,
};

/// A client-chosen key that makes ingest retries safe, with a fingerprint of the request
/// it was first used for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idempotency {
    pub key: String,
    /// A hash of the request; reusing a key for a different request is refused.
    pub fingerprint: String,
}

impl Idempotency {
    pub fn parse_key(raw: &str) -> Result<String, ValidationError> {
        let key = raw.trim();
        if (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(key.to_owned())
        } else {
            Err(ValidationError::new("idempotency_key", "use 1 to 200 printable ASCII characters without spaces"))
        }
    }
}

/// A validated inbound message from any channel.
#[derive(Clone, Debug, PartialEq)]
pub struct InboundMessage {
    pub workspace_id: WorkspaceId,
    pub channel: Channel,
    /// Non-empty, without duplicates, in resolution-priority order.
    pub identities: Vec<Identity>,
    pub display_name: Option<String>,
    pub body: Body,
    pub subject: Option<String>,
    pub language: Option<String>,
    pub attachments: Vec<Attachment>,
    pub external_id: Option<String>,
    pub idempotency: Option<Idempotency>,
    /// What message understanding found, computed before the write.
    pub understanding: Option<Understanding>,
}

impl InboundMessage {
    /// Sorts identities into resolution order and removes duplicates; refuses an
    /// empty list.
    pub fn normalize_identities(mut identities: Vec<Identity>) -> Result<Vec<Identity>, ValidationError> {
        identities.sort();
        identities.dedup();
        if identities.is_empty() {
            return Err(ValidationError::new(
                "from",
                "give at least one of email, phone, visitor_id or external_id so the customer can be found",
            ));
        }
        Ok(identities)
    }
}

/// How inbound messages join conversations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContinuityPolicy {
    /// A message joins the customer's open conversation if that conversation saw a
    /// message within this window; otherwise a new conversation starts.
    pub window: Duration,
    /// Who owns a new conversation.
    pub new_conversation_owner: Owner,
    /// Below this confidence a detected language is not trusted; the conversation's or
    /// the customer's known language is used instead.
    pub language_confidence: f32,
}

impl Default for ContinuityPolicy {
    fn default() -> Self {
        Self { window: Duration::days(7), new_conversation_owner: Owner::Bot, language_confidence: 0.6 }
    }
}

/// The language to record for a message: what the client said, else a confident
/// detection, else the conversation's language, else the customer's, else the
/// unconfident detection.
pub fn choose_language(
    declared: Option<&str>,
    detected: Option<&LanguageMark>,
    conversation: Option<&str>,
    customer: Option<&str>,
    min_confidence: f32,
) -> Option<String> {
    if let Some(declared) = declared {
        return Some(declared.to_owned());
    }
    match detected {
        Some(d) if d.confidence >= min_confidence => Some(d.code.clone()),
        _ => conversation.or(customer).map(str::to_owned).or_else(|| detected.map(|d| d.code.clone())),
    }
}

/// What an inbound message does to the store.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestPlan {
    pub customer: Customer,
    pub customer_is_new: bool,
    /// The existing customer's display name or language was filled in.
    pub customer_changed: bool,
    /// Identities to link to the customer (for a new customer: all of them).
    pub new_identities: Vec<Identity>,
    pub conversation: Conversation,
    pub conversation_is_new: bool,
    /// For a joined conversation, the version it had when read (optimistic check).
    pub expected_version: Option<i64>,
    /// In timeline order: a system note for a channel switch, then the inbound message.
    pub messages: Vec<Message>,
    pub events: Vec<StoredEvent>,
}

impl IngestPlan {
    /// The inbound message itself (always the last one).
    pub fn inbound(&self) -> Option<&Message> {
        self.messages.last()
    }
}

/// Decides what `msg` creates and changes.
///
/// * `customer` is the customer the message's identities resolved to, if any;
/// * `taken` are identities of the message that belong to *other* customers (they are
///   not re-linked: merging is an explicit decision);
/// * `open` is that customer's most recent open conversation, if any.
pub fn plan_ingest(
    msg: &InboundMessage,
    customer: Option<&Customer>,
    taken: &[Identity],
    open: Option<&Conversation>,
    policy: &ContinuityPolicy,
    now: Timestamp,
) -> IngestPlan {
    let ws = msg.workspace_id;
    let mut events = Vec::new();
    let (mut customer, customer_is_new, new_identities) = match customer {
        Some(existing) => {
            let new: Vec<Identity> = msg
                .identities
                .iter()
                .filter(|i| !existing.identities.contains(i) && !taken.contains(i))
                .cloned()
                .collect();
            let mut customer = existing.clone();
            customer.identities.extend(new.iter().cloned());
            (customer, false, new)
        }
        None => {
            let identities: Vec<Identity> = msg.identities.iter().filter(|i| !taken.contains(i)).cloned().collect();
            let customer = Customer::new(ws, identities.clone(), msg.display_name.clone(), now);
            (customer, true, identities)
        }
    };
    if customer_is_new {
        events.push(StoredEvent::for_customer(
            ws,
            customer.id,
            DomainEvent::CustomerCreated { customer_id: customer.id },
            now,
        ));
    } else {
        for identity in &new_identities {
            let linked = DomainEvent::IdentityLinked { customer_id: customer.id, identity: identity.clone() };
            events.push(StoredEvent::for_customer(ws, customer.id, linked, now));
        }
    }
    let detected = msg.understanding.as_ref().and_then(|u| u.language.as_ref());
    let trusted = msg
        .language
        .clone()
        .or_else(|| detected.filter(|d| d.confidence >= policy.language_confidence).map(|d| d.code.clone()));
    let language = choose_language(
        msg.language.as_deref(),
        detected,
        open.and_then(|c| c.language.as_deref()),
        customer.preferred_language.as_deref(),
        policy.language_confidence,
    );
    let mut customer_changed = false;
    if !customer_is_new {
        if customer.display_name.is_none() && msg.display_name.is_some() {
            customer.display_name.clone_from(&msg.display_name);
            customer_changed = true;
        }
        if customer.preferred_language.is_none() && trusted.is_some() {
            customer.preferred_language.clone_from(&trusted);
            customer_changed = true;
        }
        if customer_changed {
            customer.updated_at = now;
            let updated = DomainEvent::CustomerUpdated { customer_id: customer.id };
            events.push(StoredEvent::for_customer(ws, customer.id, updated, now));
        }
    } else if trusted.is_some() {
        customer.preferred_language.clone_from(&trusted);
    }

    let mut messages = Vec::with_capacity(2);
    let joinable =
        open.filter(|c| c.status.is_open() && c.customer_id == customer.id && c.last_message_at + policy.window >= now);
    let joined = joinable.and_then(|c| {
        c.apply(&Command::CustomerMessaged { channel: msg.channel }, now).ok().map(|t| (c.version, c.channel, t))
    });
    let (mut conversation, conversation_is_new, expected_version) = match joined {
        Some((version, previous_channel, transition)) => {
            let conversation = transition.conversation;
            for event in transition.events {
                if let DomainEvent::ChannelSwitched { from, to, .. } = &event {
                    let note = format!("Customer continued on {} (was {})", channel_label(*to), channel_label(*from));
                    messages.push(Message::system(ws, conversation.id, msg.channel, note, now));
                }
                events.push(StoredEvent::for_conversation(&conversation, event, now));
            }
            debug_assert!(previous_channel == msg.channel || !messages.is_empty());
            (conversation, false, Some(version))
        }
        None => {
            let mut conversation = Conversation::new(ws, customer.id, msg.channel, policy.new_conversation_owner, now);
            conversation.subject.clone_from(&msg.subject);
            conversation.language.clone_from(&language);
            let created = DomainEvent::ConversationCreated {
                conversation_id: conversation.id,
                customer_id: customer.id,
                channel: msg.channel,
                owner: conversation.owner,
            };
            events.push(StoredEvent::for_conversation(&conversation, created, now));
            (conversation, true, None)
        }
    };
    if conversation.language.is_none() {
        conversation.language.clone_from(&trusted);
    }
    if let Some(understanding) = &msg.understanding
        && let Some(sentiment) = understanding.sentiment
    {
        conversation.sentiment.update(sentiment.score, &understanding.signals);
    }
    messages.push(Message {
        id: MessageId::new(),
        workspace_id: ws,
        conversation_id: conversation.id,
        kind: MessageKind::Inbound,
        author: Author::Customer(customer.id),
        body: msg.body.clone(),
        language,
        channel: msg.channel,
        attachments: msg.attachments.clone(),
        external_id: msg.external_id.clone(),
        understanding: msg.understanding.clone(),
        created_at: now,
    });
    for message in &messages {
        let created = DomainEvent::MessageCreated {
            message_id: message.id,
            conversation_id: conversation.id,
            kind: message.kind,
            author: message.author,
            channel: message.channel,
        };
        events.push(StoredEvent::for_conversation(&conversation, created, now));
    }
    IngestPlan {
        customer,
        customer_is_new,
        customer_changed,
        new_identities,
        conversation,
        conversation_is_new,
        expected_version,
        messages,
        events,
    }
}

/// A human label for a channel in timeline notes.
pub const fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::WebChat => "web chat",
        Channel::Email => "email",
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
        Channel::Voice => "voice",
        Channel::Api => "API",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConversationStatus, time};

    fn inbound(channel: Channel, identities: Vec<Identity>) -> InboundMessage {
        InboundMessage {
            workspace_id: WorkspaceId::new(),
            channel,
            identities: InboundMessage::normalize_identities(identities).unwrap(),
            display_name: Some("Ann".into()),
            body: Body::parse("Where is my order?").unwrap(),
            subject: None,
            language: Some("en".into()),
            attachments: vec![],
            external_id: None,
            idempotency: None,
            understanding: None,
        }
    }

    #[test]
    fn a_stranger_becomes_a_customer_with_a_new_conversation() {
        let msg = inbound(Channel::Email, vec![Identity::email("ann@example.com").unwrap()]);
        let plan = plan_ingest(&msg, None, &[], None, &ContinuityPolicy::default(), time::now());
        assert!(plan.customer_is_new && plan.conversation_is_new);
        assert_eq!(plan.customer.identities, msg.identities);
        assert_eq!(plan.conversation.status, ConversationStatus::Bot);
        assert_eq!(plan.messages.len(), 1);
        let kinds: Vec<_> = plan.events.iter().map(|e| e.event.kind()).collect();
        assert_eq!(kinds, ["customer_created", "conversation_created", "message_created"]);
    }

    #[test]
    fn a_known_customer_on_another_channel_joins_the_open_conversation() {
        let now = time::now();
        let first = inbound(Channel::WebChat, vec![Identity::email("ann@example.com").unwrap()]);
        let plan = plan_ingest(&first, None, &[], None, &ContinuityPolicy::default(), now);
        let second = inbound(
            Channel::Sms,
            vec![Identity::email("ann@example.com").unwrap(), Identity::phone("+15550100200").unwrap()],
        );
        let later = now + Duration::minutes(5);
        let next = plan_ingest(
            &second,
            Some(&plan.customer),
            &[],
            Some(&plan.conversation),
            &ContinuityPolicy::default(),
            later,
        );
        assert!(!next.conversation_is_new);
        assert_eq!(next.conversation.id, plan.conversation.id);
        assert_eq!(next.expected_version, Some(plan.conversation.version));
        assert_eq!(next.new_identities, vec![Identity::phone("+15550100200").unwrap()]);
        assert_eq!(next.messages.len(), 2, "a system note records the channel switch");
        assert_eq!(next.messages[0].kind, MessageKind::System);
        assert!(next.messages[0].body.as_str().contains("SMS"));
        assert_eq!(next.conversation.channel, Channel::Sms);
        assert_eq!(next.conversation.last_message_at, later);
    }

    #[test]
    fn outside_the_window_a_new_conversation_starts() {
        let now = time::now();
        let msg = inbound(Channel::Email, vec![Identity::email("ann@example.com").unwrap()]);
        let plan = plan_ingest(&msg, None, &[], None, &ContinuityPolicy::default(), now);
        let policy = ContinuityPolicy { window: Duration::hours(1), ..ContinuityPolicy::default() };
        let later = now + Duration::hours(2);
        let next = plan_ingest(&msg, Some(&plan.customer), &[], Some(&plan.conversation), &policy, later);
        assert!(next.conversation_is_new);
        assert_ne!(next.conversation.id, plan.conversation.id);
    }

    #[test]
    fn identities_of_other_customers_are_not_stolen() {
        let email = Identity::email("ann@example.com").unwrap();
        let phone = Identity::phone("+15550100200").unwrap();
        let msg = inbound(Channel::Sms, vec![email.clone(), phone.clone()]);
        let existing = Customer::new(msg.workspace_id, vec![email], None, time::now());
        let plan = plan_ingest(&msg, Some(&existing), &[phone], None, &ContinuityPolicy::default(), time::now());
        assert!(plan.new_identities.is_empty());
        assert!(plan.customer_changed, "the display name was filled in");
    }

    #[test]
    fn understanding_sets_language_and_sentiment_with_fallbacks() {
        use crate::understanding::{FrustrationSignal, LanguageMark, SentimentMark};
        let now = time::now();
        let mut msg = inbound(Channel::WebChat, vec![Identity::email("ann@example.com").unwrap()]);
        msg.language = None;
        msg.understanding = Some(Understanding {
            language: Some(LanguageMark { code: "es".into(), confidence: 0.95 }),
            sentiment: Some(SentimentMark { polarity: crate::Polarity::Negative, score: -0.6 }),
            signals: vec![FrustrationSignal::Profanity],
            ..Understanding::default()
        });
        let plan = plan_ingest(&msg, None, &[], None, &ContinuityPolicy::default(), now);
        assert_eq!(plan.conversation.language.as_deref(), Some("es"));
        assert_eq!(plan.customer.preferred_language.as_deref(), Some("es"));
        assert_eq!(plan.inbound().unwrap().language.as_deref(), Some("es"));
        assert!(plan.conversation.sentiment.frustration.contains(&FrustrationSignal::Profanity));

        // "ok thx": an unsure guess defers to the conversation's language.
        let mut short = msg.clone();
        short.understanding = Some(Understanding {
            language: Some(LanguageMark { code: "sv".into(), confidence: 0.3 }),
            ..Understanding::default()
        });
        let next =
            plan_ingest(&short, Some(&plan.customer), &[], Some(&plan.conversation), &ContinuityPolicy::default(), now);
        assert_eq!(next.inbound().unwrap().language.as_deref(), Some("es"));
        assert_eq!(next.conversation.language.as_deref(), Some("es"));
        assert_eq!(next.conversation.sentiment.messages, 1, "no sentiment, no update");
    }

    #[test]
    fn identities_need_at_least_one() {
        assert_eq!(InboundMessage::normalize_identities(vec![]).unwrap_err().field, "from");
    }
}
