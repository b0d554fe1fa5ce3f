import { currentToken } from './auth.ts';

export class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** a JSON request that has not been answered (body included) in this long fails, so its caller's
 * retry or next refresh takes over instead of waiting forever (a proxy holding a dead upstream) */
export const requestTimeoutMs = 15_000;
/** an export may be large and slow: it gets longer */
const blobTimeoutMs = 60_000;

/** GET a JSON API with the bearer token; rejects after `timeoutMs` without a complete answer. */
export async function getJson<T>(path: string, timeoutMs = requestTimeoutMs): Promise<T> {
  return withTimeout(timeoutMs, async (signal) => {
    const res = await fetch(path, { headers: authHeaders(), signal });
    if (!res.ok) throw new HttpError(res.status);
    return (await res.json()) as T;
  });
}

/** POST a JSON body to an API with the bearer token and read its JSON answer; same timeout. */
export async function postJson<T>(path: string, body: unknown, timeoutMs = requestTimeoutMs): Promise<T> {
  return withTimeout(timeoutMs, async (signal) => {
    const res = await fetch(path, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw new HttpError(res.status);
    return (await res.json()) as T;
  });
}

export async function getBlob(path: string): Promise<Blob> {
  return withTimeout(blobTimeoutMs, async (signal) => {
    const res = await fetch(path, { headers: authHeaders(), signal });
    if (!res.ok) throw new HttpError(res.status);
    return res.blob();
  });
}

/**
 * Runs `request` with a signal aborted after `ms` (like AbortSignal.timeout, but on the page's own
 * timer, cleared as soon as the request settles).
 */
async function withTimeout<T>(ms: number, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer in ${ms} ms`, 'TimeoutError')), ms);
  try {
    return await request(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

function authHeaders(): Record<string, string> {
  const token = currentToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}
