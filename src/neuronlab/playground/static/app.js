// neuronlab playground: draws what the server (the neuronlab engine) computes.
// No framework and no build step. The configuration lives in the URL's hash.
"use strict";

const NODE = 40, ROW = 52, COL = 120, TOP = 92, LEFT = 8;
const state = {
  options: null, config: null, layout: null, frame: null, trace: null, phase: 0,
  ws: null, playing: false, hover: null,
  csvLink: null, // the uploaded CSV, compressed, as it goes in the link (null: not in it)
  pendingCsv: null, // a CSV sent to the server and not yet accepted: {text, link, note}
  csvNote: "", // what the link holds of the uploaded CSV
  csvProblem: "", // a link's CSV that is missing or unreadable, until a file is chosen
};
window.playground = state; // for the tests and the curious

// ---------------------------------------------------------------- colours
const POS = [8, 119, 189], NEG = [245, 147, 34];
const LUT = new Uint8ClampedArray(256 * 3);
for (let q = 0; q < 256; q++) {
  const t = q / 127.5 - 1, c = t < 0 ? NEG : POS, w = Math.min(1, Math.abs(t));
  for (let k = 0; k < 3; k++) LUT[q * 3 + k] = Math.round(255 + (c[k] - 255) * w);
}
function colourOf(t) {
  const q = Math.max(0, Math.min(255, Math.round((t + 1) * 127.5)));
  return `rgb(${LUT[q * 3]},${LUT[q * 3 + 1]},${LUT[q * 3 + 2]})`;
}

// ---------------------------------------------------------------- decoding
function bytes(b64) {
  const s = atob(b64), out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
const floats = (b64) => new Float32Array(bytes(b64).buffer);

function paintMap(canvas, q, n) {
  canvas.width = n; canvas.height = n;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    img.data[i * 4] = LUT[q[i] * 3]; img.data[i * 4 + 1] = LUT[q[i] * 3 + 1];
    img.data[i * 4 + 2] = LUT[q[i] * 3 + 2]; img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---------------------------------------------------------------- messages
function showMessage(text, kind) {
  const box = document.getElementById("message");
  box.textContent = text || "";
  box.className = text ? kind : "";
}

// ---------------------------------------------------------------- the URL
const CSV_KEY = "csv"; // the link's field holding an uploaded CSV (not a config field)

function toHash(config) {
  const p = new URLSearchParams();
  for (const [name, value] of Object.entries(config)) {
    if (name === "layers") p.set(name, value.map((l) => `${l.width}:${l.activation}`).join("|"));
    else if (name === "features") p.set(name, value.join(","));
    else p.set(name, String(value));
  }
  if (config.dataset === "csv" && state.csvLink) p.set(CSV_KEY, state.csvLink);
  return "#" + p.toString();
}

function fromHash(hash, fields) {
  const config = {};
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  for (const [name, text] of p.entries()) {
    if (name === CSV_KEY) continue; // the data, not a setting: see readLinkCsv
    const field = fields[name];
    if (!field) { config[name] = text; continue; } // the server names unknown fields
    if (name === "layers") {
      config.layers = text === "" ? [] : text.split("|").map((part) => {
        const i = part.indexOf(":");
        return { width: Number(part.slice(0, i)), activation: part.slice(i + 1) };
      });
    } else if (name === "features") config.features = text.split(",").filter(Boolean);
    else if (field.kind === "int" || field.kind === "float" || typeof field.default === "number")
      config[name] = text === "" ? text : Number(text);
    else config[name] = text;
  }
  return config;
}

// An uploaded CSV rides in the link compressed (deflate, base64url) when it fits in
// limits.csv_link_chars; a larger one is left out and the page says so.
async function packCsv(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const packed = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = "";
  for (let i = 0; i < packed.length; i += 8192)
    binary += String.fromCharCode(...packed.subarray(i, i + 8192));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function unpackCsv(link, limit) {
  let data;
  try { data = bytes(link.replace(/-/g, "+").replace(/_/g, "/")); }
  catch { throw new Error("it is not base64"); }
  const reader = new Blob([data]).stream()
    .pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const parts = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) { // a link must not make the page unpack without end
        reader.cancel();
        throw new Error(`it unpacks to more than ${limit} bytes`);
      }
      parts.push(value);
    }
  } catch (error) {
    throw error.message.startsWith("it unpacks") ? error : new Error("it is not compressed data");
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) { all.set(part, at); at += part.length; }
  return new TextDecoder().decode(all);
}

const kB = (chars) => `${(chars / 1024).toFixed(1)} kB`;

// Under the CSV input: what the link holds of the data while the data set is csv, or
// what is missing from the link that opened the page.
function showCsvNote() {
  const note = document.getElementById("csv-link");
  note.textContent = state.csvProblem || (state.config.dataset === "csv" ? state.csvNote : "");
  note.className = state.csvProblem ? "hint problem" : "hint";
}

