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
