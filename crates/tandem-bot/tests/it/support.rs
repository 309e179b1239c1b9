//! A conversation harness: real message understanding, the bot's turns through a fake
//! environment (a few articles, scripted business-system answers, a queue outlook).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{LazyLock, Mutex};
use std::task::{Context, Poll, Waker};

use tandem_bot::text::normalize;
use tandem_bot::{
    ActionCall, BotConfig, BotState, CallError, CallResponse, CompiledBot, Contact, Environment, KnowledgeHit,
    KnowledgeQuery, Outcome, Outlook, TurnInput, take_turn,
};
use tandem_domain::{MessageId, SentimentTrajectory, Tier};
use tandem_nlp::enrich::Enricher;

#[expect(clippy::expect_used, reason = "test set-up")]
static ENRICHER: LazyLock<Enricher> =
    LazyLock::new(|| Enricher::with_defaults(false).expect("the shipped models load"));

/// Polls a future that the fake environment makes ready at once.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

pub struct Article {
    pub id: &'static str,
    pub title: &'static str,
    pub text: &'static str,
    pub language: &'static str,
    pub keywords: &'static [&'static str],
}

pub const ARTICLES: &[Article] = &[
    Article {
        id: "delivery",
        title: "Delivery times",
        text: "Standard delivery takes 3–5 business days; express takes 1–2.",
        language: "en",
        keywords: &["delivery", "shipping", "ship", "long", "arrive"],
    },
    Article {
        id: "refunds",
        title: "Refunds",
        text: "Refunds reach your card within 5–10 business days after we receive the return.",
        language: "en",
        keywords: &["refund", "money", "back", "return"],
    },
    Article {
        id: "reembolsos",
        title: "Reembolsos",
        text: "Los reembolsos llegan a tu tarjeta en 5–10 días hábiles.",
        language: "es",
        keywords: &["reembolso", "dinero", "devolucion"],
    },
    Article {
        id: "password",
        title: "Resetting your password",
        text: "Use “Forgot password” on the sign-in page; the link is valid for one hour.",
        language: "en",
        keywords: &["password", "reset", "sign", "login"],
    },
];

/// Scripted answers by URL substring.
pub struct FakeEnv {
    pub responses: Vec<(&'static str, Result<CallResponse, CallError>)>,
    pub outlook: Outlook,
    pub calls: Mutex<Vec<ActionCall>>,
}

impl Default for FakeEnv {
    fn default() -> Self {
        Self {
            responses: vec![
                (
                    "/orders/A1043",
                    Ok(CallResponse {
                        status: 200,
                        body: serde_json::json!({"status": "out for delivery", "eta": "2026-12-06"}),
                    }),
                ),
                ("/orders/A9500", Err(CallError::Timeout)),
                ("/orders/", Ok(CallResponse { status: 404, body: serde_json::json!({"error": "not found"}) })),
                ("/appointments", Ok(CallResponse { status: 201, body: serde_json::json!({"id": "AP-2001"}) })),
                ("/customers/", Ok(CallResponse { status: 200, body: serde_json::json!({"ok": true}) })),
            ],
            outlook: Outlook { queue: Some("General".into()), working: 2, free: 1, waiting: 0 },
            calls: Mutex::new(Vec::new()),
        }
    }
}

impl Environment for FakeEnv {
    fn search(&self, query: &KnowledgeQuery) -> impl Future<Output = Result<Vec<KnowledgeHit>, String>> + Send {
        let text = normalize(&query.text);
        let words: Vec<&str> = text.split(' ').collect();
        let hits = ARTICLES
            .iter()
            .filter(|a| query.language.as_deref().is_none_or(|l| l == a.language))
            .map(|a| {
                let found = a.keywords.iter().filter(|k| words.iter().any(|w| w.starts_with(*k))).count();
                KnowledgeHit {
                    article_id: a.id.into(),
                    passage: 0,
                    title: a.title.into(),
                    text: a.text.into(),
                    language: a.language.into(),
                    confidence: (found as f32 / 2.0).min(1.0),
                    tags: Vec::new(),
                }
            })
            .filter(|h| h.confidence > 0.0)
            .collect();
        std::future::ready(Ok(hits))
    }

    fn call(&self, call: &ActionCall) -> impl Future<Output = Result<CallResponse, CallError>> + Send {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call.clone());
        }
        let answer = self
            .responses
            .iter()
            .find(|(k, _)| call.url.contains(k))
            .map(|(_, r)| r.clone())
            .unwrap_or(Err(CallError::Failed("no route".into())));
        std::future::ready(answer)
    }

    fn outlook(&self, _queue: Option<&str>) -> impl Future<Output = Outlook> + Send {
        std::future::ready(self.outlook.clone())
    }

    fn secret(&self, name: &str) -> Option<String> {
        (name == "shop_token").then(|| "s3cret".to_owned())
    }
}

pub const CONFIG: &str = r#"
name = "Ava"
[variables]
shop = "http://shop.test"
[escalation.queues]
billing_dispute = "Billing"