// A link naming the csv data set: unpack its CSV to send first, or explain what is missing.
async function readLinkCsv(hash) {
  if (state.config.dataset !== "csv") return;
  const link = new URLSearchParams(hash.replace(/^#/, "")).get(CSV_KEY);
  let problem;
  if (!link) {
    problem = "This link was made with an uploaded CSV that it does not carry (it was too " +
      "large to keep in a link): choose the file (x1, x2, label) to train on it.";
  } else {
    try {
      const text = await unpackCsv(link, state.options.limits.csv_bytes);
      state.pendingCsv = { text, link, note: `In the link: this CSV, ${kB(link.length)} ` +
        "compressed; the link reproduces this run." };
      return;
    } catch (error) {
      problem = `The CSV data in this link cannot be read (${error.message}): choose the ` +
        "file (x1, x2, label) again.";
    }
  }
  state.config.dataset = state.options.fields.dataset.default; // something to show meanwhile
  state.csvProblem = problem;
}

// ---------------------------------------------------------------- controls
const TOP_FIELDS = ["init", "optimizer", "lr", "batch_size", "l2", "dropout", "seed", "speed"];
const DATA_FIELDS = ["noise", "samples", "train_ratio"];
const LABELS = { init: "initializer", optimizer: "optimizer", lr: "learning rate",
  batch_size: "batch size", l2: "L2", dropout: "dropout", seed: "seed",
  speed: "steps/s", noise: "noise", samples: "points", train_ratio: "train ratio" };
const LR_CHOICES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

function control(name, field) {
  const label = document.createElement("label");
  label.textContent = LABELS[name] || name;
  label.title = field.help;
  let input;
  if (field.kind === "choice" || name === "lr") {
    input = document.createElement("select");
    const choices = name === "lr" ? LR_CHOICES : field.choices;
    for (const c of choices) {
      const o = document.createElement("option");
      o.value = String(c); o.textContent = name === "speed" && c === 0 ? "max" : String(c);
      input.appendChild(o);
    }
  } else {
    input = document.createElement("input");
    input.type = "number"; input.min = field.low; input.max = field.high;
    input.step = field.kind === "int" ? 1 : 0.05;
  }
  input.id = "field-" + name;
  input.addEventListener("change", () => {
    const value = input.value;
    state.config[name] = (field.kind === "choice" && typeof field.default !== "number") ? value
      : Number(value);
    configChanged();
  });
  label.appendChild(input);
  return label;
}

function buildControls() {
  const fields = state.options.fields;
  const top = document.getElementById("top-controls");
  for (const name of TOP_FIELDS) top.appendChild(control(name, fields[name]));
  const dataBox = document.getElementById("data-controls");
  for (const name of DATA_FIELDS) dataBox.appendChild(control(name, fields[name]));
  const sets = document.getElementById("datasets");
  for (const name of fields.dataset.choices) {
    const b = document.createElement("button");
    b.textContent = name; b.dataset.name = name; b.id = "dataset-" + name;
    b.addEventListener("click", () => { state.config.dataset = name; configChanged(); });
    sets.appendChild(b);
  }
  const refused = Object.keys(state.options.output_only);
  if (refused.length) // why the hidden layers do not offer them
    document.getElementById("output-only-note").textContent =
      `${refused.join(", ")}: output layer only. ${state.options.output_only[refused[0]]}`;
  const feats = document.getElementById("features");
  for (const name of fields.features.choices) {
    const label = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox"; box.value = name; box.id = "feature-" + name;
    box.addEventListener("change", () => {
      const chosen = [...feats.querySelectorAll("input:checked")].map((x) => x.value);
      state.config.features = chosen;
      configChanged();
    });
    label.append(box, " " + name);
    feats.appendChild(label);
  }
}

function showConfig() {
  const c = state.config;
  for (const name of [...TOP_FIELDS, ...DATA_FIELDS]) {
    const input = document.getElementById("field-" + name);
    if (!input) continue;
    if (name === "lr" && ![...input.options].some((o) => Number(o.value) === c.lr)) {
      const o = document.createElement("option"); o.value = String(c.lr); o.textContent = String(c.lr);
      input.appendChild(o);
    }
    input.value = String(c[name]);
  }
  for (const b of document.querySelectorAll("#datasets button"))
    b.classList.toggle("chosen", b.dataset.name === c.dataset);
  for (const box of document.querySelectorAll("#features input"))
    box.checked = c.features.includes(box.value);
  showCsvNote();
}

function configChanged() {
  history.replaceState(null, "", toHash(state.config));
  send({ type: "config", config: state.config });
}

// ---------------------------------------------------------------- the socket
function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  state.ws = ws;
  ws.onopen = () => {
    if (state.pendingCsv) send({ type: "csv", text: state.pendingCsv.text }); // before the config
    send({ type: "config", config: state.config });
  };
  ws.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === "layout") onLayout(m);
    else if (m.type === "frame") onFrame(m);
    else if (m.type === "trace") onTrace(m);
    else if (m.type === "config") { // a live change (learning rate, L2, speed): training goes on
      state.config = m.config; showConfig(); showMessage("", "");
    }
    else if (m.type === "csv") {
      const pending = state.pendingCsv || { link: null, note: "" };
      state.csvLink = pending.link; state.pendingCsv = null;
      state.csvNote = pending.note; state.csvProblem = "";
      showMessage(`CSV loaded: ${m.rows} points (${m.regression ? "regression" : "classification"}).`, "info");
      state.config.dataset = "csv";
      showCsvNote();
      configChanged();
    } else if (m.type === "error") {
      state.pendingCsv = null; // a refused CSV changes nothing, the link included
      showMessage(m.message, "error"); setPlaying(false);
    }
  };
  ws.onclose = (event) => showMessage(event.reason ? `The server closed the connection: ${event.reason}`
    : "The connection to the server was closed: restart `neuronlab playground` and reload.", "error");
}

