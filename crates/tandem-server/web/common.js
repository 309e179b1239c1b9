// Shared by Tandem's pages: API calls with the session's CSRF token, safe element
// building (text is always set as text, never parsed as HTML), time formatting and a
// WebSocket that reconnects.
"use strict";

const Tandem = (() => {
  let csrf = sessionStorage.getItem("tandem.csrf") || "";
  // The server's clock minus ours (from responses' Date header), for countdowns.
  let clockOffset = 0;
  const serverNow = () => Date.now() + clockOffset;

  function setCsrf(token) {
    csrf = token || "";
    if (csrf) sessionStorage.setItem("tandem.csrf", csrf);
    else sessionStorage.removeItem("tandem.csrf");
  }

  // `token`: a bearer token (the chat widget's) instead of the session cookie.
  async function api(method, path, body, token) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["Authorization"] = "Bearer " + token;
    else if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    const response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const date = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(date)) clockOffset = date - Date.now();
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || response.statusText);
      error.status = response.status;
      error.code = data && data.error && data.error.code;
      error.field = data && data.error && data.error.field;
      throw error;
    }
    return data;
  }

  // el("div", { class: "x", onclick: fn, "aria-label": "..." }, "text", child...)
  function el(tag, attrs, ...children) {
    const svg = ["svg", "polyline", "line", "rect", "circle", "text", "g", "path", "title"].includes(tag);
    const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "class") node.setAttribute("class", value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function ago(iso) {
    const seconds = Math.max(0, Math.round((serverNow() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return new Date(iso).toLocaleDateString();
  }

  function duration(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  // Channels as short labels (no emoji: not every system has a font for them).
  const CHANNELS = {
    web_chat: ["Chat", "web chat"], email: ["Email", "email"], sms: ["SMS", "SMS"],
    whatsapp: ["WA", "WhatsApp"], voice: ["Call", "voice call"], api: ["API", "API"],
  };
  function channelIcon(channel) {
    const [short, long] = CHANNELS[channel] || [channel, channel];
    return el("span", { class: "channel channel-" + channel, title: long }, short);
  }
  function channelName(channel) {
    return (CHANNELS[channel] || [channel, channel])[1];
  }

  // A WebSocket that reconnects with backoff. `path()` is asked on every connect (so a
  // reconnect can resume after the last event seen); `handlers` has onMessage(json),
  // onOpen() and onClose().
  function socket(path, handlers) {
    let delay = 500;
    let ws = null;
    let stopped = false;
    const state = {
      send(obj) {
        if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; }
        return false;
      },
      close() { stopped = true; if (ws) ws.close(); },
    };
    function connect() {
      if (stopped) return;
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path();
      ws = new WebSocket(url);
      ws.onopen = () => { delay = 500; if (handlers.onOpen) handlers.onOpen(); };
      ws.onmessage = (m) => {
        let data;
        try { data = JSON.parse(m.data); } catch (e) { return; }
        handlers.onMessage(data);
      };
      ws.onclose = () => {
        if (handlers.onClose) handlers.onClose();
        if (stopped) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    connect();
    return state;
  }

  // Calls fn at most once per `ms`, with the latest arguments, after the calls stop.
  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function time(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // Re-renders `render()` keeping keyboard focus: the focused control is found again by
  // the nearest `data-key` and its own class or label.
  function keepFocus(render) {
    const active = document.activeElement;
    const holder = active && active.closest ? active.closest("[data-key]") : null;
    const key = holder && holder.getAttribute("data-key");
    const which = active && (active.getAttribute("aria-label") || active.textContent);
    render();
    if (!key) return;
    const again = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!again) return;
    const target = [...again.querySelectorAll("button, a, input, select")]
      .find((b) => (b.getAttribute("aria-label") || b.textContent) === which) || again.querySelector("button");
    if (target) target.focus();
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  // A short message in the page's `#toast` live region.
  function toast(text) {
    const t = document.getElementById("toast");
    t.textContent = text;
    t.classList.add("shown");
    setTimeout(() => t.classList.remove("shown"), 4000);
  }

  // Fills `select` with where a conversation can go: queues, agents (but `except`), the bot.
  function fillAssignTargets(select, queues, agents, except, botLabel) {
    clear(select);
    select.append(el("optgroup", { label: "Queues" }, queues.map((q) => el("option", { value: "queue:" + q.id }, q.name))));
    select.append(el("optgroup", { label: "Agents" }, agents.filter((a) => a.id !== except)
      .map((a) => el("option", { value: "agent:" + a.id }, a.display_name + " (" + a.state.replace("_", " ") + ")"))));
    select.append(el("option", { value: "bot" }, botLabel));
  }

  // The body of `POST …/assign` for a value of those options.
  function assignBody(value) {
    const [kind, id] = value.split(":");
    return kind === "queue" ? { queue_id: id } : kind === "agent" ? { agent_id: id } : { to_bot: true };
  }

  return {
    api, el, clear, ago, duration, channelIcon, channelName, socket, setCsrf, debounce, time, serverNow, keepFocus,
    UUID, toast, fillAssignTargets, assignBody,
  };
})();
