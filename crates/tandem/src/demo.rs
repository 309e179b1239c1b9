//! `tandem demo`: a fresh workspace with agents, queues, customers and conversations
//! across channels, the virtual agent configured against the demo shop
//! ([`crate::demo_shop`]), served with the login details printed.

use anyhow::Context;
use tandem_domain::agent::Role;
use tandem_domain::{Body, Channel, Command, Identity, InboundMessage, Priority, Tag, Tier, WorkspaceId};
use tandem_engine::{Actor, AssignTarget, CustomerEdit, Engine, InboundRequest, NewAgent};

/// The demo agents' password (printed; the demo is for local use).
pub const DEMO_PASSWORD: &str = "tandem-demo-pass";

/// What the demo printed, for tests and the banner.
pub struct DemoInfo {
    pub workspace_slug: String,
    pub workspace_id: WorkspaceId,
    pub api_key: String,
    pub chat_key: String,
    pub agents: Vec<(String, Role)>,
    pub conversations: usize,
    /// The demo shop the bot's actions call.
    pub shop_url: String,
}

/// The demo's bot configuration (`examples/bot/demo.toml`), built into the binary.
pub const BOT_CONFIG: &str = include_str!("../../../examples/bot/demo.toml");

/// The demo bot configuration with its actions pointed at `shop_url`.
pub fn bot_config(shop_url: &str) -> anyhow::Result<tandem_bot::BotConfig> {
    let mut config: tandem_bot::BotConfig =
        toml::from_str(BOT_CONFIG).context("examples/bot/demo.toml does not parse")?;
    config.variables.insert("shop".into(), shop_url.trim_end_matches('/').to_owned());
    Ok(config)
}

struct Msg<'a> {
    channel: Channel,
    from: Vec<Identity>,
    name: Option<&'a str>,
    language: &'a str,
    body: &'a str,
}

async fn say(engine: &Engine, ws: WorkspaceId, m: Msg<'_>) -> anyhow::Result<tandem_store::IngestOutcome> {
    let message = InboundMessage {
        workspace_id: ws,
        channel: m.channel,
        identities: InboundMessage::normalize_identities(m.from)?,
        display_name: m.name.map(str::to_owned),
        body: Body::parse(m.body)?,
        subject: None,
        language: Some(m.language.to_owned()),
        attachments: Vec::new(),
        external_id: None,
        idempotency: None,
        understanding: None,
    };
    Ok(engine.ingest(InboundRequest { message, idempotency_key: None }).await?)
}

fn id(kind: fn(&str) -> Result<Identity, tandem_domain::ValidationError>, raw: &str) -> anyhow::Result<Identity> {
    Ok(kind(raw)?)
}

/// The demo workspace before any conversation: knowledge, queues, agents and the bot.
pub struct Setup {
    pub workspace: tandem_domain::Workspace,
    pub api_key: String,
    /// The API key's actor.
    pub api: Actor,
    /// Alice (admin), Ben (agent: billing, orders; en, es), Carla (supervisor: orders; en, pt).
    pub agents: Vec<tandem_domain::Agent>,
    pub general: tandem_domain::Queue,
    pub billing: tandem_domain::Queue,
}

