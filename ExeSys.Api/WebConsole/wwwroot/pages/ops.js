// Helpers shared by the overview, jobs, job, fleet and history pages: their stylesheet, a poll loop, in-place updates,
// the line chart and the "not there yet" message for an endpoint this API does not have.
import { ApiError } from '../api.js';
import { esc } from '../util.js';

// The pages' own styles, linked once (a file of this origin: the console's CSP allows it, inline styles it does not).
export function useStyles() {
  if (document.getElementById('ops-css')) return;
  const link = document.createElement('link');
  link.id = 'ops-css';
  link.rel = 'stylesheet';
  link.href = new URL('./ops.css', import.meta.url).href;
  document.head.appendChild(link);
}

// Replaces an element's content only when it changed, so focus and selection survive a poll that changed nothing.
export function setHtml(el, html) {
  if (el && el.dataset.html !== html) {
    el.innerHTML = html;
    el.dataset.html = html;
  }
}

// Calls fn now and then every `ms` after each call has finished (never two at once, never faster than ms), skipping
// while the tab is hidden. Returns the stop function (a page's cleanup).
export function poll(fn, ms) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try { await fn(); } catch { /* fn shows its own errors; the loop goes on */ }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

// The message for an error: a 404 of an endpoint this API does not have says so, others give the API's detail.
export function problemText(e, what) {
  if (e instanceof ApiError && e.status === 404 && what) return `${what} is not available on this server (404): ${e.message}`;
  if (e instanceof ApiError) {
    const errors = e.problem?.errors ? Object.entries(e.problem.errors).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('; ') : '';
    return errors ? `${e.message} (${errors})` : e.message;
  }
  return e?.message || String(e);
}

export function alertHtml(text) {
  return `<p class="error" role="alert">${esc(text)}</p>`;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

function hhmm(ms) {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

// A line chart as SVG: series [{name, cls, values:[number|null]}] over points at times `times` (ms). role=img with a
// label that says what it shows; each series' class (ops.css) gives its colour, the legend its name.
export function lineChart(label, times, series, unit) {
  const W = 720, H = 220, L = 48, R = 12, T = 12, B = 28;
  const all = series.flatMap((s) => s.values).filter((v) => v != null);
  const max = niceMax(Math.max(0.0001, ...all));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart'});
  root.appendChild(svg('title', {}, label));
  const x = (i) => L + (times.length <= 1 ? 0 : (i * (W - L - R)) / (times.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    root.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid-line' }));
    root.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  if (times.length) {
    root.appendChild(svg('text', { x: L, y: H - 8, class: 'axis' }, hhmm(times[0])));
    root.appendChild(svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end', class: 'axis' }, `${hhmm(times[times.length - 1])} ${unit || ''}`.trim()));
  }
  for (const s of series) {
    const pts = s.values.map((v, i) => (v == null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
    if (pts.length) root.appendChild(svg('polyline', { points: pts.join(' '), class: `series ${s.cls}`, fill: 'none' }));
  }
  return root;
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function fmt(v) {
  if (v == null) return '—';
  if (v === 0) return '0';
  if (v >= 100) return String(Math.round(v));
  if (v >= 1) return v.toFixed(1).replace(/\.0$/, '');
  return v.toFixed(2);
}

// The fleet pages' tab bar (workers, modules, functions, runners, queues), a navigation landmark of its own.
export function fleetTabs(current) {
  const tabs = [['workers', 'Workers'], ['modules', 'Modules'], ['functions', 'Functions'], ['runners', 'Runners'], ['queues', 'Queues']];
  return `<nav class="tabs" aria-label="Fleet">${tabs.map(([k, label]) =>
    `<a href="#/${k}"${k === current ? ' aria-current="page"' : ''}>${esc(label)}</a>`).join('')}</nav>`;
}

// Re-runs a job as a new one: the same from, to, cmd and data (read with GET /jobs/{from}/{job_id}?input=true), a new job_id.
// Returns the new job's {from, job_id}.
export async function rerun(from, jobId) {
  const { get, post, seg } = await import('../api.js');
  const job = await get(`/jobs/${seg(from)}/${seg(jobId)}?input=true`);
  const d = { job, input: job.input };
  const stem = jobId.replace(/\.rerun-[a-z0-9]+$/, '').slice(0, 100);
  const newId = `${stem}.rerun-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const reply = await post('/sys_cmd', { from: d.job.from, to: d.job.to, cmd: d.job.cmd, data: d.input, job_id: newId, priority: d.job.priority });
  return { from: reply.from, job_id: reply.job_id };
}
