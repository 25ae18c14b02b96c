// Every call the console makes: same origin, the session cookie, and on writes the CSRF token from its cookie.
// A failed call throws an ApiError carrying the API's ProblemDetails, so pages can show its detail and errors.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)exesys_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['Content-Type'] = 'application/json';
    headers['X-CSRF-Token'] = csrf();
  }
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? (method === 'GET' || method === 'HEAD' ? undefined : '{}') : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/console/api/session')) onUnauthorized();
    throw new ApiError(res.status, typeof data === 'object' ? data : { detail: String(data || res.statusText) });
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

// The API's path segments (from, job_id, names) are URL-encoded.
export const seg = (s) => encodeURIComponent(s);
