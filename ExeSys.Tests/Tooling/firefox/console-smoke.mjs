// A smoke test of the ExeSys web console in Firefox: Debian's firefox-esr, headless, with a fresh temporary profile
// (puppeteer-core makes one per launch and deletes it on close), driven over WebDriver BiDi by puppeteer-core, which
// never downloads a browser. It logs in with an API key, opens every section's page, one job's page and one finished
// workflow run's page, and checks that each page draws (its h1 is visible, nothing is left "Loading…", no alert), that
// the job page shows its Result and that the run's SVG graph has one node element per node of the run (as the API
// reads it). Any uncaught exception in the page, any console error and any 5xx answer fails it.
//
//   node console-smoke.mjs --url http://127.0.0.1:PORT --job FROM/JOB_ID --run FROM/RUN_JOB_ID [--key KEY]
//
// The key may come from CONSOLE_API_KEY instead (so it is not on the command line), and likewise CONSOLE_URL,
// CONSOLE_JOB and CONSOLE_RUN; FIREFOX names the browser (default /usr/bin/firefox-esr). Prints one JSON line of
// results on stdout (progress goes to stderr) and exits 0 only when everything passed.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.CONSOLE_URL },
    key: { type: 'string', default: process.env.CONSOLE_API_KEY },
    job: { type: 'string', default: process.env.CONSOLE_JOB },
    run: { type: 'string', default: process.env.CONSOLE_RUN },
    firefox: { type: 'string', default: process.env.FIREFOX || '/usr/bin/firefox-esr' },
    // The whole run's budget (launch included); each page gets at most PAGE_TIMEOUT_MS of it.
    deadline: { type: 'string', default: '90' },
  },
});

const PAGE_TIMEOUT_MS = 15_000;
const started = Date.now();
const deadline = started + Number(opts.deadline) * 1000;
const result = { ok: false, browser: null, url: opts.url, pages: [], errors: [], ms: 0 };
let browser = null;

function finish(code) {
  result.ms = Date.now() - started;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = code;
}

function usage(message) {
  result.errors.push(`usage: ${message} (node console-smoke.mjs --url URL --job FROM/JOB_ID --run FROM/JOB_ID, key in CONSOLE_API_KEY or --key)`);
  finish(2);
}

// "from/job_id" -> [from, job_id] (the job_id may not hold a '/', the client may not either).
function ids(value) {
  const at = value.indexOf('/');
  return at > 0 && at < value.length - 1 ? [value.slice(0, at), value.slice(at + 1)] : null;
}

const log = (line) => process.stderr.write(`[console-smoke] ${line}\n`);
const left = () => Math.max(1, Math.min(PAGE_TIMEOUT_MS, deadline - Date.now()));
const hashOf = (...parts) => `#/${parts.map(encodeURIComponent).join('/')}`;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// Each section's page (the routes of ExeSys.Api/WebConsole/wwwroot/app.js) and the heading it draws. The "Workflows"
// section is the runs list, at #/runs.
const SECTIONS = [
  ['#/overview', 'Overview'],
  ['#/jobs', 'Jobs'],
  ['#/runs', 'Workflows'],
  ['#/definitions', 'Definitions'],
  ['#/workers', 'Workers'],
  ['#/modules', 'Modules'],
  ['#/functions', 'Functions'],
  ['#/runners', 'Runners'],
  ['#/queues', 'Queues'],
];

// Runs in the page: the state of #main once it has drawn the page whose h1 matches `heading` (a RegExp source), or
// false while it has not (no visible such h1 yet, or "Loading…" still shown).
function pageDrawn(heading) {
  const main = document.getElementById('main');
  const h1 = main && !main.hidden ? main.querySelector('h1') : null;
  if (!h1 || h1.getClientRects().length === 0 || getComputedStyle(h1).visibility === 'hidden') return false;
  const text = h1.textContent.replace(/\s+/g, ' ').trim();
  if (!new RegExp(heading).test(text)) return false;
  if (main.textContent.includes('Loading…')) return false;
  const alerts = [...main.querySelectorAll('[role="alert"]')].map((a) => a.textContent.trim()).filter(Boolean);
  return { heading: text, alerts };
}