/// Creates the demo workspace (slug `slug`, or `slug-2`... if taken) with the demo
/// knowledge base, queues, agents and the bot configured against the shop at `shop_url`.
pub async fn setup(engine: &Engine, slug: &str, shop_url: &str) -> anyhow::Result<Setup> {
    let mut attempt = 1;
    let (workspace, api_key) = loop {
        let candidate = if attempt == 1 { slug.to_owned() } else { format!("{slug}-{attempt}") };
        match engine.create_workspace(&candidate, "Demo Outfitters").await {
            Ok(created) => break created,
            Err(tandem_engine::EngineError::Conflict(_)) if attempt < 20 => attempt += 1,
            Err(e) => return Err(e).context("creating the demo workspace"),
        }
    };
    let ws = workspace.id;
    let articles = knowledge_articles()?;
    engine.import_articles(ws, articles, 64, |_| {}).await.context("importing the demo knowledge base")?;
    let general = engine.create_queue(ws, "General").await?;
    let skill = |name: &str, level: u8| tandem_domain::Skill { name: name.into(), level };
    let billing = engine
        .create_routed_queue(
            ws,
            "Billing",
            tandem_domain::QueueRouting {
                required_skills: vec![skill("billing", 3)],
                priority: 10,
                sla_target: 0.8,
                sla_seconds: 30,
                overflow: vec![tandem_domain::OverflowRule {
                    after_seconds: 120,
                    relax_levels: 1,
                    any_language: false,
                }],
                ..Default::default()
            },
        )
        .await?;
    engine
        .create_routed_queue(
            ws,
            "Technical",
            tandem_domain::QueueRouting {
                required_skills: vec![skill("orders", 3)],
                sla_target: 0.8,
                sla_seconds: 60,
                ..Default::default()
            },
        )
        .await?;
    let mut agents = Vec::new();
    for (email, name, role, skills, languages) in [
        ("alice@demo.tandem", "Alice Admin", Role::Admin, vec![("escalations", 5)], vec!["en"]),
        ("ben@demo.tandem", "Ben Okafor", Role::Agent, vec![("billing", 4), ("orders", 3)], vec!["en", "es"]),
        ("carla@demo.tandem", "Carla Souza", Role::Supervisor, vec![("orders", 5)], vec!["en", "pt"]),
    ] {
        let agent = engine
            .create_agent(
                ws,
                NewAgent {
                    email: email.into(),
                    display_name: name.into(),
                    role,
                    password: DEMO_PASSWORD.into(),
                    skills: skills.into_iter().map(|(s, l)| (s.to_owned(), l)).collect(),
                    languages: languages.into_iter().map(str::to_owned).collect(),
                },
            )
            .await?;
        agents.push(agent);
    }
    let api = engine.authenticate_api_key(&api_key).await?;
    engine.set_bot_config(api, bot_config(shop_url)?, None).await.context("configuring the demo bot")?;
    engine.set_bot_secret(api, "shop_token", crate::demo_shop::SHOP_TOKEN).await?;
    for (shortcut, title, body) in CANNED {
        engine.create_canned_response(api, shortcut, title, body, None).await?;
    }
    Ok(Setup { workspace, api_key, api, agents, general, billing })
}

