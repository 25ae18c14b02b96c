// Workflow graphs: a layered layout (longest-path layers, a few barycenter sweeps to order them) and an SVG view
// with pan (drag), zoom (wheel, buttons) and fit-to-screen. Shared by the run page (nodes coloured by state) and the
// definition page (all nodes neutral). Everything is O(nodes + edges) per draw, and a state update touches only the
// attributes of the nodes and edges it already drew, so a graph of a few thousand nodes stays usable.
import { esc } from './util.js';

export const END = 'end_job';
const NODE_W = 150;
const NODE_H = 40;
const GAP_Y = 22;
const GAP_X = 80;
const GAP_X_LABELS = 170; // room for a condition's label between two layers
const SVG_NS = 'http://www.w3.org/2000/svg';

// The pages' own styles, in a file of their own (CSP: style-src 'self'), loaded once.
export function ensureCss() {
  if (document.querySelector('link[data-exesys="workflows"]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = 'workflows.css';
  link.dataset.exesys = 'workflows';
  document.head.appendChild(link);
}

// A condition as a person reads it: {"path": "status", "equals": "paid"} -> status equals "paid".
export function conditionText(when) {
  if (!when || typeof when !== 'object') return '';
  const path = when.path || 'result';
  const op = Object.keys(when).find((k) => k !== 'path');
  if (!op) return path;
  const v = when[op];
  const value = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  switch (op) {
    case 'equals': return `${path} equals ${value}`;
    case 'not_equals': return `${path} not equals ${value}`;
    case 'in': return `${path} in ${value}`;
    case 'exists': return v ? `${path} exists` : `${path} missing`;
    case 'gt': return `${path} > ${value}`;
    case 'gte': return `${path} ≥ ${value}`;
    case 'lt': return `${path} < ${value}`;
    case 'lte': return `${path} ≤ ${value}`;
    default: return `${path} ${op} ${value}`;
  }
}

// A definition's graph ({"start"?, "nodes": {name: {cmd, next: [name | {to, when}]}}}) as nodes and edges.
export function fromDefinition(def) {
  const nodes = [];
  const edges = [];
  const all = def && typeof def.nodes === 'object' && def.nodes ? def.nodes : {};
  for (const [name, node] of Object.entries(all)) {
    nodes.push({ name, cmd: node && typeof node.cmd === 'string' ? node.cmd : '' });
    const next = node && Array.isArray(node.next) ? node.next : [];
    for (const item of next) {
      if (typeof item === 'string') edges.push({ from: name, to: item, when: null });
      else if (item && typeof item.to === 'string') edges.push({ from: name, to: item.to, when: item.when || null });
    }
  }
  return { nodes, edges };
}

// Layers by longest path from the sources (Kahn's order), then barycenter sweeps down and up. Nodes left over by a
// cycle (a definition being edited may have one) go in one last layer rather than failing the drawing.
export function layout(names, edges, { labels = false } = {}) {
  const n = names.length;
  const index = new Map();
  names.forEach((name, i) => index.set(name, i));
  const out = Array.from({ length: n }, () => []);
  const inn = Array.from({ length: n }, () => []);
  for (const e of edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    out[a].push(b);
    inn[b].push(a);
  }
  const indeg = new Int32Array(n);
  for (let i = 0; i < n; i++) indeg[i] = inn[i].length;
  const layer = new Int32Array(n);
  const queue = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  const done = new Uint8Array(n);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    done[v] = 1;
    for (const w of out[v]) {
      if (layer[w] < layer[v] + 1) layer[w] = layer[v] + 1;
      if (--indeg[w] === 0) queue.push(w);
    }
  }
  let maxLayer = 0;
  for (let i = 0; i < n; i++) if (done[i] && layer[i] > maxLayer) maxLayer = layer[i];
  if (queue.length < n) {
    maxLayer++;
    for (let i = 0; i < n; i++) if (!done[i]) { layer[i] = maxLayer; queue.push(i); }
  }
  // The end node is always last.
  const end = index.get(END);
  if (end !== undefined) {
    let last = 0;
    for (let i = 0; i < n; i++) if (i !== end && layer[i] > last) last = layer[i];
    layer[end] = n > 1 ? last + 1 : 0;
    maxLayer = Math.max(maxLayer, layer[end]);
  }

  const layers = Array.from({ length: maxLayer + 1 }, () => []);
  for (const v of queue) layers[layer[v]].push(v); // Kahn's order is a fair first ordering
  const pos = new Float64Array(n);
  const key = new Float64Array(n);
  const place = (arr) => { const mid = (arr.length - 1) / 2; arr.forEach((v, i) => { pos[v] = i - mid; }); };
  layers.forEach(place);
  const sweep = (arr, nbrs) => {
    for (const v of arr) {
      let s = 0;
      let c = 0;
      for (const u of nbrs[v]) { s += pos[u]; c++; }
      key[v] = c ? s / c : pos[v];
    }
    arr.sort((a, b) => key[a] - key[b]);
    place(arr);
  };
  for (let it = 0; it < 4; it++) {
    for (let l = 1; l < layers.length; l++) sweep(layers[l], inn);
    for (let l = layers.length - 2; l >= 0; l--) sweep(layers[l], out);
  }

  const gapX = labels ? GAP_X_LABELS : GAP_X;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    xs[i] = layer[i] * (NODE_W + gapX);
    ys[i] = pos[i] * (NODE_H + GAP_Y);
    if (ys[i] < minY) minY = ys[i];
    if (ys[i] > maxY) maxY = ys[i];
  }
  if (!n) { minY = 0; maxY = 0; }
  for (let i = 0; i < n; i++) ys[i] -= minY;
  return {
    index, xs, ys, layer, gapX,
    width: maxLayer * (NODE_W + gapX) + NODE_W,
    height: maxY - minY + NODE_H,
  };
}

