import { describe, expect, it } from 'vitest';
import { clusterSecretProblem, MAX_SECRET_CHARACTERS, MIN_SECRET_CHARACTERS } from './cluster-secret';

describe('clusterSecretProblem', () => {
  it('counts code points, not UTF-16 units', () => {
    // Four emoji are eight UTF-16 units but four characters.
    expect(clusterSecretProblem('😀😀😀😀')).toBe('must be at least 8 characters long (got 4)');
    expect(clusterSecretProblem('😀'.repeat(MIN_SECRET_CHARACTERS))).toBeNull();
    expect(clusterSecretProblem('😀'.repeat(MAX_SECRET_CHARACTERS))).toBeNull();
    expect(clusterSecretProblem('😀'.repeat(MAX_SECRET_CHARACTERS + 1))).toBe(`must be at most ${MAX_SECRET_CHARACTERS} characters long (got ${MAX_SECRET_CHARACTERS + 1})`);
  });

  it('takes 8 to 512 characters of well-formed text', () => {
    expect(clusterSecretProblem('')).toMatch(/at least 8 .*got 0/);
    expect(clusterSecretProblem('1234567')).toMatch(/at least 8 .*got 7/);
    expect(clusterSecretProblem('12345678')).toBeNull();
    expect(clusterSecretProblem('x'.repeat(512))).toBeNull();
    expect(clusterSecretProblem('x'.repeat(513))).toMatch(/at most 512/);
    expect(clusterSecretProblem('long enough \ud800 secret')).toMatch(/lone UTF-16 surrogate/);
    expect(clusterSecretProblem('long enough secret \udc00')).toMatch(/lone UTF-16 surrogate/);
  });
});