/// Seeds the demo workspace (slug `demo`, or `demo-2`... if taken); its bot calls the
/// shop at `shop_url`. Seed with an engine that does not run the bot yet, so the seeded
/// conversations stay as written; the bot answers what is left to it once it runs.
pub async fn seed(engine: &Engine, shop_url: &str) -> anyhow::Result<DemoInfo> {
    let Setup { workspace, api_key, api, agents: ids, general, billing } = setup(engine, "demo", shop_url).await?;
    let ws = workspace.id;
    let agents: Vec<(String, Role)> = ids.iter().map(|a| (a.email.clone(), a.role)).collect();
    let (ben, carla) = (&ids[1], &ids[2]);
    let as_ben = Actor::Agent { workspace_id: ws, agent_id: ben.id, role: ben.role };
    let as_carla = Actor::Agent { workspace_id: ws, agent_id: carla.id, role: carla.role };

    // Maya writes by email, then follows up by SMS: one conversation, two channels.
    let maya_email = id(Identity::email, "maya.chen@example.com")?;
    let maya_phone = id(Identity::phone, "+1 415 555 0100")?;
    let first = say(engine, ws, Msg { channel: Channel::Email, from: vec![maya_email.clone()], name: Some("Maya Chen"), language: "en",
        body: "Hi, my order #A1043 hasn't arrived yet and the tracking page hasn't changed since Monday. Can you check?" }).await?;
    engine.assign(api, first.conversation.id, AssignTarget::Queue(general.id)).await?;
    engine.assign(api, first.conversation.id, AssignTarget::Agent(ben.id)).await?;
    engine
        .reply(
            as_ben,
            first.conversation.id,
            None,
            Body::parse("Hi Maya, I'm checking with the carrier now. One moment please.")?,
        )
        .await?;
    say(
        engine,
        ws,
        Msg {
            channel: Channel::Sms,
            from: vec![maya_phone, maya_email],
            name: None,
            language: "en",
            body: "Texting instead since I'm out. Any news on A1043?",
        },
    )
    .await?;
    engine
        .note(
            as_ben,
            first.conversation.id,
            None,
            Body::parse("Carrier says the parcel is held at the depot; asked them to release it.")?,
        )
        .await?;
    engine
        .edit_customer(api, first.customer_id, CustomerEdit { tier: Some(Tier::Gold), ..CustomerEdit::default() })
        .await?;

    // Jonas asks the bot on web chat.
    say(
        engine,
        ws,
        Msg {
            channel: Channel::WebChat,
            from: vec![id(Identity::web_visitor, "v_demo_jonas_01")?],
            name: None,
            language: "en",
            body: "Do you ship to Norway, and how long does it take?",
        },
    )
    .await?;

    // Priya was charged twice: queued for Billing with a raised priority.
    let priya = say(
        engine,
        ws,
        Msg {
            channel: Channel::Whatsapp,
            from: vec![id(Identity::phone, "+44 7700 900123")?],
            name: Some("Priya Patel"),
            language: "en",
            body: "I was charged twice for my subscription this month. This is really frustrating!",
        },
    )
    .await?;
    engine.assign(api, priya.conversation.id, AssignTarget::Queue(billing.id)).await?;
    engine.set_priority(api, priya.conversation.id, Priority::new(6)?).await?;
    engine.tag(api, priya.conversation.id, vec![Tag::parse("billing")?, Tag::parse("double-charge")?], vec![]).await?;

    // Lucas writes in Portuguese; Carla has it.
    let lucas = say(
        engine,
        ws,
        Msg {
            channel: Channel::Email,
            from: vec![id(Identity::email, "lucas.almeida@example.com.br")?],
            name: Some("Lucas Almeida"),
            language: "pt",
            body: "Olá, gostaria de trocar o tamanho do meu pedido A1077 de M para G.",
        },
    )
    .await?;
    engine.assign(as_carla, lucas.conversation.id, AssignTarget::Agent(carla.id)).await?;
    engine
        .reply(
            as_carla,
            lucas.conversation.id,
            None,
            Body::parse("Olá Lucas! Claro, vou providenciar a troca para o tamanho G.")?,
        )
        .await?;

    // Sam's CRM-originated question, already resolved.
    let sam = say(
        engine,
        ws,
        Msg {
            channel: Channel::Api,
            from: vec![id(Identity::external, "crm:1001")?, id(Identity::email, "sam@example.org")?],
            name: Some("Sam Rivera"),
            language: "en",
            body: "Please update my billing address to 200 Market St, Springfield.",
        },
    )
    .await?;
    engine
        .reply(as_ben, sam.conversation.id, None, Body::parse("Done, Sam: your billing address is updated.")?)
        .await?;
    engine.set_lifecycle(as_ben, sam.conversation.id, Command::Resolve).await?;

    // A phone call transcript.
    let call = say(
        engine,
        ws,
        Msg {
            channel: Channel::Voice,
            from: vec![id(Identity::phone, "+1 312 555 0199")?],
            name: None,
            language: "en",
            body: "[call transcript] Caller wants to change the delivery date for order A1102 to next Friday.",
        },
    )
    .await?;
    engine.assign(api, call.conversation.id, AssignTarget::Queue(general.id)).await?;

    // Ben is at his desk, so the bot's handovers reach a person.
    engine.set_agent_state(api, ben.id, tandem_domain::AgentState::Available).await?;

    Ok(DemoInfo {
        workspace_slug: workspace.slug.to_string(),
        workspace_id: ws,
        api_key,
        chat_key: workspace.chat_key,
        agents,
        conversations: 6,
        shop_url: shop_url.to_owned(),
    })
}

