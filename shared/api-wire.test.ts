import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { buildApi } from './api-build';
import { dispatchApiCall } from './api-dispatch';
import { isApiErrorBody, isSynodEvent, toErrorBody, unwrapResponse } from './api-wire';

describe('api wire helpers', () => {
  it('recognizes error bodies', () => {
    expect(isApiErrorBody({ code: 'pending', message: 'm', id: 'a/1' })).toBe(true);
    expect(isApiErrorBody({ code: 'internal', message: 'm' })).toBe(true);
    for (const value of [null, 'x', [], { code: 'weird', message: 'm' }, { code: 'internal' }, { code: 'internal', message: 'm', id: 3 }]) {
      expect(isApiErrorBody(value), JSON.stringify(value)).toBe(false);
    }
  });

  it('unwraps results and throws errors', () => {
    expect(unwrapResponse({ result: 4 }, 'ctx')).toBe(4);
    expect(() => unwrapResponse({ error: { code: 'rejected', message: 'no', id: 'x/1' } }, 'ctx')).toThrow(expect.objectContaining({ code: 'rejected', id: 'x/1' }) as unknown as Error);
    // The consent prompts of Join and Remove depend on this code surviving the HTTP bridge.
    expect(() => unwrapResponse({ error: { code: 'needs-confirmation', message: 'history' } }, 'ctx')).toThrow(expect.objectContaining({ code: 'needs-confirmation' }) as unknown as Error);
    for (const garbage of [undefined, 1, {}, { error: {} }, { error: { code: 'bogus', message: 'x' } }]) {
      expect(() => unwrapResponse(garbage, 'ctx')).toThrow('ctx: malformed response');
    }
  });

  it('turns thrown values into error bodies', () => {
    expect(toErrorBody(new ApiError({ code: 'pending', message: 'm', id: 'a/1' }))).toEqual({ code: 'pending', message: 'm', id: 'a/1' });
    expect(toErrorBody(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toErrorBody('str')).toEqual({ code: 'internal', message: 'str' });
    expect(toErrorBody(new Error(''))).toEqual({ code: 'internal', message: 'internal error' });
  });

  it('checks the outer shape of events', () => {
    expect(isSynodEvent({ type: 'chosen', fromSlot: 1, toSlot: 2 })).toBe(true);
    expect(isSynodEvent({ type: 'status', status: {} })).toBe(true);
    expect(isSynodEvent({ type: 'trace', messages: [] })).toBe(true);
    expect(isSynodEvent({ type: 'down', message: 'crashed', untilMs: 1 })).toBe(true);
    for (const value of [null, [], { type: 'chosen', fromSlot: 1 }, { type: 'status' }, { type: 'trace', messages: {} }, { type: 'down', message: 'crashed' }, { type: 'other' }]) {
      expect(isSynodEvent(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('dispatchApiCall', () => {
  const seen: unknown[] = [];
  const api = buildApi(
    (method, args) => {
      seen.push([method, args]);
      if (method === 'users') throw new Error('sync failure');
      return Promise.resolve('ok');
    },
    () => () => {},
  );

  it('validates, calls and wraps', async () => {
    expect(await dispatchApiCall(api, 'tweet', { text: 'a' })).toEqual({ result: 'ok' });
    expect(await dispatchApiCall(api, 'tweet', { text: 5 })).toEqual({ error: { code: 'invalid-argument', message: 'tweet: text must be a string' } });
    expect(await dispatchApiCall(api, 'users', undefined)).toEqual({ error: { code: 'internal', message: 'sync failure' } });
    expect(seen).toEqual([
      ['tweet', { text: 'a' }],
      ['users', undefined],
    ]);
  });
});
