// #/overview: the fleet at a glance, live. One request (GET /console/api/overview) at most once a second.
import { get } from '../api.js';
import { esc, duration } from '../util.js';
import { useStyles, poll, setHtml, lineChart, fmt, problemText, alertHtml } from './ops.js';

const SERIES = [
  ['submitted', 'Submitted'],
  ['finished', 'Finished'],
  ['failed', 'Failed'],
];

export async function render(root, params, ctx) {
  useStyles();
  root.innerHTML = `
    <h1>Overview</h1>
    <div id="ov-error" class="status"></div>
    <section class="grid" aria-label="Fleet">
      <div class="panel" role="group" aria-labelledby="ov-workers-label"><p class="stat-label" id="ov-workers-label">Live workers</p><p class="stat" id="ov-workers">—</p></div>
      <div class="panel" role="group" aria-labelledby="ov-controllers-label"><p class="stat-label" id="ov-controllers-label">Live controllers</p><p class="stat" id="ov-controllers">—</p></div>
      <div class="panel" role="group" aria-labelledby="ov-runners-label"><p class="stat-label" id="ov-runners-label">Runners</p><p class="stat" id="ov-runners">—</p></div>
      <div class="panel" role="group" aria-labelledby="ov-failures-label"><p class="stat-label" id="ov-failures-label">Failed attempts, last hour</p><p class="stat" id="ov-failures">—</p></div>
      <div class="panel" role="group" aria-labelledby="ov-backlog-label"><p class="stat-label" id="ov-backlog-label">Archive backlog</p><p class="stat" id="ov-backlog">—</p></div>
    </section>
    <section class="panel" aria-labelledby="ov-chart-title">
      <h2 id="ov-chart-title">Jobs per second</h2>
      <div id="ov-chart"></div>
      <ul class="legend" id="ov-legend"></ul>
      <p class="muted" id="ov-chart-note"></p>
    </section>
    <div class="grid">
      <section aria-labelledby="ov-queues-title"><h2 id="ov-queues-title">Queues</h2><div id="ov-queues"></div></section>
      <section aria-labelledby="ov-fail-title"><h2 id="ov-fail-title">Failures of the last hour</h2><div id="ov-fail"></div></section>
      <section aria-labelledby="ov-run-title"><h2 id="ov-run-title">Runners</h2><div id="ov-run"></div></section>
    </div>`;
  const $ = (id) => root.querySelector(`#${id}`);
  let lastChart = '';

  const update = async () => {
    let o;
    try {
      o = await get('/console/api/overview');
    } catch (e) {
      setHtml($('ov-error'), alertHtml(`The overview could not be read: ${problemText(e, 'The overview')}`));
      return;
    }
    setHtml($('ov-error'), '');
    const na = (v, why) => (v == null ? `<span class="muted" title="${esc(why)}">n/a</span>` : esc(v));
    const fleetOnly = 'Shown to admin keys of the default tenant only';
    setHtml($('ov-workers'), na(o.workers, fleetOnly));
    setHtml($('ov-controllers'), na(o.controllers, fleetOnly));
    setHtml($('ov-runners'), esc(o.runners.length));
    setHtml($('ov-failures'), o.failures_last_hour ? `<a href="#/jobs?state=4">${esc(o.failures_last_hour.total)}</a>` : na(null, fleetOnly));
    setHtml($('ov-backlog'), !o.history ? '<span class="muted">history off</span>' : na(o.archive_backlog, fleetOnly));

    // Rates: each minute's count over the seconds it covers (the current minute is partial).
    const times = o.minutes.map((m) => new Date(m.start).getTime());
    const shown = SERIES.filter(([k]) => o.fleet || k === 'submitted');
    const series = shown.map(([k, name]) => ({ name, cls: `series-${k}`, values: o.minutes.map((m) => (m[k] == null ? null : m[k] / m.seconds)) }));
    const key = JSON.stringify([times, series.map((s) => s.values)]);
    if (key !== lastChart) {
      lastChart = key;
      const label = `Jobs per second over the last ${o.minutes.length} minutes: ${shown.map(([, n]) => n.toLowerCase()).join(', ')}`;
      $('ov-chart').replaceChildren(lineChart(label, times, series, '/s'));
    }
    const current = o.minutes[o.minutes.length - 1] || {};
    setHtml($('ov-legend'), shown.map(([k, name]) =>
      `<li class="key-${k}">${esc(name)}: ${esc(fmt(current[k] == null ? null : current[k] / current.seconds))}/s this minute</li>`).join(''));
    setHtml($('ov-chart-note'), esc(`Counts are added every ${duration(o.flush_interval_ms)} by each process, so the last minute lags by up to that much. Finished and failed count attempts (a failed attempt may be retried).` +
      (o.fleet ? '' : ' This key sees its own tenant\'s submits only: the fleet\'s finished and failed counts are shown to admin keys of the default tenant.')));

    setHtml($('ov-queues'), o.queues.length === 0 ? '<p class="muted">No queues.</p>' : `
      <table><thead><tr><th scope="col">Queue</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Scheduled</th><th scope="col">Oldest wait</th></tr></thead>
      <tbody>${o.queues.map((q) => `<tr><th scope="row"><a href="#/queues">${esc(q.name)}</a>${q.paused ? ' <span class="badge state-paused">paused</span>' : ''}</th>
        <td class="num">${esc(q.depth)}</td><td class="num">${esc(q.in_flight)}</td><td class="num">${esc(q.scheduled)}</td><td>${esc(q.oldest_waiting_ms == null ? '—' : duration(q.oldest_waiting_ms))}</td></tr>`).join('')}</tbody></table>`);

    const fails = o.failures_last_hour ? Object.entries(o.failures_last_hour.functions).sort((a, b) => b[1] - a[1]) : null;
    setHtml($('ov-fail'), fails == null ? `<p class="muted">${esc(fleetOnly)}.</p>` : fails.length === 0 ? '<p class="muted">No failed attempts in the last hour.</p>' : `
      <table><thead><tr><th scope="col">Function</th><th scope="col" class="num">Failed attempts</th></tr></thead>
      <tbody>${fails.map(([f, n]) => `<tr><th scope="row"><a href="#/jobs?state=4&cmd=${encodeURIComponent(f)}">${esc(f)}</a></th><td class="num">${esc(n)}</td></tr>`).join('')}</tbody></table>`);

    setHtml($('ov-run'), o.runners.length === 0 ? '<p class="muted">No runners.</p>' : `
      <table><thead><tr><th scope="col">Runner</th>${o.fleet ? '<th scope="col">Worker</th>' : ''}</tr></thead>
      <tbody>${o.runners.map((r) => `<tr><td><a href="#/jobs/${encodeURIComponent(r.from)}/${encodeURIComponent(r.job_id)}">${esc(r.from)}/${esc(r.job_id)}</a></td>${o.fleet ? `<td class="mono">${esc(r.worker)}</td>` : ''}</tr>`).join('')}</tbody></table>`);
    root.querySelector('h1').title = `As of ${new Date(o.now).toISOString()}`;
  };

  return poll(update, 1000);
}
