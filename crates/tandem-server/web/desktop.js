// The agent desktop: log in, set your state, take offers, work conversations with the
// customer's whole context and the assist panel beside them. Live over the agents'
// WebSocket; every piece of text from customers and agents is set as text.
"use strict";

(() => {
  const {
    api, el, clear, ago, channelIcon, channelName, socket, setCsrf, debounce, time, serverNow, keepFocus, UUID, toast,
    fillAssignTargets, assignBody,
  } = Tandem;
  const $ = (id) => document.getElementById(id);

  const S = {
    me: null,
    queues: [],
    agents: [],
    canned: [],
    offers: new Map(),
    current: null, // the open conversation's id
    detail: null, // { conversation, messages }
    customer: null,
    lastSeq: 0,
    ws: null,
    typingSentAt: 0,
    typingTimer: null,
    drafts: new Map(), // conversation id -> unsent text
    shown: new Set(), // "conversation|source|reference" already reported as shown
    announced: new Set(), // offers already announced
    expired: new Set(), // offers whose countdown ran out (refreshed once)
  };

  // --- small helpers --------------------------------------------------------------

  function fail(where, error) {
    const message = error && error.message ? error.message : String(error);
    if (where) where.textContent = message;
    else toast(message);
  }

  function customerName(customer) {
    if (!customer) return "Customer";
    if (customer.display_name) return customer.display_name;
    const identity = customer.identities && customer.identities.find((i) => i.kind !== "web_visitor");
    if (identity) return identity.value;
    return customer.identities && customer.identities.length ? "Web visitor" : "Customer";
  }

  function queueName(id) {
    const q = S.queues.find((q) => q.id === id);
    return q ? q.name : "a queue";
  }

  function agentName(id) {
    const a = S.agents.find((a) => a.id === id);
    return a ? a.display_name : "an agent";
  }

  function ownerLabel(owner) {
    if (owner.kind === "bot") return "virtual agent";
    if (owner.kind === "queue") return "queue " + queueName(owner.id);
    if (S.me && owner.id === S.me.id) return "you";
    return agentName(owner.id);
  }

  function authorLabel(m) {
    switch (m.author.kind) {
      case "customer": return customerName(S.customer);
      case "bot": return "Virtual agent";
      case "agent": return S.me && m.author.id === S.me.id ? "You" : agentName(m.author.id);
      default: return "System";
    }
  }

  const STATUS_LABELS = {
    bot: "with the virtual agent", queued: "waiting in a queue", assigned: "assigned",
    waiting_on_customer: "waiting on the customer", resolved: "resolved", closed: "closed",
  };

  // --- login ----------------------------------------------------------------------

  async function start() {
    try {
      const me = await api("GET", "/api/v1/auth/me");
      if (!me.agent) throw new Error("log in as an agent");
      setCsrf(me.csrf_token);
      await enter(me.agent);
    } catch (e) {
      showLogin();
    }
  }

  function showLogin() {
    $("app-view").hidden = true;
    $("login-view").hidden = false;
    const saved = localStorage.getItem("tandem.workspace");
    if (saved) $("login-workspace").value = saved;
    ($("login-workspace").value ? $("login-email") : $("login-workspace")).focus();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    const workspace = $("login-workspace").value.trim();
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    if (!workspace || !email || !password) {
      $("login-error").textContent = "Fill in the workspace, your email and your password.";
      return;
    }
    try {
      const session = await api("POST", "/api/v1/auth/login", { workspace, email, password });
      localStorage.setItem("tandem.workspace", workspace);
      setCsrf(session.csrf_token);
      $("login-password").value = "";
      try {
        await api("GET", "/api/v1/auth/me");
      } catch (e) {
        // The password was right but the browser did not keep the session cookie.
        $("login-error").textContent = location.protocol === "https:"
          ? "Your browser refused the session cookie; allow cookies for this site."
          : "Your browser refused the secure session cookie over plain HTTP: open Tandem over HTTPS (or on localhost), or set server.secure_cookies = false on a trusted network.";
        return;
      }
      await enter(session.agent);
    } catch (e) {
      fail($("login-error"), e);
    }
  });

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/api/v1/auth/logout"); } catch (e) { /* the session is gone either way */ }
    setCsrf("");
    if (S.ws) S.ws.close();
    location.reload();
  });

  async function enter(agent) {
    S.me = agent;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("agent-name").textContent = agent.display_name;
    $("agent-state").value = ["available", "busy", "away", "offline"].includes(agent.state) ? agent.state : "offline";
    $("supervisor-link").hidden = !(agent.role === "supervisor" || agent.role === "admin");
    const [queues, agents, canned] = await Promise.all([
      api("GET", "/api/v1/queues"),
      api("GET", "/api/v1/agents"),
      api("GET", "/api/v1/canned-responses").catch(() => []),
    ]);
    S.queues = queues;
    S.agents = agents;
    S.canned = canned;
    fillTransferTargets();
    connect();
    await refreshLists();
    const wanted = new URLSearchParams(location.hash.slice(1)).get("c");
    if (wanted && UUID.test(wanted)) openConversation(wanted);
  }

  $("agent-state").addEventListener("change", async (event) => {
    try {
      const agent = await api("PUT", `/api/v1/agents/${S.me.id}/state`, { state: event.target.value });
      S.me.state = agent.state;
      toast("You are " + agent.state.replace("_", " ") + ".");
    } catch (e) {
      event.target.value = S.me.state;
      fail(null, e);
    }
  });

  // --- live feed ------------------------------------------------------------------

  function connect() {
    S.ws = socket(() => "/api/v1/ws" + (S.lastSeq ? "?after=" + S.lastSeq : ""), {
      onOpen: () => {
        $("connection").textContent = "live";
        $("connection").className = "connection live";
        refreshLists();
        reloadConversationSoon(); // whatever happened while we were away
      },
      onClose: () => { $("connection").textContent = "reconnecting…"; $("connection").className = "connection down"; },
      onMessage: onFrame,
    });
  }

  const refreshListsSoon = debounce(() => refreshLists(), 250);
  const reloadConversationSoon = debounce(() => reloadConversation(), 250);
  const reloadAssistSoon = debounce(() => loadAssist(), 600);

  function onFrame(frame) {
    if (frame.type === "typing") {
      if (frame.conversation_id === S.current) showTyping(customerName(S.customer) + " is typing…");
      return;
    }
    if (frame.type === "lagged") { S.lastSeq = 0; refreshLists(); reloadConversationSoon(); return; }
    if (frame.type === "error") { toast(frame.message); return; }
    if (frame.type === "typing_sent") return;
    if (frame.type !== "event") return;
    const event = frame.event;
    S.lastSeq = Math.max(S.lastSeq, event.seq);
    if (event.type.startsWith("offer_")) refreshListsSoon();
    if (["owner_changed", "status_changed", "conversation_created", "message_created", "tags_changed",
      "priority_changed"].includes(event.type)) refreshListsSoon();
    if (event.type === "agent_state_changed" && S.me && event.data.agent_id === S.me.id) {
      S.me.state = event.data.to;
      $("agent-state").value = event.data.to;
    }
    if (event.conversation_id && event.conversation_id === S.current) {
      if (event.type === "message_created" && frame.message) {
        appendMessage(frame.message);
        if (frame.message.kind === "inbound") { showTyping(""); reloadAssistSoon(); }
      }
      // What changes the header, the owner or the timeline's context.
      if (["status_changed", "owner_changed", "tags_changed", "priority_changed", "channel_switched",
        "customers_merged", "identity_linked", "customer_updated"].includes(event.type)) reloadConversationSoon();
    }
  }

  function showTyping(text) {
    $("typing").textContent = text;
    clearTimeout(S.typingTimer);
    if (text) S.typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 5000);
  }

  // --- lists: offers, mine, queues ------------------------------------------------

  async function refreshLists() {
    if (!S.me) return;
    try {
      const [offers, mine, queued] = await Promise.all([
        api("GET", "/api/v1/offers?status=pending&limit=50"),
        api("GET", "/api/v1/conversations?owner=me&status=assigned,waiting_on_customer&limit=100"),
        api("GET", "/api/v1/conversations?owner=queue&status=queued&limit=100"),
      ]);
      keepFocus(() => {
        renderOffers(offers.filter((o) => o.agent_id === S.me.id));
        renderMine(mine.conversations);
        renderQueues(queued.conversations);
      });
    } catch (e) {
      if (e.status === 401) { showLogin(); return; }
      fail(null, e);
    }
  }

  function renderOffers(offers) {
    S.offers = new Map(offers.map((o) => [o.id, o]));
    const list = clear($("offers"));
    $("offers-empty").hidden = offers.length > 0;
    $("offers-count").textContent = offers.length ? "(" + offers.length + ")" : "";
    for (const offer of offers) {
      const countdown = el("span", { class: "countdown", "data-expires": offer.expires_at || "" });
      const preview = el("div", { class: "offer-preview" });
      previewOffer(offer, preview);
      if (!S.announced.has(offer.id)) {
        S.announced.add(offer.id);
        toast("New offer from " + queueName(offer.queue_id) + ".");
      }
      list.append(el("li", { class: "offer", "data-offer": offer.id, "data-key": "offer:" + offer.id, "data-conversation": offer.conversation_id },
        el("div", { class: "offer-title" }, "New conversation from ", el("strong", {}, queueName(offer.queue_id))),
        preview,
        el("div", { class: "offer-meta muted" }, "Matched by ", offer.rule.replace(/_/g, " "), " · ", countdown),
        el("div", { class: "offer-buttons" },
          el("button", { type: "button", class: "accept", onclick: () => acceptOffer(offer), "aria-label": "Accept the offer from " + queueName(offer.queue_id) }, "Accept"),
          el("button", { type: "button", class: "secondary", onclick: () => declineOffer(offer) }, "Decline"))));
    }
    tickCountdowns();
  }

  // What the offered conversation is about: its channel and the customer's last words.
  const previews = new Map();
  async function previewOffer(offer, node) {
    let detail = previews.get(offer.conversation_id);
    if (!detail) {
      try {
        detail = await api("GET", `/api/v1/conversations/${offer.conversation_id}`);
        previews.set(offer.conversation_id, detail);
      } catch (e) { return; }
    }
    const last = [...detail.messages].reverse().find((m) => m.kind === "inbound");
    const text = last ? (last.body.length > 90 ? last.body.slice(0, 90) + "…" : last.body) : "";
    clear(node).append(channelIcon(detail.conversation.channel), " ", text);
  }

  function tickCountdowns() {
    for (const node of document.querySelectorAll(".countdown")) {
      const expires = node.getAttribute("data-expires");
      if (!expires) { node.textContent = "no time limit"; continue; }
      const left = Math.max(0, Math.round((new Date(expires).getTime() - serverNow()) / 1000));
      node.textContent = left ? left + " s left" : "expired";
      node.classList.toggle("urgent", left <= 5);
      const offer = node.closest(".offer");
      if (left === 0 && offer) {
        const accept = offer.querySelector("button.accept");
        if (accept) accept.disabled = true;
        const id = offer.getAttribute("data-offer");
        if (!S.expired.has(id)) { S.expired.add(id); refreshListsSoon(); }
      }
    }
  }
  setInterval(tickCountdowns, 1000);

  async function acceptOffer(offer) {
    try {
      await api("POST", `/api/v1/offers/${offer.id}/accept`, {});
      await refreshLists();
      openConversation(offer.conversation_id);
    } catch (e) {
      fail(null, e);
      refreshLists();
    }
  }

  async function declineOffer(offer) {
    try {
      await api("POST", `/api/v1/offers/${offer.id}/decline`, {});
    } catch (e) {
      fail(null, e);
    }
    refreshLists();
  }

  function conversationItem(c) {
    const label = c.subject || (STATUS_LABELS[c.status] ? channelName(c.channel) + ", " + STATUS_LABELS[c.status] : channelName(c.channel));
    const frustrated = c.sentiment && c.sentiment.frustration && c.sentiment.frustration.length > 0;
    return el("li", { "data-key": "conversation:" + c.id },
      el("button", {
        type: "button", class: "conv-item" + (c.id === S.current ? " current" : "") + (frustrated ? " frustrated" : ""),
        "data-conversation": c.id, onclick: () => openConversation(c.id),
        "aria-current": c.id === S.current ? "true" : undefined,
      },
      channelIcon(c.channel),
      el("span", { class: "conv-label" }, label),
      el("span", { class: "muted conv-when" }, ago(c.last_message_at)),
      frustrated ? el("span", { class: "badge warn", title: "The customer seems frustrated" }, "frustrated") : null));
  }

  function renderMine(conversations) {
    const list = clear($("mine"));
    $("mine-empty").hidden = conversations.length > 0;
    $("mine-count").textContent = conversations.length ? "(" + conversations.length + ")" : "";
    for (const c of conversations) list.append(conversationItem(c));
  }

  // The queues this agent can be offered work from: every required skill at its level,
  // and the queue's language among theirs.
  function serves(q) {
    const skills = new Map((S.me.skills || []).map((s) => [s.name, s.level]));
    const skilled = q.routing.required_skills.every((r) => (skills.get(r.name) || 0) >= r.level);
    const speaks = !q.routing.language || (S.me.languages || []).some((l) => l.split("-")[0] === q.routing.language.split("-")[0]);
    return skilled && speaks;
  }

  function renderQueues(queued) {
    const box = clear($("queues"));
    const mine = S.queues.filter(serves);
    for (const q of mine) {
      const waiting = queued.filter((c) => c.owner.id === q.id);
      const list = el("ul", { class: "list" }, waiting.map(conversationItem));
      box.append(el("div", { class: "queue" },
        el("h3", {}, q.name, " ", el("span", { class: "count" }, "(" + waiting.length + " waiting)")), list));
    }
    if (!mine.length) box.append(el("p", { class: "muted" }, S.queues.length ? "Your skills match no queue yet." : "No queues yet."));
  }

  // --- the conversation -----------------------------------------------------------

  async function openConversation(id) {
    if (S.current && S.current !== id) {
      const draft = $("composer-input").value;
      if (draft.trim()) S.drafts.set(S.current, draft);
      else S.drafts.delete(S.current);
    }
    if (S.current !== id) {
      // Nothing of the last conversation stays on screen to act on.
      $("composer-input").value = S.drafts.get(id) || "";
      inserted = null;
      $("note-toggle").checked = false;
      noteMode();
      cannedMenu.hidden = true;
      S.detail = null;
      clear($("timeline"));
      clear($("cards"));
      clear($("suggestions"));
      clear($("sentiment"));
      $("cards-note").textContent = "";
      $("language").textContent = "";
      $("handoff").hidden = true;
    }
    S.current = id;
    history.replaceState(null, "", "#c=" + encodeURIComponent(id));
    $("empty").hidden = true;
    $("conversation").hidden = false;
    $("customer-panel").hidden = false;
    $("assist-panel").hidden = false;
    $("composer-error").textContent = "";
    showTyping("");
    for (const b of document.querySelectorAll(".conv-item")) {
      b.classList.toggle("current", b.getAttribute("data-conversation") === id);
    }
    await reloadConversation();
    loadAssist();
    $("main").focus();
  }

  async function reloadConversation() {
    const id = S.current;
    if (!id) return;
    try {
      const detail = await api("GET", `/api/v1/conversations/${id}`);
      if (S.current !== id) return;
      S.detail = detail;
      const timeline = await api("GET", `/api/v1/customers/${detail.conversation.customer_id}/timeline`);
      if (S.current !== id) return;
      S.customer = timeline.customer;
      renderHeader(detail.conversation);
      renderTimeline(detail.messages);
      renderCustomer(timeline);
      loadHandoff(id);
    } catch (e) {
      if (e.status === 404) {
        toast("That conversation is no longer yours to see.");
        closeConversation();
      } else fail(null, e);
    }
  }

  function closeConversation() {
    S.current = null;
    S.detail = null;
    history.replaceState(null, "", "#");
    $("conversation").hidden = true;
    $("customer-panel").hidden = true;
    $("assist-panel").hidden = true;
    $("empty").hidden = false;
  }

  function renderHeader(c) {
    $("conv-title").textContent = customerName(S.customer) + (c.subject ? " — " + c.subject : "");
    const channels = c.channel_history.map((s) => channelName(s.channel)).join(" → ");
    $("conv-meta").textContent = `${STATUS_LABELS[c.status] || c.status} · ${ownerLabel(c.owner)} · ${channels} · priority ${c.priority}`;
    const tags = clear($("conv-tags"));
    for (const tag of c.tags) {
      tags.append(el("li", { class: "tag" }, tag,
        el("button", { type: "button", class: "tag-remove", "aria-label": "Remove tag " + tag, onclick: () => changeTags([], [tag]) }, "×")));
    }
    const open = !["resolved", "closed"].includes(c.status);
    $("resolve").disabled = !open || !(c.owner.kind === "agent" && S.me && c.owner.id === S.me.id);
    $("send").disabled = !open && !$("note-toggle").checked;
  }

  function messageNode(m) {
    const kindClass = m.kind === "note" ? "note" : m.kind === "system" ? "system" : m.author.kind;
    const who = m.kind === "system" ? "System" : authorLabel(m);
    const node = el("li", { class: "msg " + kindClass, "data-message": m.id },
      el("div", { class: "msg-head" },
        channelIcon(m.channel),
        el("span", { class: "msg-author" }, who),
        m.kind === "note" ? el("span", { class: "badge note-badge" }, "internal note") : null,
        el("time", { datetime: m.created_at, title: new Date(m.created_at).toLocaleString() }, time(m.created_at))),
      el("div", { class: "msg-body" }, m.body));
    for (const a of m.attachments || []) {
      node.append(el("div", { class: "attachment" }, "📎 ", a.name, " (", a.content_type, ")"));
    }
    return node;
  }

  function renderTimeline(messages) {
    const list = clear($("timeline"));
    for (const m of messages) list.append(messageNode(m));
    list.scrollTop = list.scrollHeight;
    renderSentiment();
  }

  function appendMessage(m) {
    if (!S.detail || m.conversation_id !== S.current) return;
    if (S.detail.messages.some((x) => x.id === m.id)) return;
    S.detail.messages.push(m);
    const list = $("timeline");
    list.append(messageNode(m));
    list.scrollTop = list.scrollHeight;
    if (m.kind === "inbound") renderSentiment();
  }

  async function loadHandoff(id) {
    try {
      const handoff = await api("GET", `/api/v1/conversations/${id}/handoff`);
      if (S.current !== id) return;
      const box = $("handoff");
      if (!handoff.summary) { box.hidden = true; return; }
      const s = handoff.summary;
      const body = clear($("handoff-body"));
      const rows = [
        ["Goal", s.goal],
        ["Why handed over", s.reason],
        ["Sentiment", s.sentiment],
        ["Tried", (s.tried || []).join("; ") || "nothing yet"],
        ["Facts", (s.facts || []).map((f) => f[0] + ": " + f[1]).join(", ") || "none collected"],
        ["Identity", s.verified ? "verified" : "not verified"],
      ];
      if (s.cue) rows.push(["Customer said", s.cue]);
      body.append(el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
      box.hidden = false;
    } catch (e) {
      $("handoff").hidden = true;
    }
  }

  function renderCustomer(timeline) {
    const c = timeline.customer;
    const body = clear($("customer-body"));
    body.append(
      el("p", { class: "customer-name" }, customerName(c), " ", el("span", { class: "badge tier-" + c.tier }, c.tier)),
      el("dl", {},
        el("dt", {}, "Language"), el("dd", {}, c.preferred_language || (S.detail && S.detail.conversation.language) || "unknown"),
        el("dt", {}, "Identities"),
        el("dd", {}, el("ul", { class: "identities" }, c.identities.map((i) => el("li", {}, i.kind.replace("_", " "), ": ", i.value)))),
        el("dt", {}, "Customer since"), el("dd", {}, new Date(c.created_at).toLocaleDateString())));
    const past = timeline.conversations.filter((x) => x.id !== S.current);
    body.append(el("h3", {}, "Past conversations"));
    if (!past.length) { body.append(el("p", { class: "muted" }, "None before this one.")); return; }
    const list = el("ul", { class: "past" });
    for (const p of past.slice(0, 10)) {
      const wrap = timeline.messages.find((m) => m.conversation_id === p.id && m.kind === "note" && m.body.startsWith("Wrap-up — "));
      const outcome = wrap ? wrap.body.split("\n")[0].slice("Wrap-up — ".length) : (STATUS_LABELS[p.status] || p.status);
      list.append(el("li", {},
        el("button", { type: "button", class: "link", onclick: () => openConversation(p.id) },
          channelIcon(p.channel), " ", new Date(p.created_at).toLocaleDateString(), " — ", outcome),
        el("span", { class: "muted" }, " ", p.status.replace(/_/g, " "))));
    }
    body.append(list);
  }

  // --- assist: knowledge cards, suggestions, sentiment, language -----------------

  async function loadAssist() {
    const id = S.current;
    if (!id) return;
    const [cards, suggestions] = await Promise.all([
      api("GET", `/api/v1/conversations/${id}/knowledge`).catch((e) => ({ conversation_id: id, cards: [], note: e.message })),
      api("GET", `/api/v1/conversations/${id}/suggestions`).catch(() => []),
    ]);
    if (S.current !== id) return;
    renderCards(cards);
    renderSuggestions(suggestions);
    const language = cards.language || (S.detail && S.detail.conversation.language);
    $("language").textContent = language ? language + (cards.intent ? " · intent: " + cards.intent.replace(/_/g, " ") : "") : "not detected yet";
  }

  function renderCards(recommendations) {
    const conversation = recommendations.conversation_id;
    const list = clear($("cards"));
    const notes = [...new Set([recommendations.note, recommendations.degraded].filter(Boolean))];
    $("cards-note").textContent = notes.join(" ");
    if (!recommendations.cards.length) {
      list.append(el("li", { class: "muted" }, "No article matches this conversation yet."));
      return;
    }
    for (const card of recommendations.cards) {
      const snippet = el("p", { class: "card-text" }, (card.snippet || []).map((s) => s.mark ? el("mark", {}, s.text) : s.text));
      if (!card.snippet || !card.snippet.length) snippet.textContent = card.text;
      const verdict = el("span", { class: "card-verdict muted", role: "status" });
      const give = (v, label) => el("button", {
        type: "button", class: "secondary small", "aria-label": label + ": " + card.title,
        onclick: async () => {
          try {
            await api("POST", `/api/v1/conversations/${conversation}/knowledge/feedback`,
              { article_id: card.article_id, passage: card.passage, verdict: v });
            verdict.textContent = "Thanks — noted.";
          } catch (e) { verdict.textContent = e.message; }
        },
      }, label);
      list.append(el("li", { class: "card", "data-article": card.article_id },
        el("h4", {}, card.title),
        card.heading && card.heading !== card.title ? el("p", { class: "muted" }, card.heading) : null,
        snippet,
        el("p", { class: "card-source muted" }, "Source: ", card.key || card.title, " · ", card.language,
          card.cross_lingual ? " (other language)" : "", " · confidence ", Math.round(card.confidence * 100), "%"),
        (card.why || []).length ? el("p", { class: "card-why muted" }, "Why: ", card.why.join("; ")) : null,
        el("div", { class: "card-buttons" }, give("helpful", "Helpful"), give("not_helpful", "Not helpful"), verdict)));
    }
  }

  function renderSuggestions(suggestions) {
    const list = clear($("suggestions"));
    if (!suggestions.length) { list.append(el("li", { class: "muted" }, "No suggestion for this conversation.")); return; }
    for (const s of suggestions) {
      const seen = S.current + "|" + s.source + "|" + s.reference;
      if (!S.shown.has(seen)) { S.shown.add(seen); feedback(s, "shown"); }
      list.append(el("li", { class: "suggestion" },
        el("p", { class: "suggestion-title" }, s.source === "canned" ? "/" + s.reference + " · " : "", s.title),
        el("p", { class: "suggestion-text" }, s.text),
        el("div", {},
          el("button", { type: "button", class: "secondary small", onclick: () => insertSuggestion(s), "aria-label": "Insert the suggestion " + s.title }, "Insert"),
          el("button", { type: "button", class: "secondary small", onclick: (e) => { feedback(s, "rejected"); e.target.closest("li").remove(); }, "aria-label": "Dismiss the suggestion " + s.title }, "Dismiss"))));
    }
  }

  function feedback(s, verdict) {
    if (!S.current) return;
    api("POST", `/api/v1/conversations/${S.current}/suggestions/feedback`,
      { source: s.source, reference: s.reference, verdict }).catch(() => {});
  }

  let inserted = null; // { suggestion, text } until the reply is sent
  function insertSuggestion(s) {
    const input = $("composer-input");
    input.value = input.value ? input.value.trimEnd() + "\n\n" + s.text : s.text;
    inserted = { suggestion: s, text: input.value };
    $("note-toggle").checked = false;
    noteMode();
    input.focus();
  }

  function renderSentiment() {
    const box = clear($("sentiment"));
    const messages = (S.detail ? S.detail.messages : []).filter((m) => m.kind === "inbound" && m.understanding && m.understanding.sentiment);
    const scores = messages.map((m) => m.understanding.sentiment.score);
    const trajectory = S.detail && S.detail.conversation.sentiment;
    if (!scores.length) { box.append(el("p", { class: "muted" }, "No customer message scored yet.")); return; }
    const w = 220, h = 60, pad = 4;
    const x = (i) => scores.length === 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (scores.length - 1);
    const y = (v) => h / 2 - (v * (h / 2 - pad));
    const points = scores.map((v, i) => x(i).toFixed(1) + "," + y(v).toFixed(1)).join(" ");
    const last = scores[scores.length - 1];
    const label = `Customer sentiment over ${scores.length} message(s), latest ${last.toFixed(2)} (from -1 negative to 1 positive)`;
    const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img", "aria-label": label, class: "spark" },
      el("line", { x1: 0, y1: h / 2, x2: w, y2: h / 2, class: "axis" }),
      el("polyline", { points, class: "trend" }),
      scores.map((v, i) => el("circle", { cx: x(i), cy: y(v), r: 3, class: v < -0.2 ? "neg" : v > 0.2 ? "pos" : "neu" })));
    box.append(svg);
    const frustrated = trajectory && trajectory.frustration && trajectory.frustration.length;
    box.append(el("p", { class: frustrated ? "warn-text" : "muted" },
      frustrated ? "Frustrated: " + trajectory.frustration.join(", ").replace(/_/g, " ") : "Latest " + last.toFixed(2)));
  }

  // --- composer -------------------------------------------------------------------

  function noteMode() {
    const note = $("note-toggle").checked;
    $("composer").classList.toggle("note-mode", note);
    $("composer-label").textContent = note ? "Internal note (only agents see it)" : "Reply to the customer (type / for canned responses)";
    $("send").textContent = note ? "Add note" : "Send";
    if (S.detail) renderHeader(S.detail.conversation);
  }
  $("note-toggle").addEventListener("change", noteMode);

  $("composer").addEventListener("submit", (event) => { event.preventDefault(); send(); });

  async function send() {
    const input = $("composer-input");
    const body = input.value.trim();
    $("composer-error").textContent = "";
    if (!body || !S.current) { $("composer-error").textContent = "Write something first."; return; }
    const note = $("note-toggle").checked;
    $("send").disabled = true;
    try {
      const message = await api("POST", `/api/v1/conversations/${S.current}/${note ? "notes" : "replies"}`, { body });
      if (inserted && !note) feedback(inserted.suggestion, input.value === inserted.text ? "accepted" : "edited");
      inserted = null;
      input.value = "";
      S.drafts.delete(S.current);
      appendMessage(message);
      reloadConversationSoon();
    } catch (e) {
      fail($("composer-error"), e);
    } finally {
      $("send").disabled = false;
      if (S.detail) renderHeader(S.detail.conversation);
    }
  }

  const cannedMenu = $("canned-menu");
  let cannedIndex = 0;

  function cannedMatches() {
    const value = $("composer-input").value;
    const m = /^\/([\w-]*)$/.exec(value.trim());
    if (!m) return null;
    return S.canned.filter((c) => c.shortcut.startsWith(m[1].toLowerCase()) || c.title.toLowerCase().includes(m[1].toLowerCase()));
  }

  function renderCannedMenu() {
    const matches = cannedMatches();
    clear(cannedMenu);
    if (!matches || !matches.length) {
      cannedMenu.hidden = true;
      $("composer-input").removeAttribute("aria-activedescendant");
      $("composer-input").setAttribute("aria-expanded", "false");
      return;
    }
    cannedIndex = Math.min(cannedIndex, matches.length - 1);
    matches.forEach((c, i) => {
      cannedMenu.append(el("li", {
        id: "canned-" + i, role: "option", class: "canned-option" + (i === cannedIndex ? " active" : ""),
        "aria-selected": i === cannedIndex ? "true" : "false", "data-shortcut": c.shortcut,
        onmousedown: (e) => { e.preventDefault(); useCanned(c); },
      }, el("strong", {}, "/" + c.shortcut), " ", c.title));
    });
    cannedMenu.hidden = false;
    $("composer-input").setAttribute("aria-expanded", "true");
    $("composer-input").setAttribute("aria-activedescendant", "canned-" + cannedIndex);
  }

  function useCanned(c) {
    $("composer-input").value = c.body;
    inserted = { suggestion: { source: "canned", reference: c.shortcut }, text: c.body };
    cannedMenu.hidden = true;
    $("composer-input").focus();
  }

  $("composer-input").addEventListener("input", () => {
    cannedIndex = 0;
    renderCannedMenu();
    const mine = S.detail && S.detail.conversation.owner.kind === "agent" && S.detail.conversation.owner.id === S.me.id;
    if (mine && !$("note-toggle").checked && Date.now() - S.typingSentAt > 2000) {
      S.typingSentAt = Date.now();
      if (S.ws) S.ws.send({ type: "typing", conversation_id: S.current });
    }
  });

  $("composer-input").addEventListener("keydown", (event) => {
    const matches = cannedMenu.hidden ? null : cannedMatches();
    if (matches && matches.length) {
      if (event.key === "ArrowDown") { event.preventDefault(); cannedIndex = (cannedIndex + 1) % matches.length; renderCannedMenu(); return; }
      if (event.key === "ArrowUp") { event.preventDefault(); cannedIndex = (cannedIndex + matches.length - 1) % matches.length; renderCannedMenu(); return; }
      if (event.key === "Enter") { event.preventDefault(); useCanned(matches[cannedIndex]); return; }
      if (event.key === "Escape") { cannedMenu.hidden = true; $("composer-input").setAttribute("aria-expanded", "false"); return; }
    }
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });

  // --- tags, transfer, resolve ----------------------------------------------------

  async function changeTags(add, remove) {
    try {
      await api("POST", `/api/v1/conversations/${S.current}/tags`, { add, remove });
      reloadConversation();
    } catch (e) { fail(null, e); }
  }

  $("tag-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = $("tag-input").value.trim();
    if (!tag) return;
    $("tag-input").value = "";
    changeTags([tag], []);
  });

  function fillTransferTargets() {
    fillAssignTargets($("transfer-target"), S.queues, S.agents, S.me.id, "Back to the virtual agent");
  }

  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("transfer-target").value;
    if (!target || !S.current) return;
    try {
      await api("POST", `/api/v1/conversations/${S.current}/assign`, assignBody(target));
      toast("Transferred.");
      await refreshLists();
      reloadConversation();
    } catch (e) { fail(null, e); }
  });

  let suggestedWrapUp = null;
  $("resolve").addEventListener("click", async () => {
    $("wrapup-error").textContent = "";
    try {
      suggestedWrapUp = await api("GET", `/api/v1/conversations/${S.current}/wrap-up`);
      $("wrapup-disposition").value = suggestedWrapUp.disposition;
      $("wrapup-summary").value = suggestedWrapUp.summary;
    } catch (e) {
      suggestedWrapUp = null;
      $("wrapup-disposition").value = "";
      $("wrapup-summary").value = "";
      $("wrapup-error").textContent = "No suggestion: " + e.message;
    }
    $("wrapup-dialog").showModal();
    $("wrapup-disposition").focus();
  });

  $("wrapup-cancel").addEventListener("click", () => $("wrapup-dialog").close());

  $("wrapup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const disposition = $("wrapup-disposition").value.trim();
    const summary = $("wrapup-summary").value.trim();
    if (!disposition || !summary) { $("wrapup-error").textContent = "Give a disposition and a summary."; return; }
    try {
      await api("POST", `/api/v1/conversations/${S.current}/wrap-up`, { disposition, summary, suggested: suggestedWrapUp });
      $("wrapup-dialog").close();
      toast("Resolved.");
      await refreshLists();
      reloadConversation();
    } catch (e) { fail($("wrapup-error"), e); }
  });

  start();
})();
