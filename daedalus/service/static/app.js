// The Daedalus dashboard: a hash-routed page over the /api/v1 endpoints, no build step.
// Graph layout is Cytoscape's (dagre for timelines, circle for the cast); charts are Chart.js.
"use strict";

const API = "/api/v1";
const KEY = "daedalus.key";
const view = document.getElementById("view");
const charts = [];
let follow = null;  // the AbortController of the run being followed, if any

cytoscape.use(cytoscapeDagre);

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function headers() {
  const key = localStorage.getItem(KEY) || "";
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function api(path, options = {}) {
  const response = await fetch(API + path, {
    ...options, headers: { ...headers(), ...(options.headers || {}) },
  });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function money(value) { return `$${Number(value || 0).toFixed(4)}`; }
function when(value) { return value ? new Date(value).toISOString().replace("T", " ").slice(0, 19) : "-"; }
function status(value) { return `<span class="status ${esc(value)}" data-testid="status">${esc(value)}</span>`; }

// ---- run browser -------------------------------------------------------------------------
async function runsPage() {
  view.innerHTML = `
    <section><h2>Submit a run</h2>
      <form class="row" id="submit-form" data-testid="submit-form">
        <label>Template <select id="submit-template" data-testid="submit-template"></select></label>
        <label>Seed <input id="submit-seed" type="number" min="0" value="0"></label>
        <button type="submit" data-testid="submit-run">Run</button>
        <span class="muted">Runs go to the queue; a worker runs them.</span>
      </form></section>
    <section><h2>Runs</h2>
      <form class="row" id="filter-form" data-testid="filter-form">
        <label>Search <input name="q" placeholder="id, template, model"></label>
        <label>Mode <select name="mode"><option value="">any</option>${
          ["pearl", "portal", "branching", "cyclical", "directorial", "nonlinear"]
            .map((m) => `<option>${m}</option>`).join("")}</select></label>
        <label>Status <select name="status"><option value="">any</option>${
          ["queued", "running", "completed", "failed", "interrupted"]
            .map((m) => `<option>${m}</option>`).join("")}</select></label>
        <label>Template <input name="template"></label>
        <label>Min $ <input name="min_cost" type="number" step="0.0001" min="0"></label>
        <label>Max $ <input name="max_cost" type="number" step="0.0001" min="0"></label>
        <label>Since <input name="since" type="date"></label>
        <label>Until <input name="until" type="date"></label>
        <button type="submit">Filter</button>
      </form>
      <table data-testid="runs-table"><thead><tr><th>Run</th><th>Template</th><th>Mode</th>
        <th>Status</th><th>Moments</th><th>Dialogs</th><th>Calls</th><th>Cost</th><th>Started</th>
      </tr></thead><tbody id="runs-body"></tbody></table>
      <p class="muted" id="runs-total" data-testid="runs-total"></p></section>`;
  const templates = await api("/templates");
  document.getElementById("submit-template").innerHTML = templates
    .map((t) => `<option value="${esc(t.id)}">${esc(t.id)} (${esc(t.mode)})</option>`).join("");
  document.getElementById("submit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = {
        template: document.getElementById("submit-template").value,
        seed: Number(document.getElementById("submit-seed").value || 0),
      };
      const done = await api("/runs", {
        method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" },
      });
      location.hash = `#/runs/${done.run_id}`;
    } catch (error) { showError(error.message); }
  });
  const filters = document.getElementById("filter-form");
  filters.addEventListener("submit", (event) => { event.preventDefault(); listRuns(filters); });
  await listRuns(filters);
}

async function listRuns(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (!value) continue;
    params.set(name, name === "since" || name === "until" ? `${value}T00:00:00Z` : value);
  }
  const page = await api(`/runs?${params}`);
  document.getElementById("runs-body").innerHTML = page.items.map((r) => `
    <tr data-testid="run-row"><td><a href="#/runs/${esc(r.id)}">${esc(r.id)}</a></td>
    <td>${esc(r.template)}</td><td>${esc(r.mode)}</td><td>${status(r.status)}</td>
    <td>${r.timepoints}</td><td>${r.dialogs}</td><td>${r.calls}</td><td>${money(r.cost_usd)}</td>
    <td>${when(r.started_at)}</td></tr>`).join("");
  document.getElementById("runs-total").textContent = `${page.total} run(s)`;
}

