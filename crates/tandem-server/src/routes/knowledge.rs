//! Knowledge: articles and their versions, hybrid search, knowledge cards for a
//! conversation with agents' verdicts, the verdict report, knowledge gaps and re-indexing.
//! The wire shapes live here with their handlers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_domain::{
    Article, ArticleDraft, ArticleId, ArticleStatus, ArticleVersion, Audience, CardVerdict, ConversationId, Editor,
    ValidationError,
};
use tandem_engine::{ArticleEdit, ArticleInput, KnowledgeCard, Recommendations, ReindexSummary};
use tandem_knowledge::{Gap, Mode, SearchHit, SearchRequest, SearchResponse};
use tandem_store::{ArticleFilter, CardFeedbackCount};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

fn editor(e: &Editor) -> String {
    match e {
        Editor::Agent(id) => format!("agent:{id}"),
        Editor::ApiKey(id) => format!("api_key:{id}"),
        Editor::Import => "import".to_owned(),
    }
}

/// An article at its current version.
#[derive(Serialize, ToSchema)]
pub struct ArticleDto {
    pub id: Uuid,
    /// A stable key (a file path or external id); imports match on it.
    pub key: Option<String>,
    /// The original this article translates (every translation points at the original).
    pub translation_of: Option<Uuid>,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub language: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    /// `public` (the bot may quote it) or `internal` (agents only).
    pub audience: &'static str,
    /// `draft`, `published` or `archived`.
    pub status: &'static str,
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `agent:<id>`, `api_key:<id>` or `import`.
    pub updated_by: String,
}

impl From<&Article> for ArticleDto {
    fn from(a: &Article) -> Self {
        Self {
            id: a.id.as_uuid(),
            key: a.key.clone(),
            translation_of: a.translation_of.map(|t| t.as_uuid()),
            title: a.content.title.clone(),
            body: a.content.body.clone(),
            language: a.content.language.clone(),
            tags: a.content.tags.clone(),
            product: a.content.product.clone(),
            category: a.content.category.clone(),
            audience: a.content.audience.as_str(),
            status: a.content.status.as_str(),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            updated_by: editor(&a.updated_by),
        }
    }
}

/// One version of an article: what it said, who saved it and when.
#[derive(Serialize, ToSchema)]
pub struct ArticleVersionDto {
    pub version: u32,
    pub title: String,
    pub body: String,
    pub language: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub audience: &'static str,
    pub status: &'static str,
    pub edited_by: String,
    pub edited_at: DateTime<Utc>,
}

impl From<&ArticleVersion> for ArticleVersionDto {
    fn from(v: &ArticleVersion) -> Self {
        Self {
            version: v.version,
            title: v.content.title.clone(),
            body: v.content.body.clone(),
            language: v.content.language.clone(),
            tags: v.content.tags.clone(),
            product: v.content.product.clone(),
            category: v.content.category.clone(),
            audience: v.content.audience.as_str(),
            status: v.content.status.as_str(),
            edited_by: editor(&v.edited_by),
            edited_at: v.edited_at,
        }
    }
}

fn audience(field: &'static str, value: Option<&str>) -> Result<Option<Audience>, ApiError> {
    value
        .map(|v| Audience::parse(v).ok_or_else(|| ValidationError::new(field, "use public or internal").into()))
        .transpose()
}

fn status(field: &'static str, value: Option<&str>) -> Result<Option<ArticleStatus>, ApiError> {
    value
        .map(|v| {
            ArticleStatus::parse(v)
                .ok_or_else(|| ValidationError::new(field, "use draft, published or archived").into())
        })
        .transpose()
}

/// A new article.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArticleRequest {
    pub key: Option<String>,
    /// The id of the article this one translates.
    pub translation_of: Option<Uuid>,
    pub title: String,
    /// Markdown; headings split it into passages.
    pub body: String,
    /// A language tag such as `en` or `pt-br`.
    pub language: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    /// `internal` (default: agents only) or `public` (the bot may quote it).
    pub audience: Option<String>,
    /// `published` (default), `draft` or `archived`.
    pub status: Option<String>,
}

