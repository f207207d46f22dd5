import type { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, SYNOD_API_KEY, type SynodEvent } from '../shared/api';
import { EVENT_CHANNEL, type SynodBridge } from '../shared/ipc';

const electron = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoke: undefined as unknown as (channel: string, args: unknown) => Promise<unknown>,
  renderer: undefined as unknown as EventEmitter,
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const renderer = Object.assign(new Emitter(), {
    invoke: vi.fn((channel: string, args: unknown) => electron.invoke(channel, args)),
  });
  electron.renderer = renderer;
  return {
    contextBridge: {
      exposeInMainWorld: vi.fn((key: string, value: unknown) => {
        electron.exposed.set(key, value);
      }),
    },
    ipcRenderer: renderer,
  };
});

await import('./preload');
const bridge = electron.exposed.get(SYNOD_API_KEY) as SynodBridge;

describe('preload bridge', () => {
  it('exposes exactly one function per API method plus onEvent, under window.synod', () => {
    expect([...electron.exposed.keys()]).toEqual([SYNOD_API_KEY]);
    expect(Object.keys(bridge).sort()).toEqual([...API_METHODS, 'onEvent'].sort());
    expect(Object.values(bridge).every((value) => typeof value === 'function')).toBe(true);
  });

  it('invokes each method on its own channel and returns the response as is', async () => {
    electron.invoke = (channel, args) => Promise.resolve({ result: { channel, args } });
    expect(await bridge.tweet({ text: 'hi' })).toEqual({ result: { channel: 'synod:api:tweet', args: { text: 'hi' } } });
    expect(await bridge.status()).toEqual({ result: { channel: 'synod:api:status', args: undefined } });
  });

  it('turns a failed invoke into an unavailable response instead of rejecting', async () => {
    electron.invoke = () => Promise.reject(new Error("No handler registered for 'synod:api:peers'"));
    const response = await bridge.peers();
    expect(response).toMatchObject({ error: { code: 'unavailable' } });
    expect('error' in response && response.error.message).toMatch(/peers: the Synod node did not answer \(No handler registered/);
  });

  it('forwards only the event data and removes its listener on unsubscribe', () => {
    const received: unknown[][] = [];
    const stop = bridge.onEvent((...args: unknown[]) => {
      received.push(args);
    });
    const event: SynodEvent = { type: 'chosen', fromSlot: 1, toSlot: 2 };
    electron.renderer.emit(EVENT_CHANNEL, { sender: 'the IpcRendererEvent' }, event);
    expect(received).toEqual([[event]]);
    stop();
    expect(electron.renderer.listenerCount(EVENT_CHANNEL)).toBe(0);
    electron.renderer.emit(EVENT_CHANNEL, {}, event);
    expect(received).toHaveLength(1);
  });
});