// ---- run detail --------------------------------------------------------------------------
async function runPage(runId) {
  view.innerHTML = `<h1 data-testid="run-title">${esc(runId)}</h1>
    <section id="run-head" data-testid="run-head"></section>
    <section id="live" data-testid="live"><h2>Progress</h2>
      <progress id="progress" max="1" value="0"></progress>
      <div id="progress-text" data-testid="progress-text"></div><div id="events"></div></section>
    <div id="run-body"></div>`;
  await followRun(runId);
}

async function followRun(runId) {
  let run = await api(`/runs/${runId}`);
  renderHead(run);
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  const log = document.getElementById("events");
  const followed = await streamEvents(`/runs/${runId}/events`, (event) => {
    log.textContent += `${event.event} ${event.id || event.error || ""}\n`;
    log.scrollTop = log.scrollHeight;
    if (event.of) { bar.max = event.of; bar.value = (event.index ?? 0) + 1; }
    text.textContent = `${event.event}${event.of ? ` ${(event.index ?? 0) + 1} of ${event.of}` : ""}`;
  });
  if (!followed) return;
  run = await api(`/runs/${runId}`);
  renderHead(run);
  text.textContent = run.status;
  if (run.status === "completed") bar.value = bar.max;
  if (run.status === "completed" || run.status === "interrupted") await renderRun(runId, run);
}

// Follow a Server-Sent Events stream of the API (fetch, so the key goes in a header), calling
// onEvent with each event's data until the stream ends; false when the page moved on.
async function streamEvents(path, onEvent) {
  follow = new AbortController();
  try {
    const response = await fetch(API + path, { headers: headers(), signal: follow.signal });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split("\n").find((line) => line.startsWith("data: "));
        if (!data) continue;
        const event = JSON.parse(data.slice(6));
        if (event.event) onEvent(event);
      }
    }
  } catch (error) {
    if (error.name === "AbortError") return false;
    throw error;
  }
  return true;
}

function renderHead(run) {
  document.getElementById("run-head").innerHTML = `
    <div>${status(run.status)} · ${esc(run.title || run.template)} · ${esc(run.mode)} ·
    model ${esc(run.model)} ${run.offline ? '<span class="offline">offline model</span>' : ""}</div>
    <div class="muted">${run.timepoints} moments · ${run.dialogs} dialogs · ${run.calls} calls ·
    ${run.tokens} tokens · ${money(run.cost_usd)} · started ${when(run.started_at)}</div>
    ${run.jobs.map((j) => `<div class="muted">${esc(j.kind)} job ${esc(j.id)}: ${esc(j.status)}
      (attempt ${j.attempts})${j.error ? ` — ${esc(j.error)}` : ""}</div>`).join("")}
    <div><a href="${API}/runs/${esc(run.id)}/narrative" target="_blank">narrative</a> ·
    <a href="${API}/runs/${esc(run.id)}/screenplay" target="_blank">screenplay</a></div>`;
}