/// Create an article (supervisors). It is searchable as soon as this returns.
#[utoipa::path(post, path = "/api/v1/kb/articles", tag = "knowledge", request_body = CreateArticleRequest,
    responses((status = 201, body = ArticleDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<CreateArticleRequest>,
) -> Result<(StatusCode, Json<ArticleDto>), ApiError> {
    let input = ArticleInput {
        key: body.key,
        translation_of: body.translation_of.map(ArticleId::from_uuid),
        draft: ArticleDraft {
            title: body.title,
            body: body.body,
            language: body.language,
            tags: body.tags,
            product: body.product,
            category: body.category,
            audience: audience("audience", body.audience.as_deref())?,
            status: status("status", body.status.as_deref())?,
        },
    };
    let article = state.engine.create_article(actor, input).await?;
    Ok((StatusCode::CREATED, Json((&article).into())))
}

/// Filters for the article list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ArticlesQuery {
    language: Option<String>,
    status: Option<String>,
    audience: Option<String>,
    tag: Option<String>,
    product: Option<String>,
    /// The original and all its translations.
    translations_of: Option<Uuid>,
    /// The last id of the previous page.
    after: Option<Uuid>,
    /// 1 to 500 (default 100).
    limit: Option<u32>,
}

/// Articles in id order, filtered.
#[utoipa::path(get, path = "/api/v1/kb/articles", tag = "knowledge", params(ArticlesQuery),
    responses((status = 200, body = Vec<ArticleDto>), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<ArticlesQuery>,
) -> Result<Json<Vec<ArticleDto>>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ValidationError::new("limit", "use 1 to 500").into());
    }
    let filter = ArticleFilter {
        language: query.language,
        status: status("status", query.status.as_deref())?,
        audience: audience("audience", query.audience.as_deref())?,
        tag: query.tag,
        product: query.product,
        translation_root: query.translations_of.map(ArticleId::from_uuid),
        after: query.after.map(ArticleId::from_uuid),
        limit,
    };
    let articles = state.engine.store().list_articles(actor.workspace_id(), &filter).await?;
    Ok(Json(articles.iter().map(ArticleDto::from).collect()))
}

