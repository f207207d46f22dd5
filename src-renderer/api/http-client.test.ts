import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SynodEvent } from '../../shared/api';
import { httpClient } from './http-client';
import { rejection } from '../../test/support/renderer/rejection';

const BASE = 'http://127.0.0.1:4321';
const TOKEN = 'tok-0123456789abcdef';

type FetchArgs = [input: string | URL | Request, init?: RequestInit];

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function fakeFetch(answer: (...args: FetchArgs) => Promise<Response>) {
  return vi.fn((...args: FetchArgs) => answer(...args));
}

/** An event stream response whose body the test writes to. */
function streamResponse() {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('httpClient calls', () => {
  it('POSTs JSON with the Bearer token and returns the result', async () => {
    const fetch = fakeFetch(() => Promise.resolve(jsonResponse(200, { result: { id: 'n1/1', slot: 4 } })));
    const api = httpClient(BASE, TOKEN, { fetch });
    expect(await api.tweet({ text: 'hello' })).toEqual({ id: 'n1/1', slot: 4 });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe(`${BASE}/api/tweet`);
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"text":"hello"}');
    expect(init?.credentials).toBe('omit');
    expect(init?.referrerPolicy).toBe('same-origin');
    const headers = new Headers(init?.headers);
    expect(headers.get('Authorization')).toBe(`Bearer ${TOKEN}`);
    expect(headers.get('Content-Type')).toBe('application/json');
  });

  it('sends no body (and no content type) for a method without arguments', async () => {
    const fetch = fakeFetch(() => Promise.resolve(jsonResponse(200, { result: [] })));
    expect(await httpClient(`${BASE}/`, TOKEN, { fetch }).users()).toEqual([]);
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe(`${BASE}/api/users`);
    expect(init?.body).toBeUndefined();
    expect(new Headers(init?.headers).has('Content-Type')).toBe(false);
  });

  it("throws the bridge's error body as ApiError", async () => {
    const fetch = fakeFetch(() => Promise.resolve(jsonResponse(503, { error: { code: 'pending', message: 'no quorum', id: 'n1/9' } })));
    expect(await rejection(httpClient(BASE, TOKEN, { fetch }).tweet({ text: 'x' }))).toMatchObject({ code: 'pending', message: 'no quorum', id: 'n1/9' });
  });

  it('derives an error from the status when there is no error body', async () => {
    const cases: [number, string][] = [
      [401, 'unauthorized'],
      [404, 'not-found'],
      [413, 'invalid-argument'],
      [502, 'unavailable'],
      [500, 'internal'],
    ];
    for (const [status, code] of cases) {
      const fetch = fakeFetch(() => Promise.resolve(new Response('<html>nope</html>', { status, statusText: 'Nope' })));
      const error = await rejection(httpClient(BASE, TOKEN, { fetch }).status());
      expect(error.code, String(status)).toBe(code);
      expect(error.message).toBe(`status: the node answered HTTP ${status} Nope`);
    }
    const odd = fakeFetch(() => Promise.resolve(jsonResponse(200, { neither: 1 })));
    expect(await rejection(httpClient(BASE, TOKEN, { fetch: odd }).status())).toMatchObject({ code: 'internal', message: 'status: malformed response' });
  });

  it('turns a network failure into unavailable with a readable message', async () => {
    const fetch = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const error = await rejection(httpClient(BASE, TOKEN, { fetch }).peers());
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(`peers: cannot reach the Synod node at ${BASE}/ (Failed to fetch); is it still running?`);
  });

  it('uses the global fetch by default', async () => {
    const fetch = fakeFetch(() => Promise.resolve(jsonResponse(200, { result: 'ok' })));
    vi.stubGlobal('fetch', fetch);
    try {
      expect(await httpClient(BASE, TOKEN).faults()).toBe('ok');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('httpClient.subscribe', () => {
  it('streams events with the token, skipping comments and malformed events', async () => {
    const stream = streamResponse();
    const fetch = fakeFetch(() => Promise.resolve(stream.response));
    const seen: SynodEvent[] = [];
    const stop = httpClient(BASE, TOKEN, { fetch }).subscribe((event) => seen.push(event));

    stream.write(': connected\n\n');
    stream.write('data: {"type":"chosen","fromSlot":1,"toSlot":2}\n\n');
    stream.write('data: not json\n\n');
    stream.write('data: {"type":"mystery"}\n\n');
    stream.write('data: {"type":"chosen","fromSlot":"x","toSlot":2}\n\n: keepalive\n\n');
    stream.write('data: {"type":"trace","mess');
    stream.write('ages":[]}\n\n');
    await vi.waitFor(() => {
      expect(seen).toEqual([
        { type: 'chosen', fromSlot: 1, toSlot: 2 },
        { type: 'trace', messages: [] },
      ]);
    });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe(`${BASE}/api/events`);
    expect(new Headers(init?.headers).get('Authorization')).toBe(`Bearer ${TOKEN}`);

    stop();
    expect(init?.signal?.aborted).toBe(true);
    stream.write('data: {"type":"chosen","fromSlot":3,"toSlot":3}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toHaveLength(2);
  });

  it('reconnects with backoff from 1 s doubling to 10 s until unsubscribed', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const at: number[] = [];
    const fetch = fakeFetch(() => {
      at.push(Date.now() - start);
      return Promise.reject(new TypeError('Failed to fetch'));
    });
    const stop = httpClient(BASE, TOKEN, { fetch }).subscribe(() => {});
    await vi.advanceTimersByTimeAsync(40_000);
    expect(at).toEqual([0, 1_000, 3_000, 7_000, 15_000, 25_000, 35_000]);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(at).toHaveLength(7);
  });

  it('retries refused streams too, and starts over at 1 s after a successful connection', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const at: number[] = [];
    const streams: ReturnType<typeof streamResponse>[] = [];
    const fetch = fakeFetch(() => {
      at.push(Date.now() - start);
      if (at.length <= 3) return Promise.resolve(jsonResponse(401, { error: { code: 'unauthorized', message: 'no' } }));
      const stream = streamResponse();
      streams.push(stream);
      return Promise.resolve(stream.response);
    });
    const seen: SynodEvent[] = [];
    const stop = httpClient(BASE, TOKEN, { fetch }).subscribe((event) => seen.push(event));
    await vi.advanceTimersByTimeAsync(7_000);
    expect(at).toEqual([0, 1_000, 3_000, 7_000]);
    streams[0]?.write('data: {"type":"chosen","fromSlot":1,"toSlot":1}\n\n');
    streams[0]?.end(); // the node restarted
    await vi.advanceTimersByTimeAsync(999);
    expect(at).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(at).toEqual([0, 1_000, 3_000, 7_000, 8_000]);
    expect(seen).toEqual([{ type: 'chosen', fromSlot: 1, toSlot: 1 }]);
    stop();
  });

  it('keeps the stream going when a listener throws, and reports the error', async () => {
    const stream = streamResponse();
    const fetch = fakeFetch(() => Promise.resolve(stream.response));
    const reportError = vi.fn();
    vi.stubGlobal('reportError', reportError);
    try {
      const seen: number[] = [];
      const stop = httpClient(BASE, TOKEN, { fetch }).subscribe((event) => {
        if (event.type !== 'chosen') return;
        seen.push(event.fromSlot);
        if (event.fromSlot === 1) throw new Error('listener bug');
      });
      stream.write('data: {"type":"chosen","fromSlot":1,"toSlot":1}\n\ndata: {"type":"chosen","fromSlot":2,"toSlot":2}\n\n');
      await vi.waitFor(() => {
        expect(seen).toEqual([1, 2]);
      });
      expect(reportError).toHaveBeenCalledWith(new Error('listener bug'));
      stop();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
