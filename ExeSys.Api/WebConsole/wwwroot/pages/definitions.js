// Named workflow definitions: the list, and (admin) a new one by name.
import { get, seg } from '../api.js';
import { esc } from '../util.js';
import { ensureCss } from '../graph.js';

export async function render(root, params, ctx) {
  ensureCss();
  const defs = await get('/workflows/definitions');
  const names = Object.keys(defs).sort();
  const admin = ctx.can('admin');
  root.innerHTML = `
    <h1>Definitions</h1>
    ${admin ? `<form class="filters panel" data-ref="new">
      <label>New definition name<input name="name" required autocomplete="off" pattern="[^/]+"></label>
      <button type="submit">Create</button>
    </form>` : ''}
    ${names.length ? `<table><thead><tr><th>Name</th><th>Nodes</th><th>Start</th><th>Functions</th></tr></thead><tbody>${
      names.map((name) => {
        const d = defs[name] || {};
        const nodes = d.nodes && typeof d.nodes === 'object' ? Object.entries(d.nodes) : [];
        const cmds = [...new Set(nodes.map(([, n]) => n?.cmd).filter(Boolean))];
        const start = Array.isArray(d.start) ? d.start.join(', ') : '<span class="muted">(nodes without predecessors)</span>';
        return `<tr><td><a href="#/definitions/${seg(name)}">${esc(name)}</a></td><td>${nodes.length}</td><td>${Array.isArray(d.start) ? esc(start) : start}</td>`
          + `<td>${esc(cmds.slice(0, 8).join(', '))}${cmds.length > 8 ? '…' : ''}</td></tr>`;
      }).join('')
    }</tbody></table>` : '<p class="muted">No definitions yet.</p>'}`;
  root.querySelector('[data-ref="new"]')?.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = String(new FormData(e.target).get('name')).trim();
    if (name) ctx.navigate(`#/definitions/${seg(name)}`);
  });
}
