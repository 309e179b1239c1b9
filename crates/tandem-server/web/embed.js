// Tandem's chat widget loader. A site embeds the chat with one tag:
//   <script src="https://tandem.example.com/widget.js" data-chat-key="<workspace chat key>" defer></script>
// Optional: data-title="Chat with us", data-color="#0b5fff".
// It adds a launcher button and a framed chat served by Tandem (the frame has its own
// origin, so the host page's scripts cannot read the conversation, and the conversation
// cannot touch the host page).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__tandemChat) return;
  window.__tandemChat = true;
  var key = script.getAttribute("data-chat-key");
  if (!key) {
    console.error("Tandem chat: add data-chat-key=\"<your workspace chat key>\" to the script tag.");
    return;
  }
  var origin = new URL(script.src, location.href).origin;
  var title = script.getAttribute("data-title") || "Chat with us";
  var color = script.getAttribute("data-color") || "#0b5fff";
  var openKey = "tandem.chat.open";

  var button = document.createElement("button");
  button.type = "button";
  button.id = "tandem-chat-launcher";
  button.textContent = title;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "tandem-chat-frame");
  var b = button.style;
  b.position = "fixed"; b.right = "20px"; b.bottom = "20px"; b.zIndex = "2147483000";
  b.padding = "12px 18px"; b.border = "0"; b.borderRadius = "24px"; b.cursor = "pointer";
  b.background = color; b.color = "#fff"; b.font = "600 15px system-ui, sans-serif";
  b.boxShadow = "0 4px 14px rgba(0,0,0,.25)";

  var frame = document.createElement("iframe");
  frame.id = "tandem-chat-frame";
  frame.title = title;
  // Loaded when first opened: a visitor who never opens the chat costs nothing.
  var src = origin + "/chat-frame?key=" + encodeURIComponent(key);
  frame.setAttribute("allow", "clipboard-write");
  var f = frame.style;
  f.position = "fixed"; f.zIndex = "2147483001"; f.border = "0"; f.background = "#fff";
  f.boxShadow = "0 8px 30px rgba(0,0,0,.25)"; f.display = "none";

  var small = window.matchMedia("(max-width: 600px)");
  function place() {
    if (small.matches) {
      f.left = "0"; f.right = "0"; f.top = "0"; f.bottom = "0"; f.width = "100%"; f.height = "100%"; f.borderRadius = "0";
    } else {
      f.left = "auto"; f.top = "auto"; f.right = "20px"; f.bottom = "84px";
      f.width = "380px"; f.height = "min(600px, calc(100vh - 110px))"; f.borderRadius = "12px";
    }
  }
  place();
  if (small.addEventListener) small.addEventListener("change", place);

  function setOpen(open) {
    if (open && !frame.getAttribute("src")) frame.src = src;
    f.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "Close chat" : title;
    if (small.matches) b.display = open ? "none" : "block";
    try { sessionStorage.setItem(openKey, open ? "1" : "0"); } catch (e) { /* storage off */ }
    if (open) frame.focus();
    if (open && frame.contentWindow) frame.contentWindow.postMessage({ type: "tandem:opened" }, origin);
  }

  button.addEventListener("click", function () { setOpen(f.display === "none"); });
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    if (event.data && event.data.type === "tandem:close") { setOpen(false); button.focus(); }
    if (event.data && event.data.type === "tandem:unread" && f.display === "none") {
      button.textContent = title + " (new message)";
    }
  });

  function mount() {
    document.body.appendChild(frame);
    document.body.appendChild(button);
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(openKey) === "1"; } catch (e) { /* storage off */ }
    if (wasOpen) setOpen(true);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
