// The world page: world-engine runs of the store, a tile map with population, unemployment and
// price overlays, and KPI charts (Chart.js). Same key as the main dashboard (local storage).
"use strict";

const API = "/api/v1";
const KEY = "daedalus.key";
const KPIS = [["gdp", "GDP"], ["unemployment", "Unemployment"], ["cpi", "Price level (CPI)"],
  ["inflation", "Inflation"]];
const charts = [];
let current = null;  // {run, map}

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

async function api(path) {
  const key = localStorage.getItem(KEY) || "";
  const response = await fetch(API + path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  const body = await response.json();
  if (!response.ok) throw new Error(`${response.status}: ${body.detail || response.statusText}`);
  return body;
}

// A value in [0, 1] as a colour from pale yellow to dark red.
function colour(share) {
  const t = Math.max(0, Math.min(1, share));
  return `rgb(${Math.round(255 - 90 * t)},${Math.round(240 - 200 * t)},${Math.round(200 - 170 * t)})`;
}

function drawMap() {
  const { map } = current;
  const name = document.getElementById("overlay").value;
  const values = map.overlays[name];
  const known = values.filter((v) => v !== null);
  const low = Math.min(...known), high = Math.max(...known);
  const canvas = document.getElementById("tile-map");
  const ctx = canvas.getContext("2d");
  const w = canvas.width / map.width, h = canvas.height / map.height;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  values.forEach((v, i) => {
    ctx.fillStyle = v === null ? "#e8ebf0" : colour(high > low ? (v - low) / (high - low) : 0.5);
    ctx.fillRect((i % map.width) * w, Math.floor(i / map.width) * h, Math.ceil(w), Math.ceil(h));
  });
  canvas.dataset.overlay = name;
  canvas.dataset.tiles = String(values.length);
  document.getElementById("map-legend").textContent =
    `${name} at tick ${map.tick}: ${map.width} x ${map.height} tiles, ` +
    `${low.toFixed(3)} to ${high.toFixed(3)}` + (known.length < values.length ? ", grey: no firm" : "");
}

async function loadMap(tick) {
  current.map = await api(`/worlds/${encodeURIComponent(current.run.run_id)}/map?tick=${tick}`);
  drawMap();
}

function drawKpis(kpis) {
  while (charts.length) charts.pop().destroy();
  const box = document.getElementById("kpi-charts");
  box.innerHTML = "";
  for (const [field, title] of KPIS) {
    if (!kpis[field]) continue;
    const holder = document.createElement("div");
    holder.className = "chart";
    holder.dataset.testid = `kpi-${field}`;
    const canvas = document.createElement("canvas");
    holder.appendChild(canvas);
    box.appendChild(holder);
    charts.push(new Chart(canvas, {
      type: "line",
      data: { labels: kpis.tick, datasets: [{ label: title, data: kpis[field], pointRadius: 0 }] },
      options: { animation: false, maintainAspectRatio: false,
        plugins: { title: { display: true, text: title } } },
    }));
  }
  window.worldCharts = charts;
}

async function openRun(runId) {
  const run = await api(`/worlds/${encodeURIComponent(runId)}`);
  current = { run, map: null };
  document.getElementById("world-detail").hidden = false;
  document.getElementById("world-title").textContent = run.run_id;
  const ticks = document.getElementById("map-tick");
  ticks.innerHTML = run.snapshots.map((t) => `<option value="${t}">${t}</option>`).join("");
  ticks.value = String(run.snapshots[run.snapshots.length - 1] ?? 0);
  await loadMap(ticks.value);
  drawKpis((await api(`/worlds/${encodeURIComponent(runId)}/kpis`)).kpis);
}

async function listRuns() {
  const runs = await api("/worlds");
  document.getElementById("world-rows").innerHTML = runs.map((r) => `
    <tr data-testid="world-row"><td><a href="#${esc(r.run_id)}">${esc(r.run_id)}</a></td>
      <td>${esc(r.preset)}</td><td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td>
      <td>${r.ticks}</td><td>${esc(r.started || "-")}</td></tr>`).join("")
    || `<tr><td colspan="5" class="muted">No world runs yet: daedalus world run tiny_island</td></tr>`;
  const wanted = decodeURIComponent(location.hash.slice(1)) || (runs[0] && runs[0].run_id);
  if (wanted) await openRun(wanted);
}

async function refresh() {
  showError("");
  document.getElementById("key-state").textContent = localStorage.getItem(KEY) ? "key set" : "no key";
  try { await listRuns(); } catch (error) { showError(error.message); }
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem(KEY, document.getElementById("key-input").value.trim());
  refresh();
});
document.getElementById("overlay").addEventListener("change", () => current && drawMap());
document.getElementById("map-tick").addEventListener("change", (event) => {
  loadMap(event.target.value).catch((error) => showError(error.message));
});
window.addEventListener("hashchange", refresh);
refresh();