async function renderRun(runId, run) {
  const body = document.getElementById("run-body");
  body.innerHTML = `
    <section><h2>Timeline</h2><div class="muted" id="timeline-summary" data-testid="timeline-summary"></div>
      <div class="graph" id="timeline-graph" data-testid="timeline-graph"></div></section>
    <section id="portal" hidden><h2>Backward search (PORTAL)</h2>
      <div class="muted" id="portal-summary" data-testid="portal-summary"></div>
      <div class="graph" id="portal-graph" data-testid="portal-graph"></div></section>
    <section><h2>Knowledge provenance</h2>
      <form class="row" id="knowledge-form" data-testid="knowledge-form">
        <label>Entity <select id="knowledge-entity" data-testid="knowledge-entity"></select></label>
        <label>At moment <select id="knowledge-at" data-testid="knowledge-at"></select></label>
        <button type="submit" data-testid="knowledge-ask">What did they know?</button></form>
      <div id="knowledge" data-testid="knowledge"></div></section>
    <section><h2>Relationships over time</h2>
      <label class="muted">After moment <input type="range" id="frame" min="0" value="0"></label>
      <span id="frame-label" data-testid="frame-label"></span>
      <div class="graph" id="relationship-graph" data-testid="relationship-graph"></div></section>
    <section><h2>Cost by node and model</h2><div class="grid">
      <div class="chart"><canvas id="cost-node" data-testid="cost-node"></canvas></div>
      <div class="chart"><canvas id="cost-model"></canvas></div></div></section>
    <section><h2>Dialogs</h2><div id="dialogs" data-testid="dialogs"></div></section>`;
  const [timeline, relations, costs, dialogs] = await Promise.all([
    api(`/runs/${runId}/timeline`), api(`/runs/${runId}/relationships`),
    api(`/runs/${runId}/costs`), api(`/runs/${runId}/dialogs`),
  ]);
  drawTimeline(timeline);
  drawPortal(timeline);
  knowledgeForm(runId, relations.entities, timeline.nodes);
  drawRelationships(relations);
  drawCosts(costs);
  document.getElementById("dialogs").innerHTML = dialogs.map((d) => `
    <details data-testid="dialog"><summary>${esc(d.timepoint)}: ${esc(d.participants.join(", "))}
    (${d.turns.length} turns)</summary>${d.turns.map((t) => `<div class="turn"><b>${esc(t.speaker)}</b>
    ${esc(t.content)} <span class="muted">(${esc(t.tone)})</span></div>`).join("")}</details>`).join("")
    || '<p class="muted">No dialogs.</p>';
}

const PALETTE = ["#2f5fd0", "#d0702f", "#1f8a4c", "#8a1f7a", "#a86500", "#0f7f8a"];

function drawTimeline(timeline) {
  const branches = [...new Set(timeline.nodes.map((n) => n.branch))];
  const elements = [
    ...timeline.nodes.map((n) => ({ data: {
      id: n.id, label: `${n.id}: ${n.label.slice(0, 60)}`,
      color: PALETTE[branches.indexOf(n.branch) % PALETTE.length],
    } })),
    ...timeline.edges.map((e) => ({ data: { id: `${e.source}->${e.target}`, source: e.source, target: e.target } })),
  ];
  window.timelineGraph = cytoscape({
    container: document.getElementById("timeline-graph"), elements,
    layout: { name: "dagre", rankDir: "TB", nodeSep: 190, rankSep: 45 },
    style: [
      { selector: "node", style: { "background-color": "data(color)", label: "data(label)",
        "text-wrap": "wrap", "text-max-width": 170, "font-size": 10, "text-valign": "bottom",
        "text-margin-y": 3 } },
      { selector: "edge", style: { width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle" } },
    ],
  });
  document.getElementById("timeline-summary").textContent =
    `${timeline.nodes.length} moments on ${branches.length} branch(es): ${branches.join(", ")}`;
}

function drawPortal(timeline) {
  const slots = timeline.portal.slots;
  if (!slots.length) return;
  document.getElementById("portal").hidden = false;
  const elements = [];
  const pivots = new Set(timeline.portal.pivots.flatMap((p) => p.candidate_ids));
  const sorted = [...slots].sort((a, b) => b.slot - a.slot);  // from the known end backwards
  sorted.forEach((slot, index) => {
    for (const c of slot.candidates) {
      elements.push({ data: { id: c.id, label: `slot ${slot.slot}: ${c.event.slice(0, 36)}`,
        chosen: c.chosen ? 1 : 0, pivot: pivots.has(c.id) ? 1 : 0 } });
      const next = sorted[index + 1];
      if (next && next.chosen) {
        elements.push({ data: { id: `${c.id}->${next.chosen}`, source: c.id, target: next.chosen,
          chosen: c.chosen ? 1 : 0 } });
      }
    }
  });
  window.portalGraph = cytoscape({
    container: document.getElementById("portal-graph"), elements,
    layout: { name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 80 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 8, "background-color": "#b8c0cc",
        "text-wrap": "wrap", "text-max-width": 140, "text-valign": "bottom" } },
      { selector: "node[chosen = 1]", style: { "background-color": "#1f8a4c", width: 30, height: 30 } },
      { selector: "node[pivot = 1]", style: { "border-width": 3, "border-color": "#d0702f" } },
      { selector: "edge", style: { width: 1, "line-style": "dashed", "line-color": "#c7ccd4" } },
      { selector: "edge[chosen = 1]", style: { width: 3, "line-style": "solid", "line-color": "#1f8a4c",
        "target-arrow-shape": "triangle", "target-arrow-color": "#1f8a4c" } },
    ],
  });
  const chosen = slots.map((s) => s.chosen).filter(Boolean).length;
  const candidates = slots.reduce((total, s) => total + s.candidates.length, 0);
  document.getElementById("portal-summary").textContent =
    `${slots.length} slots, ${candidates} candidates, ${chosen} chosen (green, the chain), ` +
    `${timeline.portal.pivots.length} pivot point(s) (orange rims: close calls and wide spreads)`;
}

