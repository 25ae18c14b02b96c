// #/workers, #/modules, #/functions, #/runners, #/queues: what the fleet offers and holds, one tab each, refreshed every
// 5 s. Queues can be paused and resumed by the operator (admin key of the default tenant).
import { get, post, seg } from '../api.js';
import { esc, time, duration } from '../util.js';
import { useStyles, poll, setHtml, fleetTabs, problemText, alertHtml } from './ops.js';

const TITLES = { workers: 'Workers', modules: 'Modules', functions: 'Functions', runners: 'Runners', queues: 'Queues' };

const table = (label, head, rows, empty) => (rows.length === 0 ? `<p class="muted">${esc(empty)}</p>` : `
  <table aria-label="${esc(label)}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>
  <tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`);

const list = (items) => items.map((i) => esc(i)).join(', ') || '<span class="muted">—</span>';

const SECTIONS = {
  async workers(ctx) {
    const procs = await get('/console/api/processes');
    const internals = ctx.session?.internals;
    const rows = procs.map((p) => [
      esc(p.role),
      internals ? `<span class="mono">${esc(p.id)}</span>` : '<span class="muted">hidden</span>',
      internals ? esc(p.host) : '<span class="muted">hidden</span>',
      time(p.started), esc(p.role === 'worker' ? `${p.running} / ${p.concurrency}` : '—'),
      esc(p.functions), list(p.queues), esc(p.runners),
    ]);
    return `<p class="muted">${esc(`${procs.filter((p) => p.role === 'worker').length} live workers, ${procs.filter((p) => p.role === 'controller').length} live controllers.`)}${internals ? '' : ' Ids and hosts are shown to admin keys of the default tenant.'}</p>` +
      table('Live processes', ['Role', 'Id', 'Host', 'Started', 'Running / concurrency', 'Functions', 'Queues', 'Runners'], rows, 'No live worker or controller.');
  },
  async modules() {
    const mods = await get('/modules');
    return table('Modules', ['Module', 'Version', 'Status', 'Worker', 'Functions', 'Error'], mods.map((m) => [
      esc(m.module), esc(m.version), `<span class="badge ${m.status === 'loaded' ? 'state-done' : 'state-failed'}">${esc(m.status)}</span>`,
      m.worker ? `<span class="mono">${esc(m.worker)}</span>` : '<span class="muted">hidden</span>', list(m.functions), m.error ? `<span class="error">${esc(m.error)}</span>` : '',
    ]), 'No module is loaded by a live worker.');
  },
  async functions() {
    const fns = await get('/functions');
    return table('Functions', ['Function', 'Mode', 'Module', 'Version', 'Workers'], fns.map((f) => [
      `<a href="#/jobs?cmd=${encodeURIComponent(f.name)}">${esc(f.name)}</a>`, esc(f.mode), esc(f.module), esc(f.version),
      f.workers.length ? `<span class="mono">${list(f.workers)}</span>` : '<span class="muted">—</span>',
    ]), 'No live worker offers a function.');
  },
  async runners() {
    const rs = await get('/runners');
    return table('Runners', ['Runner', 'Worker'], rs.map((r) => [
      `<a href="#/jobs/${encodeURIComponent(r.from)}/${encodeURIComponent(r.job_id)}">${esc(r.from)}/${esc(r.job_id)}</a>`,
      r.worker ? `<span class="mono">${esc(r.worker)}</span>` : '<span class="muted">hidden</span>',
    ]), 'No forever runner of this tenant is held by a live worker.');
  },
  async queues(ctx) {
    const qs = await get('/queues');
    // Pausing is the operator's: an admin key of the default tenant (the API refuses others with 403).
    const control = ctx.can('admin') && ctx.session?.internals;
    return table('Queues', ['Queue', 'State', 'Waiting', 'In flight', 'Scheduled', 'Oldest wait', 'Per function', 'Workers', 'Limits', ...(control ? ['Action'] : [])], qs.map((q) => [
      `<strong>${esc(q.name)}</strong>`,
      q.paused ? '<span class="badge state-paused">paused</span>' : '<span class="badge state-running">active</span>',
      esc(q.depth), esc(q.in_flight), esc(q.scheduled), esc(q.oldest_waiting_ms == null ? '—' : duration(q.oldest_waiting_ms)),
      Object.entries(q.functions).map(([f, n]) => `${esc(f)}: ${esc(n)}`).join(', ') || '<span class="muted">—</span>',
      `<span class="mono">${list(q.workers)}</span>`,
      Object.entries(q.limits).map(([k, l]) => `${esc(k)}: ${esc(Object.entries(l).map(([a, b]) => `${a}=${b}`).join(' '))}`).join('<br>') || '<span class="muted">none</span>',
      ...(control ? [`<button type="button" class="operate ${q.paused ? '' : 'danger'}" data-queue="${esc(q.name)}" data-act="${q.paused ? 'resume' : 'pause'}">${q.paused ? 'Resume' : 'Pause'} ${esc(q.name)}</button>`] : []),
    ]), 'No queue.');
  },
};

export async function render(root, params, ctx) {
  useStyles();
  const section = SECTIONS[params.section] ? params.section : 'workers';
  root.innerHTML = `${fleetTabs(section)}<h1>${esc(TITLES[section])}</h1>
    <div id="fleet-status" class="status" role="status" aria-live="polite"></div><div id="fleet-body"><p class="muted">Loading…</p></div>`;
  const body = root.querySelector('#fleet-body');
  const status = root.querySelector('#fleet-status');
  const refresh = async () => {
    try {
      setHtml(body, await SECTIONS[section](ctx));
    } catch (e) {
      setHtml(body, alertHtml(problemText(e)));
    }
  };
  body.addEventListener('click', async (e) => {
    const btn = e.target.closest('button[data-queue]');
    if (!btn) return;
    btn.disabled = true;
    try {
      const r = await post(`/queues/${seg(btn.dataset.queue)}/${btn.dataset.act}`);
      status.textContent = `Queue ${r.name} is ${r.paused ? 'paused' : 'active'}${r.changed ? '' : ' (it already was)'}.`;
    } catch (err) {
      status.innerHTML = alertHtml(problemText(err));
    }
    await refresh();
  });
  return poll(refresh, 5000);
}
