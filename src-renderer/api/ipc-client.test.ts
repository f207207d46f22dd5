import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, type SynodEvent } from '../../shared/api';
import type { SynodBridge } from '../../shared/ipc';
import { ipcClient } from './ipc-client';
import { rejection } from '../../test/support/renderer/rejection';

function fakeBridge(answer: (method: string, args: unknown) => Promise<unknown>) {
  const listeners = new Set<(event: SynodEvent) => void>();
  const bridge: Record<string, unknown> = {
    onEvent: (listener: (event: SynodEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  for (const method of API_METHODS) bridge[method] = vi.fn((args?: unknown) => answer(method, args));
  return { bridge: bridge as unknown as SynodBridge, listeners };
}

describe('ipcClient', () => {
  it('unwraps results and passes arguments through', async () => {
    const { bridge } = fakeBridge((method, args) => Promise.resolve({ result: { method, args } }));
    const api = ipcClient(bridge);
    expect(await api.tweet({ text: 'hi' })).toEqual({ method: 'tweet', args: { text: 'hi' } });
    expect(await api.status()).toEqual({ method: 'status', args: undefined });
  });

  it('throws error responses as ApiError with code and id', async () => {
    const { bridge } = fakeBridge(() => Promise.resolve({ error: { code: 'pending', message: 'no quorum', id: 'n1/2' } }));
    const error = await rejection(ipcClient(bridge).block({ user: 'bob' }));
    expect(error).toMatchObject({ code: 'pending', message: 'no quorum', id: 'n1/2' });
  });

  it('turns a failing bridge into unavailable and garbage into internal', async () => {
    const failing = fakeBridge(() => Promise.reject(new Error('gone')));
    expect(await rejection(ipcClient(failing.bridge).users())).toMatchObject({ code: 'unavailable', message: "users: the app's bridge failed (gone)" });
    for (const garbage of [undefined, null, 'x', {}, { error: { code: 'nope', message: 'x' } }, { error: 'x' }]) {
      const odd = fakeBridge(() => Promise.resolve(garbage));
      expect(await rejection(ipcClient(odd.bridge).peers()), JSON.stringify(garbage)).toMatchObject({ code: 'internal' });
    }
  });

  it('subscribes through onEvent', () => {
    const { bridge, listeners } = fakeBridge(() => Promise.resolve({ result: null }));
    const seen: SynodEvent[] = [];
    const stop = ipcClient(bridge).subscribe((event) => seen.push(event));
    for (const listener of listeners) listener({ type: 'chosen', fromSlot: 1, toSlot: 1 });
    expect(seen).toEqual([{ type: 'chosen', fromSlot: 1, toSlot: 1 }]);
    stop();
    expect(listeners.size).toBe(0);
  });
});
