// The customer chat widget (inside the frame `/widget.js` puts on a site): start or
// resume a chat, see replies live with names and typing, leave an email when nobody is
// available, rate the conversation when it ends. The chat token stays in this
// browser's storage, so a reload or a reconnect continues the same conversation.
"use strict";

(() => {
  const { api, el, clear, socket, time } = Tandem;
  const $ = (id) => document.getElementById(id);
  const key = new URLSearchParams(location.search).get("key") || "";
  const tokenKey = "tandem.chat.token." + key;
  const S = {
    token: null,
    messages: new Map(),
    status: null,
    ws: null,
    typingTimer: null,
    typingSentAt: 0,
    agentName: null,
    botName: "Assistant",
    askedForEmail: false,
  };

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function setError(text) { $("chat-error").textContent = text || ""; }

  async function chat(method, path, body) {
    try {
      return await api(method, path, body, S.token);
    } catch (e) {
      if (e.status === 401) {
        // The token is gone (or was revoked): start over with a fresh one, and a clean
        // screen (the old conversation is not this visitor's any more).
        const store = storage();
        if (store) store.removeItem(tokenKey);
        S.token = null;
        S.messages.clear();
        clear($("messages"));
        await startSession();
        return api(method, path, body, S.token);
      }
      throw e;
    }
  }

  async function startSession() {
    const store = storage();
    const saved = store ? store.getItem(tokenKey) : null;
    const started = await api("POST", "/api/v1/chat/sessions", { chat_key: key, token: saved || undefined });
    S.token = started.token || saved;
    if (started.token && store) store.setItem(tokenKey, started.token);
    $("chat-title").textContent = started.workspace_name;
    document.title = "Chat — " + started.workspace_name;
  }

  async function start() {
    if (!key) {
      $("chat-status").textContent = "This chat is not set up: the page must give its chat key.";
      $("composer").hidden = true;
      return;
    }
    try {
      await startSession();
    } catch (e) {
      $("chat-status").textContent = e.status === 404
        ? "This chat is not set up (the chat key is unknown)."
        : "The chat is not reachable right now. Try again in a moment.";
      $("composer").hidden = true;
      return;
    }
    $("chat").setAttribute("aria-busy", "false");
    await loadHistory();
    await refreshStatus();
    S.ws = socket(() => "/api/v1/chat/ws?token=" + encodeURIComponent(S.token), {
      onOpen: () => { loadHistory(); refreshStatus(); },
      onClose: () => { $("chat-status").textContent = "Reconnecting…"; },
      onMessage: onFrame,
    });
    $("chat-input").focus();
  }

  function onFrame(frame) {
    if (frame.type === "message" && frame.message) {
      addMessage(frame.message);
    } else if (frame.type === "typing" && frame.from === "agent") {
      showTyping((frame.name || "Someone") + " is typing…", 5000);
    } else if (frame.type === "status") {
      refreshStatus();
    } else if (frame.type === "lagged") {
      loadHistory();
    }
  }

  async function loadHistory() {
    try {
      const messages = await chat("GET", "/api/v1/chat/messages");
      for (const m of messages) addMessage(m, true);
    } catch (e) {
      setError("The conversation could not be loaded: " + e.message);
    }
  }

  function authorName(m) {
    if (m.author === "customer") return "You";
    if (m.author === "bot") return m.author_name || S.botName;
    return m.author_name || "Support";
  }

  function addMessage(m, quiet) {
    if (S.messages.has(m.id)) return;
    S.messages.set(m.id, m);
    if (m.author === "bot" && m.author_name) S.botName = m.author_name;
    if (m.author === "agent" && m.author_name) S.agentName = m.author_name;
    const node = el("li", { class: "message " + m.author, "data-message": m.id },
      el("span", { class: "author" }, authorName(m)),
      el("p", { class: "body" }, m.body),
      el("time", { datetime: m.created_at }, time(m.created_at)));
    // Keep the list in time order (a live frame can overtake the history).
    const list = $("messages");
    const at = Date.parse(m.created_at);
    const after = [...list.children].find((li) => {
      const other = S.messages.get(li.getAttribute("data-message"));
      return other && Date.parse(other.created_at) > at;
    });
    list.insertBefore(node, after || null);
    if (m.author !== "customer") {
      showTyping("", 0);
      if (!quiet) {
        refreshStatus();
        // The launcher on the host page says so while the chat is closed.
        window.parent.postMessage({ type: "tandem:unread" }, "*");
      }
    }
    list.scrollTop = list.scrollHeight;
  }

  function showTyping(text, ms) {
    $("typing").textContent = text;
    clearTimeout(S.typingTimer);
    if (text && ms) S.typingTimer = setTimeout(() => { $("typing").textContent = ""; }, ms);
  }

  async function refreshStatus() {
    let status;
    try {
      status = await chat("GET", "/api/v1/chat/status");
    } catch (e) {
      return;
    }
    S.status = status;
    const text = !status.conversation_status
      ? (status.agents_available ? "We usually answer in a few minutes." : "Our assistant answers right away.")
      : status.conversation_status === "resolved" || status.conversation_status === "closed"
        ? "This conversation has ended. Write again any time."
        : status.owner === "bot"
          ? "You are chatting with " + S.botName + "."
          : status.owner === "queue"
            ? (status.agents_available ? "Waiting for the next person…" : "Waiting for the team.")
            : "You are chatting with " + (S.agentName || "our team") + ".";
    $("chat-status").textContent = text;
    const store = storage();
    const left = store && store.getItem(tokenKey + ".email");
    const ended = status.conversation_status === "resolved" || status.conversation_status === "closed";
    // Waiting for people while nobody is there: offer to write back by email (and take
    // the offer back once someone is available).
    const offer = !status.agents_available && !left && status.owner === "queue" && !ended;
    if (offer) $("offline").hidden = false;
    else if (status.agents_available && !S.askedForEmail) $("offline").hidden = true;
    const rated = store && status.conversation_id && store.getItem("tandem.chat.rated." + status.conversation_id);
    $("rating").hidden = !ended;
    if (ended) {
      $("rating-done").textContent = rated ? "Thank you for rating us " + rated + " of 5." : "";
      for (const b of document.querySelectorAll("[data-rating]")) {
        const chosen = b.getAttribute("data-rating") === rated;
        b.classList.toggle("chosen", chosen);
        b.setAttribute("aria-pressed", chosen ? "true" : "false");
      }
    }
  }

  async function send() {
    const input = $("chat-input");
    const body = input.value.trim();
    if (!body) return;
    setError("");
    $("chat-send").disabled = true;
    try {
      const message = await chat("POST", "/api/v1/chat/messages", { body });
      input.value = "";
      autosize();
      addMessage(message);
      if (!S.status || S.status.owner === "bot" || !S.status.conversation_status ||
          ["resolved", "closed"].includes(S.status.conversation_status)) {
        showTyping(S.botName + " is typing…", 15000);
      }
      $("rating").hidden = true;
    } catch (e) {
      setError("Not sent: " + e.message + ". Your message is still in the box; try again.");
    } finally {
      $("chat-send").disabled = false;
      input.focus();
    }
  }

  function autosize() {
    const input = $("chat-input");
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  $("composer").addEventListener("submit", (event) => { event.preventDefault(); send(); });
  $("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
  $("chat-input").addEventListener("input", () => {
    autosize();
    if (S.ws && Date.now() - S.typingSentAt > 2000) {
      S.typingSentAt = Date.now();
      S.ws.send({ type: "typing" });
    }
  });

  $("offline-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = $("offline-email").value.trim();
    $("offline-error").textContent = "";
    if (!email) { $("offline-error").textContent = "Give your email address."; return; }
    try {
      if (!S.status || !S.status.conversation_status) {
        // The email belongs to a conversation: open one with the request.
        const message = await chat("POST", "/api/v1/chat/messages", { body: "Please write back to me by email." });
        addMessage(message);
      }
      await chat("POST", "/api/v1/chat/contact", { email });
      const store = storage();
      if (store) store.setItem(tokenKey + ".email", email);
      $("offline-form").hidden = true;
      clear($("offline-done")).append("Thanks — we will write to ", el("strong", {}, email), ".");
      setTimeout(() => { $("offline").hidden = true; }, 4000);
    } catch (e) {
      $("offline-error").textContent = e.message;
    }
  });

  $("leave-email").addEventListener("click", () => {
    S.askedForEmail = true;
    $("offline-form").hidden = false;
    clear($("offline-done"));
    $("offline").hidden = false;
    $("offline-email").focus();
  });

  for (const button of document.querySelectorAll("[data-rating]")) {
    button.addEventListener("click", async () => {
      const rating = Number(button.getAttribute("data-rating"));
      try {
        await chat("POST", "/api/v1/chat/rating", { rating });
        const store = storage();
        if (store && S.status && S.status.conversation_id) store.setItem("tandem.chat.rated." + S.status.conversation_id, String(rating));
        $("rating-done").textContent = "Thank you for rating us " + rating + " of 5.";
        for (const b of document.querySelectorAll("[data-rating]")) {
          b.classList.toggle("chosen", b === button);
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        }
      } catch (e) {
        $("rating-done").textContent = e.message;
      }
    });
  }

  function close() {
    window.parent.postMessage({ type: "tandem:close" }, "*");
  }
  $("chat-close").addEventListener("click", close);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  window.addEventListener("message", (event) => {
    if (event.source === window.parent && event.data && event.data.type === "tandem:opened") $("chat-input").focus();
  });

  start();
})();
