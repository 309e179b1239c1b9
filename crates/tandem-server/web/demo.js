// The demo page embeds the widget exactly as another site would: one script tag with
// the workspace's chat key (fetched here, as the page has no inline script).
"use strict";
fetch("/demo/config.json").then((r) => r.json()).then((config) => {
  const script = document.createElement("script");
  script.src = "/widget.js";
  script.setAttribute("data-chat-key", config.chat_key);
  script.setAttribute("data-title", "Chat with us");
  document.body.append(script);
}).catch((e) => console.error("demo: no chat key", e));
