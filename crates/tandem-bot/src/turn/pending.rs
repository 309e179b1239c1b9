//! Answers to what the bot asked: an answer check, "anything else?", a detail, the
//! email on file, a confirmation.

#[allow(clippy::wildcard_imports)]
use super::*;

impl<E: Environment> Turn<'_, E> {
    // ---- pending questions ---------------------------------------------------------------

    /// Answers to what the bot asked. `None`: the message is not such an answer.
    pub(super) async fn pending_reply(&mut self, pick: &Pick) -> Option<Outcome> {
        let reply = self.detected.reply.or(self.detected.thanks.then_some(Reply::Yes));
        match self.state.pending.clone() {
            Pending::Nothing => None,
            Pending::AnswerCheck { article, title } => match reply {
                Some(Reply::Yes) => {
                    self.state.note_tried(format!("Answered from “{title}”: the customer said it helped"));
                    self.state.pending = Pending::AnythingElse;
                    self.say(Phrase::AnswerHelped, &[]);
                    Some(self.finish(
                        "reply",
                        "answer.helped",
                        format!("the customer confirmed “{title}” helped"),
                        true,
                    ))
                }
                Some(Reply::No) => {
                    self.state.note_tried(format!("Answered from “{title}”: the customer said it did not help"));
                    self.state.pending = Pending::Nothing;
                    Some(self.failed(Phrase::AnswerFailed, format!("the answer from {article} did not help")).await)
                }
                Some(Reply::Done) => Some(self.goodbye()),
                None => None,
            },
            Pending::AnythingElse => match reply {
                Some(Reply::No | Reply::Done) => Some(self.goodbye()),
                Some(Reply::Yes) if self.detected.words <= 2 => {
                    self.state.pending = Pending::Nothing;
                    self.say(Phrase::AnythingElse, &[]);
                    Some(self.finish("ask", "anything_else.yes", "the customer has another question".into(), true))
                }
                _ => None,
            },
            Pending::Slot { action, slot, attempts } => self.slot_reply(pick, &action, &slot, attempts).await,
            Pending::Verification { action } => self.verification_reply(pick, &action).await,
            Pending::Confirmation { action } => match reply {
                Some(Reply::Yes) => {
                    self.state.pending = Pending::Nothing;
                    Some(self.advance_action(&action, true).await)
                }
                Some(Reply::No | Reply::Done) => {
                    self.state.pending = Pending::AnythingElse;
                    self.state
                        .note_tried(format!("Offered to {}: the customer declined", self.describe_action(&action)));
                    self.state.end_action();
                    self.say(Phrase::Cancelled, &[]);
                    Some(self.finish("reply", "action.declined", format!("the customer declined {action}"), true))
                }
                None => None,
            },
        }
    }

    /// Whether a message that did not answer the bot's question is a new request.
    pub(super) fn looks_like_new_request(&self, pick: &Pick, action: &str) -> bool {
        let handled_here = pick.spec.and_then(|ix| self.bot.intents[ix].spec.action.as_deref()) == Some(action);
        pick.name.is_some() && !handled_here && self.detected.alpha_words >= 3
    }

    pub(super) async fn slot_reply(&mut self, pick: &Pick, action: &str, slot: &str, attempts: u32) -> Option<Outcome> {
        let Some(compiled) = self.bot.actions.get(action) else {
            self.state.pending = Pending::Nothing;
            return None;
        };
        let Some(spec) = compiled.spec.slots.iter().find(|s| s.name == slot) else {
            self.state.pending = Pending::Nothing;
            return None;
        };
        // Free text takes anything, so a clear new request ("where is my order A2000?")
        // is not taken for an address.
        let clear_request = pick.confidence >= 0.7 || self.input.text.contains('?');
        if spec.kind == crate::config::SlotKind::Text && clear_request && self.looks_like_new_request(pick, action) {
            self.state.pending = Pending::Nothing;
            return None;
        }
        let today = self.input.now.date_naive();
        let read = slots::read(spec, compiled.patterns.get(slot), &self.input.text, self.understanding(), today, true);
        // "No, it's A1043" answers; a bare "no" or "never mind" stops.
        let stops = matches!(self.detected.reply, Some(Reply::No | Reply::Done)) && self.detected.words <= 3;
        if stops && !matches!(read, SlotRead::Value(_)) {
            self.state.pending = Pending::AnythingElse;
            self.state.note_tried(format!("Started to {}: the customer stopped", compiled.spec.description));
            self.state.end_action();
            self.say(Phrase::Cancelled, &[]);
            return Some(self.finish("reply", "action.abandoned", format!("the customer stopped {action}"), true));
        }
        match read {
            SlotRead::Value(value) => {
                self.state.slots.insert(slot.to_owned(), SlotValue { value, private: spec.is_private() });
                self.state.pending = Pending::Nothing;
                Some(self.advance_action(action, false).await)
            }
            SlotRead::Invalid(Problem::Format) | SlotRead::Missing if self.looks_like_new_request(pick, action) => {
                self.state.pending = Pending::Nothing;
                None
            }
            other => {
                let problem = if let SlotRead::Invalid(p) = other { p } else { Problem::Format };
                let default = self.bot.config.default_language.clone();
                let prompt = localized(&spec.prompt, &self.lang, &default).cloned().unwrap_or_default();
                let invalid = match problem {
                    Problem::PastDate => self.wording().say(Phrase::DatePast, &[]),
                    Problem::Format => localized(&spec.invalid, &self.lang, &default)
                        .cloned()
                        .unwrap_or_else(|| format!("{} {prompt}", self.wording().say(Phrase::SlotInvalid, &[]))),
                };
                self.state.pending =
                    Pending::Slot { action: action.to_owned(), slot: slot.to_owned(), attempts: attempts + 1 };
                Some(self.failed_with(invalid, format!("the answer for {slot} was not valid ({problem:?})")).await)
            }
        }
    }

    pub(super) async fn verification_reply(&mut self, pick: &Pick, action: &str) -> Option<Outcome> {
        let email = slots::read(
            &crate::config::SlotSpec {
                name: "email".into(),
                kind: crate::config::SlotKind::Email,
                pattern: None,
                choices: Vec::new(),
                prompt: BTreeMap::new(),
                invalid: BTreeMap::new(),
                private: Some(true),
                future: false,
            },
            None,
            &self.input.text,
            None,
            self.input.now.date_naive(),
            true,
        );
        match email {
            SlotRead::Value(given) => {
                if self.input.customer_emails.iter().any(|e| e.eq_ignore_ascii_case(&given)) {
                    self.state.verified = true;
                    self.state.pending = Pending::Nothing;
                    self.state.note_tried("Verified the customer's identity (email on file)".into());
                    Some(self.advance_action(action, false).await)
                } else {
                    self.state.verify_attempts += 1;
                    if self.state.verify_attempts >= 2 {
                        self.state.note_tried("Identity check: the email given did not match twice".into());
                        Some(
                            self.escalate(
                                Reason::Verification,
                                "the email given did not match the one on file".into(),
                                None,
                            )
                            .await,
                        )
                    } else {
                        self.say(Phrase::VerifyFailed, &[]);
                        Some(self.finish(
                            "ask",
                            "verify.mismatch",
                            "the email did not match; asked again".into(),
                            false,
                        ))
                    }
                }
            }
            _ if self.looks_like_new_request(pick, action) => {
                self.state.pending = Pending::Nothing;
                None
            }
            _ => {
                let verify = self.wording().say(Phrase::Verify, &[]);
                Some(self.failed_with(verify, "no email address in the reply".into()).await)
            }
        }
    }
}
