//! New requests: greetings, thanks, loops, high-value customers, the intent's handling,
//! and answers from knowledge.

#[allow(clippy::wildcard_imports)]
use super::*;

impl<E: Environment> Turn<'_, E> {
    // ---- new requests --------------------------------------------------------------------

    pub(super) async fn new_request(&mut self, pick: Pick) -> Outcome {
        self.state.pending = Pending::Nothing;
        let has_intent = pick.name.is_some();
        if self.detected.greeting && !has_intent {
            let name = self.bot.config.name.clone();
            self.say(Phrase::Greeting, &[("bot", name)]);
            return self.finish("reply", "greeting", "the customer said hello".into(), true);
        }
        if self.detected.asks_if_bot && !has_intent {
            let name = self.bot.config.name.clone();
            self.say(Phrase::IAmABot, &[("bot", name)]);
            return self.finish("reply", "bot_question", "the customer asked whether this is a bot".into(), true);
        }
        if self.detected.thanks && self.detected.words <= 4 && !has_intent {
            self.state.pending = Pending::AnythingElse;
            self.say(Phrase::Welcome, &[]);
            return self.finish("reply", "thanks", "the customer said thanks".into(), true);
        }
        if matches!(self.detected.reply, Some(Reply::Done)) && !has_intent {
            return self.goodbye();
        }
        // The same request again: the bot would only repeat itself.
        let grams = text::trigrams(&text::normalize(&self.search_text()));
        if self.detected.words >= 3
            && let Some(seen) = self.state.requests.iter().find(|r| text::similarity(&r.grams, &grams) >= 0.75)
        {
            let cue = format!(
                "repeated an earlier request{}",
                seen.intent.as_ref().map(|i| format!(" ({i})")).unwrap_or_default()
            );
            return self.escalate(Reason::Loop, cue, None).await;
        }
        if self.detected.words >= 3 && self.state.requests.len() < 20 {
            self.state.requests.push(RequestSeen { intent: pick.name.clone(), grams });
        }
        self.note_goal(&pick);
        let routine = has_intent && pick.category == Category::Routine;
        if self.bot.config.escalation.high_value_tiers.contains(&self.input.tier) && !routine {
            let cue = format!(
                "{} customer, request not routine ({})",
                self.input.tier.as_str(),
                pick.name.as_deref().unwrap_or("not understood")
            );
            return self.escalate(Reason::HighValue, cue, None).await;
        }
        let spec = pick.spec.map(|ix| self.bot.intents[ix].spec.clone());
        if let Some(spec) = &spec {
            if spec.escalate || matches!(spec.category, Some(Category::Sensitive | Category::HumanPreferred)) {
                let reason = spec.topic.map_or(Reason::IntentRule, Reason::Sensitive);
                return self
                    .escalate(reason, format!("intent {} is handled by people", spec.name), spec.queue.clone())
                    .await;
            }
            if let Some(answer) = localized(&spec.answer, &self.lang, &self.bot.config.default_language).cloned() {
                self.replies.push(answer);
                self.state.pending = Pending::AnythingElse;
                self.state.note_tried(format!("Gave the configured answer for {}", spec.name));
                return self.finish("answer", "intent.answer", format!("configured answer for {}", spec.name), true);
            }
            if let Some(action) = &spec.action {
                self.state.note_tried(format!("Started to {}", self.describe_action(action)));
                return self.advance_action(action, false).await;
            }
        }
        // A confident guess at an intent people handle better goes to them; a shaky one
        // ("can I pay with PayPal?" read as a payment problem) tries knowledge first.
        if pick.category != Category::Routine && (pick.source != "model" || pick.confidence >= 0.7) {
            return self
                .escalate(
                    Reason::IntentRule,
                    format!("intent {} is not for the bot", pick.name.unwrap_or_default()),
                    None,
                )
                .await;
        }
        self.knowledge_answer(&pick).await
    }

    pub(super) async fn knowledge_answer(&mut self, pick: &Pick) -> Outcome {
        let settings = &self.bot.config.knowledge;
        if !settings.enabled {
            return self.failed(Phrase::Clarify, "knowledge answers are off".into()).await;
        }
        let (min, min_agreeing) = (settings.min_confidence, settings.min_confidence_with_intent);
        let max_chars = settings.max_chars;
        // The model's guess, even below the intent threshold: an article tagged with it
        // that retrieval also found is two signals agreeing.
        let guess = self
            .understanding()
            .and_then(|u| u.intent.as_ref())
            .filter(|i| i.confidence >= 0.3)
            .and_then(|i| i.intent.clone());
        let guess = pick.name.clone().or(guess);
        let query =
            KnowledgeQuery { text: self.search_text(), language: Some(self.lang.clone()), intent: guess.clone() };
        let agrees = |h: &KnowledgeHit| guess.as_ref().is_some_and(|g| h.tags.contains(g));
        let good = |h: &KnowledgeHit| h.confidence >= min || (h.confidence >= min_agreeing && agrees(h));
        let hits = match self.env.search(&query).await {
            Ok(hits) => hits,
            Err(error) => {
                self.external_calls.push(json!({ "search": "failed", "error": error }));
                Vec::new()
            }
        };
        // Hits come best first: the first good one tagged with the intent, else the first good one.
        let best = hits.iter().position(|h| good(h) && agrees(h)).or_else(|| hits.iter().position(&good));
        let best = best.and_then(|i| hits.into_iter().nth(i));
        let Some(hit) = best else {
            // Knowledge in another language is no answer for this customer: a person helps.
            let any = self.env.search(&KnowledgeQuery { language: None, ..query }).await.unwrap_or_default();
            if let Some(other) = any.into_iter().find(|h| good(h) && lang::base(&h.language) != self.lang) {
                let cue = format!("the best answer (“{}”) is in `{}` only", other.title, other.language);
                return self.escalate(Reason::Language, cue, None).await;
            }
            let what =
                pick.name.as_deref().map_or("not understood".to_owned(), |n| format!("{n} with no confident article"));
            return self.failed(Phrase::Clarify, format!("no answer: {what}")).await;
        };
        let key = format!("{}:{}", hit.article_id, hit.passage);
        if self.state.answered.contains(&key) {
            return self.escalate(Reason::Loop, format!("would repeat the answer from “{}”", hit.title), None).await;
        }
        self.state.answered.push(key);
        let quoted = text::clip(&hit.text, max_chars);
        self.say(Phrase::Answer, &[("text", quoted), ("title", hit.title.clone())]);
        self.say(Phrase::AnswerCheck, &[]);
        self.state.pending = Pending::AnswerCheck { article: hit.article_id.clone(), title: hit.title.clone() };
        self.external_calls
            .push(json!({ "article_id": hit.article_id, "passage": hit.passage, "confidence": hit.confidence }));
        self.finish(
            "answer",
            "knowledge.answer",
            format!("answered from “{}” ({:.2})", hit.title, hit.confidence),
            true,
        )
    }
}
