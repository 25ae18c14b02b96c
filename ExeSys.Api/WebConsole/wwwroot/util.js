// Small helpers every page shares: escaping, times in the browser's zone (UTC on hover), state names and colours.

export const STATES = ['start', 'standby', 'processing', 'data_available', 'error'];

export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// A <time> element: local time shown, UTC (ISO) on hover and in datetime.
export function time(value) {
  if (!value) return '<span class="muted">—</span>';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return esc(value);
  const local = d.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const ms = String(d.getMilliseconds()).padStart(3, '0');
  return `<time datetime="${esc(d.toISOString())}" title="${esc(d.toISOString())} UTC">${esc(local)}.${ms}</time>`;
}

export function duration(ms) {
  if (ms == null || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60000);
  return `${m} min ${Math.round((ms % 60000) / 1000)} s`;
}

// A state badge: class state-<name> carries the colour (style.css), the text says it, so colour is never the only cue.
export function stateBadge(status) {
  const s = typeof status === 'number' ? STATES[status] : status;
  return `<span class="badge state-${esc(s)}">${esc(s)}</span>`;
}

export function json(value) {
  return `<pre class="json">${esc(JSON.stringify(value, null, 2))}</pre>`;
}

export function h(html) {
  const t = document.createElement('template');
  t.innerHTML = html.trim();
  return t.content;
}