async function visit(page, hash, heading, extra) {
  const entry = { hash, ok: false };
  result.pages.push(entry);
  const t0 = Date.now();
  try {
    if (Date.now() >= deadline) throw new Error('not visited: the deadline had passed');
    await page.evaluate((h) => { location.hash = h; }, hash);
    let drawn;
    try {
      drawn = await (await page.waitForFunction(pageDrawn, { timeout: left(), polling: 100 }, heading)).jsonValue();
    } catch (e) {
      const now = await page.evaluate(() => ({
        hash: location.hash,
        h1: document.querySelector('#main h1')?.textContent.trim() ?? null,
        main: (document.getElementById('main')?.innerText ?? '').slice(0, 300),
      }));
      throw new Error(`the page did not draw a heading matching /${heading}/ with nothing left loading (${e.message}); it shows ${JSON.stringify(now)}`);
    }
    entry.heading = drawn.heading;
    if (drawn.alerts.length) throw new Error(`the page shows an alert: ${drawn.alerts.join(' | ')}`);
    if (extra) await extra(entry);
    entry.ok = true;
    log(`ok ${hash} "${entry.heading}" (${Date.now() - t0} ms)`);
  } catch (e) {
    entry.error = e.message;
    log(`FAILED ${hash}: ${e.message}`);
  } finally {
    entry.ms = Date.now() - t0;
  }
}

