//! The store conformance suite: the same stories run against SQLite (always) and
//! PostgreSQL (when `TANDEM_TEST_POSTGRES_URL` is set; required when `CI` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bot;
mod canned;
mod knowledge;
mod routing;
mod stories;
mod support;

macro_rules! conformance {
    ($($module:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        mod sqlite {
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::sqlite();
                    crate::$module::$name(&*db.store).await;
                }
            )*)*
        }
        mod postgres {
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::support::postgres().await else { return };
                    crate::$module::$name(&*db.store).await;
                }
            )*)*
        }
    };
}

conformance!(
    stories: [
        workspaces_are_unique_and_found_by_slug_and_chat_key,
        api_keys_sessions_and_chat_visitors,
        agents_and_queues,
        ingest_creates_customer_conversation_and_message,
        ingest_joins_the_open_conversation_across_channels,
        ingest_is_idempotent_per_key,
        ingest_outside_the_window_or_after_resolution_starts_a_new_conversation,
        identities_of_two_customers_in_one_message_are_not_stolen,
        saving_a_stale_conversation_conflicts_and_changes_nothing,
        conversations_are_filtered_and_paginated,
        identities_link_and_resolve,
        merging_customers_moves_everything_and_loses_nothing,
        customers_update_with_optimistic_check,
        workspaces_are_isolated,
        events_are_ordered_and_scoped,
        concurrent_ingest_from_one_new_customer_creates_one_customer,
        concurrent_retries_with_one_key_store_one_message,
        understanding_is_stored_and_refined,
        customers_are_created_with_their_identities_once,
    ],
    routing: [
        queue_routing_settings_round_trip,
        routing_entries_open_once_and_list_in_entry_order,
        closing_a_routing_entry_removes_it_from_the_open_list,
        routing_arrivals_count_by_queue,
        routing_entries_since_list_open_entries_and_those_entered_since,
        offers_are_recorded_settled_and_listed,
        accepting_an_offer_assigns_the_conversation_once,
        concurrent_accepts_of_one_offer_let_exactly_one_win,
    ],
    knowledge: [
        articles_are_versioned_with_an_optimistic_check,
        articles_are_listed_by_filters_and_pages,
        card_verdicts_and_questions_are_recorded,
    ],
    bot: [
        bot_configuration_is_saved_as_versions,
        bot_secrets_are_set_replaced_listed_and_deleted,
        a_bot_turn_commits_conversation_state_decision_and_tasks,
        a_stale_bot_turn_conflicts_and_writes_nothing,
        bot_decisions_are_listed_in_order_and_scoped,
        tasks_are_listed_by_filter_and_settled_once,
        a_bot_turn_settles_its_task_once_in_the_same_transaction,
    ],
    canned: [
        canned_responses_are_created_listed_and_deleted,
        concurrent_creates_of_one_shortcut_let_exactly_one_win,
    ],
);
