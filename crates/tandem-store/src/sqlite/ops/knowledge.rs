//! Knowledge: articles and their versions, card verdicts, questions for the gaps report.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::{ArticleFilter, ArticleSave, CardFeedbackCount};
use tandem_domain::{Article, ArticleId, ArticleVersion, CardFeedback, KnowledgeQuestion};

const ARTICLE_COLUMNS: &str =
    "id, workspace_id, key, translation_of, content, version, created_at, updated_at, updated_by";

fn article_row(row: &Row<'_>) -> StoreResult<Article> {
    Ok(Article {
        id: ArticleId::from_uuid(rows::uuid(row, 0)?),
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 1)?),
        key: rows::opt_string(row, 2)?,
        translation_of: rows::opt_id(row, 3)?.map(ArticleId::from_uuid),
        content: rows::json(row, 4, "article content")?,
        version: rows::u32_of(row, 5, "article version")?,
        created_at: time::from_micros(rows::integer(row, 6)?),
        updated_at: time::from_micros(rows::integer(row, 7)?),
        updated_by: rows::json(row, 8, "article editor")?,
    })
}

fn version_row(row: &Row<'_>) -> StoreResult<ArticleVersion> {
    Ok(ArticleVersion {
        article_id: ArticleId::from_uuid(rows::uuid(row, 0)?),
        version: rows::u32_of(row, 1, "article version")?,
        content: rows::json(row, 2, "article content")?,
        edited_by: rows::json(row, 3, "article editor")?,
        edited_at: time::from_micros(rows::integer(row, 4)?),
    })
}

fn save_one(conn: &Connection, save: &ArticleSave) -> StoreResult<()> {
    let a = &save.article;
    let content = to_json(&a.content)?;
    let editor = to_json(&a.updated_by)?;
    let tags = to_json(&a.content.tags)?;
    match save.expected_version {
        None => {
            if let Some(key) = &a.key {
                let taken = one(
                    conn,
                    "SELECT id FROM kb_articles WHERE workspace_id = ?1 AND key = ?2",
                    params![id(a.workspace_id), key],
                    |row| rows::uuid(row, 0),
                )?;
                if taken.is_some() {
                    return Err(StoreError::Conflict(format!("an article with the key `{key}` exists")));
                }
            }
            exec(
                conn,
                "INSERT INTO kb_articles (id, workspace_id, key, translation_of, language, status, audience, product, \
                 tags, content, version, created_at, updated_at, updated_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    id(a.id),
                    id(a.workspace_id),
                    a.key,
                    a.translation_of.map(id),
                    a.content.language,
                    a.content.status.as_str(),
                    a.content.audience.as_str(),
                    a.content.product,
                    tags,
                    content,
                    a.version,
                    micros(a.created_at),
                    micros(a.updated_at),
                    editor
                ],
            )?;
        }
        Some(expected) => {
            let n = exec(
                conn,
                "UPDATE kb_articles SET key = ?1, translation_of = ?2, language = ?3, status = ?4, audience = ?5, \
                 product = ?6, tags = ?7, content = ?8, version = ?9, updated_at = ?10, updated_by = ?11 \
                 WHERE id = ?12 AND workspace_id = ?13 AND version = ?14",
                params![
                    a.key,
                    a.translation_of.map(id),
                    a.content.language,
                    a.content.status.as_str(),
                    a.content.audience.as_str(),
                    a.content.product,
                    tags,
                    content,
                    a.version,
                    micros(a.updated_at),
                    editor,
                    id(a.id),
                    id(a.workspace_id),
                    expected
                ],
            )?;
            if n == 0 {
                article(conn, a.workspace_id, a.id)?;
                return Err(StoreError::Conflict(format!(
                    "the article changed since version {expected}; reload it and edit again"
                )));
            }
        }
    }
    exec(
        conn,
        "INSERT INTO kb_article_versions (article_id, workspace_id, version, content, edited_by, edited_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id(a.id), id(a.workspace_id), a.version, content, editor, micros(a.updated_at)],
    )?;
    Ok(())
}

pub(in crate::sqlite) fn save_articles(conn: &Connection, saves: Vec<ArticleSave>) -> StoreResult<Vec<StoredEvent>> {
    let mut events = Vec::new();
    for save in saves {
        save_one(conn, &save)?;
        events.extend(save.events);
    }
    insert_events(conn, events)
}

pub(in crate::sqlite) fn article(conn: &Connection, ws: WorkspaceId, article: ArticleId) -> StoreResult<Article> {
    let sql = format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = ?1 AND workspace_id = ?2");
    found(one(conn, &sql, params![id(article), id(ws)], article_row)?, "article")
}

pub(in crate::sqlite) fn article_by_key(conn: &Connection, ws: WorkspaceId, key: &str) -> StoreResult<Article> {
    let sql = format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE workspace_id = ?1 AND key = ?2");
    found(one(conn, &sql, params![id(ws), key], article_row)?, "article")
}

pub(in crate::sqlite) fn list_articles(
    conn: &Connection,
    ws: WorkspaceId,
    f: &ArticleFilter,
) -> StoreResult<Vec<Article>> {
    let sql = format!(
        "SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE workspace_id = ?1 \
         AND (?2 IS NULL OR language = ?2 OR language LIKE ?2 || '-%') AND (?3 IS NULL OR status = ?3) \
         AND (?4 IS NULL OR audience = ?4) AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?5)) \
         AND (?6 IS NULL OR lower(product) = lower(?6)) AND (?7 IS NULL OR id = ?7 OR translation_of = ?7) \
         AND (?8 IS NULL OR id > ?8) ORDER BY id LIMIT ?9"
    );
    many(
        conn,
        &sql,
        params![
            id(ws),
            f.language,
            f.status.map(|s| s.as_str()),
            f.audience.map(|a| a.as_str()),
            f.tag,
            f.product,
            f.translation_root.map(id),
            f.after.map(id),
            f.limit
        ],
        article_row,
    )
}

