// Workflow runs: the list (GET /console/api/runs) with their phase, filters, and a box to open any run by its ids.
import { get, seg, ApiError } from '../api.js';
import { esc, time, stateBadge } from '../util.js';
import { ensureCss } from '../graph.js';

const PHASES = ['running', 'paused', 'done', 'failed', 'cancelled'];
const PAGE = 50;

export async function render(root, params, ctx) {
  ensureCss();
  root.innerHTML = `
    <h1>Workflows</h1>
    <form class="filters panel" data-ref="open" aria-labelledby="open-title">
      <strong id="open-title">Open a run</strong>
      <label>Client (from)<input name="from" required autocomplete="off"></label>
      <label>Run job_id<input name="job_id" required autocomplete="off"></label>
      <button type="submit">Open run</button>
    </form>
    <form class="filters" data-ref="filters" aria-label="Filter runs">
      <label>From<input name="from" autocomplete="off"></label>
      <label>Phase<select name="phase"><option value="">any</option>${PHASES.map((p) => `<option>${p}</option>`).join('')}</select></label>
      <button type="submit" class="ghost">Filter</button>
    </form>
    <div data-ref="list" aria-live="polite"><p class="muted" aria-busy="true">Loading…</p></div>
    <p><button type="button" class="ghost" data-ref="more" hidden>Load more</button></p>`;
  const ref = (name) => root.querySelector(`[data-ref="${name}"]`);
  let gone = false;
  let filter = { from: '', phase: '' };
  let runs = [];
  let cursor = null;
  let reading = false;
  let again = false;
  let timer = null;

  ref('open').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    ctx.navigate(`#/runs/${seg(String(f.get('from')).trim())}/${seg(String(f.get('job_id')).trim())}`);
  });
  ref('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    filter = { from: String(f.get('from')).trim(), phase: String(f.get('phase')) };
    load(false);
  });
  ref('more').addEventListener('click', () => load(true));

  function query(next) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (filter.from) q.set('from', filter.from);
    if (filter.phase) q.set('phase', filter.phase);
    if (next) q.set('cursor', next);
    return `/console/api/runs?${q}`;
  }

  async function load(more) {
    if (reading) { again = true; return; }
    reading = true;
    try {
      const page = await get(query(more ? cursor : null));
      if (gone) return;
      runs = more ? runs.concat(page.runs || []) : (page.runs || []);
      cursor = page.next_cursor || null;
      draw();
    } catch (e) {
      if (gone) return;
      ref('more').hidden = true;
      ref('list').innerHTML = e instanceof ApiError && e.status === 404
        ? '<p class="muted" role="status">This server does not list runs yet (GET /console/api/runs answered 404). Open a run by its client and job_id above.</p>'
        : `<p class="error" role="alert">Could not list the runs: ${esc(e.message)}</p>`;
    } finally {
      reading = false;
      if (again && !gone) { again = false; load(false); }
    }
  }

  function draw() {
    ref('more').hidden = !cursor;
    if (!runs.length) {
      ref('list').innerHTML = '<p class="muted">No runs match.</p>';
      return;
    }
    ref('list').innerHTML = `<table><thead><tr><th>Run</th><th>From</th><th>Phase</th><th>Created</th><th>Finished</th></tr></thead><tbody>${
      runs.map((r) => `<tr><td><a href="#/runs/${seg(r.from)}/${seg(r.job_id)}">${esc(r.job_id)}</a></td><td>${esc(r.from)}</td>`
        + `<td>${stateBadge(r.phase)}</td><td>${time(r.created)}</td><td>${time(r.finished)}</td></tr>`).join('')
    }</tbody></table>`;
  }

  // A change to a run re-reads the first page, at most once a second (only when nothing more was loaded).
  const off = ctx.onRun(() => {
    if (timer || cursor && runs.length > PAGE) return;
    timer = setTimeout(() => { timer = null; if (!gone) load(false); }, 1000);
  });
  await load(false);
  return () => { gone = true; off(); if (timer) clearTimeout(timer); };
}
