//! Canned-response stories: created once per shortcut in a workspace, listed by
//! shortcut, deleted once, and never seen or deleted from another workspace.

use tandem_domain::{CannedResponse, CannedResponseId, WorkspaceId, time};
use tandem_store::{Store, StoreError};

use crate::stories::workspace;

fn canned(ws: WorkspaceId, shortcut: &str, title: &str, language: Option<&str>) -> CannedResponse {
    CannedResponse::new(ws, shortcut, title, &format!("{title}: the text agents send."), language, time::now()).unwrap()
}

fn taken(shortcut: &str) -> StoreError {
    StoreError::Conflict(format!("a canned response with the shortcut `{shortcut}` exists"))
}

pub async fn canned_responses_are_created_listed_and_deleted(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let other = workspace(store, "globex").await;
    assert!(store.canned_responses(ws.id).await.unwrap().is_empty());

    let refunds = canned(ws.id, "refund-policy", "Refunds", Some("en"));
    let greeting = canned(ws.id, "greeting", "Hello", None);
    let address = canned(ws.id, "address-change", "Cambio de dirección", Some("es"));
    for c in [&refunds, &greeting, &address] {
        store.create_canned_response(c).await.unwrap();
    }
    let listed = vec![address.clone(), greeting.clone(), refunds.clone()];
    assert_eq!(store.canned_responses(ws.id).await.unwrap(), listed, "by shortcut, every field as stored");

    // A taken shortcut is refused whatever else differs, and nothing changes.
    let again = canned(ws.id, "greeting", "Hi there", Some("en"));
    assert_eq!(store.create_canned_response(&again).await, Err(taken("greeting")));
    assert_eq!(store.canned_responses(ws.id).await.unwrap(), listed, "a refused create changes nothing");

    // The same shortcut in another workspace is another response.
    let theirs = canned(other.id, "greeting", "Welcome", None);
    store.create_canned_response(&theirs).await.unwrap();
    assert_eq!(store.canned_responses(other.id).await.unwrap(), vec![theirs.clone()]);
    assert_eq!(store.canned_responses(ws.id).await.unwrap(), listed);

    // Another workspace can neither delete ours nor see it.
    assert_eq!(store.delete_canned_response(other.id, greeting.id).await, Err(StoreError::NotFound("canned response")));
    assert_eq!(store.delete_canned_response(ws.id, theirs.id).await, Err(StoreError::NotFound("canned response")));
    assert_eq!(store.canned_responses(ws.id).await.unwrap(), listed);
    assert_eq!(store.canned_responses(other.id).await.unwrap(), vec![theirs.clone()]);

    store.delete_canned_response(ws.id, greeting.id).await.unwrap();
    assert_eq!(store.canned_responses(ws.id).await.unwrap(), vec![address.clone(), refunds.clone()]);
    assert_eq!(store.delete_canned_response(ws.id, greeting.id).await, Err(StoreError::NotFound("canned response")));
    assert_eq!(
        store.delete_canned_response(ws.id, CannedResponseId::new()).await,
        Err(StoreError::NotFound("canned response"))
    );
    assert_eq!(store.canned_responses(other.id).await.unwrap(), vec![theirs], "theirs is untouched");

    // A deleted response's shortcut is free again.
    store.create_canned_response(&again).await.unwrap();
    assert_eq!(store.canned_responses(ws.id).await.unwrap(), vec![address, again, refunds]);
}

pub async fn concurrent_creates_of_one_shortcut_let_exactly_one_win(store: &dyn Store) {
    let ws = workspace(store, "acme").await;
    let first = canned(ws.id, "opening-hours", "Opening hours", Some("en"));
    let second = canned(ws.id, "opening-hours", "Horario", Some("es"));
    let (a, b) = tokio::join!(store.create_canned_response(&first), store.create_canned_response(&second));
    let results = [a, b];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "exactly one create wins: {results:?}");
    assert!(results.contains(&Err(taken("opening-hours"))), "the other is told the shortcut is taken: {results:?}");
    let stored = store.canned_responses(ws.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0] == first || stored[0] == second);
}
