import { describe, expect, it } from 'vitest';
import { nameProblem, peerProblems, secretProblem } from './peer-form';

const context = { selfId: 'alice', otherIds: ['bob'] };

describe('peerProblems', () => {
  it('accepts a new id and a host:port address', () => {
    expect(peerProblems('carol', '10.0.0.3:7400', context)).toEqual({ id: null, address: null });
    expect(peerProblems(' dave_2 ', 'node-4.local:7400', context)).toEqual({ id: null, address: null });
    expect(peerProblems('erin', '[::1]:7400', context)).toEqual({ id: null, address: null });
  });

  it('refuses empty or malformed ids, this node and duplicates', () => {
    expect(peerProblems('', '10.0.0.3:7400', context).id).toMatch(/Enter the peer's id/);
    expect(peerProblems('no spaces', '10.0.0.3:7400', context).id).toMatch(/1 to 32 letters/);
    expect(peerProblems('x'.repeat(33), '10.0.0.3:7400', context).id).toMatch(/1 to 32 letters/);
    expect(peerProblems('alice', '10.0.0.3:7400', context).id).toMatch(/this node's own id/);
    expect(peerProblems('bob', '10.0.0.3:7400', context).id).toMatch(/already in the list/);
  });

  it('refuses addresses without a valid port', () => {
    expect(peerProblems('carol', '', context).address).toMatch(/Enter the peer's address/);
    expect(peerProblems('carol', '10.0.0.3', context).address).toMatch(/must be HOST:PORT/);
    expect(peerProblems('carol', '10.0.0.3:70000', context).address).toMatch(/ports go from 1 to 65535/);
  });
});

describe('nameProblem and secretProblem', () => {
  it('checks names and secrets as the node does', () => {
    expect(nameProblem('Alice')).toBeNull();
    expect(nameProblem('   ')).toMatch(/Enter a display name/);
    expect(nameProblem('x'.repeat(41))).toMatch(/at most 40/);
    expect(secretProblem('short')).toMatch(/at least 8/);
    expect(secretProblem('long enough')).toBeNull();
  });
});
