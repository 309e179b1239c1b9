// The supervisor's live view: queues, agents, live conversations (frustrated first) and
// the virtual agent's day, refreshed as events arrive; reassign a conversation or
// whisper to its agent (an internal note).
"use strict";

(() => {
  const {
    api, el, clear, duration, channelIcon, channelName, socket, setCsrf, debounce, keepFocus, toast, fillAssignTargets,
    assignBody,
  } = Tandem;
  // Events that change what this view shows.
  const RELEVANT = new Set(["conversation_created", "status_changed", "owner_changed", "tags_changed",
    "priority_changed", "message_created", "agent_state_changed", "agent_created", "queue_created", "queue_updated",
    "offer_accepted", "bot_escalated", "bot_decided"]);
  const $ = (id) => document.getElementById(id);
  const S = { me: null, agents: [], queues: [], overview: null, target: null };

  async function start() {
    let me;
    try {
      me = await api("GET", "/api/v1/auth/me");
    } catch (e) {
      location.href = "/app";
      return;
    }
    if (!me.agent || !["supervisor", "admin"].includes(me.agent.role)) {
      $("error").textContent = "The live view is for supervisors and admins.";
      return;
    }
    setCsrf(me.csrf_token);
    S.me = me.agent;
    $("agent-name").textContent = me.agent.display_name;
    [S.agents, S.queues] = await Promise.all([api("GET", "/api/v1/agents"), api("GET", "/api/v1/queues")]);
    await refresh();
    socket(() => "/api/v1/ws", {
      onOpen: () => { $("connection").textContent = "live"; $("connection").className = "connection live"; refresh(); },
      onClose: () => { $("connection").textContent = "reconnecting…"; $("connection").className = "connection down"; },
      onMessage: (frame) => { if (frame.type === "event" && RELEVANT.has(frame.event.type)) refreshSoon(); },
    });
    // Waiting times grow without events.
    setInterval(() => { if (!document.hidden) refresh(); }, 10000);
  }

  const refreshSoon = debounce(() => refresh(), 1000);

  async function refresh() {
    try {
      const overview = await api("GET", "/api/v1/supervisor/overview");
      S.overview = overview;
      $("error").textContent = "";
      keepFocus(() => render(overview));
    } catch (e) {
      $("error").textContent = e.message;
    }
  }

  function percent(v) {
    return v === null || v === undefined ? "–" : Math.round(v * 100) + "%";
  }

  function render(o) {
    $("updated").textContent = "updated " + new Date(o.at).toLocaleTimeString();
    $("tile-waiting").textContent = o.queues.reduce((n, q) => n + q.waiting, 0);
    $("tile-open").textContent = o.conversations.length;
    $("tile-frustrated").textContent = o.conversations.filter((c) => c.frustrated).length;
    $("tile-containment").textContent = o.bot.conversations ? percent(o.bot.containment_rate) : "–";
    $("tile-escalated").textContent = o.bot.escalated;

    const queues = clear($("queues-table").tBodies[0]);
    for (const q of o.queues) {
      const met = q.service_level === null ? null : q.service_level >= q.sla_target;
      queues.append(el("tr", { "data-queue": q.id, "data-key": "queue:" + q.id },
        el("th", { scope: "row" }, q.name),
        el("td", {}, String(q.waiting)),
        el("td", { class: q.longest_wait_seconds > q.sla_seconds ? "warn-text" : "" }, q.waiting ? duration(q.longest_wait_seconds) : "–"),
        el("td", { class: met === false ? "warn-text" : "" },
          percent(q.service_level), " ", el("span", { class: "muted" }, "(target ", percent(q.sla_target), " in ", q.sla_seconds, " s)")),
        el("td", {}, String(q.answered_today))));
    }
    if (!o.queues.length) queues.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No queues.")));

    const agents = clear($("agents-table").tBodies[0]);
    for (const a of o.agents) {
      agents.append(el("tr", { "data-agent": a.id },
        el("th", { scope: "row" }, a.name),
        el("td", {}, el("span", { class: "state state-" + a.state }, a.state.replace("_", " "))),
        el("td", {}, String(a.load))));
    }

    const live = clear($("live-table").tBodies[0]);
    for (const c of o.conversations) {
      live.append(el("tr", { class: c.frustrated ? "frustrated" : "", "data-conversation": c.id, "data-key": "conversation:" + c.id },
        el("th", { scope: "row" }, c.customer || (c.channel === "web_chat" ? "Web visitor" : "Unknown customer"),
          c.frustrated ? el("span", { class: "badge warn" }, "frustrated") : null,
          c.tags.length ? el("span", { class: "muted" }, " ", c.tags.join(", ")) : null),
        el("td", {}, channelIcon(c.channel), " ", channelName(c.channel)),
        el("td", {}, c.owner, el("span", { class: "muted" }, " (", c.status.replace(/_/g, " "), ")")),
        el("td", {}, c.waiting_seconds ? duration(c.waiting_seconds) : "–"),
        el("td", {}, sentimentBar(c.sentiment)),
        el("td", { class: "row-actions" },
          el("button", { type: "button", class: "secondary small", onclick: () => openReassign(c), "aria-label": "Reassign the conversation with " + (c.customer || "the customer") }, "Reassign"),
          c.owner_kind === "agent"
            ? el("button", { type: "button", class: "secondary small", onclick: () => openWhisper(c), "aria-label": "Whisper to " + c.owner }, "Whisper")
            : null)));
    }
    if (!o.conversations.length) live.append(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No open conversations.")));

    renderContainment(o.bot);
    renderReasons(o.bot.escalations_by_reason);
  }

  function sentimentBar(score) {
    const label = "sentiment " + score.toFixed(2);
    const width = 60, mid = width / 2, len = Math.abs(score) * mid;
    return el("svg", { viewBox: `0 0 ${width} 10`, width, height: 10, role: "img", "aria-label": label, class: "bar" },
      el("rect", { x: 0, y: 4, width, height: 2, class: "axis" }),
      el("rect", { x: score < 0 ? mid - len : mid, y: 1, width: Math.max(1, len), height: 8, class: score < -0.2 ? "neg" : score > 0.2 ? "pos" : "neu" }));
  }

  function renderContainment(bot) {
    const box = clear($("containment-chart"));
    if (!bot.conversations) { box.append(el("p", { class: "muted" }, "The virtual agent has not handled a conversation today.")); return; }
    const contained = bot.resolved_by_bot, escalated = bot.escalated;
    const other = Math.max(0, bot.conversations - contained - escalated);
    const total = Math.max(1, bot.conversations);
    const w = 300, h = 24;
    const parts = [["resolved by the bot", contained, "pos"], ["handed to people", escalated, "neg"], ["still with the bot", other, "neu"]];
    let x = 0;
    const rects = parts.map(([label, n, cls]) => {
      const width = (n / total) * w;
      const r = el("rect", { x, y: 0, width, height: h, class: cls }, el("title", {}, `${label}: ${n}`));
      x += width;
      return r;
    });
    const label = `Of ${bot.conversations} conversations: ${contained} resolved by the bot, ${escalated} handed to people, ${other} still with the bot`;
    box.append(el("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", height: h, role: "img", "aria-label": label, class: "stack", preserveAspectRatio: "none" }, rects));
    box.append(el("ul", { class: "legend" }, parts.map(([l, n, cls]) => el("li", {}, el("span", { class: "swatch " + cls }), `${l}: ${n}`))));
    box.append(el("p", {}, "Containment ", el("strong", {}, percent(bot.containment_rate)),
      " · action success ", percent(bot.action_calls ? bot.action_success_rate : null),
      " · turn latency p50 ", bot.latency_p50_ms.toFixed(1), " ms"));
  }

  function renderReasons(reasons) {
    const box = clear($("reasons-chart"));
    if (!reasons.length) { box.append(el("p", { class: "muted" }, "No escalations.")); return; }
    const max = Math.max(...reasons.map((r) => r.count));
    const rowH = 22, labelW = 150, barW = 160, w = labelW + barW + 40;
    const h = reasons.length * rowH;
    const rows = reasons.map((r, i) => el("g", {},
      el("text", { x: 0, y: i * rowH + 15, class: "label" }, r.reason.replace(/_/g, " ")),
      el("rect", { x: labelW, y: i * rowH + 4, width: Math.max(2, (r.count / max) * barW), height: rowH - 8, class: "neg" }),
      el("text", { x: labelW + (r.count / max) * barW + 6, y: i * rowH + 15, class: "value" }, String(r.count))));
    const label = "Escalations by reason: " + reasons.map((r) => `${r.reason.replace(/_/g, " ")} ${r.count}`).join(", ");
    box.append(el("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img", "aria-label": label, class: "bars" }, rows));
  }

  // --- reassign and whisper -------------------------------------------------------

  function openReassign(c) {
    S.target = c;
    const select = $("reassign-target");
    fillAssignTargets(select, S.queues, S.agents, null, "The virtual agent");
    $("reassign-error").textContent = "";
    $("reassign-dialog").showModal();
    select.focus();
  }

  $("reassign-cancel").addEventListener("click", () => $("reassign-dialog").close());
  $("reassign-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/v1/conversations/${S.target.id}/assign`, assignBody($("reassign-target").value));
      $("reassign-dialog").close();
      toast("Reassigned.");
      refresh();
    } catch (e) { $("reassign-error").textContent = e.message; }
  });

  function openWhisper(c) {
    S.target = c;
    $("whisper-heading").textContent = "Whisper to " + c.owner;
    $("whisper-text").value = "";
    $("whisper-error").textContent = "";
    $("whisper-dialog").showModal();
    $("whisper-text").focus();
  }

  $("whisper-cancel").addEventListener("click", () => $("whisper-dialog").close());
  $("whisper-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = $("whisper-text").value.trim();
    if (!body) { $("whisper-error").textContent = "Write the note first."; return; }
    try {
      await api("POST", `/api/v1/conversations/${S.target.id}/notes`, { body });
      $("whisper-dialog").close();
      toast("Note sent to " + S.target.owner + ".");
    } catch (e) { $("whisper-error").textContent = e.message; }
  });

  start();
})();
