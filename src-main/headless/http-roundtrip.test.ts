// The renderer's HTTP client against a real bridge, over real sockets with Node's fetch: the two
// halves of the HTTP transport agree on paths, headers, bodies, error mapping and the event stream.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type SynodApi, type SynodEvent } from '../../shared/api';
import { buildApi } from '../../shared/api-build';
import { httpClient } from '../../src-renderer/api/http-client';
import { startHttpBridge, type HttpBridge } from './http-bridge';

const TOKEN = 'roundtrip-token-0123456789';

let bridge: HttpBridge;
const listeners = new Set<(event: SynodEvent) => void>();
const served: SynodApi = buildApi(
  (method, args) => {
    if (method === 'block') return Promise.reject(new ApiError({ code: 'rejected', message: 'no such user', id: 'n1/3' }));
    return Promise.resolve({ method, args: args ?? null });
  },
  (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
);

beforeEach(async () => {
  bridge = await startHttpBridge({ api: served, port: 0, token: TOKEN, staticDir: null });
});

afterEach(async () => {
  await bridge.close();
});

describe('http client ↔ bridge', () => {
  it('calls methods, with and without arguments', async () => {
    const api = httpClient(bridge.url, TOKEN);
    expect(await api.timeline({ limit: 5 })).toEqual({ method: 'timeline', args: { limit: 5 } });
    expect(await api.status()).toEqual({ method: 'status', args: null });
  });

  it('carries errors across as ApiError', async () => {
    const api = httpClient(bridge.url, TOKEN);
    await expect(api.block({ user: 'ghost' })).rejects.toMatchObject({ code: 'rejected', message: 'no such user', id: 'n1/3' });
    await expect(api.block({ user: 'not valid!' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(httpClient(bridge.url, 'wrong-token-0123456789').status()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('streams events until unsubscribed', async () => {
    const seen: SynodEvent[] = [];
    const stop = httpClient(bridge.url, TOKEN).subscribe((event) => seen.push(event));
    await expect.poll(() => listeners.size).toBe(1);
    for (const listener of listeners) listener({ type: 'chosen', fromSlot: 7, toSlot: 9 });
    await expect.poll(() => seen).toEqual([{ type: 'chosen', fromSlot: 7, toSlot: 9 }]);
    stop();
    await expect.poll(() => listeners.size).toBe(0);
  });

  it('reports a stopped node as unavailable', async () => {
    const api = httpClient(bridge.url, TOKEN);
    await bridge.close();
    await expect(api.status()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('cannot reach the Synod node') as unknown });
    bridge = await startHttpBridge({ api: served, port: 0, token: TOKEN, staticDir: null });
  });
});
