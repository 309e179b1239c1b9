//! Knowledge use cases: articles (create, edit as new versions, import), the search
//! index kept in step with every edit, hybrid search, live knowledge cards for a
//! conversation, agents' verdicts on cards and the "missing or weak articles" report.
//!
//! The index ([`KnowledgeIndex`]) is derived data: the store holds the articles, and the
//! index is rebuilt from it on demand or when it is missing or stale after a restart.
//! Embedding runs on blocking threads, never on the async workers.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;
use tandem_domain::agent::Role;
use tandem_domain::{
    Article, ArticleContent, ArticleDraft, ArticleId, ArticleStatus, Audience, Author, CardFeedback, CardRef,
    CardVerdict, ConversationId, DomainEvent, Editor, KnowledgeQuestion, Message, MessageId, StoredEvent,
    ValidationError, WorkspaceId,
};
use tandem_knowledge::import::ImportItem;
use tandem_knowledge::{
    Gap, GapQuestion, GapSettings, IndexMeta, IndexUpdate, KnowledgeError, KnowledgeIndex, Mode, SearchConfig,
    SearchHit, SearchRequest, SearchResponse, prepare,
};
use tandem_nlp::embedding::SentenceEmbedder;
use tandem_store::{ArticleFilter, ArticleSave, CardFeedbackCount, StoreError};
use tokio::sync::mpsc;

use crate::{Actor, Engine, EngineError, EngineResult};

/// A question whose best card is below this confidence is a knowledge gap candidate.
pub const WEAK_ANSWER: f32 = 0.5;
/// Cards shown for a conversation.
pub const CARDS: usize = 3;
/// Customer messages read for cards: the latest, and the one before when it is short.
const RECENT_CUSTOMER_MESSAGES: usize = 2;
/// Words of a query that are embedded (the rest counts for BM25 only).
const QUERY_WORDS: usize = 48;
/// At most this many questions are grouped for the gaps report.
const GAP_QUESTIONS: u32 = 5_000;

/// The knowledge index and the model that embeds for it.
pub struct Knowledge {
    index: KnowledgeIndex,
    embedder: Option<Arc<dyn SentenceEmbedder>>,
    config: SearchConfig,
}

impl Knowledge {
    /// Knowledge over `index`, embedding with `embedder` when given (BM25 only without).
    pub fn new(index: KnowledgeIndex, embedder: Option<Arc<dyn SentenceEmbedder>>) -> Self {
        let config = SearchConfig::for_model(embedder.as_ref().map(|e| e.model_name()));
        Self { index, embedder, config }
    }

    /// The description an index for `embedder` carries (its model and width).
    pub fn meta_for(embedder: Option<&Arc<dyn SentenceEmbedder>>) -> IndexMeta {
        match embedder {
            Some(e) => IndexMeta::new(Some(e.model_name()), e.dimension()),
            None => IndexMeta::new(None, 0),
        }
    }

    /// An in-memory index without a model (tests and the default).
    pub fn in_memory() -> Result<Self, KnowledgeError> {
        Ok(Self::new(KnowledgeIndex::in_memory(IndexMeta::new(None, 0))?, None))
    }

    pub fn model(&self) -> Option<&str> {
        self.embedder.as_ref().map(|e| e.model_name())
    }

    fn embed_query(&self, text: &str) -> Result<Option<Vec<f32>>, EngineError> {
        let Some(e) = &self.embedder else { return Ok(None) };
        // Embedding time grows with length: a long email is embedded by its opening
        // (BM25 still reads all of it), keeping the real-time path within budget.
        let opening: String = text.split_whitespace().take(QUERY_WORDS).collect::<Vec<_>>().join(" ");
        let mut vectors =
            e.embed(&[opening.as_str()]).map_err(|e| EngineError::Unavailable(format!("embedding the query: {e}")))?;
        Ok(vectors.pop())
    }