async function readRun(from, jobId) {
  const reply = await fetch(new URL(`/workflows/${encodeURIComponent(from)}/${encodeURIComponent(jobId)}`, opts.url), {
    headers: { 'X-Api-Key': opts.key },
  });
  const text = await reply.text();
  if (!reply.ok) throw new Error(`GET /workflows/${from}/${jobId} answered ${reply.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function main() {
  if (!opts.url) return usage('no console URL');
  if (!opts.key) return usage('no API key');
  const job = ids(opts.job || '');
  const run = ids(opts.run || '');
  if (!job) return usage('--job must be FROM/JOB_ID');
  if (!run) return usage('--run must be FROM/JOB_ID');
  if (!existsSync(opts.firefox)) {
    result.errors.push(`${opts.firefox} is missing: install Debian's firefox-esr (apt-get install firefox-esr)`);
    return finish(1);
  }

  log(`launching ${opts.firefox}`);
  browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: opts.firefox,
    headless: true,
    defaultViewport: { width: 1400, height: 900 },
    timeout: 30_000,
  });
  result.browser = await browser.version();
  log(`${result.browser} up after ${Date.now() - started} ms`);
  const page = await browser.newPage();
  page.on('pageerror', (error) => result.errors.push(`page error: ${error?.stack || error?.message || String(error)}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location?.();
    result.errors.push(`console error: ${message.text()}${where?.url ? ` (${where.url}:${where.lineNumber == null ? '?' : where.lineNumber + 1})` : ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) result.errors.push(`HTTP ${response.status()} from ${response.request().method()} ${response.url()}`);
  });

  // Log in: the field labelled "API key", the "Log in" button, then the "Sections" navigation.
  const login = { hash: 'login', ok: false };
  result.pages.push(login);
  const t0 = Date.now();
  try {
    await page.goto(new URL('/console/', opts.url).toString(), { waitUntil: 'load', timeout: left() });
    const button = await page.waitForSelector('::-p-aria([name="Log in"][role="button"])', { visible: true, timeout: left() });
    // The label itself has that name too in Firefox's accessibility tree: take the form control.
    const named = await page.$$('::-p-aria([name="API key"])');
    let field = null;
    for (const handle of named) {
      if (!field && await handle.evaluate((el) => el.matches('input, textarea'))) field = handle;
    }
    if (!field) throw new Error('no field labelled "API key"');
    await field.type(opts.key);
    await button.click();
    const outcome = await (await page.waitForFunction(() => {
      if (!document.getElementById('nav').hidden) return 'in';
      const error = document.getElementById('login-error').textContent.trim();
      return error ? `refused: ${error}` : false;
    }, { timeout: left(), polling: 100 })).jsonValue();
    if (outcome !== 'in') throw new Error(`the login was ${outcome}`);
    await page.waitForSelector('::-p-aria([name="Sections"][role="navigation"])', { visible: true, timeout: left() });
    login.ok = true;
    log(`ok login (${Date.now() - t0} ms)`);
  } catch (e) {
    login.error = e.message;
    log(`FAILED login: ${e.message}`);
  } finally {
    login.ms = Date.now() - t0;
  }

  if (login.ok) {
    for (const [hash, heading] of SECTIONS) await visit(page, hash, `^${escapeRe(heading)}$`);

    const [jobFrom, jobId] = job;
    await visit(page, hashOf('jobs', jobFrom, jobId), `^Job ${escapeRe(`${jobFrom}/${jobId}`)}$`, async () => {
      await page.waitForSelector('::-p-aria([name="Result"][role="heading"])', { visible: true, timeout: left() })
        .catch((e) => { throw new Error(`no visible heading "Result" (${e.message})`); });
    });

    const [runFrom, runId] = run;
    await visit(page, hashOf('runs', runFrom, runId), `^Run ${escapeRe(runId)} from ${escapeRe(runFrom)}`, async (entry) => {
      const want = (await readRun(runFrom, runId)).nodes.map((n) => ({ name: n.name, state: n.status })).sort((a, b) => a.name.localeCompare(b.name));
      // The graph is drawn after the run's read: wait for one node element per node, each in the run's state.
      const check = await page.waitForFunction((expected) => {
        const svg = document.querySelector('#main section[aria-label="Graph"] svg.graph');
        if (!svg || svg.getClientRects().length === 0) return false;
        const got = [...svg.querySelectorAll('g.gnode:not(.end)')]
          .map((g) => ({ name: g.dataset.name, state: g.dataset.state, label: g.getAttribute('aria-label'), w: g.getBoundingClientRect().width }))
          .sort((a, b) => a.name.localeCompare(b.name));
        const same = got.length === expected.length && got.every((g, i) =>
          g.name === expected[i].name && g.state === expected[i].state && g.label === `Node ${g.name}: ${g.state}` && g.w > 0);
        return same ? got : false;
      }, { timeout: left(), polling: 100 }, want).catch(async (e) => {
        const got = await page.evaluate(() => [...document.querySelectorAll('#main svg.graph g.gnode')].map((g) => `${g.dataset.name}=${g.dataset.state}`));
        throw new Error(`the graph does not show one node element per node of the run (want ${JSON.stringify(want)}, drawn ${JSON.stringify(got)}; ${e.message})`);
      });
      entry.nodes = (await check.jsonValue()).map((n) => `${n.name}=${n.state}`);
    });
  }

  // Late errors (a poll, the live feed) still count.
  await new Promise((resolve) => { setTimeout(resolve, 500); });
  const passed = result.pages.length === SECTIONS.length + 3 && result.pages.every((p) => p.ok) && result.errors.length === 0;
  result.ok = passed;
  return finish(passed ? 0 : 1);
}

async function closeBrowser() {
  if (!browser) return;
  const b = browser;
  browser = null;
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, 5000); });
  await Promise.race([b.close().catch(() => {}), late]);
  clearTimeout(timer);
  const child = b.process();
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    result.errors.push(`stopped by ${signal}`);
    closeBrowser().finally(() => { finish(1); process.exit(1); });
  });
}

try {
  await main();
} catch (e) {
  result.errors.push(`smoke test crashed: ${e?.stack || e}`);
  finish(1);
} finally {
  await closeBrowser();
}
