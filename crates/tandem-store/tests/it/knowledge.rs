//! Knowledge stories: articles saved as versions with an optimistic check, found by key
//! and filters, agents' verdicts counted, and customer questions recorded once each.

use chrono::Duration;
use tandem_domain::ingest::ContinuityPolicy;
use tandem_domain::{
    AgentId, Article, ArticleDraft, ArticleId, ArticleStatus, Audience, CardFeedback, CardVerdict, Channel,
    DomainEvent, Editor, Identity, KnowledgeQuestion, StoredEvent, WorkspaceId, time,
};
use tandem_store::{ArticleFilter, ArticleSave, Store, StoreError};

use crate::stories::{inbound, workspace};

fn article(ws: WorkspaceId, key: &str, title: &str, language: &str, tags: &[&str]) -> Article {
    let content = ArticleDraft {
        title: title.into(),
        body: format!("# {title}\n\nBody of {title}."),
        language: language.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        product: Some("Shop".into()),
        audience: Some(Audience::Public),
        ..ArticleDraft::default()
    }
    .parse()
    .unwrap();
    let now = time::now();
    Article {
        id: ArticleId::new(),
        workspace_id: ws,
        key: Some(key.into()),
        translation_of: None,
        content,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: Editor::Import,
    }
}

fn save(article: &Article, expected_version: Option<u32>) -> ArticleSave {
    let event = match expected_version {
        None => DomainEvent::ArticleCreated { article_id: article.id, version: article.version },
        Some(_) => DomainEvent::ArticleUpdated { article_id: article.id, version: article.version },
    };
    ArticleSave {
        article: article.clone(),
        expected_version,
        events: vec![StoredEvent::for_workspace(article.workspace_id, event, time::now())],
    }
}