/// The demo's canned responses (typed after `/` in the desktop's composer).
const CANNED: &[(&str, &str, &str)] = &[
    ("hello", "Greeting", "Hi, thanks for getting in touch! I'm looking into this for you now."),
    (
        "order-status",
        "Order status",
        "I've checked your order: it is on its way and the tracking link in your confirmation email shows where it is.",
    ),
    (
        "refund-time",
        "Refund timing",
        "Refunds reach your account within 5 to 10 working days of the return arriving at our warehouse.",
    ),
    (
        "address-change",
        "Delivery address change",
        "I can change the delivery address while the order has not shipped. Which address should it go to?",
    ),
    ("anything-else", "Anything else?", "Is there anything else I can help you with today?"),
    ("goodbye", "Closing", "Thanks for chatting with us. Have a lovely day!"),
];

/// The demo knowledge base: `examples/kb`, built into the binary.
const KNOWLEDGE: &[(&str, &str)] = &[
    ("shipping/delivery-times.md", include_str!("../../../examples/kb/shipping/delivery-times.md")),
    ("shipping/delivery-times.es.md", include_str!("../../../examples/kb/shipping/delivery-times.es.md")),
    ("shipping/delivery-times.fr.md", include_str!("../../../examples/kb/shipping/delivery-times.fr.md")),
    ("shipping/delivery-times.de.md", include_str!("../../../examples/kb/shipping/delivery-times.de.md")),
    ("shipping/delivery-times.pt.md", include_str!("../../../examples/kb/shipping/delivery-times.pt.md")),
    ("shipping/tracking.md", include_str!("../../../examples/kb/shipping/tracking.md")),
    ("shipping/tracking.es.md", include_str!("../../../examples/kb/shipping/tracking.es.md")),
    ("shipping/tracking.fr.md", include_str!("../../../examples/kb/shipping/tracking.fr.md")),
    ("shipping/tracking.de.md", include_str!("../../../examples/kb/shipping/tracking.de.md")),
    ("shipping/tracking.pt.md", include_str!("../../../examples/kb/shipping/tracking.pt.md")),
    ("shipping/pick-up.md", include_str!("../../../examples/kb/shipping/pick-up.md")),
    ("returns/refunds.md", include_str!("../../../examples/kb/returns/refunds.md")),
    ("returns/refunds.es.md", include_str!("../../../examples/kb/returns/refunds.es.md")),
    ("returns/refunds.fr.md", include_str!("../../../examples/kb/returns/refunds.fr.md")),
    ("returns/refunds.de.md", include_str!("../../../examples/kb/returns/refunds.de.md")),
    ("account/password.md", include_str!("../../../examples/kb/account/password.md")),
    ("account/create-account.md", include_str!("../../../examples/kb/account/create-account.md")),
    ("account/edit-account.md", include_str!("../../../examples/kb/account/edit-account.md")),
    ("account/switch-account.md", include_str!("../../../examples/kb/account/switch-account.md")),
    ("account/registration-problems.md", include_str!("../../../examples/kb/account/registration-problems.md")),
    ("account/addresses.md", include_str!("../../../examples/kb/account/addresses.md")),
    ("account/newsletter.md", include_str!("../../../examples/kb/account/newsletter.md")),
    ("billing/double-charge.md", include_str!("../../../examples/kb/billing/double-charge.md")),
    ("billing/invoices.md", include_str!("../../../examples/kb/billing/invoices.md")),
    ("billing/payment-methods.md", include_str!("../../../examples/kb/billing/payment-methods.md")),
    ("orders/change-address.md", include_str!("../../../examples/kb/orders/change-address.md")),
    ("orders/cancel-order.md", include_str!("../../../examples/kb/orders/cancel-order.md")),
    ("orders/cancellation-fees.md", include_str!("../../../examples/kb/orders/cancellation-fees.md")),
    ("orders/change-order.md", include_str!("../../../examples/kb/orders/change-order.md")),
    ("orders/place-order.md", include_str!("../../../examples/kb/orders/place-order.md")),
    ("products/reviews.md", include_str!("../../../examples/kb/products/reviews.md")),
    ("stores/fitting-appointments.md", include_str!("../../../examples/kb/stores/fitting-appointments.md")),
    ("stores/fitting-appointments.es.md", include_str!("../../../examples/kb/stores/fitting-appointments.es.md")),
    ("stores/fitting-appointments.pt.md", include_str!("../../../examples/kb/stores/fitting-appointments.pt.md")),
    ("help/contact.md", include_str!("../../../examples/kb/help/contact.md")),
];

