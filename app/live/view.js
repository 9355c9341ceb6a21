// The live view: its own sliders, and a canvas redrawn with G(z) (generator.js) on every input event.
// Mounted twice by app/live_view.py: once with the packed weights (bytes, identical on every rerun, so
// Streamlit's message cache sends them once), once with the directions and the server's z (JSON).
// On release the sliders go back to Python as component state; the rest of the page follows.

const NETS = new Map();  // model id -> net, shared by every mount of this component on the page
const SLOW_MS = 150;  // slower than this per frame is not live: ask the page to fall back

function loadWeights(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const id = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n))).id;
  if (!NETS.has(id)) {
    NETS.set(id, buildGenerator(bytes));
    window.dispatchEvent(new CustomEvent("dcgan-live-weights", { detail: id }));
  }
}

function missingFeature() {
  if (typeof Float32Array !== "function" || typeof TextDecoder !== "function") return "typed arrays";
  const probe = document.createElement("canvas").getContext("2d");
  return probe && typeof ImageData === "function" ? null : "a 2D canvas";
}

function gaussian() {  // Box-Muller: one N(0, 1) draw
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

function currentZ(s) {
  // z = z0 + sum over sliders of value * sigma * direction, as dcgan.latent.apply_direction computes it
  const z = Float32Array.from(s.z0);
  for (const d of s.data.directions) {
    const v = s.values[d.key] * d.sigma;
    if (v) for (let i = 0; i < z.length; i++) z[i] += v * d.vector[i];
  }
  return z;
}

function redraw(s) {
  if (!s.net || s.net.layout.id !== s.data.model) return;  // a new model's weights are still on their way
  const t0 = performance.now();
  const z = currentZ(s);
  toRGBA(s.net, forwardGenerator(s.net, z), s.image.data);
  s.ctx.putImageData(s.image, 0, 0);
  const ms = performance.now() - t0;
  s.ms = s.frames ? 0.8 * s.ms + 0.2 * ms : ms;
  s.frames += 1;
  s.log.push([t0, ms]);  // (start, duration) of every redraw, for bench/bench_live_view.py
  if (s.log.length > 2000) s.log.splice(0, 1000);
  s.root.dataset.frames = String(s.frames);
  s.root.dataset.z = JSON.stringify(Array.from(z));
  if (t0 - (s.shown ?? -1e9) > 250) { s.shown = t0; showStats(s); }  // text changes relayout the page: 4 a second
  else if (!s.statsTimer) s.statsTimer = setTimeout(() => { s.statsTimer = null; showStats(s); }, 300);
  if (s.frames === 3 && s.ms > SLOW_MS) s.setState("unsupported", `G takes ${s.ms.toFixed(0)} ms per frame here`);
}

function showStats(s) {
  // the frame time, as StyleGAN's visualiser shows it, and the redraw rate the last drag reached
  const drag = s.drag && s.drag.frames > 1
    ? ` · last drag: ${s.drag.frames} redraws, ${(1000 * (s.drag.frames - 1) / (s.drag.end - s.drag.start)).toFixed(0)} per second` : "";
  s.stats.textContent = `G in your browser (${s.net.kernel}): ${s.ms.toFixed(1)} ms per frame ` +
    `(${Math.min(999, 1000 / s.ms).toFixed(0)} fps possible)${drag}`;
}

function trackDrag(s, input) {
  input.addEventListener("pointerdown", () => { s.drag = { frames: 0, start: 0, end: 0, on: true }; });
  input.addEventListener("input", () => {
    if (!s.drag?.on) return;
    const now = performance.now();
    if (!s.drag.frames) s.drag.start = now;
    s.drag.end = now;
    s.drag.frames += 1;
  });
  input.addEventListener("pointerup", () => { if (s.drag) s.drag.on = false; showStats(s); });
}

function sendState(s) {
  // debounced: one rerun per release (or per pause in arrow-key presses), not one per step
  clearTimeout(s.timer);
  s.timer = setTimeout(() => {
    s.sent = stateKey(s.z0, s.values);
    s.setState("live", { z0: Array.from(s.z0), values: { ...s.values }, last: s.last });
  }, 150);
}

function stateKey(z0, values) {
  return JSON.stringify([Array.from(z0, (v) => v.toFixed(5)), Object.entries(values).map(([k, v]) => [k, (+v).toFixed(3)])]);
}

function setValue(s, key, value, { send = true } = {}) {
  s.values[key] = value;
  const row = s.rows.get(key);
  row.input.value = String(value);
  row.out.textContent = (+value).toFixed(2);
  if (send) { s.last = key; sendState(s); }
}

function resetSliders(s) {
  for (const key of s.rows.keys()) setValue(s, key, 0, { send: false });
  redraw(s);
  sendState(s);
}

function randomiseZ(s) {
  s.z0 = Float32Array.from({ length: s.data.nz }, gaussian);
  resetSliders(s);
}

const ARROWS = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 };
const ARROW_STEP = 0.1;  // a tenth of a standard deviation per press, half a one with Shift

