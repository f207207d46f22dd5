import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL_CONFIG } from '../core/config';
import { decodeMessage, encodeMessage } from '../net/codec';
import type { WireMessage } from '../net/wire';
import { MAX_CRASH_DOWN_MS, MAX_REMOTE_DELAY_MS, MAX_REMOTE_FAULT_TTL_MS, MIN_CRASH_DOWN_MS, PPM } from './control-check';
import { admitInbound } from './inbound-check';

const VIEW = { commitIndex: 100, config: DEFAULT_PROTOCOL_CONFIG };

function admit(message: WireMessage): { admitted: WireMessage | null; drops: string[] } {
  const drops: string[] = [];
  const admitted = admitInbound(decodeMessage(encodeMessage(message)), VIEW, (reason) => drops.push(reason));
  return { admitted, drops };
}

const request = { type: 'faultRequest', from: 'n1', to: 'n3', requestId: 1, ttlMs: MAX_REMOTE_FAULT_TTL_MS, dropPpm: PPM, delayMs: MAX_REMOTE_DELAY_MS, isolate: ['n1', 'n2'] } as const;

describe('the validation boundary for cluster-control messages', () => {
  it('admits what a correct member sends, at the bounds', () => {
    for (const message of [
      request,
      { ...request, ttlMs: 0, dropPpm: 0, delayMs: 0, isolate: [] },
      { type: 'campaignRequest', from: 'n1', to: 'n3', requestId: 7 },
      { type: 'crashRequest', from: 'n1', to: 'n3', requestId: 7, downMs: MIN_CRASH_DOWN_MS },
      { type: 'crashRequest', from: 'n1', to: 'n3', requestId: 7, downMs: MAX_CRASH_DOWN_MS },
      { type: 'controlAck', from: 'n3', to: 'n1', requestId: 7, applied: false, reason: 'only members may ask' },
    ] as WireMessage[]) {
      expect(admit(message)).toEqual({ admitted: message, drops: [] });
    }
  });

  it.each([
    ['request id 0', { ...request, requestId: 0 }, 'invalid-fault-request'],
    ['a TTL above two minutes', { ...request, ttlMs: MAX_REMOTE_FAULT_TTL_MS + 1 }, 'invalid-fault-request'],
    ['a drop rate above 1', { ...request, dropPpm: PPM + 1 }, 'invalid-fault-request'],
    ['a delay above the bound', { ...request, delayMs: MAX_REMOTE_DELAY_MS + 1 }, 'invalid-fault-request'],
    ['the same peer twice', { ...request, isolate: ['n1', 'n1'] }, 'invalid-fault-request'],
    ['isolating the member from itself', { ...request, isolate: ['n3'] }, 'invalid-fault-request'],
    ['a campaign request id 0', { type: 'campaignRequest', from: 'n1', to: 'n3', requestId: 0 }, 'invalid-campaign-request'],
    ['a crash request id 0', { type: 'crashRequest', from: 'n1', to: 'n3', requestId: 0, downMs: MIN_CRASH_DOWN_MS }, 'invalid-crash-request'],
    ['a crash shorter than the retransmissions', { type: 'crashRequest', from: 'n1', to: 'n3', requestId: 1, downMs: MIN_CRASH_DOWN_MS - 1 }, 'invalid-crash-request'],
    ['a crash longer than the bound', { type: 'crashRequest', from: 'n1', to: 'n3', requestId: 1, downMs: MAX_CRASH_DOWN_MS + 1 }, 'invalid-crash-request'],
    ['an ack of request 0', { type: 'controlAck', from: 'n3', to: 'n1', requestId: 0, applied: true, reason: '' }, 'invalid-control-ack'],
  ] as [string, WireMessage, string][])('drops %s, counted', (_, message, reason) => {
    expect(admit(message)).toEqual({ admitted: null, drops: [reason] });
  });
});