let uid = 0;

// Where along an edge's curve its label goes: the middle of the gap after the source, so the labels of the edges
// leaving one node sit side by side next to it rather than piling up at a shared target.
function edgeGeometry(x1, y1, x2, y2, gapX) {
  const dx = Math.max(40, (x2 - x1) / 2);
  const d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  const target = Math.min(x1 + gapX / 2, (x1 + x2) / 2);
  let lo = 0;
  let hi = 1;
  let t = 0.5;
  const bx = (s) => { const u = 1 - s; return u * u * u * x1 + 3 * u * u * s * (x1 + dx) + 3 * u * s * s * (x2 - dx) + s * s * s * x2; };
  for (let i = 0; i < 16; i++) { t = (lo + hi) / 2; if (bx(t) < target) lo = t; else hi = t; }
  const u = 1 - t;
  const ly = u * u * u * y1 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y2;
  return { d, lx: bx(t), ly };
}

function truncate(s, max) { return s.length > max ? `${s.slice(0, max - 1)}…` : s; }

// A graph view in host. opts: onSelect(name) when a node is clicked or Enter/Space is pressed on it; neutral: no
// state colours (definitions). nodes: [{name, cmd?, status?}], edges: [{from, to, when?}].
export function createGraphView(host, { onSelect, neutral = false, label = 'Workflow graph' } = {}) {
  const id = ++uid;
  host.classList.add('graph-wrap');
  host.innerHTML = `
    <div class="graph-tools">
      <button type="button" class="ghost" data-act="fit">Fit</button>
      <button type="button" class="ghost" data-act="in" aria-label="Zoom in">+</button>
      <button type="button" class="ghost" data-act="out" aria-label="Zoom out">−</button>
    </div>
    <svg xmlns="${SVG_NS}" class="graph" role="group" aria-label="${esc(label)}"></svg>`;
  const svg = host.querySelector('svg');
  let vb = { x: 0, y: 0, w: 100, h: 100 };
  let bounds = { x: 0, y: 0, w: 100, h: 100 };
  let nodeEls = new Map();
  let edgeEls = [];
  let geo = null;
  let selected = null;

  // Zoomed far out, the texts are too small to read and cost the most to paint: they are hidden (class "far").
  let far = false;
  const applyViewBox = () => {
    svg.setAttribute('viewBox', `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
    const width = svg.clientWidth;
    const nowFar = width > 0 && width / vb.w < 0.35;
    if (nowFar !== far) { far = nowFar; svg.classList.toggle('far', far); }
  };
  const aspect = () => { const r = svg.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? r.height / r.width : 0.5; };

  function fit() {
    const a = aspect();
    const pad = 24;
    let w = bounds.w + 2 * pad;
    let h = bounds.h + 2 * pad;
    if (h / w > a) w = h / a; else h = w * a;
    // Never zoom in past 1:1 on a small graph.
    const r = svg.getBoundingClientRect();
    if (r.width > 0 && w < r.width) { w = r.width; h = r.height; }
    vb = { x: bounds.x + bounds.w / 2 - w / 2, y: bounds.y + bounds.h / 2 - h / 2, w, h };
    applyViewBox();
  }

  // The whole graph when it fits at a readable size; otherwise its start nodes at a readable size (Fit shows all).
  function initialView() {
    fit();
    const r = svg.getBoundingClientRect();
    if (!geo || r.width <= 0 || r.width / vb.w >= 0.35) return;
    const scale = 0.75;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < geo.layer.length; i++) if (geo.layer[i] === 0) { sum += geo.ys[i]; count++; }
    const w = r.width / scale;
    const h = r.height / scale;
    vb = { x: -24, y: (count ? sum / count : bounds.h / 2) + NODE_H / 2 - h / 2, w, h };
    applyViewBox();
  }

  function zoom(factor, cx, cy) {
    const nw = Math.min(Math.max(vb.w * factor, 50), Math.max(bounds.w, bounds.h) * 4 + 2000);
    const f = nw / vb.w;
    const px = cx ?? vb.x + vb.w / 2;
    const py = cy ?? vb.y + vb.h / 2;
    vb = { x: px - (px - vb.x) * f, y: py - (py - vb.y) * f, w: vb.w * f, h: vb.h * f };
    applyViewBox();
  }

  function toGraph(clientX, clientY) {
    const r = svg.getBoundingClientRect();
    return { x: vb.x + ((clientX - r.left) / r.width) * vb.w, y: vb.y + ((clientY - r.top) / r.height) * vb.h };
  }

  host.querySelector('.graph-tools').addEventListener('click', (e) => {
    const act = e.target.closest('button')?.dataset.act;
    if (act === 'fit') fit();
    else if (act === 'in') zoom(1 / 1.4);
    else if (act === 'out') zoom(1.4);
  });

  const onWheel = (e) => {
    e.preventDefault();
    const p = toGraph(e.clientX, e.clientY);
    zoom(Math.exp(Math.max(-100, Math.min(100, e.deltaY)) * 0.003), p.x, p.y);
  };
  svg.addEventListener('wheel', onWheel, { passive: false });

  let drag = null;
  let dragged = false;
  svg.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, vx: vb.x, vy: vb.y, id: e.pointerId, moving: false };
    dragged = false;
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moving && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moving) { drag.moving = true; svg.setPointerCapture(e.pointerId); svg.classList.add('dragging'); }
    const r = svg.getBoundingClientRect();
    vb.x = drag.vx - (dx / r.width) * vb.w;
    vb.y = drag.vy - (dy / r.height) * vb.h;
    applyViewBox();
  });
  const endDrag = () => {
    if (drag?.moving) dragged = true;
    drag = null;
    svg.classList.remove('dragging');
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);

  svg.addEventListener('click', (e) => {
    if (dragged) { dragged = false; return; }
    const g = e.target.closest('.gnode');
    if (g && g.dataset.name !== END && onSelect) onSelect(g.dataset.name);
  });
  svg.addEventListener('keydown', (e) => {
    const g = e.target.closest?.('.gnode');
    if (!g) return;
    if ((e.key === 'Enter' || e.key === ' ') && g.dataset.name !== END && onSelect) {
      e.preventDefault();
      onSelect(g.dataset.name);
    }
  });
  // A node reached by Tab is brought into view.
  svg.addEventListener('focusin', (e) => {
    const g = e.target.closest?.('.gnode');
    if (!g || !geo) return;
    const i = geo.index.get(g.dataset.name);
    if (i === undefined) return;
    const x = geo.xs[i];
    const y = geo.ys[i];
    if (x < vb.x || x + NODE_W > vb.x + vb.w || y < vb.y || y + NODE_H > vb.y + vb.h) {
      vb.x = x + NODE_W / 2 - vb.w / 2;
      vb.y = y + NODE_H / 2 - vb.h / 2;
      applyViewBox();
    }
  });

  let resizeObserver = null;
  let lastAspect = 0;
  if (typeof ResizeObserver === 'function') {
    resizeObserver = new ResizeObserver(() => {
      const a = aspect();
      if (!lastAspect) { lastAspect = a; fit(); return; }
      if (Math.abs(a - lastAspect) > 1e-3) { vb.h = vb.w * a; lastAspect = a; applyViewBox(); }
    });
    resizeObserver.observe(svg);
  }

  function nodeAttrs(n) {
    const status = neutral ? 'neutral' : (n.status || 'start');
    return { status, label: neutral ? `Node ${n.name}${n.cmd ? ` (${n.cmd})` : ''}` : `Node ${n.name}: ${status}` };
  }

  // Draws the whole graph (a new structure); update() then only changes states.
  function setGraph(nodes, edges) {
    const hasEnd = edges.some((e) => e.to === END);
    const names = nodes.map((n) => n.name);
    if (hasEnd) names.push(END);
    const labels = edges.some((e) => e.when);
    geo = layout(names, edges, { labels });
    const { index, xs, ys } = geo;
    const marker = `arrow-${id}`;
    const paths = [];
    const texts = [];
    edges.forEach((e, k) => {
      const a = index.get(e.from);
      const b = index.get(e.to);
      if (a === undefined || b === undefined) return;
      const g = edgeGeometry(xs[a] + NODE_W, ys[a] + NODE_H / 2, xs[b], ys[b] + NODE_H / 2, geo.gapX);
      const cond = e.when ? conditionText(e.when) : '';
      paths.push(`<path class="gedge${cond ? ' cond' : ''}" data-k="${k}" d="${g.d}" marker-end="url(#${marker})"/>`);
      if (cond) texts.push(`<text class="glabel" x="${g.lx.toFixed(1)}" y="${(g.ly - 4).toFixed(1)}" text-anchor="middle">${esc(truncate(cond, 32))}</text>`);
    });
    const boxes = [];
    const all = hasEnd ? [...nodes, { name: END }] : nodes;
    for (const n of all) {
      const i = index.get(n.name);
      const isEnd = n.name === END;
      const { status, label } = isEnd ? { status: 'end', label: 'end_job' } : nodeAttrs(n);
      const sub = n.cmd ? `<text class="sub" x="10" y="31">${esc(truncate(n.cmd, 22))}</text>` : '';
      boxes.push(`<g class="gnode${isEnd ? ' end' : ''}${neutral ? ' neutral' : ''}" data-name="${esc(n.name)}" data-state="${esc(status)}"`
        + ` transform="translate(${xs[i]},${ys[i]})"${isEnd ? '' : ` tabindex="0" role="button" aria-label="${esc(label)}"`}>`
        + `${n.name.length > 20 ? `<title>${esc(n.name)}</title>` : ''}<rect width="${NODE_W}" height="${NODE_H}" rx="6"/>`
        + `<text x="10" y="${n.cmd ? 16 : 25}">${esc(truncate(n.name, 20))}</text>${sub}</g>`);
    }
    svg.innerHTML = `<defs><marker id="${marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">`
      + '<path class="arrowhead" d="M0,0 L10,5 L0,10 z"/></marker></defs>'
      + `<g class="edges">${paths.join('')}</g><g class="labels">${texts.join('')}</g><g class="nodes">${boxes.join('')}</g>`;
    nodeEls = new Map();
    for (const g of svg.querySelectorAll('.gnode')) nodeEls.set(g.dataset.name, g);
    edgeEls = [];
    for (const p of svg.querySelectorAll('.gedge')) { const e = edges[+p.dataset.k]; edgeEls.push([p, e.from, e.to]); }
    bounds = { x: 0, y: 0, w: geo.width, h: geo.height };
    if (selected && nodeEls.has(selected)) nodeEls.get(selected).classList.add('selected');
    initialView();
    paintEdges(nodes);
  }

  // An edge into a skipped node, or out of one, was not taken: dashed and faint.
  function paintEdges(nodes) {
    if (neutral) return;
    const skipped = new Set(nodes.filter((n) => n.status === 'skipped').map((n) => n.name));
    for (const [p, from, to] of edgeEls) p.classList.toggle('not-taken', skipped.has(to) || skipped.has(from));
  }

  function update(nodes) {
    for (const n of nodes) {
      const g = nodeEls.get(n.name);
      if (!g) continue;
      const { status, label } = nodeAttrs(n);
      if (g.dataset.state !== status) {
        g.dataset.state = status;
        g.setAttribute('aria-label', label);
      }
    }
    paintEdges(nodes);
  }

  function select(name) {
    if (selected && nodeEls.has(selected)) nodeEls.get(selected).classList.remove('selected');
    selected = name;
    if (name && nodeEls.has(name)) nodeEls.get(name).classList.add('selected');
  }

  function destroy() {
    svg.removeEventListener('wheel', onWheel);
    if (resizeObserver) resizeObserver.disconnect();
  }

  return { setGraph, update, fit, select, destroy, svg };
}
