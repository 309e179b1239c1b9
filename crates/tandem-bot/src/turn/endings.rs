//! How a turn ends: a goodbye, a failed turn (counted towards a handover), a handover
//! with its summary, and the decision for the audit.

#[allow(clippy::wildcard_imports)]
use super::*;

impl<E: Environment> Turn<'_, E> {
    // ---- endings ---------------------------------------------------------------------------

    pub(super) fn goodbye(&mut self) -> Outcome {
        self.say(Phrase::Goodbye, &[]);
        self.state.pending = Pending::Nothing;
        let waiting = !self.state.approvals.is_empty();
        self.resolve = !waiting;
        self.state.resolved = !waiting;
        self.finish("resolve", "resolve.done", "the customer has nothing else".into(), true)
    }

    /// A turn that did not help: counts towards escalation.
    pub(super) async fn failed(&mut self, phrase: Phrase, why: String) -> Outcome {
        let text = self.wording().say(phrase, &[]);
        self.failed_with(text, why).await
    }

    pub(super) async fn failed_with(&mut self, text: String, why: String) -> Outcome {
        self.state.failed += 1;
        if self.state.failed >= self.bot.config.escalation.max_failed_turns {
            return self
                .escalate(Reason::FailedTurns, format!("{} failed turns; last: {why}", self.state.failed), None)
                .await;
        }
        self.replies.push(text);
        self.finish("clarify", "failed_turn", why, false)
    }

    /// A failed turn whose reply is already written.
    pub(super) async fn failed_keep(&mut self, why: String) -> Outcome {
        self.state.failed += 1;
        if self.state.failed >= self.bot.config.escalation.max_failed_turns {
            return self
                .escalate(Reason::FailedTurns, format!("{} failed turns; last: {why}", self.state.failed), None)
                .await;
        }
        self.finish("clarify", "failed_turn", why, false)
    }

    pub(super) async fn escalate(&mut self, reason: Reason, cue: String, queue: Option<String>) -> Outcome {
        let settings = &self.bot.config.escalation;
        let queue = queue.or_else(|| reason.queue(settings)).or_else(|| settings.default_queue.clone());
        let outlook = self.env.outlook(queue.as_deref()).await;
        let open = self.bot.hours.as_ref().is_none_or(|h| h.is_open(self.input.now));
        let available = open && outlook.queue.is_some() && outlook.working > 0;
        let ack = match reason {
            Reason::ExplicitRequest => Phrase::HandoffRequest,
            Reason::Sensitive(_) => Phrase::HandoffSensitive,
            Reason::Frustration => Phrase::HandoffFrustrated,
            Reason::FailedTurns | Reason::Loop => Phrase::HandoffFailed,
            Reason::ActionFailed => Phrase::HandoffActionFailed,
            Reason::HighValue => Phrase::HandoffPriority,
            Reason::Verification => Phrase::HandoffVerification,
            Reason::Language => Phrase::HandoffLanguage,
            Reason::IntentRule | Reason::ApprovalRejected => Phrase::HandoffGeneric,
        };
        let action = self.action.clone().unwrap_or_else(|| "do that".into());
        let wording = self.wording();
        let mut message =
            if reason == Reason::ApprovalRejected { String::new() } else { wording.say(ack, &[("action", action)]) };
        let team = outlook.queue.clone().unwrap_or_default();
        let follow_up = if available {
            let next = if outlook.free > 0 {
                wording.say(Phrase::WaitNow, &[("queue", team)])
            } else {
                let seconds = u64::from(outlook.waiting + 1) * u64::from(self.bot.config.expected_handle_seconds)
                    / u64::from(outlook.working.max(1));
                let minutes = seconds.div_ceil(60).max(1);
                wording.say(Phrase::WaitMinutes, &[("queue", team), ("minutes", minutes.to_string())])
            };
            push_sentence(&mut message, &next);
            None
        } else {
            let (via, contact) = match self.input.contact {
                Contact { email: true, .. } => ("email", wording.say(Phrase::ByEmail, &[])),
                Contact { phone: true, .. } => ("phone", wording.say(Phrase::ByPhone, &[])),
                _ => ("conversation", wording.say(Phrase::InThisChat, &[])),
            };
            push_sentence(&mut message, &wording.say(Phrase::NoAgent, &[("contact", contact)]));
            if let Some(hours) = self.bot.hours.as_ref().filter(|_| !open) {
                push_sentence(&mut message, &wording.say(Phrase::OpeningHours, &[("hours", hours.describe())]));
            }
            if via == "conversation" {
                push_sentence(&mut message, &wording.say(Phrase::LeaveEmail, &[]));
            }
            Some(FollowUp { via: via.into(), reason: reason.code().into() })
        };
        self.replies.push(message);
        self.state.pending = Pending::Nothing;
        self.state.escalated = Some(Escalated { reason, turn: self.state.turns, queue: outlook.queue.clone() });
        let label = self
            .state
            .goal
            .as_ref()
            .and_then(|g| g.intent.as_deref())
            .and_then(|i| self.bot.intents.iter().find(|s| s.spec.name == i).and_then(|s| s.spec.label.clone()));
        let summary = HandoffSummary::build(&self.state, reason, &cue, &self.input.trajectory, label.as_deref());
        self.state.end_action();
        let handoff = Handoff {
            reason,
            queue: outlook.queue.or(queue),
            priority: reason.priority(&self.bot.config.escalation),
            summary,
            available,
            follow_up,
        };
        let mut outcome = self.finish("escalate", &format!("escalate.{}", reason.code()), cue, true);
        outcome.decision.escalation = Some(reason.code().to_owned());
        outcome.decision.outcome["available"] = json!(handoff.available);
        outcome.decision.outcome["queue"] = json!(handoff.queue);
        outcome.handoff = Some(handoff);
        outcome
    }

    pub(super) fn finish(&mut self, kind: &'static str, rule: &str, reason: String, progress: bool) -> Outcome {
        if progress {
            self.state.unprogressed = 0;
        } else {
            self.state.unprogressed += 1;
        }
        let outcome = json!({
            "replies": self.replies.len(),
            "pending": self.state.pending.label(),
            "failed": self.state.failed,
            "resolve": self.resolve,
            "approval": self.approval.as_ref().map(|a| a.action.clone()),
            "calls": self.external_calls,
        });
        Outcome {
            state: self.state.clone(),
            replies: std::mem::take(&mut self.replies),
            resolve: self.resolve,
            handoff: None,
            approval: self.approval.take(),
            decision: Decision {
                kind,
                rule: rule.to_owned(),
                reason,
                escalation: None,
                inputs: self.inputs.clone(),
                outcome,
                progress,
            },
        }
    }
}

fn push_sentence(message: &mut String, sentence: &str) {
    if !message.is_empty() {
        message.push(' ');
    }
    message.push_str(sentence);
}