function onArrow(s, event) {
  const key = event.target.dataset.key, value = +event.target.value;
  const step = ARROWS[event.key] * (event.shiftKey ? 5 : 1) * ARROW_STEP;
  event.preventDefault();
  const span = +event.target.max;
  setValue(s, key, Math.max(-span, Math.min(span, Math.round((value + step) * 100) / 100)));
  redraw(s);
}

function onKey(s, event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key in ARROWS && event.target.dataset?.key) { onArrow(s, event); return; }
  const key = event.key.toLowerCase();
  if (key !== "r" && key !== "z") return;
  event.preventDefault();
  event.stopPropagation();  // Streamlit's own R (rerun) must not fire as well
  key === "r" ? resetSliders(s) : randomiseZ(s);
}

function sliderRow(s, d) {
  const row = document.createElement("label");
  row.className = "dl-row";
  row.innerHTML = `<span class="dl-name"></span><input type="range" step="0.01"><output>0.00</output><small class="dl-card"></small>`;
  row.querySelector(".dl-name").textContent = d.label;
  row.querySelector(".dl-card").textContent = d.card || "";  // what moving along it was measured to change
  const input = row.querySelector("input"), out = row.querySelector("output");
  input.min = -(d.span || 3);
  input.max = d.span || 3;
  input.dataset.key = d.key;
  input.setAttribute("aria-label", d.label);
  input.addEventListener("input", () => { setValue(s, d.key, +input.value, { send: false }); s.last = d.key; redraw(s); });
  input.addEventListener("change", () => sendState(s));
  trackDrag(s, input);
  return { row, input, out };
}

function build(parent, data) {
  const root = document.createElement("div");
  root.className = "dl-root";
  root.dataset.testid = "live-view";
  root.tabIndex = -1;
  root.innerHTML = `<canvas class="dl-canvas" data-testid="live-canvas"></canvas>
    <div class="dl-stats" data-testid="live-stats">Loading G into the browser…</div>
    <div class="dl-hint">Drag a slider: G redraws as you move. Arrow keys move the focused slider ·
      <kbd>R</kbd> resets the sliders · <kbd>Z</kbd> draws a new random z.</div>
    <div class="dl-sliders"></div>`;
  parent.appendChild(root);
  const canvas = root.querySelector("canvas");
  const s = { root, canvas, ctx: canvas.getContext("2d"), stats: root.querySelector(".dl-stats"), frames: 0, ms: 0, log: [],
              image: null, rows: new Map(), values: {}, data: null, net: null };
  root.addEventListener("keydown", (e) => onKey(s, e));
  return s;
}

function layoutSliders(s) {
  const box = s.root.querySelector(".dl-sliders");
  box.replaceChildren();
  s.rows = new Map();
  for (const d of s.data.directions) {
    const r = sliderRow(s, d);
    s.rows.set(d.key, r);
    box.appendChild(r.row);
  }
}

function sizeCanvas(s, data) {
  // one canvas pixel per image pixel (read back by the tests), scaled up crisply by CSS
  if (s.image && s.image.width === data.size) return;
  s.canvas.width = s.canvas.height = data.size;
  s.canvas.style.width = s.canvas.style.height = `${data.display}px`;
  s.root.style.setProperty("--dl-canvas", `${data.display}px`);  // the slider box takes the rest of the window
  s.image = new ImageData(data.size, data.size);
}

function applyData(s, data) {
  // the server's sliders and z: taken over unless they are the echo of what this view sent
  sizeCanvas(s, data);
  const names = data.directions.map((d) => d.key).join("\n");
  const fresh = names !== s.names;
  s.data = data;
  if (fresh) { s.names = names; layoutSliders(s); }
  const key = stateKey(data.z0, data.values);
  if (!fresh && (key === s.seen || key === s.sent)) return;
  s.seen = key;
  s.z0 = Float32Array.from(data.z0);
  for (const d of data.directions) setValue(s, d.key, data.values[d.key] ?? 0, { send: false });
  redraw(s);
}

function attachNet(s, id) {
  s.net = NETS.get(id) ?? null;
  if (s.net) { redraw(s); return; }
  const onLoad = (e) => { if (e.detail === id) { window.removeEventListener("dcgan-live-weights", onLoad); attachNet(s, id); } };
  window.addEventListener("dcgan-live-weights", onLoad);
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (data instanceof Uint8Array) { loadWeights(data); return; }
  const missing = missingFeature();
  if (missing) { setStateValue("unsupported", `this browser lacks ${missing}`); return; }
  let root = parentElement.querySelector(".dl-root");
  const s = root ? root._live : build(parentElement, data);
  s.root._live = s;
  s.setState = setStateValue;
  applyData(s, data);
  if (!s.net || s.net.layout.id !== data.model) attachNet(s, data.model);
}