function setPlaying(playing) {
  state.playing = playing;
  document.getElementById("play").innerHTML = playing ? "&#x275A;&#x275A; pause" : "&#x25B6; play";
}

// ---------------------------------------------------------------- layout (once per config)
function onLayout(m) {
  // the controls edit a copy: layout.config stays what this layout was computed for
  state.layout = m; state.config = structuredClone(m.config); state.trace = null;
  history.replaceState(null, "", toHash(state.config));
  showConfig(); showMessage("", ""); setPlaying(false);
  m.trainPoints = floats(m.train.points); m.trainY = floats(m.train.y);
  m.testPoints = floats(m.test.points); m.testY = floats(m.test.y);
  document.getElementById("trace-sample").max = m.trainY.length - 1;
  document.getElementById("trace-table").innerHTML = "";
  document.getElementById("trace-phase").textContent = "";
  document.getElementById("trace-prev").disabled = document.getElementById("trace-next").disabled = true;
  buildNetwork(m);
  buildCards(m);
}

function columns(m) {
  // the units of each column: features, hidden layers, output
  return [m.features.length, ...m.widths];
}

function buildNetwork(m) {
  const nodes = document.getElementById("nodes");
  nodes.innerHTML = "";
  const cols = columns(m), tallest = Math.max(...cols);
  const width = LEFT + cols.length * COL, height = TOP + tallest * ROW + 10;
  const net = document.getElementById("network");
  net.style.height = height + "px";
  const svg = document.getElementById("links");
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  m.nodes = cols.map((n, c) => Array.from({ length: n }, (_, r) => {
    const div = document.createElement("div");
    div.className = "node"; div.id = `node-${c}-${r}`;
    div.style.left = LEFT + c * COL + "px"; div.style.top = TOP + r * ROW + "px";
    const canvas = document.createElement("canvas");
    div.appendChild(canvas);
    if (c > 0) {
      const bar = document.createElement("div"); bar.className = "deltabar"; div.appendChild(bar);
      const mark = document.createElement("span"); mark.className = "mark"; div.appendChild(mark);
    }
    const nums = document.createElement("div"); nums.className = "nums"; div.appendChild(nums);
    nodes.appendChild(div);
    return div;
  }));
  m.features.forEach((name, r) => {
    const canvas = m.nodes[0][r].querySelector("canvas");
    paintMap(canvas, bytes(m.feature_maps[r]), m.grid);
    m.nodes[0][r].title = name;
  });
  // column heads: feature label, and per hidden layer width and activation controls
  const headOf = (c) => {
    const head = document.createElement("div"); head.className = "layer-head";
    head.style.left = LEFT + c * COL - 36 + "px"; head.style.top = "0px";
    nodes.appendChild(head); return head;
  };
  headOf(0).innerHTML = "<b>features</b>";
  const hidden = state.config.layers;
  hidden.forEach((layer, i) => {
    const head = headOf(i + 1);
    head.innerHTML = `<b>layer ${i + 1}</b> <button data-d="-1">&minus;</button>` +
      `<button data-d="1">+</button><br>`;
    for (const b of head.querySelectorAll("button")) b.addEventListener("click", () => {
      const w = layer.width + Number(b.dataset.d);
      if (w < 1 || w > state.options.limits.width) return;
      layer.width = w; configChanged();
    });
    const select = document.createElement("select");
    select.id = `activation-${i + 1}`;
    const names = state.options.activations;
    for (const name of [...names, "formula…"]) {
      const o = document.createElement("option"); o.value = name; o.textContent = name;
      select.appendChild(o);
    }
    for (const [name, reason] of Object.entries(state.options.output_only)) {
      const o = document.createElement("option"); // offered at the output, not here
      o.value = name; o.textContent = `${name} (output only)`; o.disabled = true; o.title = reason;
      select.appendChild(o);
    }
    const isFormula = !names.includes(layer.activation);
    select.value = isFormula ? "formula…" : layer.activation;
    const text = document.createElement("input");
    text.id = `formula-${i + 1}`; text.placeholder = "a formula in x";
    text.maxLength = state.options.limits.formula_length;
    text.value = isFormula ? layer.activation : "";
    text.style.display = isFormula ? "" : "none";
    select.addEventListener("change", () => {
      if (select.value === "formula…") { text.style.display = ""; text.focus(); return; }
      layer.activation = select.value; configChanged();
    });
    text.addEventListener("change", () => { layer.activation = text.value; configChanged(); });
    const status = document.createElement("span");
    status.className = "status"; status.id = `status-${i + 1}`;
    head.append(select, text, document.createElement("br"), status);
  });
  const outHead = headOf(cols.length - 1);
  outHead.innerHTML = "<b>output</b><br>";
  const output = document.createElement("select");
  output.id = "output-activation";
  if (m.regression) { // a regression's output is the value itself, its loss MSE
    const o = document.createElement("option"); o.textContent = "linear (regression)";
    output.appendChild(o); output.disabled = true;
    output.title = "A regression's output is linear (the value itself) and its loss MSE.";
  } else {
    for (const name of state.options.fields.output.choices) {
      const o = document.createElement("option"); o.value = name;
      o.textContent = name === "softmax" ? "softmax (2 units)" : `${name} (1 unit)`;
      output.appendChild(o);
    }
    output.value = m.output;
    output.title = state.options.fields.output.help;
    output.addEventListener("change", () => { state.config.output = output.value; configChanged(); });
  }
  outHead.appendChild(output);
}