[[intents]]
name = "track_order"
label = "Track an order"
action = "order_status"
[[intents]]
name = "book_appointment"
keywords = ["appointment", "cita", "rendez-vous", "termin"]
action = "book_appointment"
[[intents]]
name = "change_shipping_address"
action = "update_address"

[[actions]]
name = "order_status"
description = "look up your order"
request.url = "{var.shop}/orders/{order_number}"
request.headers.Authorization = "Bearer {secret.shop_token}"
response.status = "/status"
response.eta = "/eta"
reply.en = "Order {order_number} is {status}, expected {eta}."
reply.es = "El pedido {order_number} está {status}, llegada prevista {eta}."
[[actions.on_status]]
status = 404
reply.en = "I couldn't find order {order_number}."
reply.es = "No encuentro el pedido {order_number}."
ask_again = "order_number"
[[actions.slots]]
name = "order_number"
kind = "order_number"
pattern = "[A-Z]\\d{4}"
prompt.en = "What is your order number? It looks like A1043."
prompt.es = "¿Cuál es tu número de pedido? Es como A1043."

[[actions]]
name = "book_appointment"
description = "book your appointment"
request.method = "POST"
request.url = "{var.shop}/appointments"
request.body = { date = "{date}", time = "{time}" }
response.id = "/id"
confirm.en = "Book an appointment on {date} at {time}? (yes/no)"
reply.en = "Booked: {date} at {time}, reference {id}."
[[actions.slots]]
name = "date"
kind = "date"
prompt.en = "Which day suits you?"
[[actions.slots]]
name = "time"
kind = "time"
prompt.en = "At what time?"

[[actions]]
name = "update_address"
description = "change your delivery address"
verify_identity = true
needs_approval = true
request.method = "PUT"
request.url = "{var.shop}/customers/address"
request.body = { address = "{address}" }
reply.en = "Your address is now {address}."
[[actions.slots]]
name = "address"
kind = "text"
prompt.en = "What is the new address?"
"#;

pub fn bot() -> CompiledBot {
    #[expect(clippy::expect_used, reason = "test set-up")]
    let config: BotConfig = toml::from_str(CONFIG).expect("the test configuration parses");
    #[expect(clippy::expect_used, reason = "test set-up")]
    config.compile().expect("the test configuration compiles")
}

/// A conversation with the bot, as the engine would drive it.
pub struct Chat {
    pub bot: CompiledBot,
    pub env: FakeEnv,
    pub state: BotState,
    pub trajectory: SentimentTrajectory,
    pub language: Option<String>,
    pub tier: Tier,
    pub emails: Vec<String>,
    pub outcomes: Vec<Outcome>,
}

impl Chat {
    pub fn new() -> Self {
        Self {
            bot: bot(),
            env: FakeEnv::default(),
            state: BotState::default(),
            trajectory: SentimentTrajectory::default(),
            language: None,
            tier: Tier::Standard,
            emails: vec!["maya@example.com".into()],
            outcomes: Vec::new(),
        }
    }

    pub fn say(&mut self, text: &str) -> &Outcome {
        let u = ENRICHER.understand(text);
        if let Some(s) = u.sentiment {
            self.trajectory.update(s.score, &u.signals);
        }
        if let Some(l) = u.language.as_ref().filter(|l| l.confidence >= 0.6) {
            self.language = Some(l.code.clone());
        }
        let input = TurnInput {
            message_id: MessageId::new(),
            text: text.to_owned(),
            understanding: Some(u),
            trajectory: self.trajectory.clone(),
            language: self.language.clone(),
            tier: self.tier,
            customer_emails: self.emails.clone(),
            contact: Contact { email: !self.emails.is_empty(), phone: false },
            now: chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").map(|d| d.to_utc()).unwrap_or_default(),
        };
        let outcome = block_on(take_turn(&self.bot, &self.state, &input, &self.env));
        self.state = outcome.state.clone();
        self.outcomes.push(outcome);
        self.outcomes.last().unwrap_or_else(|| unreachable!())
    }

    /// The replies of the last turn, joined.
    pub fn last_reply(&self) -> String {
        self.outcomes.last().map(|o| o.replies.join("\n")).unwrap_or_default()
    }

    pub fn handoff_reason(&self) -> Option<String> {
        self.outcomes.iter().find_map(|o| o.handoff.as_ref().map(|h| h.reason.code().to_owned()))
    }
}

/// Slot values by name, for assertions.
pub fn slots(state: &BotState) -> BTreeMap<String, String> {
    state.slots.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
}

#[test]
fn print_understanding() {
    if std::env::var_os("BOT_DEBUG").is_none() {
        return;
    }
    for text in std::env::var("BOT_DEBUG").unwrap_or_default().split('|') {
        let u = ENRICHER.understand(text);
        println!(
            "{text:?}: lang {:?} intent {:?} sentiment {:?} signals {:?} entities {:?}",
            u.language.map(|l| (l.code, l.confidence)),
            u.intent.map(|i| (i.intent, i.category, i.confidence)),
            u.sentiment.map(|s| s.score),
            u.signals,
            u.entities.iter().map(|e| (e.kind.clone(), e.value.clone())).collect::<Vec<_>>()
        );
    }
}
