//! The index through its public API: indexing, BM25 with filters, dense and hybrid with
//! hand-made vectors, updates without a rebuild, and persistence across a reopen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use tandem_domain::{Article, ArticleDraft, ArticleId, ArticleStatus, Audience, Editor, WorkspaceId};
use tandem_knowledge::{
    Filter, IndexMeta, IndexUpdate, KnowledgeIndex, Mode, Opened, SearchConfig, SearchRequest, prepare,
};

fn article(ws: WorkspaceId, title: &str, body: &str, language: &str, audience: Audience, tags: &[&str]) -> Article {
    let content = ArticleDraft {
        title: title.into(),
        body: body.into(),
        language: language.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        audience: Some(audience),
        ..Default::default()
    }
    .parse()
    .unwrap();
    Article {
        id: ArticleId::new(),
        workspace_id: ws,
        key: None,
        translation_of: None,
        content,
        version: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        updated_by: Editor::Import,
    }
}

/// A toy embedding: one dimension per topic word, so tests control similarity.
fn embed(text: &str) -> Vec<f32> {
    let topics = [["refund", "reembolso"], ["ship", "envío"], ["password", "contraseña"], ["invoice", "factura"]];
    let lower = text.to_lowercase();
    let mut v: Vec<f32> = topics.iter().map(|t| if t.iter().any(|w| lower.contains(w)) { 1.0 } else { 0.0 }).collect();
    v.push(0.1);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

fn upsert(a: &Article, vectors: bool) -> IndexUpdate {
    let (passages, texts) = prepare(a);
    let vectors = if vectors { texts.iter().map(|t| embed(t)).collect() } else { Vec::new() };
    IndexUpdate::Upsert { workspace_id: a.workspace_id, article_id: a.id, passages, vectors }
}

fn corpus(ws: WorkspaceId) -> Vec<Article> {
    vec![
        article(
            ws,
            "Refunds",
            "Refunds are paid back to the card you used within five days.",
            "en",
            Audience::Public,
            &["refund"],
        ),
        article(ws, "Shipping times", "Parcels ship within two working days.", "en", Audience::Public, &["shipping"]),
        article(
            ws,
            "Reset a password",
            "Agents can reset a customer's password from the admin panel.",
            "en",
            Audience::Internal,
            &["account"],
        ),
        article(ws, "Facturas", "Puede descargar cada factura desde su cuenta.", "es", Audience::Public, &["invoice"]),
    ]
}

fn titles(response: &tandem_knowledge::SearchResponse) -> Vec<String> {
    response.hits.iter().map(|h| h.title.clone()).collect()
}

#[test]
fn bm25_finds_stemmed_words_and_filters_apply() {
    let index = KnowledgeIndex::in_memory(IndexMeta::new(None, 0)).unwrap();
    let ws = WorkspaceId::new();
    let articles = corpus(ws);
    index.apply(articles.iter().map(|a| upsert(a, false)).collect()).unwrap();
    let config = SearchConfig::default();

    let response = index.search(&SearchRequest::new(ws, "when is my refund paid"), None, &config).unwrap();
    assert_eq!(titles(&response)[0], "Refunds");
    assert_eq!(response.mode, Mode::Bm25);
    assert!(response.degraded.as_deref().is_some_and(|d| d.contains("BM25 only")), "{response:?}");
    let top = &response.hits[0];
    assert!(top.matched_terms.contains(&"Refunds".to_string()) && top.matched_terms.contains(&"paid".to_string()));
    assert!(top.snippet.iter().any(|s| s.mark));
    assert!(top.confidence > 0.3, "{}", top.confidence);

    let mut public = SearchRequest::new(ws, "reset password");
    public.filter.audience = Some(Audience::Public);
    assert!(index.search(&public, None, &config).unwrap().hits.is_empty());
    public.filter.audience = Some(Audience::Internal);
    assert_eq!(titles(&index.search(&public, None, &config).unwrap()), vec!["Reset a password"]);

    let mut spanish = SearchRequest::new(ws, "descargar facturas");
    assert_eq!(titles(&index.search(&spanish, None, &config).unwrap()), vec!["Facturas"]);
    spanish.filter.language = Some("en".into());
    assert!(index.search(&spanish, None, &config).unwrap().hits.is_empty());

    let mut tagged = SearchRequest::new(ws, "days");
    tagged.filter.tags = vec!["shipping".into()];
    assert_eq!(titles(&index.search(&tagged, None, &config).unwrap()), vec!["Shipping times"]);

    // Another workspace sees nothing.
    assert!(index.search(&SearchRequest::new(WorkspaceId::new(), "refund"), None, &config).unwrap().hits.is_empty());
}

#[test]
fn dense_and_hybrid_find_across_languages_and_say_so() {
    let index = KnowledgeIndex::in_memory(IndexMeta::new(Some("toy"), 5)).unwrap();
    let ws = WorkspaceId::new();
    let articles = corpus(ws);
    index.apply(articles.iter().map(|a| upsert(a, true)).collect()).unwrap();
    let config = SearchConfig { cosine_low: 0.0, cosine_high: 1.0, ..SearchConfig::default() };

    // No word in common with the English article; the vector carries the meaning.
    let mut request = SearchRequest::new(ws, "¿dónde está mi reembolso?");
    request.query_language = Some("es".into());
    let response = index.search(&request, Some(&embed(&request.query)), &config).unwrap();
    assert_eq!(response.mode, Mode::Hybrid);
    assert_eq!(titles(&response)[0], "Refunds");
    assert!(response.cross_lingual && response.hits[0].cross_lingual);
    assert!(response.note.as_deref().is_some_and(|n| n.contains("`es`")), "{:?}", response.note);

    request.mode = Mode::Dense;
    assert_eq!(titles(&index.search(&request, Some(&embed(&request.query)), &config).unwrap())[0], "Refunds");

    // Dismissed passages are not returned.
    let refunds = articles[0].id;
    request.mode = Mode::Hybrid;
    request.filter.exclude.insert((refunds, 0));
    let response = index.search(&request, Some(&embed(&request.query)), &config).unwrap();
    assert!(response.hits.iter().all(|h| h.article_id != refunds));
}

#[test]
fn edits_update_without_a_rebuild_and_drafts_are_hidden() {
    let index = KnowledgeIndex::in_memory(IndexMeta::new(None, 0)).unwrap();
    let ws = WorkspaceId::new();
    let mut a = corpus(ws).remove(0);
    index.apply(vec![upsert(&a, false)]).unwrap();
    let config = SearchConfig::default();
    a.content.body = "Store credit is issued instead of cash.".into();
    a.version = 2;
    index.apply(vec![upsert(&a, false)]).unwrap();
    assert!(index.search(&SearchRequest::new(ws, "card five days"), None, &config).unwrap().hits.is_empty());
    let hits = index.search(&SearchRequest::new(ws, "store credit"), None, &config).unwrap().hits;
    assert_eq!((hits.len(), hits[0].version), (1, 2));
    assert_eq!(index.indexed_versions(ws).get(&a.id), Some(&2));

    a.content.status = ArticleStatus::Draft;
    a.version = 3;
    index.apply(vec![upsert(&a, false)]).unwrap();
    assert!(index.search(&SearchRequest::new(ws, "store credit"), None, &config).unwrap().hits.is_empty());
    let mut drafts = SearchRequest::new(ws, "store credit");
    drafts.filter = Filter { status: vec![ArticleStatus::Draft], ..Filter::default() };
    assert_eq!(index.search(&drafts, None, &config).unwrap().hits.len(), 1);

    index.apply(vec![IndexUpdate::Remove { workspace_id: ws, article_id: a.id }]).unwrap();
    assert_eq!(index.workspace_passages(ws), 0);
}

#[test]
fn the_index_persists_and_is_rebuilt_when_the_model_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("knowledge");
    let ws = WorkspaceId::new();
    let articles = corpus(ws);
    {
        let (index, opened) = KnowledgeIndex::open(&path, IndexMeta::new(Some("toy"), 5)).unwrap();
        assert!(matches!(opened, Opened::Fresh { .. }));
        index.apply(articles.iter().map(|a| upsert(a, true)).collect()).unwrap();
    }
    let (index, opened) = KnowledgeIndex::open(&path, IndexMeta::new(Some("toy"), 5)).unwrap();
    assert_eq!(opened, Opened::Existing { passages: 4 });
    let config = SearchConfig { cosine_low: 0.0, cosine_high: 1.0, ..SearchConfig::default() };
    let mut request = SearchRequest::new(ws, "reembolso");
    request.mode = Mode::Dense;
    let response = index.search(&request, Some(&embed("reembolso")), &config).unwrap();
    assert_eq!(titles(&response)[0], "Refunds", "vectors survive the reopen");
    // A new pid never collides with a stored one.
    index.apply(vec![upsert(&articles[1], true)]).unwrap();
    assert_eq!(index.passage_count(), 4);
    drop(index);

    let (index, opened) = KnowledgeIndex::open(&path, IndexMeta::new(Some("another"), 5)).unwrap();
    assert!(matches!(&opened, Opened::Fresh { reason } if reason.contains("model changed")), "{opened:?}");
    assert_eq!(index.passage_count(), 0);
}
