// The console's shell: login, navigation, the hash router and the one live feed. Each page is a module in pages/
// exporting render(root, params, ctx), which may return a cleanup function (called when the page is left).
import { get, post, setUnauthorizedHandler, ApiError } from './api.js';
import { esc } from './util.js';

// route pattern -> page module; ':name' captures one (URL-decoded) segment.
const ROUTES = [
  ['overview', 'overview', 'Overview'],
  ['jobs', 'jobs', 'Jobs'],
  ['jobs/:from/:job_id', 'job'],
  ['runs', 'runs', 'Workflows'],
  ['runs/:from/:job_id', 'run'],
  ['definitions', 'definitions', 'Definitions'],
  ['definitions/:name', 'definition'],
  ['workers', 'fleet', 'Workers'],
  ['modules', 'fleet'],
  ['functions', 'fleet'],
  ['runners', 'fleet'],
  ['queues', 'fleet', 'Queues'],
  ['history', 'history', 'History'],
  ['history/:from/:job_id', 'history'],
];

const main = document.getElementById('main');
let session = null;
let cleanup = null;
let feed = null;

// One EventSource per page load, shared by every page: 'run' events name the job_id of a run that changed.
class Feed {
  constructor() {
    this.listeners = new Set();
    this.source = new EventSource('/console/api/stream', { withCredentials: true });
    this.source.addEventListener('run', (e) => {
      let jobId;
      try { jobId = JSON.parse(e.data); } catch { return; }
      for (const fn of this.listeners) fn(jobId);
    });
  }
  onRun(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  close() { this.source.close(); }
}

const ctx = {
  get session() { return session; },
  can: (scope) => !!session && (session.scopes.includes(scope) || session.scopes.includes('admin')),
  navigate: (hash) => { location.hash = hash; },
  onRun: (fn) => (feed ? feed.onRun(fn) : () => {}),
};

function match(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    want.forEach((w, i) => {
      if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(parts[i]);
      else if (w !== parts[i]) ok = false;
    });
    if (ok) return { page, params, section: want[0] };
  }
  return null;
}

function renderNav(section) {
  const nav = document.getElementById('nav');
  nav.innerHTML = ROUTES.filter((r) => r[2]).map(([p, , label]) =>
    `<a href="#/${p}"${p === section ? ' aria-current="page"' : ''}>${esc(label)}</a>`).join('');
}

async function route() {
  if (!session) return;
  if (cleanup) { try { cleanup(); } catch { /* a page's cleanup never blocks the next page */ } cleanup = null; }
  const found = match(location.hash || '#/overview') || match('#/overview');
  renderNav(found.section);
  main.innerHTML = '<p class="muted" aria-busy="true">Loading…</p>';
  try {
    const mod = await import(`./pages/${found.page}.js`);
    main.innerHTML = '';
    cleanup = (await mod.render(main, { ...found.params, section: found.section }, ctx)) || null;
  } catch (e) {
    main.innerHTML = `<p class="error" role="alert">${esc(e instanceof ApiError ? e.message : `This page failed: ${e.message}`)}</p>`;
  }
}

function showLogin(message) {
  session = null;
  if (feed) { feed.close(); feed = null; }
  document.getElementById('login').hidden = false;
  main.hidden = true;
  document.getElementById('nav').innerHTML = '';
  document.getElementById('nav').hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  document.getElementById('login-error').textContent = message || '';
  document.getElementById('login-key').focus();
}

function startSession(s) {
  session = s;
  document.getElementById('login').hidden = true;
  document.getElementById('nav').hidden = false;
  main.hidden = false;
  document.getElementById('who').textContent = s.open ? 'open mode (no keys)' : `${s.name} · ${s.tenant} · ${s.scopes.join(', ')}`;
  document.getElementById('logout').hidden = s.open;
  document.body.classList.toggle('read-only', !ctx.can('operate'));
  feed = new Feed();
  route();
}

async function boot() {
  applyTheme(localStorage.getItem('exesys-theme'));
  document.getElementById('theme').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('exesys-theme', next);
    applyTheme(next);
  });
  document.getElementById('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = document.getElementById('login-key').value;
    try {
      const s = await post('/console/api/session', { key });
      document.getElementById('login-key').value = '';
      startSession(s);
    } catch (err) {
      document.getElementById('login-error').textContent = err.message;
    }
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await post('/console/api/logout').catch(() => {});
    showLogin('Logged out.');
  });
  setUnauthorizedHandler(() => showLogin('Your session has ended; log in again.'));
  window.addEventListener('hashchange', route);
  try {
    const s = await get('/console/api/session');
    if (s.authenticated) startSession(s);
    else showLogin(s.reason && document.cookie.includes('exesys_csrf') ? s.reason : '');
  } catch (e) {
    showLogin(e.message);
  }
}

function applyTheme(theme) {
  const dark = theme ? theme === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

boot();