pub(in crate::sqlite) fn article_versions(
    conn: &Connection,
    ws: WorkspaceId,
    article_id: ArticleId,
) -> StoreResult<Vec<ArticleVersion>> {
    article(conn, ws, article_id)?;
    many(
        conn,
        "SELECT article_id, version, content, edited_by, edited_at FROM kb_article_versions \
         WHERE article_id = ?1 AND workspace_id = ?2 ORDER BY version",
        params![id(article_id), id(ws)],
        version_row,
    )
}

pub(in crate::sqlite) fn record_card_feedback(conn: &Connection, f: &CardFeedback) -> StoreResult<()> {
    article(conn, f.workspace_id, f.article_id)?;
    exec(
        conn,
        "INSERT INTO kb_card_feedback (workspace_id, conversation_id, article_id, version, passage, agent_id, verdict, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id(f.workspace_id),
            id(f.conversation_id),
            id(f.article_id),
            f.version,
            f.passage,
            f.agent_id.map(id),
            f.verdict.as_str(),
            micros(f.at)
        ],
    )?;
    Ok(())
}

fn feedback_row(row: &Row<'_>) -> StoreResult<CardFeedback> {
    Ok(CardFeedback {
        workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 0)?),
        conversation_id: ConversationId::from_uuid(rows::uuid(row, 1)?),
        article_id: ArticleId::from_uuid(rows::uuid(row, 2)?),
        version: rows::u32_of(row, 3, "card version")?,
        passage: rows::u32_of(row, 4, "card passage")?,
        agent_id: rows::opt_id(row, 5)?.map(AgentId::from_uuid),
        verdict: rows::verdict(row, 6)?,
        at: time::from_micros(rows::integer(row, 7)?),
    })
}

pub(in crate::sqlite) fn card_feedback(
    conn: &Connection,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Vec<CardFeedback>> {
    many(
        conn,
        "SELECT workspace_id, conversation_id, article_id, version, passage, agent_id, verdict, created_at \
         FROM kb_card_feedback WHERE workspace_id = ?1 AND conversation_id = ?2 ORDER BY seq",
        params![id(ws), id(conversation)],
        feedback_row,
    )
}

pub(in crate::sqlite) fn card_feedback_counts(
    conn: &Connection,
    ws: WorkspaceId,
    since: Timestamp,
) -> StoreResult<Vec<CardFeedbackCount>> {
    many(
        conn,
        "SELECT article_id, SUM(verdict = 'helpful'), SUM(verdict = 'not_helpful'), SUM(verdict = 'dismissed') \
         FROM kb_card_feedback WHERE workspace_id = ?1 AND created_at >= ?2 GROUP BY article_id ORDER BY article_id",
        params![id(ws), micros(since)],
        |row| {
            let count = |i| rows::integer(row, i).map(|n| u64::try_from(n).unwrap_or(0));
            Ok(CardFeedbackCount {
                article_id: Some(ArticleId::from_uuid(rows::uuid(row, 0)?)),
                helpful: count(1)?,
                not_helpful: count(2)?,
                dismissed: count(3)?,
            })
        },
    )
}

/// Stores the question unless its message has one; returns whether it was stored.
pub(in crate::sqlite) fn record_knowledge_question(conn: &Connection, q: &KnowledgeQuestion) -> StoreResult<bool> {
    let n = exec(
        conn,
        "INSERT INTO kb_questions (message_id, workspace_id, conversation_id, text, language, best_score, \
         best_article, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (message_id) DO NOTHING",
        params![
            id(q.message_id),
            id(q.workspace_id),
            id(q.conversation_id),
            q.text,
            q.language,
            f64::from(q.best_score),
            q.best_article.map(id),
            micros(q.at)
        ],
    )?;
    Ok(n > 0)
}

pub(in crate::sqlite) fn knowledge_questions(
    conn: &Connection,
    ws: WorkspaceId,
    since: Timestamp,
    below: f32,
    limit: u32,
) -> StoreResult<Vec<KnowledgeQuestion>> {
    many(
        conn,
        "SELECT workspace_id, conversation_id, message_id, text, language, best_score, best_article, created_at \
         FROM kb_questions WHERE workspace_id = ?1 AND created_at >= ?2 AND best_score < ?3 \
         ORDER BY created_at DESC, message_id DESC LIMIT ?4",
        params![id(ws), micros(since), f64::from(below), limit],
        |row| {
            Ok(KnowledgeQuestion {
                workspace_id: WorkspaceId::from_uuid(rows::uuid(row, 0)?),
                conversation_id: ConversationId::from_uuid(rows::uuid(row, 1)?),
                message_id: MessageId::from_uuid(rows::uuid(row, 2)?),
                text: rows::string(row, 3)?,
                language: rows::opt_string(row, 4)?,
                best_score: rows::real(row, 5)? as f32,
                best_article: rows::opt_id(row, 6)?.map(ArticleId::from_uuid),
                at: time::from_micros(rows::integer(row, 7)?),
            })
        },
    )
}