fn knowledge_articles() -> anyhow::Result<Vec<tandem_knowledge::import::ImportItem>> {
    KNOWLEDGE
        .iter()
        .map(|(path, text)| tandem_knowledge::import::markdown(path, text, "en").map_err(anyhow::Error::from))
        .collect()
}

/// The banner `tandem demo` prints.
pub fn banner(info: &DemoInfo, url: &str) -> String {
    let agents: Vec<String> =
        info.agents.iter().map(|(email, role)| format!("    {email:<22} ({})", role.as_str())).collect();
    format!(
        "\nTandem demo is running at {url}\n\n\
         Workspace: {slug}   ({n} conversations across email, SMS, WhatsApp, web chat, voice and API)\n\
         Agents (password `{pw}`):\n{agents}\n\
         API key:   {key}\n\
         Chat key:  {chat}\n\n\
         Demo shop: {shop}   (the business system the virtual agent's actions call)\n\n\
         In a browser:\n\
         \x20 {url}/demo               the shop page with the chat widget (one <script> tag)\n\
         \x20 {url}/app                the agent desktop (workspace `{slug}`, e.g. ben@demo.tandem)\n\
         \x20 {url}/app/supervisor     the supervisor's live view (carla@demo.tandem)\n\n\
         Talk to the virtual agent (it tracks orders, books fittings, hands over to people):\n\
         \x20 curl -s -X POST '{url}/api/v1/messages/inbound?wait_for_bot=true' -H 'Authorization: Bearer {key}' \\\n\
         \x20      -H 'Content-Type: application/json' \\\n\
         \x20      -d '{{\"channel\":\"web_chat\",\"from\":{{\"visitor_id\":\"visitor-try-1\"}},\"body\":\"Where is my order A1043?\"}}'\n\
         \x20 (then \"Book a fitting tomorrow at 11am\", or \"This is useless, I want a human!\")\n\n\
         Try:\n\
         \x20 curl -s {url}/api/v1/conversations -H 'Authorization: Bearer {key}'\n\
         \x20 curl -s -X POST {url}/api/v1/messages/inbound -H 'Authorization: Bearer {key}' \\\n\
         \x20      -H 'Content-Type: application/json' \\\n\
         \x20      -d '{{\"channel\":\"sms\",\"from\":{{\"phone\":\"+1 415 555 0100\"}},\"body\":\"Any update?\"}}'\n\
         \x20 curl -s -X POST {url}/api/v1/kb/search -H 'Authorization: Bearer {key}' \\\n\
         \x20      -H 'Content-Type: application/json' -d '{{\"q\":\"when does my refund arrive\"}}'\n\
         \x20 open {url}/api/openapi.json for the whole API\n\n\
         Press Ctrl-C to stop.\n",
        slug = info.workspace_slug,
        n = info.conversations,
        pw = DEMO_PASSWORD,
        agents = agents.join("\n"),
        key = info.api_key,
        chat = info.chat_key,
        shop = info.shop_url,
    )
}
