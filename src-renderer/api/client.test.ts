import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_METHODS } from '../../shared/api';
import type { SynodBridge } from '../../shared/ipc';
import { connectApi } from './client';

afterEach(() => {
  document.head.querySelector('meta[name="synod-token"]')?.remove();
  vi.unstubAllGlobals();
});

describe('connectApi', () => {
  it('uses the preload bridge when there is one', async () => {
    const bridge = { onEvent: () => () => {} } as Record<string, unknown>;
    for (const method of API_METHODS) bridge[method] = vi.fn(() => Promise.resolve({ result: `${method} via ipc` }));
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const win = { synod: bridge as unknown as SynodBridge, document, location: window.location } as unknown as Window;
    expect(await connectApi(win).status()).toBe('status via ipc');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('otherwise uses HTTP on the page origin with the token from the meta tag', async () => {
    const meta = document.createElement('meta');
    meta.name = 'synod-token';
    meta.content = 'the-token-0123456789';
    document.head.append(meta);
    const fetch = vi.fn((_url: string, _init?: RequestInit) => Promise.resolve(new Response(JSON.stringify({ result: 'via http' }), { status: 200 })));
    vi.stubGlobal('fetch', fetch);
    expect(await connectApi().status()).toBe('via http');
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe(`${window.location.origin}/api/status`);
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer the-token-0123456789');
  });
});
