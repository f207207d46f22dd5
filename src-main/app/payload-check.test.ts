import { describe, expect, it } from 'vitest';
import { encodeMembershipChange } from '../core/membership';
import { encodeCommand } from './commands';
import { checkForwardedPayload } from './payload-check';

describe('checkForwardedPayload', () => {
  it('admits what the API proposes', () => {
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'tweet', text: 'hello', at: 1 }))).toBeNull();
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'block', target: 'n3', at: 1 }))).toBeNull();
    expect(checkForwardedPayload('n2', encodeMembershipChange({ type: 'addMember', id: 'n4', address: '127.0.0.1:7400' }))).toBeNull();
    expect(checkForwardedPayload('n2', encodeMembershipChange({ type: 'removeMember', id: 'n3' }))).toBeNull();
  });

  it('refuses the poison pill of the review: an addMember with an invalid id', () => {
    expect(checkForwardedPayload('n2', JSON.stringify(['addMember', 'bad id!', '127.0.0.1:9']))).toMatch(/invalid membership change/);
  });

  it('refuses payloads the API could not have proposed', () => {
    expect(checkForwardedPayload('n2', 'garbage')).toBe('not a command');
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'tweet', text: '', at: 1 }))).not.toBeNull();
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'tweet', text: 'x'.repeat(281), at: 1 }))).not.toBeNull();
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'block', target: 'n2', at: 1 }))).not.toBeNull();
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'block', target: 'not an id', at: 1 }))).not.toBeNull();
    // Not normalized (a trailing space the API would have trimmed).
    expect(checkForwardedPayload('n2', encodeCommand({ type: 'tweet', text: 'hello ', at: 1 }))).toBe('not in canonical form');
  });
});
