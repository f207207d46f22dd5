/**
 * The SynodApi over the headless node's HTTP bridge (src-main/headless/http-bridge.ts):
 * `POST /api/<method>` with the token as a Bearer header and the argument as JSON, and the event
 * stream read from `GET /api/events` with fetch streaming (EventSource cannot send headers, and the
 * bridge takes the token from the Authorization header only).
 *
 * Invariants:
 * - every call resolves with the result or rejects with an ApiError: the bridge's own error body when
 *   it sent one, otherwise a code derived from the HTTP status, and `unavailable` (with a readable
 *   message) when the node cannot be reached at all;
 * - a subscription keeps reconnecting, waiting 1 s after a failure and doubling up to 10 s (reset
 *   once a connection succeeds), until it is unsubscribed; then nothing more is fetched or delivered;
 * - malformed or unknown events are skipped, never delivered.
 */
import { ApiError, type ApiErrorCode, type ApiMethodName, type SynodApi, type SynodEvent } from '../../shared/api';
import { buildApi } from '../../shared/api-build';
import { isApiErrorBody, isSynodEvent, unwrapResponse } from '../../shared/api-wire';
import { SseParser } from './sse';

export interface HttpClientOptions {
  /** Defaults to the global fetch (looked up at call time, so tests can stub it). */
  readonly fetch?: typeof fetch;
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
}

export const MIN_RETRY_MS = 1_000;
export const MAX_RETRY_MS = 10_000;

function codeForStatus(status: number): ApiErrorCode {
  if (status === 401 || status === 403 || status === 421) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 409) return 'rejected';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid-argument';
  return 'internal';
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** Delivers an event without letting a throwing listener break the stream; its error is still reported. */
function deliver(listener: (event: SynodEvent) => void, event: SynodEvent): void {
  try {
    listener(event);
  } catch (error) {
    // reportError: the page's `error` event and the console, as an uncaught exception would.
    if (typeof globalThis.reportError === 'function') {
      globalThis.reportError(error);
    } else {
      setTimeout(() => {
        throw error;
      }, 0);
    }
  }
}

export function httpClient(baseUrl: string, token: string, options: HttpClientOptions = {}): SynodApi {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const minRetryMs = options.minRetryMs ?? MIN_RETRY_MS;
  const maxRetryMs = options.maxRetryMs ?? MAX_RETRY_MS;
  const authorization = `Bearer ${token}`;

  // The dashboard's pages are served with `Referrer-Policy: no-referrer`, under which browsers send
  // `Origin: null` on a POST; the bridge refuses any Origin but its own. A same-origin referrer policy
  // on the request itself makes the browser send the real origin (and still nothing cross-origin).
  const common: RequestInit = { cache: 'no-store', credentials: 'omit', referrerPolicy: 'same-origin' };

  async function call(method: ApiMethodName, args: unknown): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json' };
    const init: RequestInit = { ...common, method: 'POST', headers };
    if (args !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(args);
    }
    let response: Response;
    try {
      response = await doFetch(`${base}api/${method}`, init);
    } catch (error) {
      throw new ApiError({ code: 'unavailable', message: `${method}: cannot reach the Synod node at ${base} (${reasonOf(error)}); is it still running?` });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (response.ok) return unwrapResponse(body, method);
    if (typeof body === 'object' && body !== null && 'error' in body && isApiErrorBody(body.error)) throw new ApiError(body.error);
    throw new ApiError({ code: codeForStatus(response.status), message: `${method}: the node answered HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}` });
  }

  /** Reads one connection's event stream until it ends; throws when it cannot be opened. */
  async function readEvents(listener: (event: SynodEvent) => void, signal: AbortSignal, connected: () => void): Promise<void> {
    const response = await doFetch(`${base}api/events`, { ...common, headers: { Authorization: authorization, Accept: 'text/event-stream' }, signal });
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new Error(`event stream: HTTP ${response.status}`);
    }
    connected();
    const parser = new SseParser((data) => {
      let event: unknown;
      try {
        event = JSON.parse(data);
      } catch {
        return;
      }
      if (isSynodEvent(event) && !signal.aborted) deliver(listener, event);
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }));
    }
  }

  function subscribe(listener: (event: SynodEvent) => void): () => void {
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      let delay = minRetryMs;
      while (!signal.aborted) {
        try {
          await readEvents(listener, signal, () => {
            delay = minRetryMs;
          });
        } catch {
          // Refused, unreachable or dropped: all retried the same way.
        }
        if (signal.aborted) return;
        await sleep(delay, signal);
        delay = Math.min(delay * 2, maxRetryMs);
      }
    })();
    return () => {
      controller.abort();
    };
  }

  return buildApi(call, subscribe);
}
