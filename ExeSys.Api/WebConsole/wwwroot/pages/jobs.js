// #/jobs: every job of the key's tenant, filtered (state, client, function, queue, time range, job_id prefix) and paged
// by GET /console/api/jobs. The filters live in the hash (#/jobs?state=4&cmd=x) so a filtered list can be linked.
import { get, post, seg, ApiError } from '../api.js';
import { esc, time, stateBadge, STATES } from '../util.js';
import { useStyles, problemText, alertHtml, rerun } from './ops.js';

const FILTERS = ['state', 'from', 'cmd', 'queue', 'since', 'until', 'prefix'];

// datetime-local value (the browser's zone) <-> ISO 8601 for the API.
const toIso = (local) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

export async function render(root, params, ctx) {
  useStyles();
  const q = params.query || new URLSearchParams();
  const v = (k) => esc(q.get(k) || '');
  root.innerHTML = `
    <h1>Jobs</h1>
    <form class="filters" id="jobs-filters" role="search" aria-label="Filter jobs">
      <label for="f-prefix">job_id starts with<input id="f-prefix" name="prefix" value="${v('prefix')}" autocomplete="off"></label>
      <label for="f-state">State<select id="f-state" name="state"><option value="">any</option>${STATES.map((s, i) =>
        `<option value="${i}"${q.get('state') === String(i) ? ' selected' : ''}>${i} ${esc(s)}</option>`).join('')}</select></label>
      <label for="f-from">Client (from)<input id="f-from" name="from" value="${v('from')}" autocomplete="off"></label>
      <label for="f-cmd">Function<input id="f-cmd" name="cmd" value="${v('cmd')}" autocomplete="off"></label>
      <label for="f-queue">Queue<input id="f-queue" name="queue" value="${v('queue')}" autocomplete="off"></label>
      <label for="f-since">Created since<input id="f-since" name="since" type="datetime-local" value="${esc(toLocal(q.get('since')))}"></label>
      <label for="f-until">Created until<input id="f-until" name="until" type="datetime-local" value="${esc(toLocal(q.get('until')))}"></label>
      <button type="submit">Apply filters</button>
      <button type="button" class="ghost" id="f-clear">Clear filters</button>
    </form>
    <div class="actions operate" role="group" aria-label="Selected jobs">
      <button type="button" id="bulk-cancel" class="danger" disabled>Cancel selected</button>
      <button type="button" id="bulk-run-now" disabled>Retry selected now</button>
      <button type="button" id="bulk-stop" class="danger" disabled>Stop selected runners</button>
      <button type="button" id="bulk-rerun" disabled>Re-run selected</button>
    </div>
    <div id="jobs-status" class="status" role="status" aria-live="polite"></div>
    <div id="jobs-list"></div>
    <div class="pager"><button type="button" class="ghost" id="page-prev" disabled>Previous page</button><button type="button" class="ghost" id="page-next" disabled>Next page</button><span class="muted" id="page-info"></span></div>`;
  const $ = (id) => root.querySelector(`#${id}`);
  const form = $('jobs-filters');
  const cursors = [null]; // the cursor of each page shown so far; the last is the current page's
  let next = null;
  let rows = [];

  const filters = () => {
    const out = new URLSearchParams();
    for (const k of FILTERS) {
      const raw = form.elements[k].value.trim();
      const val = k === 'since' || k === 'until' ? toIso(raw) : raw;
      if (val) out.set(k, val);
    }
    return out;
  };

  const selected = () => rows.filter((r) => root.querySelector(`input[data-key="${CSS.escape(`${r.from}/${r.job_id}`)}"]`)?.checked);
  const syncBulk = () => {
    const n = selected().length;
    for (const [id, label] of [['bulk-cancel', 'Cancel selected'], ['bulk-run-now', 'Retry selected now']]) {
      $(id).disabled = n === 0;
      $(id).textContent = n ? `${label} (${n})` : label;
    }
    $('bulk-stop').disabled = n === 0;
    $('bulk-rerun').disabled = n === 0;
    $('bulk-stop').textContent = n ? `Stop selected runners (${n})` : 'Stop selected runners';
    $('bulk-rerun').textContent = n ? `Re-run selected (${n})` : 'Re-run selected';
  };

  const load = async () => {
    const query = filters();
    query.set('limit', '50');
    const cursor = cursors[cursors.length - 1];
    if (cursor) query.set('cursor', cursor);
    $('jobs-status').textContent = 'Loading…';
    let page;
    try {
      page = await get(`/console/api/jobs?${query}`);
    } catch (e) {
      $('jobs-status').textContent = '';
      $('jobs-list').innerHTML = alertHtml(e instanceof ApiError && e.status === 404
        ? 'The job list is not available on this server: GET /console/api/jobs answered 404 (it comes with a later version of the console).'
        : `The jobs could not be listed: ${problemText(e)}`);
      rows = [];
      next = null;
      updatePager();
      syncBulk();
      return;
    }
    rows = page.jobs || [];
    next = page.next_cursor || null;
    $('jobs-status').textContent = `${rows.length} job${rows.length === 1 ? '' : 's'} on this page${page.examined != null ? ` (${page.examined} examined)` : ''}.`;
    $('jobs-list').innerHTML = rows.length === 0 ? '<p class="muted">No jobs match these filters.</p>' : `
      <table aria-label="Jobs">
        <thead><tr><th scope="col" class="operate"><input type="checkbox" id="sel-all" aria-label="Select every job on this page"></th>
          <th scope="col">Job</th><th scope="col">State</th><th scope="col">Function</th><th scope="col">Queue</th><th scope="col" class="num">Attempts</th>
          <th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Error</th></tr></thead>
        <tbody>${rows.map((r) => {
          const key = `${r.from}/${r.job_id}`;
          return `<tr>
            <td class="operate"><input type="checkbox" data-key="${esc(key)}" aria-label="Select ${esc(key)}"></td>
            <td><a href="#/jobs/${encodeURIComponent(r.from)}/${encodeURIComponent(r.job_id)}">${esc(key)}</a></td>
            <td>${stateBadge(r.state ?? r.status)}</td><td>${esc(r.cmd)}</td><td>${esc(r.queue ?? '')}</td><td class="num">${esc(r.attempts ?? '')}</td>
            <td>${time(r.created)}</td><td>${time(r.updated)}</td><td class="mono">${esc(r.error ?? '')}</td></tr>`;
        }).join('')}</tbody></table>`;
    const all = $('sel-all');
    if (all) {
      all.addEventListener('change', () => {
        root.querySelectorAll('input[data-key]').forEach((c) => { c.checked = all.checked; });
        syncBulk();
      });
    }
    root.querySelectorAll('input[data-key]').forEach((c) => c.addEventListener('change', syncBulk));
    updatePager();
    syncBulk();
  };

  function updatePager() {
    $('page-prev').disabled = cursors.length <= 1;
    $('page-next').disabled = !next;
    $('page-info').textContent = `Page ${cursors.length}`;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const query = filters().toString();
    // The filters go into the address (shareable, kept on reload) without re-rendering the page.
    history.replaceState(null, '', `#/jobs${query ? `?${query}` : ''}`);
    cursors.length = 1;
    load();
  });
  $('f-clear').addEventListener('click', () => {
    form.reset();
    for (const k of FILTERS) form.elements[k].value = '';
    form.requestSubmit();
  });
  $('page-next').addEventListener('click', () => { if (next) { cursors.push(next); load(); } });
  $('page-prev').addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load(); } });

  // Acts on each selected job, reloads the page, and keeps the outcome in front of the list's own status line.
  const bulk = async (verb, act) => {
    const picked = selected();
    if (!picked.length) return;
    $('jobs-status').textContent = `${verb} ${picked.length} job(s)…`;
    const results = await Promise.allSettled(picked.map(act));
    const failed = results.map((r, i) => [r, picked[i]]).filter(([r]) => r.status === 'rejected');
    const outcome = `${verb}: ${picked.length - failed.length} done${failed.length ? `, ${failed.length} failed: ${failed.map(([r, j]) => `${j.from}/${j.job_id}: ${problemText(r.reason)}`).join('; ')}` : ''}.`;
    await load();
    $('jobs-status').textContent = `${outcome} ${$('jobs-status').textContent}`;
  };
  // Each job's own answer counts: one that has ended, runs, or does not wait for its time is reported, not retried.
  const each = (action) => async (r) => {
    const reply = await post(`/jobs/${seg(r.from)}/${seg(r.job_id)}/${action}`);
    if (!reply.applied) throw new Error(reply.detail);
  };
  $('bulk-cancel').addEventListener('click', () => bulk('Cancel', each('cancel')));
  $('bulk-run-now').addEventListener('click', () => bulk('Retry now', each('run-now')));
  $('bulk-stop').addEventListener('click', async () => {
    // Only forever runners stop: the others are reported, not sent.
    const runners = new Set((await get('/runners').catch(() => [])).map((r) => `${r.from}/${r.job_id}`));
    await bulk('Stop', async (r) => {
      if (!runners.has(`${r.from}/${r.job_id}`)) throw new Error('not a running forever runner (only runners can be stopped)');
      await each('stop')(r);
    });
  });
  $('bulk-rerun').addEventListener('click', () => bulk('Re-run', (r) => rerun(r.from, r.job_id)));

  await load();
  return null;
}