    /// Indexes articles in one index commit, embedding all their passages together (the
    /// encoder batches texts of similar length).
    pub fn index_articles(&self, articles: &[Article]) -> Result<(), EngineError> {
        let prepared: Vec<_> = articles.iter().map(prepare).collect();
        let mut vectors = match &self.embedder {
            Some(e) => {
                let texts: Vec<&str> = prepared.iter().flat_map(|(_, t)| t.iter().map(String::as_str)).collect();
                e.embed_passages(&texts).map_err(|e| EngineError::Unavailable(format!("embedding passages: {e}")))?
            }
            None => Vec::new(),
        }
        .into_iter();
        let updates = articles
            .iter()
            .zip(prepared)
            .map(|(a, (passages, texts))| IndexUpdate::Upsert {
                workspace_id: a.workspace_id,
                article_id: a.id,
                passages,
                vectors: vectors.by_ref().take(texts.len()).collect(),
            })
            .collect();
        self.index.apply(updates).map_err(index_error)
    }

    /// Searches with the query embedded here.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, EngineError> {
        let vector = if request.mode == Mode::Bm25 { None } else { self.embed_query(&request.query)? };
        self.index.search(request, vector.as_deref(), &self.config).map_err(index_error)
    }

    /// Searches with a query vector embedded before (`None`: BM25 only), so several
    /// searches for one message embed it once.
    pub(crate) fn search_with_vector(
        &self,
        request: &SearchRequest,
        vector: Option<&[f32]>,
    ) -> Result<SearchResponse, EngineError> {
        self.index.search(request, vector, &self.config).map_err(index_error)
    }

    /// The query's vector, when a model is loaded.
    pub(crate) fn query_vector(&self, text: &str) -> Result<Option<Vec<f32>>, EngineError> {
        self.embed_query(text)
    }
}

fn index_error(e: KnowledgeError) -> EngineError {
    EngineError::Internal(e.to_string())
}

/// A new article.
#[derive(Clone, Debug, Default)]
pub struct ArticleInput {
    /// A stable key (a file path, an external id): imports match on it.
    pub key: Option<String>,
    /// The article this one translates.
    pub translation_of: Option<ArticleId>,
    pub draft: ArticleDraft,
}

/// Changes to an article; what is `None` stays.
#[derive(Clone, Debug, Default)]
pub struct ArticleEdit {
    /// Refuse the edit unless the article is still at this version.
    pub expected_version: Option<u32>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub language: Option<String>,
    pub tags: Option<Vec<String>>,
    pub product: Option<Option<String>>,
    pub category: Option<Option<String>>,
    pub audience: Option<Audience>,
    pub status: Option<ArticleStatus>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Whether the index follows (false: the store has them; reindex to search them).
    pub indexed: bool,
}

/// What a re-index did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReindexSummary {
    pub articles: usize,
    pub passages: usize,
    /// Articles indexed or re-indexed (a sync skips those already current).
    pub indexed: usize,
    pub removed: usize,
}

/// One knowledge card for an agent.
#[derive(Clone, Debug, Serialize)]
pub struct KnowledgeCard {
    #[serde(flatten)]
    pub hit: SearchHit,
    /// Why the card is shown, for people.
    pub why: Vec<String>,
}

/// The cards for a conversation.
#[derive(Clone, Debug, Serialize)]
pub struct Recommendations {
    pub conversation_id: ConversationId,
    /// The customer message the cards answer (none before the customer wrote).
    pub message_id: Option<MessageId>,
    pub cards: Vec<KnowledgeCard>,
    pub mode: Mode,
    pub degraded: Option<String>,
    pub note: Option<String>,
    pub intent: Option<String>,
    pub language: Option<String>,
}

/// Whether a recommendation waits for its question to be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recording {
    Wait,
    /// Recorded after the reply (the request path stays fast).
    Background,
}

/// A knowledge card recommendation waiting to be computed.
pub(crate) struct RecommendJob {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
}

const QUEUE: usize = 1024;

/// Starts the worker that computes cards after each customer message, records the
/// question for the gaps report and publishes `knowledge_recommended`.
pub(crate) fn spawn(engine: Engine) -> mpsc::Sender<RecommendJob> {
    let (tx, mut rx) = mpsc::channel::<RecommendJob>(QUEUE);
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            if let Err(error) = engine.recommend(job.workspace_id, job.conversation_id, Recording::Wait).await {
                tracing::warn!(%error, conversation.id = %job.conversation_id, "could not recommend knowledge");
            }
        }
    });
    tx
}

