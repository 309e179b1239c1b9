//! Request DTOs to domain values: parsing with the domain's rules, so invalid input
//! becomes a `validation_failed` error naming the field.

use tandem_domain::customer::parse_language;
use tandem_domain::text::bounded_text;
use tandem_domain::{Attachment, Body, Channel, Identity, InboundMessage, ValidationError, WorkspaceId};

use crate::dto::{AttachmentDto, InboundRequestDto};
use crate::error::ApiError;

/// Prefixes a validation error's field with `parent.`.
fn nested(parent: &str, mut error: ValidationError) -> ValidationError {
    error.field = format!("{parent}.{}", error.field);
    error
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded_text(field, v, max).map(Some),
    }
}

pub fn attachments(list: &[AttachmentDto]) -> Result<Vec<Attachment>, ValidationError> {
    if list.len() > Attachment::MAX_PER_MESSAGE {
        return Err(ValidationError::new(
            "attachments",
            format!("{} attachments; at most {} per message", list.len(), Attachment::MAX_PER_MESSAGE),
        ));
    }
    list.iter().map(|a| Attachment::parse(&a.name, &a.content_type, a.size_bytes, a.url.as_deref())).collect()
}

/// Builds the domain's inbound message and returns it with the idempotency key from the
/// body or the header (they must agree when both are given).
pub fn inbound(
    workspace_id: WorkspaceId,
    dto: InboundRequestDto,
    header_key: Option<&str>,
) -> Result<(InboundMessage, Option<String>), ApiError> {
    let channel: Channel = dto.channel.parse()?;
    let mut identities = Vec::new();
    if let Some(v) = &dto.from.email {
        identities.push(Identity::email(v).map_err(|e| nested("from", e))?);
    }
    if let Some(v) = &dto.from.phone {
        identities.push(Identity::phone(v).map_err(|e| nested("from", e))?);
    }
    if let Some(v) = &dto.from.visitor_id {
        identities.push(Identity::web_visitor(v).map_err(|e| nested("from", e))?);
    }
    if let Some(v) = &dto.from.external_id {
        identities.push(Identity::external(v).map_err(|e| nested("from", e))?);
    }
    let key = match (dto.idempotency_key.as_deref(), header_key) {
        (Some(body), Some(header)) if body != header => {
            return Err(ApiError::bad_request(
                "the Idempotency-Key header and the idempotency_key field differ; send one of them",
            ));
        }
        (Some(key), _) | (None, Some(key)) => Some(key.to_owned()),
        (None, None) => None,
    };
    let message = InboundMessage {
        workspace_id,
        channel,
        identities: InboundMessage::normalize_identities(identities)?,
        display_name: optional_text("from.name", dto.from.name.as_deref(), 120)?,
        body: Body::parse(&dto.body)?,
        subject: optional_text("subject", dto.subject.as_deref(), 300)?,
        language: dto.language.as_deref().map(parse_language).transpose()?,
        attachments: attachments(&dto.attachments)?,
        external_id: optional_text("external_id", dto.external_id.as_deref(), 300)?,
        idempotency: None,
        understanding: None,
    };
    Ok((message, key))
}
