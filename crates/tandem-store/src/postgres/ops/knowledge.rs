//! Knowledge: articles and their versions, card verdicts, questions for the gaps report.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::{ArticleFilter, ArticleSave, CardFeedbackCount};
use tandem_domain::{Article, ArticleId, ArticleVersion, CardFeedback, CardVerdict, KnowledgeQuestion};

const ARTICLE_COLUMNS: &str =
    "id, workspace_id, key, translation_of, content, version, created_at, updated_at, updated_by";

fn version_of(row: &Row, idx: usize) -> StoreResult<u32> {
    u32::try_from(get::<i32>(row, idx)?).map_err(|_| StoreError::Other("corrupt article version".into()))
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> StoreResult<T> {
    let Json(value) = row.try_get::<_, Json<T>>(idx).map_err(|e| StoreError::Other(format!("corrupt JSON: {e}")))?;
    Ok(value)
}

fn article_row(row: &Row) -> StoreResult<Article> {
    Ok(Article {
        id: ArticleId::from_uuid(get(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(get(row, 1)?),
        key: get(row, 2)?,
        translation_of: get::<Option<Uuid>>(row, 3)?.map(ArticleId::from_uuid),
        content: json(row, 4)?,
        version: version_of(row, 5)?,
        created_at: time::from_micros(get(row, 6)?),
        updated_at: time::from_micros(get(row, 7)?),
        updated_by: json(row, 8)?,
    })
}

fn to_value<T: serde::Serialize>(value: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(value).map_err(StoreError::other)
}

fn version_param(v: u32) -> StoreResult<i32> {
    i32::try_from(v).map_err(|_| StoreError::Invalid("article version out of range".into()))
}

async fn save_one<C: GenericClient>(c: &C, save: &ArticleSave) -> StoreResult<()> {
    let a = &save.article;
    let content = Json(to_value(&a.content)?);
    let editor = Json(to_value(&a.updated_by)?);
    let tags = Json(to_value(&a.content.tags)?);
    let version = version_param(a.version)?;
    let translation_of = a.translation_of.map(|t| t.as_uuid());
    match save.expected_version {
        None => {
            exec(
                c,
                "INSERT INTO kb_articles (id, workspace_id, key, translation_of, language, status, audience, product, \
                 tags, content, version, created_at, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &a.id.as_uuid(),
                    &a.workspace_id.as_uuid(),
                    &a.key,
                    &translation_of,
                    &a.content.language,
                    &a.content.status.as_str(),
                    &a.content.audience.as_str(),
                    &a.content.product,
                    &tags,
                    &content,
                    &version,
                    &micros(a.created_at),
                    &micros(a.updated_at),
                    &editor,
                ],
            )
            .await
            .map_err(|e| match (e, &a.key) {
                (StoreError::Conflict(_), Some(key)) => {
                    StoreError::Conflict(format!("an article with the key `{key}` exists"))
                }
                (other, _) => other,
            })?;
        }
        Some(expected) => {
            let n = exec(
                c,
                "UPDATE kb_articles SET key = $1, translation_of = $2, language = $3, status = $4, audience = $5, \
                 product = $6, tags = $7, content = $8, version = $9, updated_at = $10, updated_by = $11 \
                 WHERE id = $12 AND workspace_id = $13 AND version = $14",
                &[
                    &a.key,
                    &translation_of,
                    &a.content.language,
                    &a.content.status.as_str(),
                    &a.content.audience.as_str(),
                    &a.content.product,
                    &tags,
                    &content,
                    &version,
                    &micros(a.updated_at),
                    &editor,
                    &a.id.as_uuid(),
                    &a.workspace_id.as_uuid(),
                    &version_param(expected)?,
                ],
            )
            .await?;
            if n == 0 {
                article(c, a.workspace_id, a.id).await?;
                return Err(StoreError::Conflict(format!(
                    "the article changed since version {expected}; reload it and edit again"
                )));
            }
        }
    }
    exec(
        c,
        "INSERT INTO kb_article_versions (article_id, workspace_id, version, content, edited_by, edited_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&a.id.as_uuid(), &a.workspace_id.as_uuid(), &version, &content, &editor, &micros(a.updated_at)],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn save_articles<C: GenericClient>(
    c: &C,
    saves: Vec<ArticleSave>,
) -> StoreResult<Vec<StoredEvent>> {
    let mut events = Vec::new();
    for save in saves {
        save_one(c, &save).await?;
        events.extend(save.events);
    }
    insert_events(c, events).await
}

pub(in crate::postgres) async fn article<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: ArticleId,
) -> StoreResult<Article> {
    let sql = format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = $1 AND workspace_id = $2");
    found(one(c, &sql, &[&id.as_uuid(), &ws.as_uuid()], article_row).await?, "article")
}

pub(in crate::postgres) async fn article_by_key<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    key: &str,
) -> StoreResult<Article> {
    let sql = format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE workspace_id = $1 AND key = $2");
    found(one(c, &sql, &[&ws.as_uuid(), &key], article_row).await?, "article")
}

pub(in crate::postgres) async fn list_articles<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    f: &ArticleFilter,
) -> StoreResult<Vec<Article>> {
    let sql = format!(
        "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE workspace_id = $1 \
         AND ($2::text IS NULL OR language = $2 OR language LIKE $2 || '-%') AND ($3::text IS NULL OR status = $3) \
         AND ($4::text IS NULL OR audience = $4) AND ($5::jsonb IS NULL OR tags @> $5) \
         AND ($6::text IS NULL OR lower(product) = lower($6)) \
         AND ($7::uuid IS NULL OR id = $7 OR translation_of = $7) AND ($8::uuid IS NULL OR id > $8) \
         ORDER BY id LIMIT $9"
    );
    let tag = f.tag.as_ref().map(|t| Json(serde_json::json!([t])));
    let limit = i64::from(f.limit);
    many(
        c,
        &sql,
        &[
            &ws.as_uuid(),
            &f.language,
            &f.status.map(|s| s.as_str()),
            &f.audience.map(|a| a.as_str()),
            &tag,
            &f.product,
            &f.translation_root.map(|t| t.as_uuid()),
            &f.after.map(|a| a.as_uuid()),
            &limit,
        ],
        article_row,
    )
    .await
}