/// An article at its current version.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "knowledge",
    params(("id" = Uuid, Path, description = "Article id")),
    responses((status = 200, body = ArticleDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ArticleDto>, ApiError> {
    let article = state.engine.store().article(actor.workspace_id(), ArticleId::from_uuid(id)).await?;
    Ok(Json((&article).into()))
}

/// Changes to an article; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditArticleRequest {
    /// Refuse (409) unless the article is still at this version.
    pub expected_version: Option<u32>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub language: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub product: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    pub audience: Option<String>,
    pub status: Option<String>,
}

/// A field that is present (`Some`, perhaps `null`) as against absent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Edit an article (supervisors): a new version, re-indexed at once. Publishing,
/// archiving and un-archiving are edits of `status`.
#[utoipa::path(patch, path = "/api/v1/kb/articles/{id}", tag = "knowledge",
    params(("id" = Uuid, Path, description = "Article id")), request_body = EditArticleRequest,
    responses((status = 200, body = ArticleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EditArticleRequest>,
) -> Result<Json<ArticleDto>, ApiError> {
    let edit = ArticleEdit {
        expected_version: body.expected_version,
        title: body.title,
        body: body.body,
        language: body.language,
        tags: body.tags,
        product: body.product,
        category: body.category,
        audience: audience("audience", body.audience.as_deref())?,
        status: status("status", body.status.as_deref())?,
    };
    let article = state.engine.edit_article(actor, ArticleId::from_uuid(id), edit).await?;
    Ok(Json((&article).into()))
}

/// Every version of an article, oldest first.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/versions", tag = "knowledge",
    params(("id" = Uuid, Path, description = "Article id")),
    responses((status = 200, body = Vec<ArticleVersionDto>), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<ArticleVersionDto>>, ApiError> {
    let versions = state.engine.store().article_versions(actor.workspace_id(), ArticleId::from_uuid(id)).await?;
    Ok(Json(versions.iter().map(ArticleVersionDto::from).collect()))
}

/// A search.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequestDto {
    /// What to look for.
    pub q: String,
    /// Only articles in this language.
    pub language: Option<String>,
    /// The query's language, if known (results in other languages are flagged).
    pub query_language: Option<String>,
    /// `public` or `internal`.
    pub audience: Option<String>,
    /// Articles with every one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    pub product: Option<String>,
    /// Statuses to include (default: published).
    #[serde(default)]
    pub status: Vec<String>,
    /// `hybrid` (default), `bm25` or `dense`.
    pub mode: Option<String>,
    /// 1 to 50 (default 10).
    pub limit: Option<usize>,
    /// Passages per article, 1 to 10 (default 1).
    pub per_article: Option<usize>,
}

/// A piece of a snippet; `mark` is a query word.
#[derive(Serialize, ToSchema)]
pub struct SegmentDto {
    pub text: String,
    pub mark: bool,
}

/// A passage found, and the article version it comes from.
#[derive(Serialize, ToSchema)]
pub struct HitDto {
    pub article_id: Uuid,
    pub version: u32,
    /// The passage's position in the article.
    pub passage: u32,
    pub title: String,
    /// The headings above the passage.
    pub heading: String,
    pub text: String,
    /// The passage around the matches, query words marked.
    pub snippet: Vec<SegmentDto>,
    pub language: String,
    pub audience: &'static str,
    pub tags: Vec<String>,
    pub key: Option<String>,
    /// The fused score (comparable within one response only).
    pub score: f32,
    /// How sure retrieval is that this answers the query, 0 to 1.
    pub confidence: f32,
    pub bm25: Option<f32>,
    pub cosine: Option<f32>,
    pub matched_terms: Vec<String>,
    /// In another language than the query.
    pub cross_lingual: bool,
}

impl From<&SearchHit> for HitDto {
    fn from(h: &SearchHit) -> Self {
        Self {
            article_id: h.article_id.as_uuid(),
            version: h.version,
            passage: h.passage,
            title: h.title.clone(),
            heading: h.heading.clone(),
            text: h.text.clone(),
            snippet: h.snippet.iter().map(|s| SegmentDto { text: s.text.clone(), mark: s.mark }).collect(),
            language: h.language.clone(),
            audience: h.audience.as_str(),
            tags: h.tags.clone(),
            key: h.key.clone(),
            score: h.score,
            confidence: h.confidence,
            bm25: h.bm25,
            cosine: h.cosine,
            matched_terms: h.matched_terms.clone(),
            cross_lingual: h.cross_lingual,
        }
    }
}

/// Search results.
#[derive(Serialize, ToSchema)]
pub struct SearchResponseDto {
    pub hits: Vec<HitDto>,
    /// What ran: `hybrid`, `bm25` or `dense`.
    pub mode: &'static str,
    /// Set when less ran than was asked (no embedding model: BM25 only), and why.
    pub degraded: Option<String>,
    pub query_language: Option<String>,
    /// The best results are in another language than the query.
    pub cross_lingual: bool,
    /// For people: why results are in another language, or degraded.
    pub note: Option<String>,
    /// Time spent searching, in microseconds (query embedding included).
    pub took_us: u64,
}

impl From<&SearchResponse> for SearchResponseDto {
    fn from(r: &SearchResponse) -> Self {
        Self {
            hits: r.hits.iter().map(HitDto::from).collect(),
            mode: r.mode.as_str(),
            degraded: r.degraded.clone(),
            query_language: r.query_language.clone(),
            cross_lingual: r.cross_lingual,
            note: r.note.clone(),
            took_us: r.timings.total_us,
        }
    }
}

/// Search the knowledge: BM25 and sentence embeddings fused, with filters. Without an
/// embedding model the search is BM25 only and the response says so.
#[utoipa::path(post, path = "/api/v1/kb/search", tag = "knowledge", request_body = SearchRequestDto,
    responses((status = 200, body = SearchResponseDto), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<SearchRequestDto>,
) -> Result<Json<SearchResponseDto>, ApiError> {
    let mut request = SearchRequest::new(actor.workspace_id(), body.q);
    request.query_language = body.query_language;
    request.filter.language = body.language;
    request.filter.audience = audience("audience", body.audience.as_deref())?;
    request.filter.tags = body.tags;
    request.filter.product = body.product;
    request.filter.status = body
        .status
        .iter()
        .map(|s| status("status", Some(s)).map(|s| s.unwrap_or(ArticleStatus::Published)))
        .collect::<Result<_, _>>()?;
    if let Some(mode) = body.mode.as_deref() {
        request.mode = Mode::parse(mode).ok_or_else(|| ValidationError::new("mode", "use hybrid, bm25 or dense"))?;
    }
    request.limit = body.limit.unwrap_or(10);
    if !(1..=50).contains(&request.limit) {
        return Err(ValidationError::new("limit", "use 1 to 50").into());
    }
    request.per_article = body.per_article.unwrap_or(1);
    if !(1..=10).contains(&request.per_article) {
        return Err(ValidationError::new("per_article", "use 1 to 10").into());
    }
    let response = state.engine.search_knowledge(actor, request).await?;
    Ok(Json((&response).into()))
}

/// A knowledge card: a passage, where it comes from and why it is shown.
#[derive(Serialize, ToSchema)]
pub struct CardDto {
    #[serde(flatten)]
    pub hit: HitDto,
    pub why: Vec<String>,
}

impl From<&KnowledgeCard> for CardDto {
    fn from(c: &KnowledgeCard) -> Self {
        Self { hit: (&c.hit).into(), why: c.why.clone() }
    }
}

/// The knowledge cards for a conversation.
#[derive(Serialize, ToSchema)]
pub struct RecommendationsDto {
    pub conversation_id: Uuid,
    /// The customer message the cards answer.
    pub message_id: Option<Uuid>,
    pub cards: Vec<CardDto>,
    pub mode: &'static str,
    pub degraded: Option<String>,
    pub note: Option<String>,
    /// The detected intent of the latest customer message.
    pub intent: Option<String>,
    pub language: Option<String>,
}

impl From<&Recommendations> for RecommendationsDto {
    fn from(r: &Recommendations) -> Self {
        Self {
            conversation_id: r.conversation_id.as_uuid(),
            message_id: r.message_id.map(|m| m.as_uuid()),
            cards: r.cards.iter().map(CardDto::from).collect(),
            mode: r.mode.as_str(),
            degraded: r.degraded.clone(),
            note: r.note.clone(),
            intent: r.intent.clone(),
            language: r.language.clone(),
        }
    }
}

/// The top knowledge cards for a conversation, from its recent customer messages and
/// detected intent; cards dismissed or marked not helpful there are left out.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/knowledge", tag = "knowledge",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = RecommendationsDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn cards(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RecommendationsDto>, ApiError> {
    let recommendations = state.engine.knowledge_cards(actor, ConversationId::from_uuid(id)).await?;
    Ok(Json((&recommendations).into()))
}

/// An agent's verdict on a card.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardFeedbackRequest {
    pub article_id: Uuid,
    pub passage: u32,
    /// `helpful`, `not_helpful` or `dismissed`.
    pub verdict: String,
}

