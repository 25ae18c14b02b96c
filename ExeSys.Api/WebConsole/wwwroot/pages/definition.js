// One named definition: its graph (neutral), its JSON to edit or upload and save (admin), and starting a run of it (submit).
import { get, put, del, post, seg, ApiError } from '../api.js';
import { esc } from '../util.js';
import { createGraphView, ensureCss, fromDefinition } from '../graph.js';

const TEMPLATE = {
  nodes: {
    first: { cmd: 'echo', data: { hello: 'world' }, next: ['end_job'] },
  },
};

// ProblemDetails as a person reads it: the detail, then each field's messages.
export function problemHtml(e) {
  if (!(e instanceof ApiError)) return esc(e.message || String(e));
  const p = e.problem || {};
  const parts = [`<strong>${esc(p.title || `Error ${e.status}`)}</strong>`];
  if (p.detail && p.detail !== p.title) parts.push(`<span>${esc(p.detail)}</span>`);
  if (p.field) parts.push(`<span>Field: <code>${esc(p.field)}</code></span>`);
  if (p.errors && typeof p.errors === 'object') {
    const items = Object.entries(p.errors).flatMap(([field, msgs]) =>
      (Array.isArray(msgs) ? msgs : [msgs]).map((m) => `<li><code>${esc(field)}</code>: ${esc(m)}</li>`));
    if (items.length) parts.push(`<ul>${items.join('')}</ul>`);
  }
  return parts.join(' ');
}

function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function render(root, params, ctx) {
  ensureCss();
  const name = params.name;
  const defs = await get('/workflows/definitions');
  const exists = Object.prototype.hasOwnProperty.call(defs, name);
  const admin = ctx.can('admin');
  const submit = ctx.can('submit');
  if (!exists && !admin) {
    root.innerHTML = `<p><a href="#/definitions">← Definitions</a></p><p class="error" role="alert">No workflow definition is named ${esc(name)}.</p>`;
    return null;
  }
  const original = JSON.stringify(exists ? defs[name] : TEMPLATE, null, 2);
  root.innerHTML = `
    <p><a href="#/definitions">← Definitions</a></p>
    <h1>Definition <code>${esc(name)}</code>${exists ? '' : ' <span class="muted">(new, not saved yet)</span>'}</h1>
    <section aria-label="Graph of the definition"><div data-ref="graph"></div></section>
    <div class="def-layout">
      <section class="panel" aria-labelledby="edit-title">
        <h2 id="edit-title">${admin ? 'Edit' : 'JSON'}</h2>
        ${admin ? `<p class="filters"><label>Upload a JSON file<input type="file" data-ref="file" accept=".json,application/json"></label></p>` : ''}
        <label for="def-json">Definition JSON</label>
        <textarea id="def-json" rows="22" spellcheck="false"${admin ? '' : ' readonly'}>${esc(original)}</textarea>
        <p class="muted" aria-live="polite" data-ref="hint"></p>
        <div class="error problem" role="alert" data-ref="save-error"></div>
        ${admin ? `<div class="actions">
          <button type="button" data-act="save">Save</button>
          <button type="button" class="ghost" data-act="reset">Reset</button>
          ${exists ? '<button type="button" class="ghost danger-text" data-act="delete">Delete…</button>' : ''}
          <span data-ref="confirm-delete" hidden><button type="button" class="danger" data-act="confirm-delete">Confirm delete</button></span>
          <span role="status" class="muted" data-ref="saved"></span>
        </div>` : ''}
      </section>
      ${submit ? `<section class="panel" aria-labelledby="start-title">
        <h2 id="start-title">Start a run</h2>
        <form data-ref="start" class="stack">
          <label>Client (from)<input name="from" required autocomplete="off" value="console"></label>
          <label>Run job_id<input name="job_id" required autocomplete="off" value="${esc(`${name}-${stamp()}`)}"></label>
          <label for="run-input">Run input (JSON)</label>
          <textarea id="run-input" name="data" rows="6" spellcheck="false">null</textarea>
          <p class="muted">The run uses the saved definition${admin ? '; save your edits first' : ''}.</p>
          <div class="error problem" role="alert" data-ref="start-error"></div>
          <p><button type="submit"${exists ? '' : ' disabled'}>Start run</button></p>
        </form>
      </section>` : ''}
    </div>`;
  const ref = (r) => root.querySelector(`[data-ref="${r}"]`);
  const text = root.querySelector('#def-json');
  const view = createGraphView(ref('graph'), { neutral: true, label: `Graph of definition ${name}` });

  let drawn = '';
  function preview() {
    let def;
    try {
      def = JSON.parse(text.value);
    } catch (e) {
      ref('hint').textContent = `Not valid JSON yet: ${e.message}`;
      return;
    }
    ref('hint').textContent = '';
    const g = fromDefinition(def);
    const key = JSON.stringify(g);
    if (key === drawn) return;
    drawn = key;
    view.setGraph(g.nodes, g.edges);
  }
  preview();

  let debounce = null;
  text.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(preview, 300);
  });

  ref('file')?.addEventListener('change', async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    text.value = await file.text();
    ref('save-error').innerHTML = '';
    ref('saved').textContent = `Loaded ${file.name}; not saved yet.`;
    preview();
  });

  root.querySelector('.def-layout .actions')?.addEventListener('click', async (e) => {
    const act = e.target.closest('button')?.dataset.act;
    if (!act) return;
    const errorBox = ref('save-error');
    if (act === 'reset') {
      text.value = original;
      errorBox.innerHTML = '';
      preview();
    } else if (act === 'save') {
      errorBox.innerHTML = '';
      ref('saved').textContent = 'Saving…';
      try {
        // The text goes as it is: the API checks it and says what is wrong, field by field.
        await put(`/workflows/definitions/${seg(name)}`, text.value);
        ref('saved').textContent = 'Saved.';
        root.querySelector('h1 .muted')?.remove();
        const start = root.querySelector('[data-ref="start"] button[type="submit"]');
        if (start) start.disabled = false;
      } catch (err) {
        ref('saved').textContent = '';
        errorBox.innerHTML = problemHtml(err);
      }
    } else if (act === 'delete') {
      ref('confirm-delete').hidden = false;
    } else if (act === 'confirm-delete') {
      try {
        await del(`/workflows/definitions/${seg(name)}`);
        ctx.navigate('#/definitions');
      } catch (err) {
        errorBox.innerHTML = problemHtml(err);
      }
    }
  });

  ref('start')?.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const errorBox = ref('start-error');
    errorBox.innerHTML = '';
    const from = String(f.get('from')).trim();
    const jobId = String(f.get('job_id')).trim();
    let input;
    try {
      input = JSON.parse(String(f.get('data')) || 'null');
    } catch (err) {
      errorBox.textContent = `The run input is not valid JSON: ${err.message}`;
      return;
    }
    try {
      await post('/workflows', { from, job_id: jobId, workflow: name, data: input });
      ctx.navigate(`#/runs/${seg(from)}/${seg(jobId)}`);
    } catch (err) {
      errorBox.innerHTML = problemHtml(err);
    }
  });

  return () => { clearTimeout(debounce); view.destroy(); };
}