fn editor(actor: Actor) -> Editor {
    match actor {
        Actor::Agent { agent_id, .. } => Editor::Agent(agent_id),
        Actor::ApiKey { key_id, .. } => Editor::ApiKey(key_id),
    }
}

fn validate_translation(article: &Article, of: Option<&Article>) -> EngineResult<()> {
    if let Some(of) = of
        && of.content.language == article.content.language
    {
        return Err(ValidationError::new(
            "translation_of",
            format!(
                "the article translated is also in `{}`; a translation is in another language",
                of.content.language
            ),
        )
        .into());
    }
    Ok(())
}

impl Engine {
    /// The configured knowledge, or an in-memory BM25-only one made on first use.
    fn knowledge(&self) -> EngineResult<Arc<Knowledge>> {
        self.knowledge
            .get_or_init(|| Knowledge::in_memory().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(|e| EngineError::Unavailable(format!("the knowledge index could not be created: {e}")))
    }

    /// Starts the worker that recommends knowledge after each customer message.
    pub fn start_knowledge(&self) {
        let _ = self.recommender.set(spawn(self.clone()));
    }

    /// Runs blocking knowledge work (embedding, index commits) off the async workers.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Knowledge) -> EngineResult<T> + Send + 'static,
    ) -> EngineResult<T> {
        let knowledge = self.knowledge()?;
        tokio::task::spawn_blocking(move || work(&knowledge))
            .await
            .map_err(|e| EngineError::Internal(format!("the knowledge task failed: {e}")))?
    }

    /// Creates an article (version 1) and indexes it.
    pub async fn create_article(&self, actor: Actor, input: ArticleInput) -> EngineResult<Article> {
        actor.require(Role::Supervisor)?;
        let workspace_id = actor.workspace_id();
        let content = input.draft.parse()?;
        let key = input.key.as_deref().map(tandem_domain::knowledge::parse_key).transpose()?;
        let translation_of = match input.translation_of {
            Some(id) => Some(self.store.article(workspace_id, id).await.map_err(|e| match e {
                StoreError::NotFound(_) => {
                    ValidationError::new("translation_of", "no such article in this workspace").into()
                }
                other => EngineError::from(other),
            })?),
            None => None,
        };
        let root = translation_of.as_ref().map(Article::translation_root);
        let article = self.first_version(workspace_id, key, root, content, editor(actor));
        validate_translation(&article, translation_of.as_ref())?;
        self.save_and_index(vec![(article.clone(), None)]).await?;
        Ok(article)
    }

    /// Saves a new version of an article and re-indexes it.
    pub async fn edit_article(&self, actor: Actor, id: ArticleId, edit: ArticleEdit) -> EngineResult<Article> {
        actor.require(Role::Supervisor)?;
        let current = self.store.article(actor.workspace_id(), id).await?;
        if let Some(expected) = edit.expected_version
            && expected != current.version
        {
            return Err(EngineError::Conflict(format!(
                "the article is at version {}, not {expected}; reload it and apply your change again",
                current.version
            )));
        }
        let c = &current.content;
        let draft = ArticleDraft {
            title: edit.title.unwrap_or_else(|| c.title.clone()),
            body: edit.body.unwrap_or_else(|| c.body.clone()),
            language: edit.language.unwrap_or_else(|| c.language.clone()),
            tags: edit.tags.unwrap_or_else(|| c.tags.clone()),
            product: edit.product.unwrap_or_else(|| c.product.clone()),
            category: edit.category.unwrap_or_else(|| c.category.clone()),
            audience: Some(edit.audience.unwrap_or(c.audience)),
            status: Some(edit.status.unwrap_or(c.status)),
        };
        let content = draft.parse()?;
        if content == current.content {
            return Ok(current);
        }
        let article = self.next_version(&current, content, editor(actor));
        self.save_and_index(vec![(article.clone(), Some(current.version))]).await?;
        Ok(article)
    }

    fn first_version(
        &self,
        workspace_id: WorkspaceId,
        key: Option<String>,
        translation_of: Option<ArticleId>,
        content: ArticleContent,
        by: Editor,
    ) -> Article {
        let now = self.now();
        Article {
            id: ArticleId::new(),
            workspace_id,
            key,
            translation_of,
            content,
            version: 1,
            created_at: now,
            updated_at: now,
            updated_by: by,
        }
    }