/// A verdict as stored.
#[derive(Serialize, ToSchema)]
pub struct CardFeedbackDto {
    pub conversation_id: Uuid,
    pub article_id: Uuid,
    pub version: u32,
    pub passage: u32,
    pub agent_id: Option<Uuid>,
    pub verdict: &'static str,
    pub created_at: DateTime<Utc>,
}

/// Mark a card helpful, not helpful or dismissed. Cards not helpful or dismissed are not
/// recommended in this conversation again.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/knowledge/feedback", tag = "knowledge",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = CardFeedbackRequest,
    responses((status = 201, body = CardFeedbackDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn feedback(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CardFeedbackRequest>,
) -> Result<(StatusCode, Json<CardFeedbackDto>), ApiError> {
    let verdict = CardVerdict::parse(&body.verdict)
        .ok_or_else(|| ValidationError::new("verdict", "use helpful, not_helpful or dismissed"))?;
    let f = state
        .engine
        .give_card_feedback(
            actor,
            ConversationId::from_uuid(id),
            ArticleId::from_uuid(body.article_id),
            body.passage,
            verdict,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CardFeedbackDto {
            conversation_id: f.conversation_id.as_uuid(),
            article_id: f.article_id.as_uuid(),
            version: f.version,
            passage: f.passage,
            agent_id: f.agent_id.map(|a| a.as_uuid()),
            verdict: f.verdict.as_str(),
            created_at: f.at,
        }),
    ))
}