function knowledgeForm(runId, entities, moments) {
  document.getElementById("knowledge-entity").innerHTML = entities
    .map((e) => `<option value="${esc(e.id)}">${esc(e.name)}</option>`).join("");
  document.getElementById("knowledge-at").innerHTML = moments
    .map((m) => `<option value="${esc(m.id)}">${esc(m.id)} ${esc(m.timestamp.slice(0, 16))}</option>`).join("");
  const last = moments[moments.length - 1];
  if (last) document.getElementById("knowledge-at").value = last.id;
  document.getElementById("knowledge-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const entity = document.getElementById("knowledge-entity").value;
    const at = document.getElementById("knowledge-at").value;
    const answer = await api(`/runs/${runId}/knowledge?entity=${encodeURIComponent(entity)}&at=${encodeURIComponent(at)}`);
    document.getElementById("knowledge").innerHTML = `
      <p data-testid="knowledge-count">${esc(answer.entity_name)} could know ${answer.known.length}
      thing(s) at ${esc(answer.timepoint)}.</p><table><thead><tr><th>How</th><th>From</th>
      <th>When</th><th>What</th></tr></thead><tbody>${answer.known.map((k) => `<tr data-testid="known">
      <td>${esc(k.kind)}</td><td>${esc(k.source_name)}</td><td>${esc(k.timepoint_id || "-")}</td>
      <td>${esc(k.information)}</td></tr>`).join("")}</tbody></table>`;
  });
}

function drawRelationships(relations) {
  const frames = relations.frames.length ? relations.frames
    : [{ timepoint: "end", relationships: relations.final }];
  const graph = cytoscape({
    container: document.getElementById("relationship-graph"),
    elements: relations.entities.map((e) => ({ data: { id: e.id, label: e.name } })),
    layout: { name: "circle" },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "#2f5fd0" } },
      { selector: "edge", style: { width: "mapData(count, 0, 10, 1, 8)",
        "line-color": "mapData(trust, 0, 1, #b3261e, #1f8a4c)", "curve-style": "bezier" } },
    ],
  });
  const known = new Set(relations.entities.map((e) => e.id));
  const slider = document.getElementById("frame");
  slider.max = frames.length - 1;
  slider.value = frames.length - 1;
  const show = () => {
    const frame = frames[Number(slider.value)];
    graph.edges().remove();
    graph.add(frame.relationships.filter((r) => known.has(r.a) && known.has(r.b)).map((r) => ({
      data: { id: `${r.a}~${r.b}`, source: r.a, target: r.b, trust: r.trust, count: r.interaction_count },
    })));
    document.getElementById("frame-label").textContent =
      `${frame.timepoint}: ${frame.relationships.length} relationship(s)`;
  };
  slider.addEventListener("input", show);
  show();
  window.relationshipGraph = graph;
}

function bar(canvasId, rows, field, label) {
  charts.push(new Chart(document.getElementById(canvasId), {
    type: "bar",
    data: { labels: rows.map((r) => r.name), datasets: [{ label, data: rows.map((r) => r[field]) }] },
    options: { animation: false, maintainAspectRatio: false },
  }));
}

function drawCosts(costs) {
  const field = costs.offline ? "tokens" : "cost_usd";
  const unit = costs.offline ? "tokens (offline model: no dollars)" : "dollars";
  bar("cost-node", costs.by_node, field, `by node, ${unit}`);
  bar("cost-model", costs.by_model, field, `by model, ${unit}`);
}

