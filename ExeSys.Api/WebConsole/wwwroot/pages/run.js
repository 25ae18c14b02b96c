// One workflow run: its graph coloured by state (live), a node's details, a timeline, and pause/resume/cancel.
import { get, post, seg, ApiError } from '../api.js';
import { esc, time, duration, stateBadge, json } from '../util.js';
import { createGraphView, ensureCss, conditionText } from '../graph.js';
import { renderGantt } from '../gantt.js';

const MIN_REFRESH_MS = 250; // at most four reads a second, however many nodes change

export async function render(root, params, ctx) {
  ensureCss();
  const from = params.from;
  const jobId = params.job_id;
  const path = `/workflows/${seg(from)}/${seg(jobId)}`;
  root.innerHTML = `
    <p><a href="#/runs">← Workflows</a></p>
    <h1>Run <code>${esc(jobId)}</code> <span class="muted">from ${esc(from)}</span> <span data-ref="phase"></span></h1>
    <div class="run-meta muted" data-ref="meta"></div>
    <div class="actions">
      <button type="button" class="operate" data-act="pause" hidden>Pause</button>
      <button type="button" class="operate" data-act="resume" hidden>Resume</button>
      <button type="button" class="operate danger" data-act="cancel" hidden>Cancel run</button>
      <span class="operate" data-ref="confirm" hidden>
        <button type="button" class="danger" data-act="confirm-cancel">Confirm cancel</button>
        <button type="button" class="ghost" data-act="keep">Keep running</button>
      </span>
      <span role="status" class="muted" data-ref="status"></span>
    </div>
    <p class="error" role="alert" data-ref="error"></p>
    <div class="run-layout">
      <section aria-label="Graph" class="run-graph">
        <div data-ref="legend" class="legend"></div>
        <div data-ref="graph"></div>
      </section>
      <aside class="panel run-detail" aria-labelledby="detail-title" data-ref="detail">
        <h2 id="detail-title">Node</h2>
        <p class="muted">Select a node (click it, or Tab to it and press Enter) to see its data, result and times.</p>
      </aside>
    </div>
    <section aria-labelledby="result-title" data-ref="result-section" hidden>
      <h2 id="result-title">Result</h2>
      <div data-ref="result"></div>
    </section>
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <div class="gantt-wrap" data-ref="gantt"></div>
    </section>`;
  const ref = (name) => root.querySelector(`[data-ref="${name}"]`);
  ref('legend').innerHTML = ['start', 'standby', 'processing', 'data_available', 'error', 'skipped']
    .map((s) => `<span class="legend-item"><span class="legend-swatch" data-state="${s}"></span>${esc(s)}</span>`).join('');

  let data = null;
  let structure = '';
  let selected = null;
  let detailKey = '';
  let detailSeq = 0;
  let gone = false;
  let inflight = false;
  let dirty = false;
  let lastRead = 0;
  let timer = null;

  const view = createGraphView(ref('graph'), { onSelect: select, label: `Graph of run ${jobId}` });

  function nodeByName(name) { return data?.nodes.find((n) => n.name === name); }

  function select(name) {
    selected = name;
    view.select(name);
    detailKey = '';
    showDetail();
  }

  function edgesOf(nodes) {
    const edges = [];
    for (const n of nodes) {
      const list = Array.isArray(n.edges) ? n.edges : (n.next || []).map((to) => ({ to, when: null }));
      for (const e of list) edges.push({ from: n.name, to: e.to, when: e.when || null });
    }
    return edges;
  }

  async function read() {
    if (gone) return;
    inflight = true;
    lastRead = Date.now();
    try {
      const reply = await get(path);
      if (gone) return;
      ref('error').textContent = '';
      apply(reply);
    } catch (e) {
      if (gone) return;
      if (e instanceof ApiError && e.status === 404 && !data) {
        root.querySelector('.run-layout').hidden = true;
        ref('error').textContent = e.message;
      } else {
        ref('error').textContent = `Could not read the run: ${e.message}`;
      }
    } finally {
      inflight = false;
      if (dirty && !gone) { dirty = false; schedule(); }
    }
  }

  // Called for every change the live feed reports; coalesces them into at most one read per MIN_REFRESH_MS.
  function schedule() {
    if (gone) return;
    if (inflight) { dirty = true; return; }
    if (timer) return;
    timer = setTimeout(() => { timer = null; read(); }, Math.max(0, lastRead + MIN_REFRESH_MS - Date.now()));
  }

  function apply(reply) {
    data = reply;
    const run = reply.run;
    ref('phase').innerHTML = stateBadge(reply.phase);
    const counts = {};
    for (const n of reply.nodes) counts[n.status] = (counts[n.status] || 0) + 1;
    const summary = Object.entries(counts).map(([s, c]) => `${c} ${s}`).join(', ');
    ref('meta').innerHTML = `${reply.nodes.length} nodes (${esc(summary)}) · created ${time(run.created)} · updated ${time(run.updated)}`;
    const active = reply.phase === 'running' || reply.phase === 'paused';
    root.querySelector('[data-act="pause"]').hidden = reply.phase !== 'running';
    root.querySelector('[data-act="resume"]').hidden = reply.phase !== 'paused';
    root.querySelector('[data-act="cancel"]').hidden = !active;
    if (!active) ref('confirm').hidden = true;

    const key = reply.nodes.map((n) => `${n.name}>${(n.edges || n.next || []).map((e) => (typeof e === 'string' ? e : `${e.to}?${JSON.stringify(e.when)}`)).join(',')}`).join('|');
    const nodes = reply.nodes.map((n) => ({ name: n.name, cmd: n.cmd, status: n.status }));
    if (key !== structure) {
      structure = key;
      view.setGraph(nodes, edgesOf(reply.nodes));
      if (selected) view.select(selected);
    } else {
      view.update(nodes);
    }
    renderGantt(ref('gantt'), reply.nodes, { onSelect: select });

    const done = run.state === 3 || run.state === 4;
    ref('result-section').hidden = !done;
    if (done) {
      ref('result').innerHTML = run.state === 3
        ? json(run.data ?? null)
        : `<p class="error">${esc(run.error || 'The run failed.')}</p>${run.errors ? json(run.errors) : ''}`;
    }
    if (selected) showDetail();
  }

  // The node's summary from the run's read, then its job (data, result, errors) whenever its state has moved on.
  function showDetail() {
    const n = nodeByName(selected);
    const box = ref('detail');
    if (!n) return;
    const took = n.started ? duration((n.finished ? Date.parse(n.finished) : Date.now()) - Date.parse(n.started)) : '—';
    const edges = (n.edges || (n.next || []).map((to) => ({ to, when: null })))
      .map((e) => `<li>${esc(e.to)}${e.when ? ` <span class="muted">when ${esc(conditionText(e.when))}</span>` : ''}</li>`).join('');
    const key = `${n.name}|${n.status}|${n.attempts}|${n.finished || ''}`;
    const keep = key === detailKey ? box.querySelector('[data-ref="job"]')?.innerHTML : null;
    box.innerHTML = `
      <h2 id="detail-title">Node <code>${esc(n.name)}</code> ${stateBadge(n.status)}</h2>
      <dl class="kv">
        <dt>Function</dt><dd><code>${esc(n.cmd)}</code></dd>
        <dt>Attempts</dt><dd>${esc(n.attempts)}</dd>
        <dt>Started</dt><dd>${time(n.started)}</dd>
        <dt>Finished</dt><dd>${time(n.finished)}</dd>
        <dt>Took</dt><dd>${esc(took)}</dd>
        <dt>Leads to</dt><dd><ul class="plain">${edges || '<li class="muted">nothing</li>'}</ul></dd>
      </dl>
      ${n.error ? `<h3>Error</h3><p class="error">${esc(n.error)}</p>` : ''}
      <div data-ref="job">${keep ?? '<p class="muted" aria-busy="true">Loading the node\'s data…</p>'}</div>
      <p><a href="#/jobs/${seg(n.name)}/${seg(jobId)}">Open as a job</a></p>`;
    if (key === detailKey) return;
    detailKey = key;
    const seq = ++detailSeq;
    get(`/jobs/${seg(n.name)}/${seg(jobId)}?input=true`).then((job) => {
      if (gone || seq !== detailSeq) return;
      const target = ref('detail').querySelector('[data-ref="job"]');
      if (!target) return;
      target.innerHTML = `
        <h3>Data</h3>${json(job.input ?? null)}
        <h3>Result</h3>${job.state === 3 ? json(job.data ?? null) : '<p class="muted">No result yet.</p>'}
        ${job.progress !== undefined ? `<h3>Progress</h3>${json(job.progress)}` : ''}
        ${job.errors ? `<h3>Errors of each attempt</h3>${json(job.errors)}` : ''}
        ${job.error && !n.error ? `<h3>Last error</h3><p class="error">${esc(job.error)}</p>` : ''}
        ${job.retry_at ? `<p>Next attempt at ${time(job.retry_at)}</p>` : ''}`;
    }).catch((e) => {
      if (gone || seq !== detailSeq) return;
      const target = ref('detail').querySelector('[data-ref="job"]');
      if (target) target.innerHTML = `<p class="muted">${esc(e.status === 404 ? 'This node has no job record (it never ran, or its retention has passed).' : e.message)}</p>`;
    });
  }

  async function act(action) {
    const status = ref('status');
    status.textContent = `${action}…`;
    ref('error').textContent = '';
    try {
      const r = await post(`${path}/${action}`);
      status.textContent = r.applied ? `${action}: done, the run is ${r.phase}.` : `Nothing to ${action}: the run is ${r.phase}.`;
    } catch (e) {
      status.textContent = '';
      ref('error').textContent = `${action} failed: ${e.message}`;
    }
    schedule();
  }

  root.querySelector('.actions').addEventListener('click', (e) => {
    const a = e.target.closest('button')?.dataset.act;
    if (!a) return;
    if (a === 'cancel') { ref('confirm').hidden = false; root.querySelector('[data-act="confirm-cancel"]').focus(); return; }
    if (a === 'keep') { ref('confirm').hidden = true; return; }
    if (a === 'confirm-cancel') { ref('confirm').hidden = true; act('cancel'); return; }
    act(a);
  });

  const off = ctx.onRun((changed) => { if (changed === jobId) schedule(); });
  await read();

  return () => {
    gone = true;
    if (timer) clearTimeout(timer);
    off();
    view.destroy();
  };
}