/// A period for reports.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Days back from now, 1 to 365 (default 30).
    days: Option<u32>,
    /// Gaps only: the fewest questions a gap lists (default 2).
    min_count: Option<usize>,
}

fn days(q: &ReportQuery) -> Result<u32, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ValidationError::new("days", "use 1 to 365").into());
    }
    Ok(days)
}

/// Card verdicts of one article.
#[derive(Serialize, ToSchema)]
pub struct FeedbackCountDto {
    pub article_id: Option<Uuid>,
    pub helpful: u64,
    pub not_helpful: u64,
    pub dismissed: u64,
}

impl From<&CardFeedbackCount> for FeedbackCountDto {
    fn from(c: &CardFeedbackCount) -> Self {
        Self {
            article_id: c.article_id.map(|a| a.as_uuid()),
            helpful: c.helpful,
            not_helpful: c.not_helpful,
            dismissed: c.dismissed,
        }
    }
}

/// How agents rated knowledge cards, per article (supervisors).
#[utoipa::path(get, path = "/api/v1/kb/feedback", tag = "knowledge", params(ReportQuery),
    responses((status = 200, body = Vec<FeedbackCountDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn feedback_report(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<Vec<FeedbackCountDto>>, ApiError> {
    let counts = state.engine.card_feedback_report(actor, days(&query)?).await?;
    Ok(Json(counts.iter().map(FeedbackCountDto::from).collect()))
}

/// A topic the knowledge does not cover well.
#[derive(Serialize, ToSchema)]
pub struct GapDto {
    /// The question nearest the group's centre.
    pub representative: String,
    /// Up to five examples, most recent first (PII redacted).
    pub examples: Vec<String>,
    pub count: usize,
    pub languages: Vec<String>,
    /// The questions' mean best confidence (0 to 1).
    pub mean_best_score: f32,
    /// The article found most often for them: a weak article to improve.
    pub closest_article: Option<Uuid>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl From<&Gap> for GapDto {
    fn from(g: &Gap) -> Self {
        Self {
            representative: g.representative.clone(),
            examples: g.examples.clone(),
            count: g.count,
            languages: g.languages.clone(),
            mean_best_score: g.mean_best_score,
            closest_article: g.closest_article.map(|a| a.as_uuid()),
            first_seen: g.first_seen,
            last_seen: g.last_seen,
        }
    }
}

/// Missing or weak articles: customer questions the knowledge answered poorly, grouped
/// by similarity, largest group first (supervisors).
#[utoipa::path(get, path = "/api/v1/kb/gaps", tag = "knowledge", params(ReportQuery),
    responses((status = 200, body = Vec<GapDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn gaps(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<Vec<GapDto>>, ApiError> {
    let min_count = query.min_count.unwrap_or(2);
    if !(1..=1000).contains(&min_count) {
        return Err(ValidationError::new("min_count", "use 1 to 1000").into());
    }
    let gaps = state.engine.knowledge_gaps(actor, days(&query)?, min_count).await?;
    Ok(Json(gaps.iter().map(GapDto::from).collect()))
}

/// How to re-index.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReindexRequest {
    /// Rebuild everything (default: only what is missing or stale).
    #[serde(default)]
    pub full: bool,
}

/// What a re-index did.
#[derive(Serialize, ToSchema)]
pub struct ReindexDto {
    pub articles: usize,
    pub passages: usize,
    pub indexed: usize,
    pub removed: usize,
    /// The embedding model of the index, if any (none: BM25 only).
    pub model: Option<String>,
}

/// Re-index the workspace's knowledge from the store (admins).
#[utoipa::path(post, path = "/api/v1/kb/reindex", tag = "knowledge", request_body = ReindexRequest,
    responses((status = 200, body = ReindexDto), (status = 403, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn reindex(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<ReindexRequest>,
) -> Result<Json<ReindexDto>, ApiError> {
    actor.require(tandem_domain::Role::Admin)?;
    let ReindexSummary { articles, passages, indexed, removed } =
        state.engine.reindex_knowledge(actor.workspace_id(), body.full).await?;
    Ok(Json(ReindexDto { articles, passages, indexed, removed, model: state.engine.knowledge_model() }))
}