function buildCards(m) {
  const box = document.getElementById("layer-cards");
  box.innerHTML = "";
  m.curves.forEach((curve, i) => {
    const card = document.createElement("div"); card.className = "card";
    card.innerHTML = `<h3>layer ${i + 1}: ${escapeHtml(curve.name)} <span class="status" id="card-status-${i + 1}"></span></h3>` +
      `<canvas id="curve-${i + 1}" width="248" height="110"></canvas>` +
      `<p id="reason-${i + 1}"></p><p id="remedy-${i + 1}"></p>`;
    box.appendChild(card);
  });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// ---------------------------------------------------------------- frames
function onFrame(f) {
  const m = state.layout;
  if (!m) return;
  state.frame = f;
  setPlaying(f.playing);
  const stepBox = document.getElementById("step-count");
  stepBox.textContent = f.step; stepBox.dataset.step = f.step;
  document.getElementById("epoch").textContent = f.epoch.toFixed(2);
  const fmt = (v) => (v === null ? "NaN" : v.toFixed(4));
  document.getElementById("loss-train").textContent = fmt(f.loss.train);
  document.getElementById("loss-test").textContent = fmt(f.loss.test);
  f.layers.forEach((layer) => {
    layer.Wv = floats(layer.W); layer.dWv = floats(layer.dW); layer.deltav = floats(layer.delta);
  });
  // unit maps, delta bars and flags
  f.maps.forEach((b64, l) => {
    const q = bytes(b64), n = m.grid * m.grid, units = m.widths[l];
    for (let u = 0; u < units; u++) {
      const node = m.nodes[l + 1][u];
      paintMap(node.querySelector("canvas"), q.subarray(u * n, (u + 1) * n), m.grid);
    }
  });
  const outputs = bytes(f.output_units), cells = m.grid * m.grid;
  m.nodes[m.nodes.length - 1].forEach((node, u) =>
    paintMap(node.querySelector("canvas"), outputs.subarray(u * cells, (u + 1) * cells), m.grid));
  f.layers.forEach((layer, l) => {
    m.nodes[l + 1].forEach((node, u) => {
      const d = layer.deltav[u];
      const frac = d > 0 ? Math.max(0, Math.min(1, (Math.log10(d) + 6) / 6)) : 0;
      node.querySelector(".deltabar").style.width = (44 * frac) + "px";
      node.classList.toggle("dead", layer.dead[u]);
      node.classList.toggle("saturated", !layer.dead[u] && layer.saturated[u]);
      node.querySelector(".mark").textContent = layer.dead[u] ? "\u2620" : layer.saturated[u] ? "\u26A0" : "";
      node.title = `layer ${l + 1}, unit ${u + 1}: RMS delta ${d.toExponential(2)}` +
        (layer.dead[u] ? " - dead (output 0, no gradient on every sample)" : "") +
        (layer.saturated[u] ? " - saturated (|g'(z)| ~ 0 on 90% of the samples)" : "");
    });
    const status = document.getElementById(`status-${l + 1}`);
    for (const box of [status, document.getElementById(`card-status-${l + 1}`)]) {
      if (!box) continue;
      box.textContent = layer.status; box.className = "status " + layer.status;
      box.title = layer.reason + " " + layer.remedy;
    }
    const reason = document.getElementById(`reason-${l + 1}`);
    if (reason) {
      reason.textContent = layer.reason;
      document.getElementById(`remedy-${l + 1}`).textContent = layer.status === "healthy" ? "" : "Remedy: " + layer.remedy;
      drawCurve(l, layer);
    }
  });
  drawLinks();
  drawSurface();
  drawLossCurve();
  drawGradBars();
  drawDeltaView();
}

// The links: weights w, or (the "gradients" view, and the backward steps of a
// step-through) dJ/dW. Gradients share one log scale over every layer, GRAD_DECADES
// decades below the largest, so a vanishing layer shows as faint, thin links.
const GRAD_DECADES = 4, LABELLED_LINKS = 16, HOVER_PX = 6;

function linkEnds(l, i, j) {
  return [LEFT + l * COL + NODE, TOP + i * ROW + NODE / 2, LEFT + (l + 1) * COL, TOP + j * ROW + NODE / 2];
}

function linkView() {
  // which values the links show now: per layer a flat fan_in x fan_out array
  const f = state.frame, trace = state.trace, phase = tracePhase();
  const traced = Boolean(phase && phase.dir === "backward" && trace);
  const gradients = traced || document.getElementById("show-gradients").checked;
  const values = f.layers.map((layer, l) =>
    traced ? trace.layers[l].dW.flat() : gradients ? layer.dWv : layer.Wv);
  return { gradients, traced, values, phase };
}

function drawLinks() {
  const m = state.layout, f = state.frame, svg = document.getElementById("links");
  if (!m || !f) return;
  const { gradients, traced, values, phase } = linkView();
  let top = 1e-30; // the largest |dJ/dW| over every layer
  if (gradients) for (const v of values) for (const x of v) top = Math.max(top, Math.abs(x));
  const logTop = Math.log10(top);
  const out = [], labels = [];
  values.forEach((v, l) => {
    const fanIn = m.nodes[l].length, fanOut = m.nodes[l + 1].length;
    let big = 1; // weights: width by |w| against the layer's largest (at least 1)
    if (!gradients) for (const x of v) big = Math.max(big, Math.abs(x));
    const opacity = !phase || phase.layer === l + 1 ? 0.85 : 0.25;
    for (let i = 0; i < fanIn; i++) for (let j = 0; j < fanOut; j++) {
      const x = v[i * fanOut + j], [x1, y1, x2, y2] = linkEnds(l, i, j);
      const size = gradients
        ? (x === 0 ? 0 : Math.max(0, Math.min(1, 1 + (Math.log10(Math.abs(x)) - logTop) / GRAD_DECADES)))
        : Math.min(1, Math.abs(x) / big);
      const tone = gradients ? 0.2 + 0.8 * size : 0.9;
      out.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colourOf(x >= 0 ? tone : -tone)}" ` +
        `stroke-width="${(0.5 + 5 * size).toFixed(2)}" stroke-opacity="${opacity}"/>`);
      if (traced && phase.layer === l + 1 && fanIn * fanOut <= LABELLED_LINKS) {
        // the step-through writes dJ/dw_ij = a_i delta_j on the links it is at
        const t = 0.25 + 0.5 * (i + 0.5) / fanIn, tx = x1 + t * (x2 - x1), ty = y1 + t * (y2 - y1);
        labels.push(`<text class="link-value" x="${tx.toFixed(1)}" y="${(ty - 2).toFixed(1)}" ` +
          `data-layer="${l + 1}" data-in="${i}" data-unit="${j}">${num3(x)}</text>`);
      }
    }
  });
  const h = state.hover;
  if (h && h.layer < values.length) {
    const [x1, y1, x2, y2] = linkEnds(h.layer, h.in, h.unit);
    out.push(`<line class="hovered" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`);
  }
  svg.innerHTML = out.join("") + labels.join("");
  document.getElementById("links-hint").textContent = gradients
    ? `links: ∂J/∂W${traced ? " of the traced sample" : ""}, blue positive, orange negative; ` +
      `width and colour: log |∂J/∂W|, ${GRAD_DECADES} decades below the largest, one scale for every layer`
    : "links: w, blue positive, orange negative, width |w|";
  showLinkTip();
}

