/**
 * The playground page: one HTML document with its CSS and script inlined (no
 * CDN, nothing fetched but this server's own API). The script builds a form
 * from `/openapi.json`, runs predictions through Cog's SSE stream
 * (`POST /predictions` with `Accept: text/event-stream`), and shows output,
 * logs, timing, errors and copy-paste snippets.
 */

import { SCRIPT } from "./playground-script.js";
import { STYLE } from "./playground-style.js";

/** The whole page; `authRequired` makes it ask for the token before it calls the API. */
export function playgroundHtml(authRequired: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="tscog-auth" content="${authRequired ? "required" : "none"}">
<title>tscog playground</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1 id="title">tscog playground</h1>
  <span id="health">…</span>
  <label>API token <input id="token" type="password" autocomplete="off" placeholder="only if the server needs one"></label>
</header>
<main>
  <section aria-label="Inputs">
    <h2>Inputs</h2>
    <form id="form"><p class="notice">Loading the model's schema…</p></form>
    <div class="buttons">
      <button id="run" class="primary" type="submit" form="form" disabled>Run</button>
      <button id="cancel" type="button" disabled>Cancel</button>
    </div>
    <h3>curl</h3>
    <div class="snippet"><pre class="box" id="curl"></pre><button type="button" data-copy="curl">Copy</button></div>
    <h3>curl, streaming (server-sent events)</h3>
    <div class="snippet"><pre class="box" id="curl-stream"></pre><button type="button" data-copy="curl-stream">Copy</button></div>
    <h3>replicate (JavaScript client)</h3>
    <div class="snippet"><pre class="box" id="replicate"></pre><button type="button" data-copy="replicate">Copy</button></div>
    <div id="openai-snippet" hidden>
      <h3>openai (JavaScript client)</h3>
      <div class="snippet"><pre class="box" id="openai"></pre><button type="button" data-copy="openai">Copy</button></div>
    </div>
  </section>
  <section aria-label="Output">
    <h2>Output</h2>
    <div id="status" role="status">loading…</div>
    <div id="error" role="alert" hidden></div>
    <div id="output" aria-live="polite"></div>
    <div id="stats"></div>
    <h3>Logs</h3>
    <pre class="box" id="logs"></pre>
  </section>
</main>
<footer>
  API: <a href="/openapi.json" data-auth>OpenAPI document</a><a href="/health-check">health check</a><a href="/metrics" data-auth>metrics</a>
  <span>predictions: <code>POST /predictions</code>, <code>POST /v1/predictions</code></span>
</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
