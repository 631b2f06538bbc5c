/**
 * The playground page's script, inlined into the page (plain ES2020, no
 * imports): builds the form from `/openapi.json`, runs predictions over Cog's
 * SSE stream, renders output, logs, timing and errors, keeps the curl and
 * replicate snippets in step with the form.
 */
export const SCRIPT = String.raw`
"use strict";
var $ = function (id) { return document.getElementById(id); };
var AUTH_REQUIRED = document.querySelector('meta[name="tscog-auth"]').getAttribute("content") === "required";
var state = { schema: null, fields: [], outputSchema: null, running: null, openaiModel: null };

function token() { return $("token").value.trim(); }
function authHeaders(extra) {
  var h = extra || {};
  if (token()) h["Authorization"] = "Bearer " + token();
  return h;
}
function text(el, value) { el.textContent = value; return el; }
function make(tag, attrs, children) {
  var el = document.createElement(tag);
  for (var k in attrs || {}) {
    if (k === "text") el.textContent = attrs[k];
    else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) el.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
  }
  (children || []).forEach(function (c) { el.appendChild(c); });
  return el;
}

/** A readable message from an error reply ({code, detail} with FastAPI-style detail lists). */
function describeError(status, body) {
  if (body && Array.isArray(body.detail)) {
    return body.detail.map(function (d) {
      var loc = (d.loc || []).filter(function (p) { return p !== "body" && p !== "input"; }).join(".");
      return (loc ? loc + ": " : "") + d.msg;
    }).join("\n");
  }
  if (body && body.detail) return String(body.detail);
  if (status === 401) return "This server needs an API token: enter it in the API token field above.";
  return "The server answered " + status + ".";
}

async function readJson(res) {
  try { return await res.json(); } catch (e) { return null; }
}

function showError(message) {
  var el = $("error");
  el.hidden = !message;
  text(el, message || "");
}

// ---- schema → form -------------------------------------------------------------------------

function resolve(prop) {
  if (prop && prop.allOf && prop.allOf.length === 1 && prop.allOf[0].$ref) {
    var name = prop.allOf[0].$ref.split("/").pop();
    var target = (state.schema.components.schemas || {})[name] || {};
    var merged = {};
    for (var k in target) merged[k] = target[k];
    for (var j in prop) if (j !== "allOf") merged[j] = prop[j];
    return merged;
  }
  return prop || {};
}

function fieldKind(p) {
  if (p.enum) return "choice";
  if (p.type === "boolean") return "boolean";
  if (p.type === "integer") return "integer";
  if (p.type === "number") return "number";
  if (p.type === "array") return "list";
  if (p.format === "password" || p["x-cog-secret"]) return "secret";
  if (p.format === "uri") return "file";
  return "string";
}

function typeLabel(kind, p) {
  var bits = [kind === "choice" ? "one of " + p.enum.join(", ") : kind];
  if (p.minimum !== undefined) bits.push("≥ " + p.minimum);
  if (p.maximum !== undefined) bits.push("≤ " + p.maximum);
  if (p.minLength !== undefined) bits.push("min length " + p.minLength);
  if (p.maxLength !== undefined) bits.push("max length " + p.maxLength);
  return bits.join(", ");
}

function buildForm() {
  var input = state.schema.components.schemas.Input || { properties: {} };
  var required = input.required || [];
  var names = Object.keys(input.properties || {});
  names.sort(function (a, b) { return (input.properties[a]["x-order"] || 0) - (input.properties[b]["x-order"] || 0); });
  var form = $("form");
  form.textContent = "";
  state.fields = names.map(function (name) {
    var p = resolve(input.properties[name]);
    var kind = fieldKind(p);
    var id = "in-" + name;
    var control;
    if (kind === "choice") {
      control = make("select", { id: id, name: name });
      p.enum.forEach(function (v) { control.appendChild(make("option", { value: String(v), text: String(v) })); });
      if (p.default !== undefined) control.value = String(p.default);
    } else if (kind === "boolean") {
      control = make("input", { id: id, name: name, type: "checkbox" });
      control.checked = p.default === true;
    } else if (kind === "integer" || kind === "number") {
      control = make("input", { id: id, name: name, type: "number", min: p.minimum, max: p.maximum, step: kind === "integer" ? 1 : "any" });
      if (p.default !== undefined && p.default !== null) control.value = String(p.default);
    } else if (kind === "secret") {
      control = make("input", { id: id, name: name, type: "password", autocomplete: "off" });
    } else if (kind === "file") {
      control = make("input", { id: id, name: name, type: "file" });
    } else if (kind === "list") {
      control = make("textarea", { id: id, name: name, placeholder: "one item per line, or a JSON array" });
      if (Array.isArray(p.default)) control.value = p.default.map(String).join("\n");
    } else {
      control = make("textarea", { id: id, name: name, rows: 3, minlength: p.minLength, maxlength: p.maxLength });
      if (typeof p.default === "string") control.value = p.default;
    }
    control.addEventListener("input", updateSnippets);
    control.addEventListener("change", updateSnippets);
    var isRequired = required.indexOf(name) >= 0;
    var label = make("label", { for: id }, [document.createTextNode(p.title || name), make("span", { class: "type", text: typeLabel(kind, p) + (isRequired ? ", required" : "") })]);
    var wrap = make("div", { class: "field" }, [label]);
    if (p.description) wrap.appendChild(make("div", { class: "desc", text: p.description }));
    wrap.appendChild(control);
    form.appendChild(wrap);
    return { name: name, kind: kind, schema: p, control: control, required: isRequired };
  });
  $("run").disabled = false;
  updateSnippets();
}

function readFile(file) {
  return new Promise(function (ok, fail) {
    var reader = new FileReader();
    reader.onload = function () { ok(reader.result); };
    reader.onerror = function () { fail(reader.error); };
    reader.readAsDataURL(file);
  });
}

/** The input object from the form; files as data: URLs (or placeholders for the snippets). */
async function collectInput(forSnippet) {
  var input = {};
  for (var i = 0; i < state.fields.length; i++) {
    var f = state.fields[i];
    var c = f.control;
    if (f.kind === "boolean") input[f.name] = c.checked;
    else if (f.kind === "integer" || f.kind === "number") {
      if (c.value !== "") input[f.name] = Number(c.value);
    } else if (f.kind === "choice") {
      input[f.name] = f.schema.type === "integer" || f.schema.type === "number" ? Number(c.value) : c.value;
    } else if (f.kind === "file") {
      var file = c.files && c.files[0];
      if (file) input[f.name] = forSnippet ? "<data: URL of " + file.name + ", " + file.size + " bytes>" : await readFile(file);
    } else if (f.kind === "secret") {
      if (c.value !== "") input[f.name] = forSnippet ? "<your " + f.name + ">" : c.value;
    } else if (f.kind === "list") {
      var raw = c.value.trim();
      if (raw === "") { if (f.required) input[f.name] = []; continue; }
      var items;
      if (raw.charAt(0) === "[") items = JSON.parse(raw);
      else {
        items = raw.split("\n");
        var itemType = (f.schema.items || {}).type;
        if (itemType === "integer" || itemType === "number") items = items.map(Number);
      }
      input[f.name] = items;
    } else if (c.value !== "" || f.required) input[f.name] = c.value;
  }
  return input;
}

function shellQuote(s) { return "'" + s.replace(/'/g, "'\\''") + "'"; }

async function updateSnippets() {
  if (!state.schema) return;
  var input;
  try { input = await collectInput(true); } catch (e) { return; }
  var base = location.origin;
  var auth = token() ? " \\\n  -H \"Authorization: Bearer $TSCOG_API_TOKEN\"" : "";
  text($("curl"), "curl -sS -X POST " + base + "/predictions \\\n  -H 'Content-Type: application/json'" + auth +
    " \\\n  -d " + shellQuote(JSON.stringify({ input: input })));
  text($("curl-stream"), "curl -sSN -X POST " + base + "/predictions \\\n  -H 'Content-Type: application/json' \\\n  -H 'Accept: text/event-stream'" + auth +
    " \\\n  -d " + shellQuote(JSON.stringify({ input: input })));
  var iterator = state.outputSchema && state.outputSchema.type === "array";
  text($("replicate"), 'import Replicate from "replicate";\n\n' +
    "const replicate = new Replicate({ auth: process.env.TSCOG_API_TOKEN ?? \"none\", baseUrl: " + JSON.stringify(base + "/v1") + " });\n" +
    "const input = " + JSON.stringify(input, null, 2) + ";\n" +
    (iterator
      ? 'for await (const event of replicate.stream("local/model", { input })) {\n  if (event.event === "output") process.stdout.write(String(event));\n}\n'
      : 'console.log(await replicate.run("local/model", { input }));\n'));
  if (state.openaiModel) {
    var prompt = typeof input.prompt === "string" ? input.prompt : "The state of the nation";
    text($("openai"), 'import OpenAI from "openai";\n\n' +
      "const client = new OpenAI({ baseURL: " + JSON.stringify(base + "/v1") + ", apiKey: process.env.TSCOG_API_TOKEN ?? \"unused\" });\n" +
      "const stream = await client.completions.create({ model: " + JSON.stringify(state.openaiModel) + ", prompt: " + JSON.stringify(prompt) + ", stream: true });\n" +
      'for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.text ?? "");\n');
  }
}

// ---- running ----------------------------------------------------------------------------------

function setStatus(s) { text($("status"), s); }

function resetOutput() {
  $("output").textContent = "";
  $("logs").textContent = "";
  $("stats").textContent = "";
  showError("");
}

function addStat(name, value) {
  var span = document.querySelector('#stats [data-stat="' + name + '"]');
  if (!span) {
    span = make("span", { "data-stat": name }, [document.createTextNode(name + ": "), make("b")]);
    $("stats").appendChild(span);
  }
  text(span.querySelector("b"), value);
}

function mimeOf(url) {
  var m = /^data:([^;,]+)/.exec(url);
  if (m) return m[1];
  var ext = (/\.([a-z0-9]+)(?:\?|$)/i.exec(url) || [])[1] || "";
  var byExt = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml",
    wav: "audio/wav", mp3: "audio/mpeg", ogg: "audio/ogg", flac: "audio/flac", mp4: "video/mp4", webm: "video/webm" };
  return byExt[ext.toLowerCase()] || "";
}

function isFileUrl(v) { return typeof v === "string" && /^(data:|https?:\/\/)/.test(v) && (v.indexOf("data:") === 0 || mimeOf(v) !== ""); }

function renderFile(url) {
  var mime = mimeOf(url);
  if (mime.indexOf("image/") === 0) return make("img", { src: url, alt: "output image" });
  if (mime.indexOf("audio/") === 0) return make("audio", { src: url, controls: true });
  if (mime.indexOf("video/") === 0) return make("video", { src: url, controls: true });
  return make("a", { href: url, download: "output", text: "Download output" + (mime ? " (" + mime + ")" : "") });
}

function renderValue(value) {
  if (isFileUrl(value)) return renderFile(value);
  if (typeof value === "string") return document.createTextNode(value);
  if (Array.isArray(value) && value.length && value.every(isFileUrl)) {
    var box = make("div");
    value.forEach(function (v) { box.appendChild(renderFile(v)); });
    return box;
  }
  return make("pre", { text: JSON.stringify(value, null, 2) });
}

function appendChunk(chunk) {
  var out = $("output");
  // Iterator outputs concatenate: text chunks join into one text node.
  if (typeof chunk === "string" && !isFileUrl(chunk)) {
    var last = out.lastChild;
    if (last && last.nodeType === 3) last.appendData(chunk);
    else out.appendChild(document.createTextNode(chunk));
  } else {
    out.appendChild(renderValue(chunk));
  }
}

function* sseEvents(buffer) {
  // yields complete events from buffer.text, leaving the incomplete tail
  var idx;
  while ((idx = buffer.text.indexOf("\n\n")) >= 0) {
    var block = buffer.text.slice(0, idx);
    buffer.text = buffer.text.slice(idx + 2);
    var event = "message", data = [];
    block.split("\n").forEach(function (line) {
      if (line.charAt(0) === ":") return;
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    });
    if (data.length) yield { event: event, data: data.join("\n") };
  }
}

function newId() {
  var bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "pg" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
}

async function run(event) {
  event.preventDefault();
  if (state.running) return;
  resetOutput();
  // The status changes before the first await (reading a file input can take a while),
  // so the previous run's "failed" or "succeeded" never stands beside this run's empty output.
  setStatus("reading inputs…");
  var input;
  try { input = await collectInput(false); } catch (e) { setStatus("failed"); showError("Could not read the inputs: " + e.message); return; }
  var id = newId();
  var run = { id: id, began: performance.now(), first: 0, last: 0, chunks: 0, tokens: null };
  state.running = run;
  $("run").disabled = true;
  $("cancel").disabled = false;
  setStatus("starting…");
  try {
    var res = await fetch("/predictions", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", "Accept": "text/event-stream" }),
      body: JSON.stringify({ id: id, input: input }),
    });
    if (!res.ok || !(res.headers.get("content-type") || "").startsWith("text/event-stream")) {
      var body = await readJson(res);
      setStatus("failed");
      showError(describeError(res.status, body));
      return;
    }
    var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = { text: "" };
    var finished = null;
    while (!finished) {
      var step = await reader.read();
      if (step.done) break;
      buffer.text += step.value.replace(/\r\n?/g, "\n");
      for (var ev of sseEvents(buffer)) {
        var data = JSON.parse(ev.data);
        if (ev.event === "start") setStatus("processing…");
        else if (ev.event === "output") onOutput(run, data.chunk);
        else if (ev.event === "log") $("logs").appendChild(document.createTextNode(data.data));
        else if (ev.event === "metric") onMetric(run, data.name, data.value);
        else if (ev.event === "completed") finished = data;
      }
    }
    if (finished) onCompleted(run, finished);
    else { setStatus("disconnected"); showError("The stream ended before the prediction finished."); }
  } catch (e) {
    setStatus("failed");
    showError("Could not reach the server: " + e.message);
  } finally {
    state.running = null;
    $("run").disabled = false;
    $("cancel").disabled = true;
  }
}

function onOutput(run, chunk) {
  var now = performance.now();
  if (!run.first) {
    run.first = now;
    addStat("time to first token", ((now - run.began) / 1000).toFixed(3) + " s");
  }
  run.last = now;
  run.chunks++;
  appendChunk(chunk);
  updateRate(run);
}

function updateRate(run) {
  var tokens = run.tokens !== null ? run.tokens : run.chunks;
  addStat("tokens", String(tokens));
  var seconds = (run.last - run.first) / 1000;
  if (tokens > 1 && seconds > 0) addStat("tokens/s", ((tokens - 1) / seconds).toFixed(1));
}

function onMetric(run, name, value) {
  if (name === "output_token_count" && typeof value === "number") { run.tokens = value; updateRate(run); }
  else if (name !== "predict_time") addStat(name, typeof value === "number" ? String(Math.round(value * 1000) / 1000) : JSON.stringify(value));
}

function onCompleted(run, prediction) {
  setStatus(prediction.status);
  var metrics = prediction.metrics || {};
  if (typeof metrics.predict_time === "number") addStat("predict time", metrics.predict_time.toFixed(3) + " s");
  if (typeof metrics.output_token_count === "number") { run.tokens = metrics.output_token_count; if (run.first) updateRate(run); }
  if (prediction.status === "failed") showError(prediction.error || "The prediction failed.");
  else if (prediction.status === "canceled") showError("");
  // Values (not iterators) arrive only now; iterator outputs were shown as they streamed.
  if (run.chunks === 0 && prediction.output !== null && prediction.output !== undefined) {
    var out = $("output");
    out.textContent = "";
    if (Array.isArray(prediction.output) && state.outputSchema && state.outputSchema["x-cog-array-display"] === "concatenate") {
      out.appendChild(document.createTextNode(prediction.output.join("")));
    } else out.appendChild(renderValue(prediction.output));
  }
}

async function cancel() {
  var run = state.running;
  if (!run) return;
  $("cancel").disabled = true;
  setStatus("canceling…");
  var res = await fetch("/predictions/" + encodeURIComponent(run.id) + "/cancel", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: "{}" });
  if (!res.ok) showError(describeError(res.status, await readJson(res)));
}

// ---- loading ---------------------------------------------------------------------------------

async function load() {
  var health = await fetch("/health-check").then(readJson).catch(function () { return null; });
  var status = health && health.status ? health.status : "UNREACHABLE";
  var badge = $("health");
  badge.className = status;
  text(badge, status);
  if (status === "STARTING") { setStatus("The model is starting (setup() is running)…"); setTimeout(load, 1000); return; }
  if (status === "SETUP_FAILED") { setStatus("setup failed"); showError((health.setup && health.setup.logs) || "The model's setup() failed."); return; }
  if (AUTH_REQUIRED && !token()) { setStatus("This server needs an API token: enter it above."); $("token").focus(); return; }
  var res = await fetch("/openapi.json", { headers: authHeaders() });
  var body = await readJson(res);
  if (!res.ok) {
    setStatus(res.status === 401 ? "Enter the API token above." : "Could not load the model's schema.");
    showError(describeError(res.status, body));
    return;
  }
  showError("");
  state.schema = body;
  state.outputSchema = resolve((body.components.schemas || {}).Output);
  // The OpenAI routes answer only when cog.yaml enables them: then the page shows an openai snippet too.
  var index = await fetch("/", { headers: authHeaders({ Accept: "application/json" }) }).then(readJson).catch(function () { return null; });
  var models = index && index.openai_models_url
    ? await fetch(index.openai_models_url, { headers: authHeaders() }).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; })
    : null;
  state.openaiModel = models && models.data && models.data[0] ? models.data[0].id : null;
  $("openai-snippet").hidden = !state.openaiModel;
  if (body.info && body.info.title && body.info.title !== "Cog") text($("title"), body.info.title + " — tscog playground");
  setStatus("ready");
  buildForm();
}

$("token").value = sessionStorage.getItem("tscog-token") || "";
$("token").addEventListener("change", function () {
  sessionStorage.setItem("tscog-token", token());
  if (!state.schema) load();
  updateSnippets();
});
$("form").addEventListener("submit", run);
$("cancel").addEventListener("click", cancel);
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var value = $(button.getAttribute("data-copy")).textContent;
    navigator.clipboard.writeText(value).then(function () { text(button, "Copied"); setTimeout(function () { text(button, "Copy"); }, 1200); },
      function () { text(button, "Select and copy"); });
  });
});
document.querySelectorAll("a[data-auth]").forEach(function (a) {
  // With a token, API links open what the token unlocks (a plain link cannot send the header).
  a.addEventListener("click", async function (event) {
    if (!token()) return;
    event.preventDefault();
    var res = await fetch(a.getAttribute("href"), { headers: authHeaders() });
    var blob = new Blob([await res.text()], { type: res.headers.get("content-type") || "text/plain" });
    window.open(URL.createObjectURL(blob), "_blank");
  });
});
load();
`;