const num3 = (v) => Number(v).toPrecision(3);

function linkAt(x, y) {
  // the link within HOVER_PX of (x, y) in the drawing, nearest first, or null
  const m = state.layout;
  let best = null, bestDistance = HOVER_PX;
  for (let l = 0; l + 1 < m.nodes.length; l++) {
    for (let i = 0; i < m.nodes[l].length; i++) for (let j = 0; j < m.nodes[l + 1].length; j++) {
      const [x1, y1, x2, y2] = linkEnds(l, i, j), dx = x2 - x1, dy = y2 - y1;
      const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
      const d = Math.hypot(x - x1 - t * dx, y - y1 - t * dy);
      if (d < bestDistance) { bestDistance = d; best = { layer: l, in: i, unit: j }; }
    }
  }
  return best;
}

function showLinkTip() {
  // the hovered link's numbers: its weight and dJ/dw now (and the traced sample's)
  const tip = document.getElementById("link-tip"), h = state.hover, m = state.layout, f = state.frame;
  if (!h || !f || h.layer >= f.layers.length) { tip.hidden = true; return; }
  const layer = f.layers[h.layer], k = h.in * m.nodes[h.layer + 1].length + h.unit;
  const from = h.layer === 0 ? m.features[h.in] : `unit ${h.in + 1} of layer ${h.layer}`;
  const to = h.layer + 1 === f.layers.length ? `output ${h.unit + 1}` : `unit ${h.unit + 1} of layer ${h.layer + 1}`;
  let text = `${from} → ${to}\nw = ${num3(layer.Wv[k])}\n∂J/∂w = ${num3(layer.dWv[k])} (training set)`;
  if (state.trace) text += `\n∂J/∂w = ${num3(state.trace.layers[h.layer].dW[h.in][h.unit])} (traced sample)`;
  tip.textContent = text;
  tip.style.left = h.x + 14 + "px"; tip.style.top = h.y + 10 + "px";
  tip.hidden = false;
}

