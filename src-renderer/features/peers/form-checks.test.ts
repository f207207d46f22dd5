import { describe, expect, it } from 'vitest';
import { encodeInviteCode } from '../../../shared/invite-code';
import { contactAddresses, contactProblem, inviteCodeProblem, nameProblem, portProblem, secretProblem } from './form-checks';

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

  it('takes several member addresses, separated by commas or spaces', () => {
    expect(contactAddresses(' 10.0.0.3:7400, 10.0.0.4:7400\n10.0.0.5:7401 ')).toEqual(['10.0.0.3:7400', '10.0.0.4:7400', '10.0.0.5:7401']);
    expect(contactProblem('10.0.0.3:7400, 10.0.0.4:7400')).toBeNull();
    expect(contactProblem('10.0.0.3:7400, 10.0.0.4')).toMatch(/The address must be HOST:PORT/);
    expect(contactProblem(Array.from({ length: 17 }, (_, i) => `10.0.0.${i + 1}:7400`).join(' '))).toBe('Enter at most 16 addresses.');
  });

  it('checks a pasted invite code as the node would read it', () => {
    const code = encodeInviteCode({ addresses: ['10.0.0.3:7400'], secret: 'long enough secret' });
    expect(inviteCodeProblem('')).toBeNull();
    expect(inviteCodeProblem(code)).toBeNull();
    expect(inviteCodeProblem(code.slice(0, -2))).toMatch(/damaged or incomplete/);
    expect(inviteCodeProblem('hello')).toMatch(/not a Synod invite code/);
  });

  it('takes a UDP port from 1024 to 65535', () => {
    expect(portProblem('7401')).toBeNull();
    expect(portProblem(' 65535 ')).toBeNull();
    expect(portProblem('')).toMatch(/Enter a port number/);
    expect(portProblem('70000')).toMatch(/from 1 to 65535/);
    expect(portProblem('74.5')).toMatch(/whole number/);
    expect(portProblem('80')).toMatch(/below 1024 need administrator rights/);
  });
});
