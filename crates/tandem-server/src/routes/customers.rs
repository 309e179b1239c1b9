//! Customers: profile, cross-channel timeline, edits, identity links and merges.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use tandem_domain::{CustomerId, Identity, IdentityKind, Tier};
use tandem_engine::CustomerEdit;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::dto::{
    ConversationDto, CreateCustomerRequest, CustomerDto, EditCustomerRequest, IdentityDto, MergeRequest, MessageDto,
    TimelineDto,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// A customer's profile. A merged customer answers with `merged_into` set.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CustomerDto>, ApiError> {
    let customer = state.engine.store().customer(actor.workspace_id(), CustomerId::from_uuid(id)).await?;
    Ok(Json((&customer).into()))
}

/// Which identity to look a customer up by.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// `email`, `phone`, `web_visitor` or `external`.
    kind: String,
    value: String,
}

/// Find a customer by one of their identities.
#[utoipa::path(get, path = "/api/v1/customers/lookup", tag = "customers", params(LookupQuery),
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn lookup(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<LookupQuery>,
) -> Result<Json<CustomerDto>, ApiError> {
    let identity = Identity::parse(query.kind.parse::<IdentityKind>()?, &query.value)?;
    let customer = state.engine.store().customer_by_identity(actor.workspace_id(), &identity).await?;
    Ok(Json((&customer).into()))
}

/// Every conversation and message of a customer across channels, oldest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/timeline", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, body = TimelineDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn timeline(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TimelineDto>, ApiError> {
    let ws = actor.workspace_id();
    let id = CustomerId::from_uuid(id);
    let customer = state.engine.store().customer(ws, id).await?;
    let timeline = state.engine.store().timeline(ws, id).await?;
    Ok(Json(TimelineDto {
        customer: (&customer).into(),
        conversations: timeline.conversations.iter().map(ConversationDto::from).collect(),
        messages: timeline.messages.iter().map(MessageDto::from).collect(),
    }))
}

/// Create a customer (a CRM import, say) with identities and profile fields. 409 if an
/// identity already belongs to a customer; nothing is created then.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CreateCustomerRequest,
    responses((status = 201, body = CustomerDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(request): ApiJson<CreateCustomerRequest>,
) -> Result<(axum::http::StatusCode, Json<CustomerDto>), ApiError> {
    let mut identities = Vec::new();
    for (kind, value) in [
        (IdentityKind::Email, &request.email),
        (IdentityKind::Phone, &request.phone),
        (IdentityKind::WebVisitor, &request.visitor_id),
        (IdentityKind::External, &request.external_id),
    ] {
        if let Some(value) = value {
            identities.push(Identity::parse(kind, value)?);
        }
    }
    let profile = CustomerEdit {
        display_name: request.display_name,
        tier: request.tier.as_deref().map(Tier::parse).transpose()?,
        preferred_language: request.preferred_language,
        attributes: request.attributes,
    };
    let customer = state.engine.create_customer(actor, identities, profile).await?;
    Ok((axum::http::StatusCode::CREATED, Json((&customer).into())))
}

/// Edit profile fields (name, tier, language, attributes).
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = EditCustomerRequest,
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<EditCustomerRequest>,
) -> Result<Json<CustomerDto>, ApiError> {
    let edit = CustomerEdit {
        display_name: request.display_name,
        tier: request.tier.as_deref().map(Tier::parse).transpose()?,
        preferred_language: request.preferred_language,
        attributes: request.attributes,
    };
    let customer = state.engine.edit_customer(actor, CustomerId::from_uuid(id), edit).await?;
    Ok(Json((&customer).into()))
}

/// Link an identity to a customer. 409 if it belongs to another customer (merge them).
#[utoipa::path(post, path = "/api/v1/customers/{id}/identities", tag = "customers",
    params(("id" = Uuid, Path, description = "Customer id")), request_body = IdentityDto,
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn link_identity(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<IdentityDto>,
) -> Result<Json<CustomerDto>, ApiError> {
    let identity = Identity::parse(request.kind.parse::<IdentityKind>()?, &request.value)?;
    let customer = state.engine.link_identity(actor, CustomerId::from_uuid(id), identity).await?;
    Ok(Json((&customer).into()))
}

/// Merge a duplicate customer into this one (supervisors and API keys). Its
/// conversations, messages and identities move here; nothing is lost.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer that remains")), request_body = MergeRequest,
    responses((status = 200, body = CustomerDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn merge(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<MergeRequest>,
) -> Result<Json<CustomerDto>, ApiError> {
    let customer = state
        .engine
        .merge_customers(actor, CustomerId::from_uuid(id), CustomerId::from_uuid(request.source_customer_id))
        .await?;
    Ok(Json((&customer).into()))
}
