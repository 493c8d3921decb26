/**
 * The chat room's browser page: one HTML document with its script inline, which opens a
 * websocket to `/chat` on the page's own origin, shows every line it receives, and sends what
 * is typed. No framework and no build step: it is served as it is written.
 *
 * @module
 */

/** The page, served on `GET /` by `chat-server --web-port`. */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Chat · Tendril</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 720px; margin: 24px auto; padding: 0 16px; color: #1d2b24; }
  h1 { font-size: 1.4em; margin: 0 0 12px; }
  #status { color: #5b6b63; font-size: 0.9em; }
  #log { list-style: none; padding: 8px 12px; margin: 12px 0; border: 1px solid #d5ded9; border-radius: 6px; height: 320px; overflow-y: auto; background: #fafbfa; }
  #log li.notice { color: #5b6b63; font-style: italic; }
  form { display: flex; gap: 8px; }
  #line { flex: 1; padding: 6px 8px; font: inherit; }
  button { padding: 6px 14px; font: inherit; }
</style>
</head>
<body>
<h1>Tendril chat</h1>
<div id="status">connecting…</div>
<ul id="log" aria-live="polite"></ul>
<form id="say">
  <input id="line" autocomplete="off" placeholder="Say something, or /nick NAME" maxlength="500" disabled>
  <button id="send" disabled>Send</button>
</form>
<script>
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const line = document.getElementById("line");
  const send = document.getElementById("send");
  function show(text) {
    const item = document.createElement("li");
    item.textContent = text;
    if (text.startsWith("* ")) item.className = "notice";
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/chat");
  ws.onopen = () => {
    status.textContent = "connected";
    line.disabled = send.disabled = false;
    line.focus();
  };
  ws.onmessage = (event) => show(event.data);
  ws.onclose = () => {
    status.textContent = "disconnected";
    line.disabled = send.disabled = true;
  };
  document.getElementById("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = line.value.trim();
    if (text === "" || ws.readyState !== WebSocket.OPEN) return;
    ws.send(text);
    if (!text.startsWith("/")) show("you: " + text);
    line.value = "";
  });
</script>
</body>
</html>
`;
