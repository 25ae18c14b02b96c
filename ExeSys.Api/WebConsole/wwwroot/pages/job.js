// #/jobs/:from/:job_id: one job: its command, input, result or error, every attempt's error, its timeline and a runner's
// progress; re-run it as a new job, cancel it while it waits, start it now when it waits for its time, or stop a
// runner. Polls every 2 s while the job has not ended.
import { get, post, seg } from '../api.js';
import { esc, time, json, stateBadge } from '../util.js';
import { useStyles, poll, setHtml, problemText, alertHtml, rerun } from './ops.js';

export async function render(root, params, ctx) {
  useStyles();
  const { from, job_id: jobId } = params;
  const path = `${seg(from)}/${seg(jobId)}`;
  root.innerHTML = `
    <p><a href="#/jobs">← Jobs</a></p>
    <h1>Job <span class="mono">${esc(from)}/${esc(jobId)}</span></h1>
    <div class="actions operate" role="group" aria-label="Job actions">
      <button type="button" id="job-rerun">Re-run as a new job</button>
      <button type="button" id="job-run-now" hidden>Retry now</button>
      <button type="button" id="job-cancel" class="danger" hidden>Cancel job</button>
      <button type="button" id="job-stop" class="danger" hidden>Stop runner</button>
    </div>
    <div id="job-status" class="status" role="status" aria-live="polite"></div>
    <div id="job-body"><p class="muted">Loading…</p></div>`;
  const $ = (id) => root.querySelector(`#${id}`);
  let listing = null; // the job's row in GET /console/api/jobs (started, finished, queue), when that endpoint exists
  let listTried = false;
  let ended = false;
  let isRunner = false;

  const update = async () => {
    if (ended) return;
    let d;
    try {
      const job = await get(`/jobs/${path}?input=true`);
      d = { job, input: job.input, worker: job.worker };
    } catch (e) {
      setHtml($('job-body'), alertHtml(problemText(e)));
      $('job-rerun').hidden = true;
      ended = true;
      return;
    }
    const j = d.job;
    ended = j.state >= 3;
    if (!listTried || !ended) {
      listTried = true;
      try {
        const page = await get(`/console/api/jobs?from=${encodeURIComponent(from)}&prefix=${encodeURIComponent(jobId)}&limit=10`);
        listing = (page.jobs || []).find((r) => r.from === from && r.job_id === jobId) || null;
      } catch { listing = null; }
    }
    if (!ended) {
      try { isRunner = (await get('/runners')).some((r) => r.from === from && r.job_id === jobId); } catch { isRunner = false; }
    }
    // A forever runner is stopped; a job that waits (queued, delayed, in its backoff) is cancelled, and one that waits
    // for its time can start now. A graph node is controlled through its run's page.
    const waiting = j.state === 0 || j.state === 1;
    $('job-stop').hidden = ended || !isRunner;
    $('job-cancel').hidden = !waiting || j.cmd === 'workflow';
    $('job-run-now').hidden = !(j.state === 1 && j.retry_at);
    $('job-run-now').textContent = j.attempts > 0 ? 'Retry now' : 'Run now';
    const errors = j.errors || (j.error ? [j.error] : []);
    const facts = [
      ['State', stateBadge(j.state)],
      ['Client (from)', esc(j.from)],
      ['To', esc(j.to)],
      ['Function', esc(j.cmd)],
      ['Priority', esc(j.priority)],
      ['Queue', listing?.queue ? esc(listing.queue) : null],
      ['Attempts', esc(j.attempts)],
      ['Created', time(j.created)],
      ['Started', listing ? time(listing.started) : null],
      ['Finished', listing ? time(listing.finished) : null],
      ['Updated', time(j.updated)],
      ['Retry at', j.retry_at ? time(j.retry_at) : null],
      ['Worker', d.worker ? `<span class="mono">${esc(d.worker)}</span>` : (listing?.worker ? `<span class="mono">${esc(listing.worker)}</span>` : null)],
    ].filter(([, val]) => val != null);
    setHtml($('job-body'), `
      <div class="grid">
        <section class="panel" aria-labelledby="job-timeline"><h2 id="job-timeline">Timeline</h2>
          <dl class="facts">${facts.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>
          ${j.state === 1 && j.retry_at ? `<p class="muted">Waiting for another attempt at ${time(j.retry_at)}.</p>` : ''}
        </section>
        <section class="panel" aria-labelledby="job-input"><h2 id="job-input">Input data</h2>${json(d.input)}</section>
      </div>
      ${j.state === 3 ? `<section aria-labelledby="job-result"><h2 id="job-result">Result</h2>${json(j.data)}</section>` : ''}
      ${j.progress !== undefined ? `<section aria-labelledby="job-progress"><h2 id="job-progress">Progress</h2>${json(j.progress)}</section>` : ''}
      ${j.state === 4 ? `<section aria-labelledby="job-error"><h2 id="job-error">Error</h2><p class="error mono">${esc(j.error)}</p></section>` : ''}
      ${errors.length ? `<section aria-labelledby="job-attempts"><h2 id="job-attempts">Attempts' errors</h2>
        <ol class="errors" aria-labelledby="job-attempts">${errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ol></section>` : ''}`);
  };

  $('job-rerun').addEventListener('click', async () => {
    $('job-status').textContent = 'Submitting a new job…';
    try {
      const made = await rerun(from, jobId);
      $('job-status').textContent = '';
      ctx.navigate(`#/jobs/${encodeURIComponent(made.from)}/${encodeURIComponent(made.job_id)}`);
    } catch (e) {
      $('job-status').innerHTML = alertHtml(`Re-run failed: ${problemText(e)}`);
    }
  });
  const act = async (action, done, verb) => {
    try {
      const r = await post(`/jobs/${path}/${action}`);
      $('job-status').textContent = r.applied ? done : `Not ${verb}: ${r.detail}.`;
      ended = false;
      await update();
    } catch (e) {
      $('job-status').innerHTML = alertHtml(`${verb[0].toUpperCase()}${verb.slice(1)} failed: ${problemText(e)}`);
    }
  };
  $('job-cancel').addEventListener('click', () => act('cancel', 'Cancelled.', 'cancelled'));
  $('job-run-now').addEventListener('click', () => act('run-now', 'Due now: the next free worker that offers its function starts it.', 'started'));
  $('job-stop').addEventListener('click', async () => {
    try {
      const r = await post(`/jobs/${path}/stop`);
      $('job-status').textContent = r.applied ? 'Stop requested.' : `Not stopped: ${r.detail}.`;
    } catch (e) {
      $('job-status').innerHTML = alertHtml(`Stop failed: ${problemText(e)}`);
    }
  });

  return poll(update, 2000);
}