pub async fn articles_are_versioned_with_an_optimistic_check(store: &dyn Store) {
    let ws = workspace(store, "kb-versions").await;
    let refunds = article(ws.id, "returns/refunds", "Refunds", "en", &["refund"]);
    let shipping = article(ws.id, "shipping", "Shipping", "en", &["shipping"]);
    let events = store.save_articles(vec![save(&refunds, None), save(&shipping, None)]).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.seq > 0));
    assert_eq!(store.article(ws.id, refunds.id).await.unwrap(), refunds);
    assert_eq!(store.article_by_key(ws.id, "returns/refunds").await.unwrap().id, refunds.id);

    // A new version, then a stale one: refused, nothing changes.
    let mut v2 = refunds.clone();
    v2.content.body = "Now ten days.".into();
    v2.version = 2;
    v2.updated_by = Editor::Agent(AgentId::new());
    store.save_articles(vec![save(&v2, Some(1))]).await.unwrap();
    let mut stale = refunds.clone();
    stale.content.body = "Lost update".into();
    stale.version = 2;
    let err = store.save_articles(vec![save(&stale, Some(1))]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.article(ws.id, refunds.id).await.unwrap().content.body, "Now ten days.");
    let versions = store.article_versions(ws.id, refunds.id).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(versions[1].edited_by, v2.updated_by);
    assert!(versions[0].content.body.contains("Body of Refunds"));

    // A taken key, or a new version of a missing article, refuses the whole batch.
    let twin = article(ws.id, "shipping", "Shipping twin", "en", &[]);
    let fresh = article(ws.id, "fresh", "Fresh", "en", &[]);
    let err = store.save_articles(vec![save(&fresh, None), save(&twin, None)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(matches!(store.article_by_key(ws.id, "fresh").await, Err(StoreError::NotFound(_))));
    let ghost = article(ws.id, "ghost", "Ghost", "en", &[]);
    assert!(store.save_articles(vec![save(&ghost, Some(1))]).await.is_err());

    // Another workspace sees none of it.
    let other = workspace(store, "kb-versions-other").await;
    assert!(matches!(store.article(other.id, refunds.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.article_by_key(other.id, "shipping").await, Err(StoreError::NotFound(_))));
    assert!(store.article_versions(other.id, refunds.id).await.map(|v| v.is_empty()).unwrap_or(true));
}

pub async fn articles_are_listed_by_filters_and_pages(store: &dyn Store) {
    let ws = workspace(store, "kb-list").await;
    let en = article(ws.id, "a", "Refunds", "en", &["refund", "money"]);
    let mut es = article(ws.id, "b", "Reembolsos", "es", &["refund"]);
    es.translation_of = Some(en.id);
    let mut internal = article(ws.id, "c", "Fraud checks", "en", &["fraud"]);
    internal.content.audience = Audience::Internal;
    internal.content.status = ArticleStatus::Draft;
    internal.content.product = None;
    store.save_articles(vec![save(&en, None), save(&es, None), save(&internal, None)]).await.unwrap();

    let list = |filter: ArticleFilter| async move {
        store.list_articles(ws.id, &filter).await.unwrap().into_iter().map(|a| a.content.title).collect::<Vec<_>>()
    };
    let all = ArticleFilter { limit: 100, ..ArticleFilter::default() };
    assert_eq!(list(all.clone()).await.len(), 3);
    assert_eq!(list(ArticleFilter { language: Some("es".into()), ..all.clone() }).await, ["Reembolsos"]);
    assert_eq!(list(ArticleFilter { audience: Some(Audience::Internal), ..all.clone() }).await, ["Fraud checks"]);
    assert_eq!(list(ArticleFilter { status: Some(ArticleStatus::Published), ..all.clone() }).await.len(), 2);
    assert_eq!(list(ArticleFilter { tag: Some("money".into()), ..all.clone() }).await, ["Refunds"]);
    assert_eq!(list(ArticleFilter { product: Some("Shop".into()), ..all.clone() }).await.len(), 2);
    let mut family = list(ArticleFilter { translation_root: Some(en.id), ..all.clone() }).await;
    family.sort();
    assert_eq!(family, ["Reembolsos", "Refunds"]);
    // Pages in id order.
    let first = store.list_articles(ws.id, &ArticleFilter { limit: 2, ..all.clone() }).await.unwrap();
    let rest = store
        .list_articles(ws.id, &ArticleFilter { after: first.last().map(|a| a.id), limit: 2, ..all.clone() })
        .await
        .unwrap();
    assert_eq!((first.len(), rest.len()), (2, 1));
    assert!(first[1].id < rest[0].id);
}

pub async fn card_verdicts_and_questions_are_recorded(store: &dyn Store) {
    let ws = workspace(store, "kb-feedback").await;
    let refunds = article(ws.id, "r", "Refunds", "en", &[]);
    store.save_articles(vec![save(&refunds, None)]).await.unwrap();
    let identity = Identity::email("kim@example.com").unwrap();
    let out = store
        .ingest(
            inbound(ws.id, Channel::Email, &[identity], "Do you ship to Iceland?"),
            ContinuityPolicy::default(),
            time::now(),
        )
        .await
        .unwrap();
    let conversation = out.conversation;

    for verdict in [CardVerdict::Helpful, CardVerdict::Dismissed, CardVerdict::Helpful] {
        let feedback = CardFeedback {
            workspace_id: ws.id,
            conversation_id: conversation.id,
            article_id: refunds.id,
            version: 1,
            passage: 0,
            agent_id: None,
            verdict,
            at: time::now(),
        };
        let event = StoredEvent::for_conversation(
            &conversation,
            DomainEvent::CardFeedbackGiven {
                conversation_id: conversation.id,
                article_id: refunds.id,
                passage: 0,
                verdict,
            },
            time::now(),
        );
        let stored = store.record_card_feedback(&feedback, vec![event]).await.unwrap();
        assert_eq!(stored.len(), 1);
    }
    let given = store.card_feedback(ws.id, conversation.id).await.unwrap();
    assert_eq!(
        given.iter().map(|f| f.verdict).collect::<Vec<_>>(),
        [CardVerdict::Helpful, CardVerdict::Dismissed, CardVerdict::Helpful]
    );
    let counts = store.card_feedback_counts(ws.id, time::now() - Duration::days(1)).await.unwrap();
    assert_eq!((counts.len(), counts[0].helpful, counts[0].dismissed, counts[0].not_helpful), (1, 2, 1, 0));
    assert!(store.card_feedback_counts(ws.id, time::now() + Duration::days(1)).await.unwrap().is_empty());

    // A question is recorded once per message.
    let question = KnowledgeQuestion {
        workspace_id: ws.id,
        conversation_id: conversation.id,
        message_id: out.message.id,
        text: "Do you ship to Iceland?".into(),
        language: Some("en".into()),
        best_score: 0.2,
        best_article: Some(refunds.id),
        at: time::now(),
    };
    let event = || {
        StoredEvent::for_conversation(
            &conversation,
            DomainEvent::KnowledgeRecommended {
                conversation_id: conversation.id,
                message_id: out.message.id,
                cards: vec![],
            },
            time::now(),
        )
    };
    assert_eq!(store.record_knowledge_question(&question, vec![event()]).await.unwrap().len(), 1);
    assert!(store.record_knowledge_question(&question, vec![event()]).await.unwrap().is_empty());
    let since = time::now() - Duration::days(1);
    let weak = store.knowledge_questions(ws.id, since, 0.5, 10).await.unwrap();
    assert_eq!(weak.len(), 1);
    assert_eq!((weak[0].text.as_str(), weak[0].best_article), ("Do you ship to Iceland?", Some(refunds.id)));
    assert!((weak[0].best_score - 0.2).abs() < 1e-6);
    assert!(store.knowledge_questions(ws.id, since, 0.1, 10).await.unwrap().is_empty(), "0.2 is not below 0.1");
    let other = workspace(store, "kb-feedback-other").await;
    assert!(store.knowledge_questions(other.id, since, 1.0, 10).await.unwrap().is_empty());
    assert!(store.card_feedback(other.id, conversation.id).await.unwrap().is_empty());
}
