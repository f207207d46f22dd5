import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { validateArgs } from './validate';

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an invalid-argument ApiError');
}

describe('validateArgs: join', () => {
  const address = '127.0.0.1:7400';

  it('refuses a secret of four emoji: eight UTF-16 units, but four characters', () => {
    const error = refusal(() => validateArgs('join', { address, secret: '😀😀😀😀' }));
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toBe('join: the cluster secret must be at least 8 characters long (got 4)');
  });

  it('accepts 8 to 512 characters, counted as code points', () => {
    expect(validateArgs('join', { address, secret: '😀'.repeat(8) })).toEqual({ address, secret: '😀'.repeat(8) });
    expect(validateArgs('join', { address, secret: '😀'.repeat(512) }).secret).toHaveLength(1024);
    expect(refusal(() => validateArgs('join', { address, secret: '😀'.repeat(513) })).message).toMatch(/at most 512/);
    expect(refusal(() => validateArgs('join', { address, secret: 42 })).message).toMatch(/must be a string/);
    expect(refusal(() => validateArgs('join', { address, secret: 'long enough \ud800' })).message).toMatch(/surrogate/);
  });
});

describe('validateArgs: join through several members', () => {
  const secret = 'long enough secret';

  it('takes a list of member addresses, without repeats', () => {
    expect(validateArgs('join', { address: ['10.0.0.1:7400', '10.0.0.2:7400', '10.0.0.1:7400'], secret })).toEqual({ address: ['10.0.0.1:7400', '10.0.0.2:7400'], secret });
  });

  it('refuses an empty list, a long one and any bad address in it', () => {
    expect(refusal(() => validateArgs('join', { address: [], secret })).message).toBe('join: give the address of at least one member');
    expect(refusal(() => validateArgs('join', { address: Array.from({ length: 17 }, (_, i) => `10.0.0.${i + 1}:7400`), secret })).message).toMatch(/at most 16/);
    expect(refusal(() => validateArgs('join', { address: ['10.0.0.1:7400', 'nowhere'], secret })).message).toMatch(/must be HOST:PORT/);
    expect(refusal(() => validateArgs('join', { address: [7400], secret })).message).toMatch(/must be a string/);
  });
});

describe('validateArgs: updateConfig', () => {
  it('takes a UDP port from 1 to 65535', () => {
    expect(validateArgs('updateConfig', { port: 7401 })).toEqual({ port: 7401 });
    expect(validateArgs('updateConfig', { name: ' Ann ', port: 1 })).toEqual({ name: 'Ann', port: 1 });
    for (const port of [0, 65_536, 7400.5, '7400', null]) expect(refusal(() => validateArgs('updateConfig', { port })).message).toMatch(/port must be an integer from 1 to 65535/);
  });
});

describe('validateArgs: clusterTrace', () => {
  it('takes nothing, or a cursor, a time, a limit and whether to watch', () => {
    expect(validateArgs('clusterTrace', undefined)).toEqual({});
    expect(validateArgs('clusterTrace', { sinceMs: 1_764_400_000_000, afterSeq: 12, limit: 10_000, watch: false })).toEqual({ sinceMs: 1_764_400_000_000, afterSeq: 12, limit: 10_000, watch: false });
  });

  it.each([[{ limit: 0 }], [{ limit: 10_001 }], [{ afterSeq: -1 }], [{ sinceMs: 1.5 }], [{ watch: 'yes' }], [{ since: 5 }], [[1]]])('refuses %j', (raw) => {
    expect(() => validateArgs('clusterTrace', raw)).toThrow(ApiError);
  });
});

describe('validateArgs: crashMember', () => {
  it('takes a member and how long it stays down, 3 to 60 s', () => {
    expect(validateArgs('crashMember', { member: 'n2', downMs: 3_000 })).toEqual({ member: 'n2', downMs: 3_000 });
    expect(validateArgs('crashMember', { member: 'n2', downMs: 60_000 })).toEqual({ member: 'n2', downMs: 60_000 });
  });

  it.each([[{ member: 'n2', downMs: 2_999 }], [{ member: 'n2', downMs: 60_001 }], [{ member: 'n2' }], [{ member: '', downMs: 5_000 }], [{ member: 'n2', downMs: 5_000, extra: 1 }]])('refuses %j', (raw) => {
    expect(() => validateArgs('crashMember', raw)).toThrow(ApiError);
  });
});