pub(in crate::postgres) async fn article_versions<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    id: ArticleId,
) -> StoreResult<Vec<ArticleVersion>> {
    article(c, ws, id).await?;
    many(
        c,
        "SELECT article_id, version, content, edited_by, edited_at FROM kb_article_versions \
         WHERE article_id = $1 AND workspace_id = $2 ORDER BY version",
        &[&id.as_uuid(), &ws.as_uuid()],
        |row| {
            Ok(ArticleVersion {
                article_id: ArticleId::from_uuid(get(row, 0)?),
                version: version_of(row, 1)?,
                content: json(row, 2)?,
                edited_by: json(row, 3)?,
                edited_at: time::from_micros(get(row, 4)?),
            })
        },
    )
    .await
}

pub(in crate::postgres) async fn record_card_feedback<C: GenericClient>(c: &C, f: &CardFeedback) -> StoreResult<()> {
    article(c, f.workspace_id, f.article_id).await?;
    let version = version_param(f.version)?;
    let passage = version_param(f.passage)?;
    exec(
        c,
        "INSERT INTO kb_card_feedback (workspace_id, conversation_id, article_id, version, passage, agent_id, verdict, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &f.workspace_id.as_uuid(),
            &f.conversation_id.as_uuid(),
            &f.article_id.as_uuid(),
            &version,
            &passage,
            &f.agent_id.map(|a| a.as_uuid()),
            &f.verdict.as_str(),
            &micros(f.at),
        ],
    )
    .await?;
    Ok(())
}

