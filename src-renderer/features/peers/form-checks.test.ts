import { describe, expect, it } from 'vitest';
import { contactProblem, nameProblem, secretProblem } from './form-checks';

describe('form checks', () => {
  it('accepts a member address as host:port and explains what is wrong otherwise', () => {
    expect(contactProblem('10.0.0.3:7400')).toBeNull();
    expect(contactProblem(' node-4.local:7400 ')).toBeNull();
    expect(contactProblem('[::1]:7400')).toBeNull();
    expect(contactProblem('')).toMatch(/Enter the address of any member/);
    expect(contactProblem('10.0.0.3')).toMatch(/must be HOST:PORT/);
    expect(contactProblem('10.0.0.3:70000')).toMatch(/ports go from 1 to 65535/);
  });

  it('checks names and secrets as the node does', () => {
    expect(nameProblem('Alice')).toBeNull();
    expect(nameProblem('   ')).toMatch(/Enter a display name/);
    expect(nameProblem('x'.repeat(41))).toMatch(/at most 40/);
    expect(nameProblem('a\u0007b')).toMatch(/control characters/);
    expect(secretProblem('')).toMatch(/Enter the cluster's secret/);
    expect(secretProblem('short')).toMatch(/at least 8/);
    expect(secretProblem('x'.repeat(513))).toMatch(/at most 512/);
    expect(secretProblem('long enough')).toBeNull();
  });
});
