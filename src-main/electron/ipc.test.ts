import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { API_METHODS, ApiError, type NodeStatus, type SynodEvent } from '../../shared/api';
import { apiChannel, EVENT_CHANNEL } from '../../shared/ipc';
import { forwardEvents, registerApiHandlers, type EventSink } from './ipc';
import { makeSenderCheck } from './trusted-sender';
import { spyApi } from '../../test/support/spy-api';

// The module under test imports only types from Electron; the mock guarantees no Electron runtime is touched.
vi.mock('electron', () => ({}));

type Handler = (event: { senderFrame: { url: string } | null }, args?: unknown) => Promise<unknown>;

class FakeIpcMain {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  call(method: string, url: string | null, args?: unknown): Promise<unknown> {
    const handler = this.handlers.get(`synod:api:${method}`);
    if (handler === undefined) throw new Error(`no handler for ${method}`);
    return handler({ senderFrame: url === null ? null : { url } }, args);
  }
}

/** A fake API whose methods are spies; events are pushed with `emit`. */
function fakeApi() {
  return spyApi((method) => Promise.resolve(`${method} result`));
}

const APP_PAGE = 'app://synod/index.html';

describe('registerApiHandlers', () => {
  let ipc: FakeIpcMain;
  let fake: ReturnType<typeof fakeApi>;
  let unregister: () => void;

  beforeEach(() => {
    ipc = new FakeIpcMain();
    fake = fakeApi();
    unregister = registerApiHandlers(ipc as never, fake.api, makeSenderCheck(undefined) as never);
  });

  it('registers one channel per method and removes them all', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(API_METHODS.map(apiChannel).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it('answers a trusted call with the result', async () => {
    expect(await ipc.call('tweet', APP_PAGE, { text: 'hello' })).toEqual({ result: 'tweet result' });
    expect(fake.calls).toEqual([{ method: 'tweet', args: { text: 'hello' } }]);
  });

  it('refuses untrusted senders without touching the API', async () => {
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'app://other/index.html', null]) {
      expect(await ipc.call('status', url)).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect(fake.calls).toEqual([]);
  });

  it('refuses invalid arguments with a message, before calling the API', async () => {
    const response = (await ipc.call('block', APP_PAGE, { user: 'no spaces allowed' })) as { error: { code: string; message: string } };
    expect(response.error.code).toBe('invalid-argument');
    expect(response.error.message).toMatch(/block: user must be a user id/);
    expect(await ipc.call('status', APP_PAGE, { extra: 1 })).toMatchObject({ error: { code: 'invalid-argument', message: 'status takes no arguments' } });
    expect(fake.calls).toEqual([]);
  });

  it('passes ApiErrors through with code, message and id', async () => {
    fake.respond(() => Promise.reject(new ApiError({ code: 'pending', message: 'no quorum yet', id: 'n1/7' })));
    expect(await ipc.call('tweet', APP_PAGE, { text: 'x' })).toEqual({ error: { code: 'pending', message: 'no quorum yet', id: 'n1/7' } });
  });

  it('turns unexpected errors into internal', async () => {
    fake.respond(() => Promise.reject(new TypeError('boom')));
    expect(await ipc.call('users', APP_PAGE)).toEqual({ error: { code: 'internal', message: 'boom' } });
    fake.respond(() => {
      throw new Error('sync boom');
    });
    expect(await ipc.call('users', APP_PAGE)).toEqual({ error: { code: 'internal', message: 'sync boom' } });
  });
});

class FakeWebContents extends EventEmitter {
  readonly sent: { channel: string; data: unknown }[] = [];
  destroyed = false;
  send(channel: string, data: unknown): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, data });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
}

const asSink = (contents: FakeWebContents): EventSink => contents as unknown as EventSink;
const chosen = (slot: number): SynodEvent => ({ type: 'chosen', fromSlot: slot, toSlot: slot });

describe('forwardEvents', () => {
  it('sends every event on the event channel', () => {
    const fake = fakeApi();
    const contents = new FakeWebContents();
    forwardEvents(fake.api, asSink(contents));
    fake.emit(chosen(1));
    fake.emit({ type: 'status', status: { id: 'n1' } as NodeStatus });
    expect(contents.sent).toEqual([
      { channel: EVENT_CHANNEL, data: chosen(1) },
      { channel: EVENT_CHANNEL, data: { type: 'status', status: { id: 'n1' } } },
    ]);
  });

  it('unsubscribes when the web contents is destroyed', () => {
    const fake = fakeApi();
    const contents = new FakeWebContents();
    forwardEvents(fake.api, asSink(contents));
    expect(fake.listeners.size).toBe(1);
    contents.destroy();
    expect(fake.listeners.size).toBe(0);
    expect(contents.listenerCount('destroyed')).toBe(0);
    fake.emit(chosen(2));
    expect(contents.sent).toEqual([]);
  });

  it('does not send to a contents destroyed before its destroyed event fired', () => {
    const fake = fakeApi();
    const contents = new FakeWebContents();
    forwardEvents(fake.api, asSink(contents));
    contents.destroyed = true;
    expect(() => fake.emit(chosen(3))).not.toThrow();
    expect(fake.listeners.size).toBe(0);
  });

  it('stops when the returned function is called', () => {
    const fake = fakeApi();
    const contents = new FakeWebContents();
    const stop = forwardEvents(fake.api, asSink(contents));
    stop();
    stop();
    expect(fake.listeners.size).toBe(0);
    expect(contents.listenerCount('destroyed')).toBe(0);
  });
});
