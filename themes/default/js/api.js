// The edge API: JSON in and out, the Nomos error envelope as ApiError. A signed-out answer
// (401) outside /auth sends the visitor to sign in and back to where they were.
import { getConfig } from './config.js';

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.errors = body?.errors || [];
    this.code = this.errors[0]?.code || body?.code || null;
    this.field = this.errors[0]?.field || null;
    this.retryAfter = retryAfter;
  }
}

let base = '/api';
getConfig().then((c) => { base = c.apiBase || base; }, () => {});

export const apiUrl = (path) => new URL(`${base}${path}`, location.origin).href;

/** Where sign-in starts; `next` is where it lands afterwards. */
export const signInUrl = (next = location.pathname + location.search + location.hash) =>
  `/login/?next=${encodeURIComponent(next)}`;

export async function api(path, { method = 'GET', body, query, signal } = {}) {
  await getConfig().catch(() => {});
  const url = new URL(apiUrl(path));
  for (const [k, v] of Object.entries(query || {})) {
    for (const item of [v].flat()) if (item !== undefined && item !== null && item !== '') url.searchParams.append(k, item);
  }
  let res;
  try {
    res = await fetch(url, {
      method,
      signal,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { message: String(err) }, null);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.ok) return data;
  if (res.status === 401 && !path.startsWith('/auth/') && path !== '/session') {
    location.assign(signInUrl());
    return new Promise(() => {});
  }
  const after = Number(res.headers.get('Retry-After'));
  throw new ApiError(res.status, data, Number.isFinite(after) && after > 0 ? after : null);
}