    fn next_version(&self, current: &Article, content: ArticleContent, by: Editor) -> Article {
        Article { content, version: current.version + 1, updated_at: self.now(), updated_by: by, ..current.clone() }
    }

    /// Stores articles (new, or new versions at an expected version) with their events,
    /// then indexes them. The store is the truth: if indexing fails the articles are
    /// saved and a re-index picks them up.
    async fn save_and_index(&self, articles: Vec<(Article, Option<u32>)>) -> EngineResult<bool> {
        let now = self.now();
        let saves: Vec<ArticleSave> = articles
            .iter()
            .map(|(article, expected_version)| {
                let event = match expected_version {
                    None => DomainEvent::ArticleCreated { article_id: article.id, version: article.version },
                    Some(_) => DomainEvent::ArticleUpdated { article_id: article.id, version: article.version },
                };
                ArticleSave {
                    article: article.clone(),
                    expected_version: *expected_version,
                    events: vec![StoredEvent::for_workspace(article.workspace_id, event, now)],
                }
            })
            .collect();
        let events = self.store.save_articles(saves).await?;
        self.publish(&events).await;
        let saved: Vec<Article> = articles.into_iter().map(|(a, _)| a).collect();
        match self.blocking(move |k| k.index_articles(&saved)).await {
            Ok(()) => Ok(true),
            Err(error) => {
                tracing::error!(%error, "articles saved but not indexed; run a re-index");
                Ok(false)
            }
        }
    }