// ---- batches -----------------------------------------------------------------------------
async function batchesPage() {
  const [batches, templates] = await Promise.all([api("/batches"), api("/templates")]);
  view.innerHTML = `
    <section><h2>Submit a batch</h2>
      <form class="row" id="batch-form" data-testid="batch-form">
        <label>Template <select id="batch-template" data-testid="batch-template">${templates
          .map((t) => `<option value="${esc(t.id)}">${esc(t.id)} (${esc(t.mode)})</option>`).join("")}
        </select></label>
        <label>Seeds <input id="batch-seeds" data-testid="batch-seeds" value="0-3"
          title="a range such as 0-3, or a list such as 1,5,9"></label>
        <label>At once <input id="batch-workers" type="number" min="1" max="8" value="2"></label>
        <label>Budget $ <input id="batch-budget" type="number" step="0.01" min="0"
          placeholder="none"></label>
        <button type="submit" data-testid="submit-batch">Run batch</button>
        <span class="muted">One run per seed, carried out by the batch runner in a worker.</span>
      </form></section>
    <section><h2>Batches</h2><table data-testid="batches-table"><thead><tr>
    <th>Batch</th><th>Runs</th><th>Created</th></tr></thead><tbody>${batches.map((b) => `
    <tr><td><a href="#/batches/${esc(b.id)}">${esc(b.id)}</a></td><td>${b.size}</td>
    <td>${when(b.created_at)}</td></tr>`).join("")}</tbody></table>
    ${batches.length ? "" : '<p class="muted">No batches yet.</p>'}</section>`;
  view.querySelector("#batch-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const template = document.getElementById("batch-template").value;
      const seeds = parseSeeds(document.getElementById("batch-seeds").value);
      const budget = document.getElementById("batch-budget").value;
      const body = {
        runs: seeds.map((seed) => ({ template, seed })),
        workers: Number(document.getElementById("batch-workers").value || 2),
        ...(budget ? { budget_usd: Number(budget) } : {}),
      };
      const done = await api("/batches", {
        method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" },
      });
      location.hash = `#/batches/${done.batch_id}`;
    } catch (error) { showError(error.message); }
  });
}

// "0-3" -> [0, 1, 2, 3]; "1,5,9" -> [1, 5, 9]; anything else is an error naming the field.
function parseSeeds(text) {
  const seeds = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const range = part.match(/^(\d+)-(\d+)$/);
    if (range && Number(range[2]) >= Number(range[1])) {
      for (let s = Number(range[1]); s <= Number(range[2]); s += 1) seeds.push(s);
    } else if (/^\d+$/.test(part)) seeds.push(Number(part));
    else throw new Error(`seeds: ${JSON.stringify(part)} is not a seed; expected 0-3 or 1,5,9`);
  }
  if (!seeds.length || seeds.length > 100) throw new Error("seeds: expected 1 to 100 seeds");
  return seeds;
}

async function batchPage(batchId) {
  let batch = await api(`/batches/${batchId}`);
  view.innerHTML = `<h1>${esc(batchId)}</h1><section id="batch-status" data-testid="batch-status"></section>
    <section><h2>Progress</h2><progress id="batch-progress" value="0" max="1"></progress>
      <span id="batch-progress-text" data-testid="batch-progress-text"></span></section>
    <div id="batch-body"></div>`;
  renderBatch(batch);
  const open = (batch.status.queued || 0) + (batch.status.running || 0);
  if (open || batch.status.interrupted) {
    const done = new Set();
    const followed = await streamEvents(`/batches/${batchId}/events`, (event) => {
      if (event.event === "run" && (event.state === "completed" || event.state === "failed")) {
        done.add(event.index);
      }
      const bar = document.getElementById("batch-progress");
      bar.max = batch.size; bar.value = done.size;
      document.getElementById("batch-progress-text").textContent =
        `${done.size} of ${batch.size} runs done (${event.event}${event.state ? ` ${event.state}` : ""})`;
    });
    if (!followed) return;
    batch = await api(`/batches/${batchId}`);
    if (!document.getElementById("batch-body")) return;  // the page moved on meanwhile
    renderBatch(batch);
  }
  const bar = document.getElementById("batch-progress");
  const finished = (batch.status.completed || 0) + (batch.status.failed || 0);
  bar.max = batch.size; bar.value = finished;
  document.getElementById("batch-progress-text").textContent = `${finished} of ${batch.size} runs done`;
}