function hoverLinks(event) {
  if (!state.layout || !state.frame) return;
  const box = document.getElementById("links").getBoundingClientRect();
  const x = event.clientX - box.left, y = event.clientY - box.top;
  const found = event.target.closest && event.target.closest(".node, .layer-head") ? null : linkAt(x, y);
  const same = found && state.hover && found.layer === state.hover.layer &&
    found.in === state.hover.in && found.unit === state.hover.unit;
  state.hover = found ? { ...found, x, y } : null;
  if (same) showLinkTip(); else drawLinks();
}

function drawSurface() {
  const m = state.layout, f = state.frame, canvas = document.getElementById("surface");
  const ctx = canvas.getContext("2d"), size = canvas.width;
  const tmp = document.createElement("canvas");
  paintMap(tmp, bytes(f.output), m.grid);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tmp, 0, 0, size, size);
  const toPx = (v) => (v / m.domain + 1) / 2 * size;
  const dot = (x, y, t, stroke) => {
    ctx.beginPath(); ctx.arc(toPx(x), size - toPx(y), 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = colourOf(t); ctx.fill(); ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke();
  };
  const label = (y) => (m.regression ? Math.max(-1, Math.min(1, y)) : 2 * y - 1);
  for (let i = 0; i < m.trainY.length; i++) dot(m.trainPoints[2 * i], m.trainPoints[2 * i + 1], label(m.trainY[i]), "#fff");
  if (document.getElementById("show-test").checked)
    for (let i = 0; i < m.testY.length; i++) dot(m.testPoints[2 * i], m.testPoints[2 * i + 1], label(m.testY[i]), "#000");
  if (state.trace) {
    const [x, y] = state.trace.point;
    ctx.beginPath(); ctx.arc(toPx(x), size - toPx(y), 7, 0, 2 * Math.PI);
    ctx.lineWidth = 3; ctx.strokeStyle = "#6a1b9a"; ctx.stroke();
  }
}

