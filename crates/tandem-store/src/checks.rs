//! Rules both backends apply before writing virtual-agent and task records, so they
//! refuse the same requests with the same words, and the conflict messages they share
//! (canned responses' too).

use tandem_domain::TaskStatus;

use crate::{BotTurnCommit, StoreError, StoreResult};

/// A configuration save whose version is not one more than the stored one.
pub(crate) const BOT_CONFIG_CHANGED: &str = "the bot configuration changed since it was read; reload it and try again";

/// A bot turn whose state is no longer at the version it was read at.
pub(crate) const BOT_STATE_CHANGED: &str =
    "the bot's state for this conversation changed since it was read; reload it and try again";

/// A canned response whose shortcut another one of the workspace has.
pub(crate) fn shortcut_taken(shortcut: &str) -> String {
    format!("a canned response with the shortcut `{shortcut}` exists")
}

/// The most tasks one listing returns, and how many when the caller names no limit.
const MAX_TASKS: u32 = 500;
const DEFAULT_TASKS: u32 = 50;

/// Refuses a turn whose state, decision or tasks name another workspace or conversation
/// than the conversation it changes: every row a turn writes belongs to that
/// conversation's workspace.
pub(crate) fn bot_turn(commit: &BotTurnCommit) -> StoreResult<()> {
    let conversation = &commit.change.conversation;
    let (ws, id) = (conversation.workspace_id, conversation.id);
    if commit.state.workspace_id != ws || commit.state.conversation_id != id {
        return Err(StoreError::Invalid("the bot's state belongs to another conversation than the turn".into()));
    }
    if commit.decision.workspace_id != ws || commit.decision.conversation_id != id {
        return Err(StoreError::Invalid("the bot's decision belongs to another conversation than the turn".into()));
    }
    if commit.tasks.iter().any(|task| task.workspace_id != ws) {
        return Err(StoreError::Invalid("a task of the turn belongs to another workspace".into()));
    }
    Ok(())
}

/// Refuses to "settle" a task as open.
pub(crate) fn settled_status(status: TaskStatus) -> StoreResult<()> {
    if status == TaskStatus::Open {
        return Err(StoreError::Invalid("a task is settled as done, approved, rejected or cancelled".into()));
    }
    Ok(())
}

/// A task listing's limit: 0 means the default, anything else at most [`MAX_TASKS`].
pub(crate) fn task_limit(limit: u32) -> u32 {
    if limit == 0 { DEFAULT_TASKS } else { limit.min(MAX_TASKS) }
}

/// A duration in microseconds as the signed integer both backends store.
pub(crate) fn duration_column(micros: u64, what: &str) -> StoreResult<i64> {
    i64::try_from(micros).map_err(|_| StoreError::Invalid(format!("the {what} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::task_limit;

    #[test]
    fn task_limits_default_and_clamp() {
        for (asked, used) in [(0, 50), (1, 1), (50, 50), (500, 500), (501, 500), (u32::MAX, 500)] {
            assert_eq!(task_limit(asked), used, "limit {asked}");
        }
    }
}