function renderBatch(batch) {
  while (charts.length) charts.pop().destroy();
  const counts = Object.entries(batch.status).map(([k, v]) => `${status(k)} ${v}`).join(" · ");
  document.getElementById("batch-status").innerHTML = `${batch.size} runs: ${counts}${
    batch.error ? ` <span class="muted">— ${esc(batch.error)}</span>` : ""}`;
  document.getElementById("batch-body").innerHTML = `
    <section><h2>Outcome distributions over completed runs</h2><div class="grid" id="outcomes"></div></section>
    <section><h2>Mechanisms</h2><div id="mechanisms"></div></section>
    <section><h2>Runs</h2><table data-testid="batch-runs"><tbody>${batch.runs.map((r) => `<tr><td>
    <a href="#/runs/${esc(r.id)}">${esc(r.id)}</a></td><td>${status(r.status)}</td>
    <td>${r.timepoints} moments</td><td>${money(r.cost_usd)}</td></tr>`).join("")}</tbody></table></section>`;
  const box = document.getElementById("outcomes");
  for (const [name, dist] of Object.entries(batch.outcomes)) {
    const bins = histogram(dist.values);
    const title = dist.values.length
      ? `${name}: min ${fmt(dist.min)}, mean ${fmt(dist.mean)}, max ${fmt(dist.max)}` : `${name}: no completed run`;
    chart(box, "bar", bins.labels, [{ label: "runs", data: bins.counts }], title);
  }
  const mechanisms = Object.entries(batch.mechanisms).filter(([, d]) => d.values.length);
  if (mechanisms.length) {
    chart(document.getElementById("mechanisms"), "bar", mechanisms.map(([m]) => m), [
      { label: "min", data: mechanisms.map(([, d]) => d.min) },
      { label: "mean", data: mechanisms.map(([, d]) => d.mean) },
      { label: "max", data: mechanisms.map(([, d]) => d.max) },
    ], "mechanism counts per completed run");
  }
}

function fmt(value) { return Number(value).toLocaleString(undefined, { maximumFractionDigits: 4 }); }

// Equal-width bins over the values (at most 8): labels "low-high" and how many runs fall in each.
function histogram(values) {
  if (!values.length) return { labels: [], counts: [] };
  const low = Math.min(...values);
  const high = Math.max(...values);
  const count = low === high ? 1 : Math.min(8, values.length);
  const width = (high - low) / count || 1;
  const counts = new Array(count).fill(0);
  for (const v of values) counts[Math.min(count - 1, Math.floor((v - low) / width))] += 1;
  const labels = counts.map((_, i) => count === 1 ? fmt(low) : `${fmt(low + i * width)}-${fmt(low + (i + 1) * width)}`);
  return { labels, counts };
}

function chart(box, type, labels, datasets, title) {
  const holder = document.createElement("div");
  holder.className = "chart";
  const canvas = document.createElement("canvas");
  holder.appendChild(canvas);
  box.appendChild(holder);
  charts.push(new Chart(canvas, {
    type, data: { labels, datasets },
    options: { animation: false, maintainAspectRatio: false,
      plugins: { title: { display: true, text: title } } },
  }));
}

// ---- routing -----------------------------------------------------------------------------
// The view is aria-busy while a page renders: a form typed into before it settles is replaced.
async function route() {
  view.setAttribute("aria-busy", "true");
  if (follow) follow.abort();
  while (charts.length) charts.pop().destroy();
  showError("");
  document.getElementById("key-state").textContent = localStorage.getItem(KEY) ? "key set" : "no key";
  const parts = (location.hash || "#/runs").slice(2).split("/");
  try {
    if (parts[0] === "runs" && parts[1]) await runPage(decodeURIComponent(parts[1]));
    else if (parts[0] === "batches" && parts[1]) await batchPage(decodeURIComponent(parts[1]));
    else if (parts[0] === "batches") await batchesPage();
    else await runsPage();
  } catch (error) {
    showError(error.message);
  } finally {
    view.removeAttribute("aria-busy");
  }
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("key-input");
  if (input.value.trim()) localStorage.setItem(KEY, input.value.trim());
  input.value = "";
  route();
});
window.addEventListener("hashchange", route);
route();