function drawLossCurve() {
  const f = state.frame, canvas = document.getElementById("loss-curve"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const pts = f.curve;
  if (pts.length < 2) return;
  let top = 1e-9;
  for (const p of pts) for (const v of [p[1], p[2]]) if (v !== null) top = Math.max(top, v);
  const last = pts[pts.length - 1][0] || 1;
  for (const [k, colour] of [[2, "#999"], [1, "#222"]]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    pts.forEach((p, i) => {
      if (p[k] === null) return;
      const x = p[0] / last * (W - 4) + 2, y = H - 2 - p[k] / top * (H - 6);
      i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

const LOG_LOW = -8, LOG_HIGH = 2;
const logFrac = (v) => (v > 0 ? Math.max(0, Math.min(1, (Math.log10(v) - LOG_LOW) / (LOG_HIGH - LOG_LOW))) : 0);
const LAYER_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666", "#1f78b4"];

function drawGradBars() {
  const f = state.frame, canvas = document.getElementById("grad-bars"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = f.layers.length, barsW = 90;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "9px sans-serif"; ctx.fillStyle = "#777";
  for (let e = LOG_LOW; e <= LOG_HIGH; e += 2) {
    const y = H - 12 - (e - LOG_LOW) / (LOG_HIGH - LOG_LOW) * (H - 20);
    ctx.fillText(`1e${e}`, W - 26, y + 3);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(W - 28, y); ctx.stroke();
  }
  const bw = (barsW - 4) / L;
  f.layers.forEach((layer, l) => {
    const h = logFrac(layer.grad_norm) * (H - 20);
    ctx.fillStyle = LAYER_COLOURS[l % LAYER_COLOURS.length];
    ctx.fillRect(2 + l * bw, H - 12 - h, bw - 2, h);
    ctx.fillStyle = "#555"; ctx.fillText(l + 1 === L ? "out" : String(l + 1), 2 + l * bw, H - 2);
  });
  const pts = f.curve, last = pts.length ? pts[pts.length - 1][0] || 1 : 1, x0 = barsW + 6, span = W - 28 - x0;
  for (let l = 0; l < L; l++) {
    ctx.beginPath(); ctx.strokeStyle = LAYER_COLOURS[l % LAYER_COLOURS.length]; ctx.lineWidth = 1.2;
    pts.forEach((p, i) => {
      const v = p[3 + l]; if (v === null) return;
      const x = x0 + p[0] / last * span, y = H - 12 - logFrac(v) * (H - 20);
      i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

function drawDeltaView() {
  const f = state.frame, canvas = document.getElementById("delta-view"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = f.layers.length;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "10px sans-serif";
  const groupW = (W - 40) / L;
  f.layers.forEach((layer, l) => {
    const units = layer.deltav.length, bw = Math.min(14, (groupW - 10) / units);
    for (let u = 0; u < units; u++) {
      const h = logFrac(layer.deltav[u]) * (H - 24);
      ctx.fillStyle = layer.dead[u] ? "#d11" : "#6a1b9a";
      ctx.fillRect(30 + l * groupW + u * bw, H - 14 - h, bw - 1, h);
    }
    ctx.fillStyle = "#444";
    ctx.fillText(l + 1 === L ? "output" : `layer ${l + 1}`, 30 + l * groupW, H - 2);
  });
  ctx.fillStyle = "#777";
  for (let e = LOG_LOW; e <= LOG_HIGH; e += 2)
    ctx.fillText(`1e${e}`, 0, H - 14 - (e - LOG_LOW) / (LOG_HIGH - LOG_LOW) * (H - 24) + 3);
}

function drawCurve(l, layer) {
  const m = state.layout, canvas = document.getElementById(`curve-${l + 1}`);
  if (!canvas) return;
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, curve = m.curves[l];
  ctx.clearRect(0, 0, W, H);
  if (layer.z_hist) {
    const top = Math.max(1, ...layer.z_hist), bw = W / layer.z_hist.length;
    ctx.fillStyle = "#ddd";
    layer.z_hist.forEach((c, i) => { const h = c / top * (H - 10); ctx.fillRect(i * bw, H - h, bw - 1, h); });
  }
  const values = [...curve.g, ...curve.dg].filter((v) => Number.isFinite(v));
  const lo = Math.min(-1, ...values), hi = Math.max(1, ...values);
  const y = (v) => H - 4 - (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo) * (H - 8);
  ctx.strokeStyle = "#bbb"; ctx.beginPath(); ctx.moveTo(0, y(0)); ctx.lineTo(W, y(0));
  ctx.moveTo(W / 2, 0); ctx.lineTo(W / 2, H); ctx.stroke();
  for (const [key, colour] of [["g", "#222"], ["dg", "#d11"]]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    curve[key].forEach((v, i) => {
      const x = i / (curve[key].length - 1) * W;
      i === 0 ? ctx.moveTo(x, y(v)) : ctx.lineTo(x, y(v));
    });
    ctx.stroke();
  }
  ctx.fillStyle = "#777"; ctx.font = "9px sans-serif";
  ctx.fillText(`z: -${m.z_range} .. ${m.z_range}`, 2, 10);
}

// ---------------------------------------------------------------- step-through
function phases() {
  const t = state.trace;
  if (!t) return [];
  const L = t.layers.length, out = [];
  for (let l = 1; l <= L; l++) out.push({ dir: "forward", layer: l });
  out.push({ dir: "loss", layer: L });
  for (let l = L; l >= 1; l--) out.push({ dir: "backward", layer: l });
  return out;
}
const tracePhase = () => (state.trace ? phases()[state.phase] : null);

function onTrace(t) {
  state.trace = t; state.phase = 0;
  setPlaying(false);
  renderTraceTable();
  showPhase();
}

const num = (v) => (v === null || v === undefined ? "" : Number(v).toPrecision(6));

function renderTraceTable() {
  const t = state.trace, box = document.getElementById("trace-table");
  let html = `<p>sample ${t.sample} at (${num(t.point[0])}, ${num(t.point[1])}), target ${num(t.target)}, ` +
    `output <span id="trace-output">${num(t.output)}</span>, ${escapeHtml(t.loss_name)} loss ` +
    `<span id="trace-loss">${num(t.loss)}</span>` +
    (t.fused ? " (the gradient enters at the output's z: &delta; = a &minus; y)" : "") + `</p>`;
  t.layers.forEach((layer, l) => {
    const L = l + 1, name = L === t.layers.length ? "output layer" : `layer ${L}`;
    html += `<table id="trace-layer-${L}" data-layer="${L}"><caption>${name}</caption>` +
      "<tr><th>unit</th><th>z</th><th>a</th><th>e = &part;J/&part;a</th><th>&delta; = &part;J/&part;z</th><th>&part;J/&part;b</th></tr>";
    layer.z.forEach((_, u) => {
      const cell = (q, v) => `<td data-q="${q}" data-layer="${L}" data-unit="${u}">${num(v)}</td>`;
      html += `<tr><td>${u + 1}</td>${cell("z", layer.z[u])}${cell("a", layer.a[u])}` +
        `${cell("e", layer.e ? layer.e[u] : null)}${cell("delta", layer.delta[u])}${cell("db", layer.db[u])}</tr>`;
    });
    html += "</table>";
    html += `<table id="trace-dW-${L}"><caption>${name}: &part;J/&part;W = a_prev&#x1D40; &delta; (row: input, column: unit)</caption>`;
    layer.dW.forEach((row, i) => {
      html += `<tr><th>${num(layer.a_prev[i])}</th>` +
        row.map((v, j) => `<td data-q="dW" data-layer="${L}" data-in="${i}" data-unit="${j}">${num(v)}</td>`).join("") + "</tr>";
    });
    html += "</table>";
  });
  box.innerHTML = html;
}

function showPhase() {
  const m = state.layout, t = state.trace, all = phases(), p = all[state.phase];
  document.getElementById("trace-prev").disabled = state.phase === 0;
  document.getElementById("trace-next").disabled = state.phase === all.length - 1;
  const text = p.dir === "forward" ? `forward, layer ${p.layer}: z = a_prev W + b, a = g(z)`
    : p.dir === "loss" ? `loss J = ${num(t.loss)} at output ${num(t.output)}, target ${num(t.target)}`
      : `backward, layer ${p.layer}: e = δ_next Wᵀ, δ = g'(z) e, ∂J/∂W = a_prevᵀ δ`;
  document.getElementById("trace-phase").textContent = `${state.phase + 1}/${all.length}: ${text}`;
  for (const column of m.nodes) for (const node of column) {
    node.classList.remove("traced"); node.querySelector(".nums").textContent = "";
  }
  t.layers[0].a_prev.forEach((v, r) => { m.nodes[0][r].querySelector(".nums").textContent = `x=${num(v)}`; });
  t.layers.forEach((layer, l) => {
    const shown = p.dir === "forward" ? l + 1 <= p.layer : true;
    if (!shown) return;
    m.nodes[l + 1].forEach((node, u) => {
      let s = `z=${num(layer.z[u])}\na=${num(layer.a[u])}`;
      if (p.dir === "backward" && l + 1 >= p.layer)
        s += (layer.e ? `\ne=${num(layer.e[u])}` : "") + `\nδ=${num(layer.delta[u])}`;
      node.querySelector(".nums").textContent = s;
      if (l + 1 === p.layer) node.classList.add("traced");
    });
  });
  for (const table of document.querySelectorAll("#trace-table table"))
    table.classList.toggle("current", table.id.endsWith(`-${p.layer}`));
  drawLinks();
  if (state.frame) drawSurface();
}

// ---------------------------------------------------------------- wiring
function wire() {
  document.getElementById("play").addEventListener("click", () => {
    send({ type: state.playing ? "pause" : "play" }); setPlaying(!state.playing);
  });
  document.getElementById("step").addEventListener("click", () => send({ type: "step" }));
  document.getElementById("reset").addEventListener("click", () => send({ type: "reset" }));
  document.getElementById("add-layer").addEventListener("click", () => {
    const layers = state.config.layers;
    if (layers.length >= state.options.limits.layers) return;
    const last = layers[layers.length - 1];
    layers.push({ width: last ? last.width : 4, activation: last ? last.activation : "tanh" });
    configChanged();
  });
  document.getElementById("remove-layer").addEventListener("click", () => {
    if (state.config.layers.length) { state.config.layers.pop(); configChanged(); }
  });
  document.getElementById("show-gradients").addEventListener("change", drawLinks);
  const network = document.getElementById("network");
  network.addEventListener("mousemove", hoverLinks);
  network.addEventListener("mouseleave", () => { state.hover = null; drawLinks(); });
  document.getElementById("show-test").addEventListener("change", () => state.frame && drawSurface());
  document.getElementById("trace").addEventListener("click", () => {
    const n = Number(document.getElementById("trace-sample").value);
    send({ type: "trace", sample: Number.isInteger(n) ? n : -1 });
  });
  document.getElementById("trace-prev").addEventListener("click", () => { state.phase--; showPhase(); });
  document.getElementById("trace-next").addEventListener("click", () => { state.phase++; showPhase(); });
  document.getElementById("csv-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > state.options.limits.csv_bytes) {
      showMessage(`CSV file of ${file.size} bytes refused: at most ${state.options.limits.csv_bytes} bytes.`, "error");
      return;
    }
    file.text().then(async (text) => {
      const limit = state.options.limits.csv_link_chars;
      let link = null, note;
      try {
        link = await packCsv(text);
        note = link.length <= limit
          ? `In the link: this CSV, ${kB(link.length)} compressed; the link reproduces this run.`
          : `Not in the link: this CSV is ${kB(link.length)} compressed, over the ` +
            `${kB(limit)} a link carries. The link keeps the settings; whoever opens it ` +
            "must choose the file again.";
        if (link.length > limit) link = null;
      } catch (error) {
        note = `Not in the link: this browser could not compress the CSV (${error}).`;
      }
      state.pendingCsv = { text, link, note };
      send({ type: "csv", text });
    });
    event.target.value = "";
  });
}

async function main() {
  state.options = await (await fetch("/api/options")).json();
  const fields = state.options.fields;
  const defaults = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.default]));
  state.config = { ...defaults, ...fromHash(location.hash, fields) };
  await readLinkCsv(location.hash);
  buildControls();
  showConfig();
  wire();
  connect();
}

main().catch((error) => showMessage(`The page could not start: ${error}`, "error"));
