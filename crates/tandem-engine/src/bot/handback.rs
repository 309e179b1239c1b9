//! People hand a conversation back to the bot: it keeps what it learned (goal, facts,
//! language), forgets the failures and the handover, and answers only what the customer
//! writes after the hand-back point (see `turn::next_unanswered`).

use serde_json::json;
use tandem_bot::Outcome;
use tandem_domain::{ConversationId, Owner, WorkspaceId};

use super::commit::RETRIES;
use super::turn::{TurnMeta, parse_state};
use crate::{Engine, EngineError, EngineResult};

impl Engine {
    /// Records the hand-back in the bot's state and audit (after `assign` to the bot).
    pub(crate) async fn bot_handed_back(&self, ws: WorkspaceId, id: ConversationId) -> EngineResult<()> {
        let Some(runtime) = self.bot.clone() else { return Ok(()) };
        // No turn of this conversation runs meanwhile.
        let lock = runtime.lock_for(id);
        let _turns = lock.lock().await;
        for _ in 0..RETRIES {
            let current = self.store.conversation(ws, id).await?;
            if current.owner != Owner::Bot {
                return Ok(());
            }
            let (mut state, version) = parse_state(self.store.bot_state(ws, id).await?, id);
            state.handed_back();
            let outcome = Outcome {
                state,
                replies: Vec::new(),
                resolve: false,
                handoff: None,
                approval: None,
                decision: tandem_bot::Decision {
                    kind: "resume",
                    rule: "handed_back".into(),
                    reason: "people handed the conversation back to the bot".into(),
                    escalation: None,
                    inputs: json!({}),
                    outcome: json!({}),
                    progress: true,
                },
            };
            let meta =
                TurnMeta { message_id: None, state_version: version, latency_us: 0, external_us: 0, settle: None };
            match self.commit_bot_outcome(ws, id, outcome, meta).await {
                Ok(_) => return Ok(()),
                Err(EngineError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(EngineError::Conflict("could not hand the conversation back to the bot; try again".into()))
    }
}