pub(in crate::postgres) async fn card_feedback<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Vec<CardFeedback>> {
    many(
        c,
        "SELECT workspace_id, conversation_id, article_id, version, passage, agent_id, verdict, created_at \
         FROM kb_card_feedback WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY seq",
        &[&ws.as_uuid(), &conversation.as_uuid()],
        |row| {
            let verdict: String = get(row, 6)?;
            Ok(CardFeedback {
                workspace_id: WorkspaceId::from_uuid(get(row, 0)?),
                conversation_id: ConversationId::from_uuid(get(row, 1)?),
                article_id: ArticleId::from_uuid(get(row, 2)?),
                version: version_of(row, 3)?,
                passage: version_of(row, 4)?,
                agent_id: get::<Option<Uuid>>(row, 5)?.map(AgentId::from_uuid),
                verdict: CardVerdict::parse(&verdict)
                    .ok_or_else(|| StoreError::Other(format!("corrupt card verdict {verdict}")))?,
                at: time::from_micros(get(row, 7)?),
            })
        },
    )
    .await
}

pub(in crate::postgres) async fn card_feedback_counts<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    since: Timestamp,
) -> StoreResult<Vec<CardFeedbackCount>> {
    many(
        c,
        "SELECT article_id, COUNT(*) FILTER (WHERE verdict = 'helpful'), COUNT(*) FILTER (WHERE verdict = 'not_helpful'), \
         COUNT(*) FILTER (WHERE verdict = 'dismissed') FROM kb_card_feedback \
         WHERE workspace_id = $1 AND created_at >= $2 GROUP BY article_id ORDER BY article_id",
        &[&ws.as_uuid(), &micros(since)],
        |row| {
            let count = |i| get::<i64>(row, i).map(|n| u64::try_from(n).unwrap_or(0));
            Ok(CardFeedbackCount {
                article_id: Some(ArticleId::from_uuid(get(row, 0)?)),
                helpful: count(1)?,
                not_helpful: count(2)?,
                dismissed: count(3)?,
            })
        },
    )
    .await
}

/// Stores the question unless its message has one; returns whether it was stored.
pub(in crate::postgres) async fn record_knowledge_question<C: GenericClient>(
    c: &C,
    q: &KnowledgeQuestion,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO kb_questions (message_id, workspace_id, conversation_id, text, language, best_score, best_article, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING",
        &[
            &q.message_id.as_uuid(),
            &q.workspace_id.as_uuid(),
            &q.conversation_id.as_uuid(),
            &q.text,
            &q.language,
            &q.best_score,
            &q.best_article.map(|a| a.as_uuid()),
            &micros(q.at),
        ],
    )
    .await?;
    Ok(n > 0)
}

pub(in crate::postgres) async fn knowledge_questions<C: GenericClient>(
    c: &C,
    ws: WorkspaceId,
    since: Timestamp,
    below: f32,
    limit: u32,
) -> StoreResult<Vec<KnowledgeQuestion>> {
    let limit = i64::from(limit);
    many(
        c,
        "SELECT workspace_id, conversation_id, message_id, text, language, best_score, best_article, created_at \
         FROM kb_questions WHERE workspace_id = $1 AND created_at >= $2 AND best_score < $3 \
         ORDER BY created_at DESC, message_id DESC LIMIT $4",
        &[&ws.as_uuid(), &micros(since), &below, &limit],
        |row| {
            Ok(KnowledgeQuestion {
                workspace_id: WorkspaceId::from_uuid(get(row, 0)?),
                conversation_id: ConversationId::from_uuid(get(row, 1)?),
                message_id: MessageId::from_uuid(get(row, 2)?),
                text: get(row, 3)?,
                language: get(row, 4)?,
                best_score: get(row, 5)?,
                best_article: get::<Option<Uuid>>(row, 6)?.map(ArticleId::from_uuid),
                at: time::from_micros(get(row, 7)?),
            })
        },
    )
    .await
}