    /// Imports articles matched on their keys: new keys are created, changed ones get a
    /// new version, unchanged ones are left alone (so a re-import changes nothing).
    /// `progress` is called with the number of items done.
    pub async fn import_articles(
        &self,
        workspace_id: WorkspaceId,
        items: Vec<ImportItem>,
        batch: usize,
        progress: impl Fn(usize) + Send,
    ) -> EngineResult<ImportSummary> {
        let mut summary = ImportSummary { indexed: true, ..ImportSummary::default() };
        // Everything is checked before anything is written: a bad file changes nothing.
        let mut problems = Vec::new();
        let mut parsed = Vec::with_capacity(items.len());
        let mut keys = HashSet::new();
        for item in &items {
            let checked = item
                .draft
                .parse()
                .and_then(|content| tandem_domain::knowledge::parse_key(&item.key).map(|key| (content, key)));
            match checked {
                Ok((content, key)) => {
                    if !keys.insert(key.clone()) {
                        problems.push(format!("{}: the key `{key}` appears twice in this import", item.origin));
                    }
                    parsed.push((item, content, key));
                }
                Err(e) => problems.push(format!("{}: {e}", item.origin)),
            }
        }
        for item in &items {
            if let Some(of) = &item.translation_of
                && !keys.contains(of)
            {
                match self.store.article_by_key(workspace_id, of).await {
                    Ok(_) => {}
                    Err(StoreError::NotFound(_)) => problems.push(format!(
                        "{}: `translation_of: {of}` names no article here or in the import",
                        item.origin
                    )),
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if !problems.is_empty() {
            let more = problems.len().saturating_sub(10);
            let mut message = problems.into_iter().take(10).collect::<Vec<_>>().join("; ");
            if more > 0 {
                message.push_str(&format!("; and {more} more"));
            }
            return Err(EngineError::Invalid(format!("nothing was imported: {message}")));
        }
        // Originals before translations, so a translation finds what it translates.
        let (originals, translations): (Vec<_>, Vec<_>) =
            parsed.into_iter().partition(|(item, _, _)| item.translation_of.is_none());
        let mut done = 0;
        for chunk in originals.chunks(batch.max(1)).chain(translations.chunks(batch.max(1))) {
            let mut saves = Vec::new();
            for (item, content, key) in chunk {
                let (content, key) = (content.clone(), key.clone());
                let translation_of = match &item.translation_of {
                    Some(of) => Some(self.store.article_by_key(workspace_id, of).await?.translation_root()),
                    None => None,
                };
                match self.store.article_by_key(workspace_id, &key).await {
                    Ok(current) if current.content == content && current.translation_of == translation_of => {
                        summary.unchanged += 1;
                    }
                    Ok(current) => {
                        let mut next = self.next_version(&current, content, Editor::Import);
                        next.translation_of = translation_of;
                        saves.push((next, Some(current.version)));
                        summary.updated += 1;
                    }
                    Err(StoreError::NotFound(_)) => {
                        let article =
                            self.first_version(workspace_id, Some(key), translation_of, content, Editor::Import);
                        saves.push((article, None));
                        summary.created += 1;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !saves.is_empty() {
                summary.indexed &= self.save_and_index(saves).await?;
            }
            done += chunk.len();
            progress(done);
        }
        Ok(summary)
    }

    /// Every article of a workspace, at its current version.
    async fn all_articles(&self, workspace_id: WorkspaceId) -> EngineResult<Vec<Article>> {
        let mut all = Vec::new();
        let mut filter = ArticleFilter { limit: 500, ..ArticleFilter::default() };
        loop {
            let page = self.store.list_articles(workspace_id, &filter).await?;
            let last = page.last().map(|a| a.id);
            let full = page.len() as u32 == filter.limit;
            all.extend(page);
            match (full, last) {
                (true, Some(last)) => filter.after = Some(last),
                _ => break,
            }
        }
        Ok(all)
    }

    /// Rebuilds a workspace's index from the store (`full`), or brings it up to date:
    /// articles missing from the index or at an older version are indexed, those no
    /// longer stored removed.
    pub async fn reindex_knowledge(&self, workspace_id: WorkspaceId, full: bool) -> EngineResult<ReindexSummary> {
        let articles = self.all_articles(workspace_id).await?;
        self.blocking(move |k| {
            let indexed = k.index.indexed_versions(workspace_id);
            let stored: HashSet<ArticleId> = articles.iter().map(|a| a.id).collect();
            let stale: Vec<&Article> =
                articles.iter().filter(|a| full || indexed.get(&a.id) != Some(&a.version)).collect();
            let removed: Vec<IndexUpdate> = indexed
                .keys()
                .filter(|id| !stored.contains(id))
                .map(|id| IndexUpdate::Remove { workspace_id, article_id: *id })
                .collect();
            let summary_removed = removed.len();
            if full {
                k.index.clear_workspace(workspace_id).map_err(index_error)?;
            } else {
                k.index.apply(removed).map_err(index_error)?;
            }
            for chunk in stale.chunks(64) {
                let owned: Vec<Article> = chunk.iter().map(|a| (*a).clone()).collect();
                k.index_articles(&owned)?;
            }
            Ok(ReindexSummary {
                articles: articles.len(),
                passages: k.index.workspace_passages(workspace_id),
                indexed: stale.len(),
                removed: summary_removed,
            })
        })
        .await
    }

    /// Brings every workspace's index up to date with the store (at start-up).
    pub async fn sync_knowledge(&self) -> EngineResult<ReindexSummary> {
        let mut total = ReindexSummary::default();
        for workspace in self.store.workspace_ids().await? {
            let s = self.reindex_knowledge(workspace, false).await?;
            total.articles += s.articles;
            total.passages += s.passages;
            total.indexed += s.indexed;
            total.removed += s.removed;
        }
        Ok(total)
    }

    /// The knowledge index's model, if any (for responses that say what ran).
    pub fn knowledge_model(&self) -> Option<String> {
        self.knowledge.get().and_then(|k| k.as_ref().ok()).and_then(|k| k.model().map(str::to_owned))
    }

    /// Searches the workspace's knowledge. Agents see public and internal articles.
    pub async fn search_knowledge(&self, actor: Actor, mut request: SearchRequest) -> EngineResult<SearchResponse> {
        actor.require(Role::Agent)?;
        request.workspace_id = actor.workspace_id();
        if request.query.trim().is_empty() {
            return Err(ValidationError::new("q", "the query is empty; say what to look for").into());
        }
        if request.query.chars().count() > 1_000 {
            return Err(ValidationError::new("q", "the query is longer than 1000 characters").into());
        }
        self.blocking(move |k| k.search(&request)).await
    }

    /// The knowledge cards for a conversation, as an agent asks for them. How well the
    /// latest customer message was answered is recorded after the reply, off its path.
    pub async fn knowledge_cards(&self, actor: Actor, conversation: ConversationId) -> EngineResult<Recommendations> {
        actor.require(Role::Agent)?;
        self.recommend(actor.workspace_id(), conversation, Recording::Background).await
    }

    /// Computes the top cards for a conversation from its recent customer messages and
    /// detected intent, leaving out cards dismissed or marked not helpful there; records
    /// how well the latest customer message was answered (once per message).
    pub(crate) async fn recommend(
        &self,
        workspace_id: WorkspaceId,
        conversation_id: ConversationId,
        recording: Recording,
    ) -> EngineResult<Recommendations> {
        let conversation = self.store.conversation(workspace_id, conversation_id).await?;
        let messages = self.store.messages(workspace_id, conversation_id).await?;
        let recent: Vec<&Message> = messages
            .iter()
            .rev()
            .filter(|m| matches!(m.author, Author::Customer(_)))
            .take(RECENT_CUSTOMER_MESSAGES)
            .collect();
        let Some(latest) = recent.first().copied() else {
            return Ok(Recommendations {
                conversation_id,
                message_id: None,
                cards: Vec::new(),
                mode: Mode::Hybrid,
                degraded: None,
                note: Some("The customer has not written yet.".into()),
                intent: None,
                language: None,
            });
        };
        let text_of =
            |m: &Message| m.understanding.as_ref().map_or_else(|| m.body.as_str().to_owned(), |u| u.redacted.clone());
        // The latest message says most about what the customer needs now; a short one
        // ("yes, the blue one") takes the one before it for context. Every token costs
        // embedding time on the real-time path.
        let latest_text = text_of(latest);
        let query = match recent.get(1) {
            Some(previous) if latest_text.split_whitespace().count() < 5 => {
                format!("{}\n{latest_text}", text_of(previous))
            }
            _ => latest_text.clone(),
        };
        let understanding = latest.understanding.as_ref();
        let intent = understanding.and_then(|u| u.intent.as_ref()).and_then(|i| i.intent.clone());
        let category = understanding.and_then(|u| u.intent.as_ref()).and_then(|i| i.category.clone());
        let language =
            understanding.and_then(|u| u.language.as_ref()).map(|l| l.code.clone()).or_else(|| latest.language.clone());
        let excluded: HashSet<(ArticleId, u32)> = self
            .store
            .card_feedback(workspace_id, conversation_id)
            .await?
            .into_iter()
            .filter(|f| f.verdict != CardVerdict::Helpful)
            .map(|f| (f.article_id, f.passage))
            .collect();
        let mut request = SearchRequest::new(workspace_id, query);
        request.query_language = language.clone();
        request.limit = CARDS;
        request.filter.exclude = excluded;
        request.boost_tags = intent.iter().chain(category.iter()).cloned().collect();
        let response = self.blocking(move |k| k.search(&request)).await?;
        let cards: Vec<KnowledgeCard> = response
            .hits
            .into_iter()
            .map(|hit| {
                let mut why = Vec::new();
                if let Some(i) = intent.as_ref().filter(|i| hit.tags.contains(i)) {
                    why.push(format!("tagged with the detected intent `{i}`"));
                }
                if !hit.matched_terms.is_empty() {
                    why.push(format!(
                        "mentions {}",
                        hit.matched_terms.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
                if let Some(cosine) = hit.cosine.filter(|_| hit.dense_rank.is_some_and(|r| r <= 3)) {
                    why.push(format!("close in meaning to what the customer wrote (similarity {cosine:.2})"));
                }
                if hit.cross_lingual {
                    why.push(format!("in `{}`, not the customer's language", hit.language));
                }
                KnowledgeCard { hit, why }
            })
            .collect();
        let best = cards.first().map(|c| (c.hit.confidence, c.hit.article_id));
        let question = KnowledgeQuestion {
            workspace_id,
            conversation_id,
            message_id: latest.id,
            text: latest_text,
            language: language.clone(),
            best_score: best.map_or(0.0, |b| b.0),
            best_article: best.map(|b| b.1),
            at: self.now(),
        };
        let event = StoredEvent::for_conversation(
            &conversation,
            DomainEvent::KnowledgeRecommended {
                conversation_id,
                message_id: latest.id,
                cards: cards
                    .iter()
                    .map(|c| CardRef {
                        article_id: c.hit.article_id,
                        version: c.hit.version,
                        passage: c.hit.passage,
                        score: c.hit.confidence,
                    })
                    .collect(),
            },
            self.now(),
        );
        let engine = self.clone();
        let record = async move {
            match engine.store.record_knowledge_question(&question, vec![event]).await {
                Ok(events) => engine.publish(&events).await,
                Err(error) => tracing::warn!(%error, "could not record a knowledge question"),
            }
        };
        match recording {
            Recording::Wait => record.await,
            Recording::Background => drop(tokio::spawn(record)),
        }
        Ok(Recommendations {
            conversation_id,
            message_id: Some(latest.id),
            cards,
            mode: response.mode,
            degraded: response.degraded,
            note: response.note,
            intent,
            language,
        })
    }

    /// Records an agent's verdict on a card shown in a conversation. Dismissed and
    /// not-helpful cards are not recommended in that conversation again.
    pub async fn give_card_feedback(
        &self,
        actor: Actor,
        conversation_id: ConversationId,
        article_id: ArticleId,
        passage: u32,
        verdict: CardVerdict,
    ) -> EngineResult<CardFeedback> {
        actor.require(Role::Agent)?;
        let workspace_id = actor.workspace_id();
        let conversation = self.store.conversation(workspace_id, conversation_id).await?;
        let article = self.store.article(workspace_id, article_id).await?;
        let feedback = CardFeedback {
            workspace_id,
            conversation_id,
            article_id,
            version: article.version,
            passage,
            agent_id: actor.agent_id(),
            verdict,
            at: self.now(),
        };
        let event = StoredEvent::for_conversation(
            &conversation,
            DomainEvent::CardFeedbackGiven { conversation_id, article_id, passage, verdict },
            self.now(),
        );
        let events = self.store.record_card_feedback(&feedback, vec![event]).await?;
        self.publish(&events).await;
        Ok(feedback)
    }

    /// Verdicts per article over the last `days`.
    pub async fn card_feedback_report(&self, actor: Actor, days: u32) -> EngineResult<Vec<CardFeedbackCount>> {
        actor.require(Role::Supervisor)?;
        let since = self.now() - Duration::days(i64::from(days));
        Ok(self.store.card_feedback_counts(actor.workspace_id(), since).await?)
    }

    /// Customer questions of the last `days` the knowledge answered poorly, grouped by
    /// similarity: the "missing or weak articles" report, largest group first.
    pub async fn knowledge_gaps(&self, actor: Actor, days: u32, min_count: usize) -> EngineResult<Vec<Gap>> {
        actor.require(Role::Supervisor)?;
        let since = self.now() - Duration::days(i64::from(days));
        let questions = self.store.knowledge_questions(actor.workspace_id(), since, WEAK_ANSWER, GAP_QUESTIONS).await?;
        self.blocking(move |k| {
            let vectors: Vec<Option<Vec<f32>>> = match &k.embedder {
                Some(e) => {
                    let texts: Vec<&str> = questions.iter().map(|q| q.text.as_str()).collect();
                    e.embed(&texts)
                        .map_err(|e| EngineError::Unavailable(format!("embedding questions: {e}")))?
                        .into_iter()
                        .map(Some)
                        .collect()
                }
                None => vec![None; questions.len()],
            };
            let grouped: Vec<GapQuestion> = questions
                .into_iter()
                .zip(vectors)
                .map(|(q, vector)| GapQuestion {
                    text: q.text,
                    language: q.language,
                    vector,
                    best_score: q.best_score,
                    best_article: q.best_article,
                    at: q.at,
                })
                .collect();
            Ok(tandem_knowledge::gaps::group(&grouped, GapSettings::for_model(k.model()), min_count.max(1)))
        })
        .await
    }

    /// Feeds the recommendation worker after a customer message is stored.
    pub(crate) fn queue_recommendation(&self, workspace_id: WorkspaceId, conversation_id: ConversationId) {
        if let Some(queue) = self.recommender.get()
            && queue.try_send(RecommendJob { workspace_id, conversation_id }).is_err()
        {
            tracing::debug!(conversation.id = %conversation_id, "recommendation queue full; cards update on request");
        }
    }
}
