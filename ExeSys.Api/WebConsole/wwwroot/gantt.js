// A timeline of a run's nodes: one row per node that started, a bar from its start to its end (or to now while it
// runs), coloured by state. Drawn as one SVG string per update: a thousand rows are a few milliseconds.
import { esc, duration } from './util.js';

const ROW = 18;
const LABEL_W = 170;
const AXIS_H = 22;

function ticks(span) {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000];
  const want = span / 6;
  return steps.find((s) => s >= want) || Math.ceil(want / 3600000) * 3600000;
}

// nodes: [{name, status, started?, finished?}] (ISO times). onSelect(name) when a row is clicked, or focused (Tab)
// and Enter or Space pressed.
export function renderGantt(host, nodes, { onSelect, now = Date.now() } = {}) {
  const rows = nodes
    .filter((n) => n.started)
    .map((n) => ({ n, s: Date.parse(n.started), f: n.finished ? Date.parse(n.finished) : null }))
    .sort((a, b) => a.s - b.s || (a.n.name < b.n.name ? -1 : 1));
  if (!rows.length) {
    host.innerHTML = '<p class="muted">No node has started yet.</p>';
    return;
  }
  const t0 = rows[0].s;
  let t1 = t0 + 1;
  for (const r of rows) t1 = Math.max(t1, r.f ?? Math.max(now, r.s));
  const span = t1 - t0;
  const width = Math.max(320, (host.clientWidth || 900) - 4);
  const chartW = width - LABEL_W - 12;
  const x = (t) => LABEL_W + ((t - t0) / span) * chartW;
  const height = AXIS_H + rows.length * ROW + 4;
  const step = ticks(span);
  const parts = [];
  for (let t = 0; t <= span; t += step) {
    const px = x(t0 + t).toFixed(1);
    parts.push(`<line class="gtick" x1="${px}" x2="${px}" y1="${AXIS_H - 4}" y2="${height}"/>`
      + `<text class="gticklabel" x="${px}" y="${AXIS_H - 8}" text-anchor="middle">+${esc(duration(t))}</text>`);
  }
  rows.forEach((r, i) => {
    const y = AXIS_H + i * ROW;
    const end = r.f ?? Math.max(now, r.s);
    const bx = x(r.s);
    const bw = Math.max(2, x(end) - bx);
    const status = r.n.status || 'processing';
    const tip = `${r.n.name}: ${status}, ${duration(end - r.s)}${r.f ? '' : ' so far'}`;
    parts.push(`<g class="grow" data-name="${esc(r.n.name)}"${onSelect ? ` tabindex="0" role="button" aria-label="${esc(tip)}"` : ''}><title>${esc(tip)}</title>`
      + `<rect class="grow-bg" x="0" y="${y}" width="${width}" height="${ROW}"/>`
      + `<text class="grow-label" x="4" y="${y + 13}">${esc(r.n.name.length > 24 ? `${r.n.name.slice(0, 23)}…` : r.n.name)}</text>`
      + `<rect class="gbar" data-state="${esc(status)}" x="${bx.toFixed(1)}" y="${y + 3}" width="${bw.toFixed(1)}" height="${ROW - 6}" rx="2"/></g>`);
  });
  // A live redraw keeps the keyboard where it was: the row that had focus has it again.
  const focused = host.contains(document.activeElement) ? document.activeElement.closest?.('.grow')?.dataset.name : null;
  host.innerHTML = `<svg class="gantt" width="${width}" height="${height}" role="${onSelect ? 'group' : 'img'}" aria-label="Timeline of ${rows.length} nodes over ${esc(duration(span))}">${parts.join('')}</svg>`;
  if (onSelect) {
    host.firstElementChild.addEventListener('click', (e) => {
      const g = e.target.closest('.grow');
      if (g) onSelect(g.dataset.name);
    });
    host.firstElementChild.addEventListener('keydown', (e) => {
      const g = e.target.closest?.('.grow');
      if (g && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        onSelect(g.dataset.name);
      }
    });
    if (focused != null) host.querySelector(`.grow[data-name="${CSS.escape(focused)}"]`)?.focus();
  }
}
