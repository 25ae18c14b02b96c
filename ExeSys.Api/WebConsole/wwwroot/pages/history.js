// #/history: search the MongoDB archive (GET /history/jobs); #/history/:from/:job_id: one archived job, and for a graph
// run its nodes (GET /workflows/{from}/{job_id} reads archived runs too), drawn with ../graph.js.
import { get, seg, ApiError } from '../api.js';
import { esc, time, json, stateBadge } from '../util.js';
import { useStyles, problemText, alertHtml } from './ops.js';

const toIso = (local) => (local ? new Date(local).toISOString() : '');

export async function render(root, params, ctx) {
  useStyles();
  return params.job_id ? renderOne(root, params, ctx) : renderSearch(root, params);
}

async function renderSearch(root, params) {
  const q = params.query || new URLSearchParams();
  const v = (k) => esc(q.get(k) || '');
  root.innerHTML = `
    <h1>History</h1>
    <form class="filters" id="h-filters" role="search" aria-label="Search the archive">
      <label for="h-from">Client (from)<input id="h-from" name="from" value="${v('from')}" autocomplete="off"></label>
      <label for="h-state">State<select id="h-state" name="state"><option value="">any</option>
        <option value="3"${q.get('state') === '3' ? ' selected' : ''}>3 data_available</option><option value="4"${q.get('state') === '4' ? ' selected' : ''}>4 error</option></select></label>
      <label for="h-cmd">Function<input id="h-cmd" name="cmd" value="${v('cmd')}" autocomplete="off"></label>
      <label for="h-schedule">Schedule<input id="h-schedule" name="schedule" value="${v('schedule')}" autocomplete="off"></label>
      <label for="h-since">Finished since<input id="h-since" name="since" type="datetime-local"></label>
      <label for="h-until">Finished until<input id="h-until" name="until" type="datetime-local"></label>
      <button type="submit">Search</button>
    </form>
    <div id="h-status" class="status" role="status" aria-live="polite"></div>
    <div id="h-list"></div>
    <div class="pager"><button type="button" class="ghost" id="h-prev" disabled>Previous page</button><button type="button" class="ghost" id="h-next" disabled>Next page</button><span class="muted" id="h-page"></span></div>`;
  const $ = (id) => root.querySelector(`#${id}`);
  const form = $('h-filters');
  const cursors = [null];
  let next = null;

  const filters = () => {
    const out = new URLSearchParams();
    for (const k of ['from', 'state', 'cmd', 'schedule', 'since', 'until']) {
      const raw = form.elements[k].value.trim();
      const val = k === 'since' || k === 'until' ? toIso(raw) : raw;
      if (val) out.set(k, val);
    }
    return out;
  };

  const load = async () => {
    const query = filters();
    query.set('limit', '50');
    if (cursors[cursors.length - 1]) query.set('cursor', cursors[cursors.length - 1]);
    $('h-status').textContent = 'Searching…';
    try {
      const page = await get(`/history/jobs?${query}`);
      next = page.next_cursor || null;
      $('h-status').textContent = `${page.items.length} archived job${page.items.length === 1 ? '' : 's'} on this page.`;
      $('h-list').innerHTML = page.items.length === 0 ? '<p class="muted">Nothing archived matches.</p>' : `
        <table aria-label="Archived jobs"><thead><tr><th scope="col">Job</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Function</th>
          <th scope="col" class="num">Attempts</th><th scope="col">Created</th><th scope="col">Finished</th><th scope="col">Error</th></tr></thead>
        <tbody>${page.items.map((j) => `<tr>
          <td><a href="#/history/${encodeURIComponent(j.from)}/${encodeURIComponent(j.job_id)}">${esc(j.from)}/${esc(j.job_id)}</a></td>
          <td>${esc(j.kind)}</td><td>${stateBadge(j.state)}</td><td>${esc(j.cmd)}</td><td class="num">${esc(j.attempts)}</td>
          <td>${time(j.created)}</td><td>${time(j.finished)}</td><td class="mono">${esc(j.error ?? '')}</td></tr>`).join('')}</tbody></table>`;
    } catch (e) {
      next = null;
      $('h-status').textContent = '';
      $('h-list').innerHTML = alertHtml(e instanceof ApiError && e.status === 404
        ? `History is not available: ${e.message} (MongoDB history is off on this server: ExeSys:Mongo:ConnectionString).`
        : `The archive could not be searched: ${problemText(e)}`);
    }
    $('h-prev').disabled = cursors.length <= 1;
    $('h-next').disabled = !next;
    $('h-page').textContent = `Page ${cursors.length}`;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = filters().toString();
    history.replaceState(null, '', `#/history${f ? `?${f}` : ''}`);
    cursors.length = 1;
    load();
  });
  $('h-next').addEventListener('click', () => { if (next) { cursors.push(next); load(); } });
  $('h-prev').addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load(); } });
  await load();
  return null;
}

