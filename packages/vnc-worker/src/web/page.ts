/**
 * The web console page served at `GET /`: noVNC (from the `@novnc/novnc` dependency, served
 * under `/novnc/`) connecting back over WebSocket to the same host and port, path `/websockify`.
 *
 * Defaults: shared session, scaled to the window (and rescaled as the window changes), a status
 * line, a clipboard panel (text from the VM appears in it; "Send to VM" hands its text to the
 * server), Ctrl+Alt+Del, and "Paste (Ctrl+Alt+P)", which sends the panel's text as the clipboard
 * and then presses Ctrl+Alt+P. No external URLs, and no favicon request (every extra request is
 * another connection to classify). Both URLs are relative to the page, so the console also works
 * behind a reverse proxy that mounts it under a sub-path.
 *
 * The page is a string rather than a file because the package ships only `dist`. The inline
 * script and style are allowed by hash in {@link CONSOLE_PAGE_CSP}, which also forbids framing
 * (a framed console could be click-jacked into typing into the VM).
 *
 * For end-to-end tests: `#status[data-state]` is `connecting`, `connected` or `disconnected`,
 * and `window.rfb` is the noVNC `RFB` object.
 */

import { createHash } from 'node:crypto';

const STYLE = `
html, body { margin: 0; height: 100%; background: #202124; color: #e8eaed; font: 14px system-ui, sans-serif; }
body { display: flex; flex-direction: column; }
#bar { display: flex; gap: 6px; align-items: center; padding: 4px 8px; background: #303134; flex: none; }
#status { flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#status[data-state="disconnected"] { color: #f28b82; }
button { font: inherit; padding: 2px 10px; }
#clip { display: flex; gap: 6px; padding: 6px 8px; background: #28292c; flex: none; }
#clip[hidden] { display: none; }
#clip textarea { flex: 1; height: 5em; font: 12px ui-monospace, monospace; }
#screen { flex: 1; min-height: 0; overflow: hidden; }
`;

const SCRIPT = `
import RFB from './novnc/core/rfb.js';

const $ = (id) => document.getElementById(id);
const XK_Control_L = 0xffe3, XK_Alt_L = 0xffe9, XK_p = 0x0070;
const actions = [$('cad'), $('paste'), $('send')];
const url = new URL('websockify', location.href);
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
url.search = '';
url.hash = '';

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
  for (const b of actions) b.disabled = state !== 'connected';
  $('reconnect').hidden = state !== 'disconnected';
}

setStatus('connecting', 'Connecting to ' + url.host + '…');
const rfb = new RFB($('screen'), url.href, { shared: true });
window.rfb = rfb;
rfb.scaleViewport = true;
rfb.resizeSession = false;
rfb.addEventListener('connect', () => { setStatus('connected', 'Connected'); rfb.focus(); });
rfb.addEventListener('disconnect', (e) => setStatus('disconnected', e.detail.clean ? 'Disconnected' : 'Connection lost'));
rfb.addEventListener('securityfailure', (e) => setStatus('disconnected', 'Security failure: ' + (e.detail.reason || e.detail.status)));
rfb.addEventListener('desktopname', (e) => { document.title = e.detail.name; setStatus('connected', 'Connected: ' + e.detail.name); });
rfb.addEventListener('clipboard', (e) => { $('clipText').value = e.detail.text; });
rfb.addEventListener('credentialsrequired', () => {
  const password = prompt('VNC password');
  if (password === null) rfb.disconnect();
  else rfb.sendCredentials({ password });
});

$('cad').onclick = () => { rfb.sendCtrlAltDel(); rfb.focus(); };
$('clipToggle').onclick = () => { $('clip').hidden = !$('clip').hidden; };
$('send').onclick = () => rfb.clipboardPasteFrom($('clipText').value);
$('paste').onclick = () => {
  const text = $('clipText').value;
  if (text === '') { $('clip').hidden = false; $('clipText').focus(); return; }
  rfb.clipboardPasteFrom(text);
  rfb.sendKey(XK_Control_L, 'ControlLeft', true);
  rfb.sendKey(XK_Alt_L, 'AltLeft', true);
  rfb.sendKey(XK_p, 'KeyP');
  rfb.sendKey(XK_Alt_L, 'AltLeft', false);
  rfb.sendKey(XK_Control_L, 'ControlLeft', false);
  rfb.focus();
};
$('reconnect').onclick = () => location.reload();
`;

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** The console page. */
export const CONSOLE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VM console</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<div id="bar">
  <span id="status" role="status" data-state="connecting">Loading…</span>
  <button id="cad" disabled>Ctrl+Alt+Del</button>
  <button id="paste" disabled title="Send the clipboard panel's text to the VM, then press Ctrl+Alt+P">Paste (Ctrl+Alt+P)</button>
  <button id="clipToggle" title="Show or hide the clipboard panel">Clipboard</button>
  <button id="reconnect" hidden>Reconnect</button>
</div>
<div id="clip" hidden>
  <textarea id="clipText" spellcheck="false" placeholder="Text copied in the VM appears here; text typed here can be sent to the VM."></textarea>
  <button id="send" disabled>Send to VM</button>
</div>
<div id="screen"></div>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;

/** `Content-Security-Policy` for {@link CONSOLE_PAGE_HTML}: its inline script and style by hash. */
export const CONSOLE_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'self' ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Response headers for the console page. */
export const CONSOLE_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONSOLE_PAGE_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};
