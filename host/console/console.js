// Keel admin console: reads the admin API every few seconds and calls it for the actions. Plain
// JavaScript, no framework; every value is written with textContent, never parsed as HTML.
"use strict";

const REFRESH_MS = 3000;
const MAX_SAMPLES = 60;  // three minutes of /metrics samples
const TOKEN_KEY = "keel-admin-token";
const COLORS = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#1b7c83", "#57606a"];

const state = { samples: [], timer: null, busy: false };

const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

// One call on this page's own origin, with the token when there is one: the status and the body
// (parsed when it is JSON), whatever the status.
async function send(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (token()) headers["Authorization"] = "Bearer " + token();
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed = text;
  if ((response.headers.get("Content-Type") || "").includes("json") && text) {
    try { parsed = JSON.parse(text); } catch (ignored) { /* keep the text */ }
  }
  return { status: response.status, ok: response.ok, statusText: response.statusText, body: parsed };
}

// An admin API call that must succeed; a problem+json answer becomes an ApiError with its detail.
async function api(method, path, body) {
  const answer = await send(method, path, body);
  if (answer.ok) return answer.body;
  const problem = typeof answer.body === "object" ? answer.body : {};
  const detail = (problem.title || answer.status + " " + answer.statusText) + (problem.detail ? ": " + problem.detail : "");
  throw new ApiError(answer.status, detail);
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

// "2026-12-06T20:56:31.466631Z" -> "2026-12-06 20:56:31.466Z": milliseconds tell two loads apart.
function shortTime(iso) { return String(iso || "").replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1Z"); }

function stateClass(name) { return String(name || "").toLowerCase().replace(/[^a-z]+/g, "-"); }

function showLogin(message) {
  clearTimeout(state.timer);
  $("console").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("connection").textContent = "Signed out";
  $("token").focus();
}

function fact(list, term, value) {
  list.append(element("dt", term), element("dd", value === undefined || value === "" ? "—" : value));
}

function formatUptime(seconds) {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
}

// /health answers 503 with the same report when a critical check fails: read it either way.
async function healthReport() {
  try {
    const answer = await send("GET", "/health");
    return answer.status === 200 || answer.status === 503 ? answer.body : null;
  } catch (error) {
    return null;
  }
}

// What /ready answers, in words: "yes", or why not (starting, draining, a failing check).
async function readiness() {
  try {
    const answer = await send("GET", "/ready");
    if (answer.status === 404) return "unknown (the health plugin is not loaded)";
    if (answer.ok) return "yes";
    const body = typeof answer.body === "object" ? answer.body : {};
    if (body.output) return "no: " + body.output;
    const failing = Object.entries(body.checks || {})
      .filter(([, results]) => (results[0] || {}).status === "fail")
      .map(([name, results]) => name + (results[0].output ? " (" + results[0].output + ")" : ""));
    return "no: " + (failing.join(", ") || "a readiness check fails");
  } catch (error) {
    return "unknown (" + error.message + ")";
  }
}

function renderHost(status, ready) {
  $("host-version").textContent = status.version;
  const list = $("host");
  list.replaceChildren();
  fact(list, "Version", status.version);
  fact(list, "Instance", status.instance_id);
  fact(list, "Uptime", formatUptime(status.uptime_seconds));
  fact(list, "Ready", ready);
  fact(list, "Requests in flight", status.in_flight);
  fact(list, "Requests served", status.served);
  fact(list, "Configuration", (status.config_files || []).join(", "));
  fact(list, "Configuration loaded at", shortTime(status.config_loaded_at));
}

function actionButton(label, title, className, run) {
  const button = element("button", label, className);
  button.type = "button";
  button.title = title;
  button.setAttribute("aria-label", title);
  button.addEventListener("click", run);
  return button;
}

// Runs an admin action, shows its answer, and refreshes the page's view right away.
async function act(description, method, path, body) {
  const result = $("action-result");
  result.className = "";
  result.textContent = description + "…";
  try {
    await api(method, path, body);
    result.textContent = description + ": done.";
  } catch (error) {
    if (error.status === 401) return showLogin("The token was refused; sign in again.");
    result.className = "error";
    result.textContent = description + " failed: " + error.message;
  }
  await refresh();
}

function renderPlugins(plugins, available) {
  const body = $("plugins").querySelector("tbody");
  body.replaceChildren();
  for (const plugin of plugins) {
    const row = element("tr");
    row.dataset.plugin = plugin.name;
    const title = element("th", plugin.name);
    title.scope = "row";
    row.append(title, element("td", plugin.version));
    row.append(element("td", plugin.state, "state " + stateClass(plugin.state)));
    const file = element("td", plugin.file.split("/").pop() + " · " + plugin.sha256.slice(0, 12));
    file.title = plugin.file + "\nsha256 " + plugin.sha256;
    const loadedAt = element("td", shortTime(plugin.loaded_at), "loaded-at");
    loadedAt.title = plugin.loaded_at;
    row.append(file, loadedAt);
    row.append(element("td", plugin.routes.join("\n"), "routes"), element("td", plugin.in_flight));
    const actions = element("td");
    actions.append(
      actionButton("Reload", "Reload " + plugin.name + " from its file, without dropping a request", "reload",
        () => act("Reload " + plugin.name, "POST", "/admin/plugins/" + encodeURIComponent(plugin.name) + "/reload", {})),
      actionButton("Unload", "Unload " + plugin.name + " (its routes answer 404 until it is loaded again)",
        "danger unload", () => {
          if (!confirm("Unload " + plugin.name + "? Its routes stop answering until it is loaded again.")) return;
          act("Unload " + plugin.name, "DELETE", "/admin/plugins/" + encodeURIComponent(plugin.name));
        }));
    row.append(actions);
    body.append(row);
  }
  const select = $("load-name");
  const chosen = select.value;
  const loaded = new Set(plugins.map((p) => p.name));
  select.replaceChildren();
  for (const name of available.filter((n) => !loaded.has(n))) {
    const option = element("option", name);
    option.value = name;
    select.append(option);
  }
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  $("load-button").disabled = select.options.length === 0;
  $("load-button").textContent = select.options.length ? "Load plugin" : "Every plugin is loaded";
}

function renderHealth(report) {
  const body = $("health").querySelector("tbody");
  body.replaceChildren();
  const checks = (report && report.checks) || {};
  for (const [name, results] of Object.entries(checks)) {
    const check = results[0] || {};
    const row = element("tr");
    const title = element("th", name);
    title.scope = "row";
    row.append(title, element("td", check.status, "state " + stateClass(check.status)));
    row.append(element("td", check.observedValue !== undefined ? check.observedValue.toFixed(1) + " ms" : "—"));
    row.append(element("td", check.output || ""));
    body.append(row);
  }
}

function describeBreaker(breaker) {
  let text = breaker.state;
  if (breaker.next_trial_in_ms !== undefined) text += " · next trial in " + Math.ceil(breaker.next_trial_in_ms / 1000) + " s";
  return text + " · " + breaker.calls_in_window + " calls, " + breaker.failure_rate.toFixed(0) + "% failed";
}

function renderResilience(view) {
  const body = $("resilience").querySelector("tbody");
  body.replaceChildren();
  if (!view) {
    const row = element("tr");
    const cell = element("td", "The resilience plugin is not loaded.");
    cell.colSpan = 4;
    row.append(cell);
    body.append(row);
    $("rate-limit").textContent = "";
    return;
  }
  for (const pipeline of view.pipelines) {
    const row = element("tr");
    row.dataset.pipeline = pipeline.name;
    const title = element("th", pipeline.name);
    title.scope = "row";
    row.append(title, element("td", describeBreaker(pipeline.breaker), "breaker state " + stateClass(pipeline.breaker.state)));
    row.append(element("td", pipeline.bulkhead.in_use + " of " + pipeline.policy.max_concurrent + " in use, " +
      pipeline.bulkhead.waiting + " waiting"));
    const path = "/admin/resilience/" + encodeURIComponent(pipeline.name) + "/breaker";
    const actions = element("td");
    actions.append(
      actionButton("Force open", "Force the " + pipeline.name + " breaker open: every call fails fast", "danger",
        () => act("Force " + pipeline.name + " open", "POST", path, { state: "open" })),
      actionButton("Force closed", "Force the " + pipeline.name + " breaker closed: calls always go through", "",
        () => act("Force " + pipeline.name + " closed", "POST", path, { state: "closed" })),
      actionButton("Automatic", "Let the " + pipeline.name + " breaker decide again from its window", "",
        () => act("Release " + pipeline.name, "POST", path, { state: "auto" })));
    row.append(actions);
    body.append(row);
  }
  const limit = view.rate_limit || {};
  $("rate-limit").textContent = limit.enabled
    ? "Rate limit: " + limit.rps + " requests/s, burst " + limit.burst + ", " +
      (limit.tokens !== undefined ? limit.tokens.toFixed(1) + " tokens now, " : "") + "by " + limit.key
    : "Rate limit: off";
}

function renderFeatures(view) {
  const list = $("features");
  list.replaceChildren();
  if (!view.features.length) list.append(element("li", "No flags are set."));
  for (const flag of view.features) {
    list.append(element("li", flag.name + ": " + (flag.enabled ? "on" : "off") + " (" + flag.source + ")"));
  }
}

// --- /metrics samples and charts -------------------------------------------------------------

function parseMetrics(text) {
  const series = [];
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[3] || "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    series.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return series;
}

function sample(text) {
  const requests = {}, buckets = {};
  let total = 0, errors = 0, poolBusy = 0, poolSeen = false;
  for (const s of parseMetrics(text)) {
    if (s.name === "http_server_requests_total") {
      requests[s.labels.route] = (requests[s.labels.route] || 0) + s.value;
      total += s.value;
      if (String(s.labels.status).startsWith("5")) errors += s.value;
    } else if (s.name === "http_server_request_duration_seconds_bucket") {
      const route = (buckets[s.labels.route] = buckets[s.labels.route] || {});
      route[s.labels.le] = (route[s.labels.le] || 0) + s.value;
    } else if (s.name === "keel_db_pool_connections" && s.labels.state === "busy") {
      poolBusy += s.value;
      poolSeen = true;
    }
  }
  return { at: Date.now(), requests, buckets, total, errors, poolBusy: poolSeen ? poolBusy : null };
}

// The smallest bucket bound under which 99% of the interval's requests fell, in milliseconds.
function p99(now, before) {
  const bounds = Object.keys(now).filter((le) => le !== "+Inf").map(Number).sort((a, b) => a - b);
  const delta = (le) => (now[le] || 0) - ((before && before[le]) || 0);
  const count = delta("+Inf");
  if (count <= 0) return null;
  for (const bound of bounds) if (delta(String(bound)) >= 0.99 * count) return bound * 1000;
  return bounds.length ? bounds[bounds.length - 1] * 1000 : null;
}

function chartSeries() {
  const rps = {}, latency = {}, share = [], pool = [];
  for (let i = 1; i < state.samples.length; i++) {
    const now = state.samples[i], before = state.samples[i - 1];
    const seconds = (now.at - before.at) / 1000;
    for (const route of Object.keys(now.requests)) {
      const rate = (now.requests[route] - (before.requests[route] || 0)) / seconds;
      (rps[route] = rps[route] || []).push([now.at, Math.max(rate, 0)]);
      const value = p99(now.buckets[route] || {}, before.buckets[route]);
      if (value !== null) (latency[route] = latency[route] || []).push([now.at, value]);
    }
    const answered = now.total - before.total;
    share.push([now.at, answered > 0 ? (100 * (now.errors - before.errors)) / answered : 0]);
    if (now.poolBusy !== null) pool.push([now.at, now.poolBusy]);
  }
  return { rps, latency, share: { "5xx": share }, pool: pool.length ? { "in use": pool } : {} };
}

const MAX_LINES = 6;  // the busiest series; more lines would be unreadable on a small chart

function drawChart(canvas, allSeries, floor) {
  const context = canvas.getContext("2d");
  const width = canvas.width, height = canvas.height, left = 48, right = 8, top = 8, legend = 30;
  const bottom = height - legend;
  context.clearRect(0, 0, width, height);
  context.font = "11px system-ui, sans-serif";
  const total = (points) => points.reduce((sum, p) => sum + p[1], 0);
  const names = Object.keys(allSeries).sort((a, b) => total(allSeries[b]) - total(allSeries[a])).slice(0, MAX_LINES);
  const points = names.flatMap((name) => allSeries[name]);
  if (!points.length) {
    context.fillStyle = "#57606a";
    context.fillText("Collecting samples…", left, bottom / 2);
    return;
  }
  const t0 = Math.min(...points.map((p) => p[0])), t1 = Math.max(...points.map((p) => p[0]), t0 + 1);
  const maximum = Math.max(...points.map((p) => p[1]), floor) * 1.1;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const y = (v) => top + (1 - v / maximum) * (bottom - top);
  context.strokeStyle = "#d0d7de";
  context.fillStyle = "#57606a";
  for (const fraction of [0, 0.5, 1]) {
    const value = maximum * fraction;
    context.beginPath();
    context.moveTo(left, y(value));
    context.lineTo(width - right, y(value));
    context.stroke();
    context.fillText(value >= 10 ? value.toFixed(0) : value.toFixed(1), 4, y(value) + 4);
  }
  names.forEach((name, index) => {
    const color = COLORS[index % COLORS.length];
    context.strokeStyle = color;
    context.lineWidth = 2;
    context.beginPath();
    allSeries[name].forEach(([t, v], i) => (i ? context.lineTo(x(t), y(v)) : context.moveTo(x(t), y(v))));
    context.stroke();
    // The legend: three entries a row, under the plot.
    const column = index % 3, row = Math.floor(index / 3);
    const label = name.length > 26 ? name.slice(0, 25) + "…" : name;
    context.fillStyle = color;
    context.fillRect(left + column * ((width - left) / 3), bottom + 8 + row * 12, 8, 8);
    context.fillText(label, left + column * ((width - left) / 3) + 12, bottom + 16 + row * 12);
  });
  context.lineWidth = 1;
}

function renderCharts() {
  const series = chartSeries();
  drawChart($("chart-rps"), series.rps, 1);
  drawChart($("chart-p99"), series.latency, 1);
  drawChart($("chart-5xx"), series.share, 1);
  drawChart($("chart-pool"), series.pool, 1);
}

// --- the refresh loop ------------------------------------------------------------------------

async function optional(path) {
  try {
    return await api("GET", path);
  } catch (error) {
    if (error.status === 401) throw error;
    return null;  // a plugin that serves it is not loaded (404)
  }
}

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  clearTimeout(state.timer);
  try {
    const [status, plugins, available, health, resilience, features, metrics, ready] = await Promise.all([
      api("GET", "/admin/status"), api("GET", "/admin/plugins"), api("GET", "/admin/plugin-files"),
      healthReport(), optional("/admin/resilience"), api("GET", "/admin/features"), optional("/metrics"),
      readiness()]);
    $("login").hidden = true;
    $("console").hidden = false;
    renderHost(status, ready);
    renderPlugins(plugins.plugins, available.plugins);
    renderHealth(health);
    renderResilience(resilience);
    renderFeatures(features);
    if (typeof metrics === "string") {
      state.samples.push(sample(metrics));
      if (state.samples.length > MAX_SAMPLES) state.samples.shift();
    }
    renderCharts();
    $("connection").textContent = "Updated " + new Date().toLocaleTimeString();
  } catch (error) {
    if (error.status === 401) {
      state.busy = false;
      return showLogin(token() ? "The token was refused." : "");
    }
    $("connection").textContent = "Cannot reach the admin API: " + error.message;
  }
  state.busy = false;
  state.timer = setTimeout(refresh, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    refresh();
  });
  $("load-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("load-name").value;
    if (name) act("Load " + name, "POST", "/admin/plugins", { name });
  });
  refresh();
});