async function renderOne(root, params) {
  const { from, job_id: jobId } = params;
  const path = `${seg(from)}/${seg(jobId)}`;
  root.innerHTML = `<p><a href="#/history">← History</a></p><h1>Archived <span class="mono">${esc(from)}/${esc(jobId)}</span></h1><div id="h-one"><p class="muted">Loading…</p></div>`;
  const host = root.querySelector('#h-one');
  let j;
  try {
    j = await get(`/history/jobs/${path}`);
  } catch (e) {
    host.innerHTML = alertHtml(problemText(e));
    return null;
  }
  const errors = j.errors || (j.error ? [j.error] : []);
  host.innerHTML = `
    <div class="grid">
      <section class="panel" aria-labelledby="h-facts"><h2 id="h-facts">Job</h2><dl class="facts">
        <dt>State</dt><dd>${stateBadge(j.state)}${j.phase ? ` <span class="badge state-${esc(j.phase)}">${esc(j.phase)}</span>` : ''}</dd>
        <dt>Kind</dt><dd>${esc(j.kind)}</dd><dt>Function</dt><dd>${esc(j.cmd)}</dd><dt>To</dt><dd>${esc(j.to)}</dd>
        <dt>Attempts</dt><dd>${esc(j.attempts)}</dd><dt>Created</dt><dd>${time(j.created)}</dd><dt>Finished</dt><dd>${time(j.finished)}</dd>
        ${j.worker ? `<dt>Worker</dt><dd class="mono">${esc(j.worker)}</dd>` : ''}<dt>Archived</dt><dd>${time(j.archived)}</dd></dl></section>
      <section class="panel" aria-labelledby="h-input"><h2 id="h-input">Input data</h2>${json(j.data)}</section>
    </div>
    ${j.result !== undefined ? `<section aria-labelledby="h-result"><h2 id="h-result">Result</h2>${json(j.result)}</section>` : ''}
    ${errors.length ? `<section aria-labelledby="h-errors"><h2 id="h-errors">Attempts' errors</h2><ol class="errors">${errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ol></section>` : ''}
    <section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
      <table aria-label="Timeline"><thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">State</th><th scope="col">Attempt</th><th scope="col">Worker</th><th scope="col">Error</th></tr></thead>
      <tbody>${(j.timeline || []).map((t) => `<tr><td>${time(t.time)}</td><td>${esc(t.event)}</td><td>${stateBadge(t.state)}</td><td>${esc(t.attempt ?? '')}</td><td class="mono">${esc(t.worker ?? '')}</td><td class="mono">${esc(t.error ?? '')}</td></tr>`).join('')}</tbody></table></section>
    <div id="h-graph"></div>`;
  if (j.nodes?.length) await showRun(root.querySelector('#h-graph'), path, jobId, j.nodes);
  return null;
}

// A graph run: its nodes with their edges from GET /workflows/{from}/{job_id}, drawn by graph.js, and always as a table.
async function showRun(host, path, jobId, archivedNodes) {
  let nodes = archivedNodes.map((n) => ({ name: n.name, cmd: n.cmd, state: n.state, attempts: n.attempts, error: n.error, skipped: n.skipped, next: [] }));
  try {
    const run = await get(`/workflows/${path}`);
    nodes = run.nodes.map((n) => ({ name: n.name, cmd: n.cmd, state: n.state, status: n.status, attempts: n.attempts, error: n.error, skipped: n.skipped, next: n.next || [] }));
  } catch { /* the archived nodes (without edges) are enough for the table */ }
  host.innerHTML = `<h2 id="h-graph-title">Graph</h2><div id="h-graph-view"></div>
    <table aria-labelledby="h-graph-title"><thead><tr><th scope="col">Node</th><th scope="col">Function</th><th scope="col">State</th><th scope="col" class="num">Attempts</th><th scope="col">Next</th><th scope="col">Error</th></tr></thead>
    <tbody>${nodes.map((n) => `<tr><th scope="row">${esc(n.name)}</th><td>${esc(n.cmd)}</td><td>${n.skipped ? '<span class="badge state-skipped">skipped</span>' : stateBadge(n.state)}</td>
      <td class="num">${esc(n.attempts)}</td><td>${esc(n.next.join(', '))}</td><td class="mono">${esc(n.error ?? '')}</td></tr>`).join('')}</tbody></table>`;
  try {
    const graph = await import('../graph.js');
    graph.ensureCss?.();
    const view = graph.createGraphView(host.querySelector('#h-graph-view'), { label: `Graph of archived run ${jobId}` });
    const edges = nodes.flatMap((n) => n.next.map((to) => ({ from: n.name, to, when: null })));
    view.setGraph(nodes.map((n) => ({ name: n.name, cmd: n.cmd, status: n.skipped ? 'skipped' : (n.status || n.state) })), edges);
  } catch {
    host.querySelector('#h-graph-view').innerHTML = '<p class="muted">The graph drawing (graph.js) is not part of this console build: the nodes are listed below.</p>';
  }
}
