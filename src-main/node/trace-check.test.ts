import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../shared/domain';
import { DEFAULT_PROTOCOL_CONFIG } from '../core/config';
import { decodeMessage, encodeMessage } from '../net/codec';
import { MAX_MESSAGE_BYTES } from '../net/fragments';
import type { TraceBatchMessage, WireMessage } from '../net/wire';
import { admitInbound } from './inbound-check';
import { MAX_TRACE_HOLD_MS, MAX_TRACE_RECORD_AGE_MS, MAX_TRACE_SKIPPED_PER_BATCH } from './trace-check';
import { MAX_TRACE_LEASE_MS } from './trace-lease';

const VIEW = { commitIndex: 100, config: DEFAULT_PROTOCOL_CONFIG };
const NOW = 1_764_400_000_000;

function admit(message: WireMessage): { admitted: WireMessage | null; drops: string[] } {
  const drops: string[] = [];
  // Through the codec first, as every peer message goes: what is checked is what a datagram can carry.
  const admitted = admitInbound(decodeMessage(encodeMessage(message)), VIEW, (reason) => drops.push(reason));
  return { admitted, drops };
}

const sent: TraceMessage = { at: NOW - 10, direction: 'out', from: 'n3', to: 'n2', type: 'accepted', slot: 9, ballot: { round: 2, node: 'n1' }, bytes: 14 };
const received: TraceMessage = { at: NOW - 5, direction: 'in', from: 'n1', to: 'n3', type: 'catchupReply', slot: 10, toSlot: 20, bytes: 900 };
const join: TraceMessage = { at: NOW - 4, direction: 'in', from: 'newcomer', to: 'any-member', type: 'join', bytes: 16 };
const batch: TraceBatchMessage = { type: 'traceBatch', from: 'n3', to: 'n1', leaseId: 1, seq: 1, sentAt: NOW, skipped: 3, records: [sent, received, join] };

describe('the validation boundary for cluster-trace messages', () => {
  it('admits what a correct member sends', () => {
    for (const message of [
      batch,
      { type: 'traceRequest', from: 'n1', to: 'n3', leaseId: 1, leaseMs: 6_000, sentAt: NOW },
      { type: 'traceRequest', from: 'n1', to: 'n3', leaseId: 1, leaseMs: 0, sentAt: NOW },
      { type: 'traceClock', from: 'n3', to: 'n1', leaseId: 1, requestSentAt: NOW - 3, receivedAt: NOW, sentAt: NOW + 1 },
    ] as WireMessage[]) {
      expect(admit(message)).toEqual({ admitted: message, drops: [] });
    }
  });

  it.each([
    ['a lease longer than the longest granted', { type: 'traceRequest', from: 'n1', to: 'n3', leaseId: 1, leaseMs: MAX_TRACE_LEASE_MS + 1, sentAt: NOW }, 'invalid-trace-request'],
    ['lease id 0', { type: 'traceRequest', from: 'n1', to: 'n3', leaseId: 0, leaseMs: 6_000, sentAt: NOW }, 'invalid-trace-request'],
    ['a reply sent before its request arrived', { type: 'traceClock', from: 'n3', to: 'n1', leaseId: 1, requestSentAt: NOW, receivedAt: NOW, sentAt: NOW - 1 }, 'invalid-trace-clock'],
    ['a request held for minutes', { type: 'traceClock', from: 'n3', to: 'n1', leaseId: 1, requestSentAt: NOW, receivedAt: NOW, sentAt: NOW + MAX_TRACE_HOLD_MS + 1 }, 'invalid-trace-clock'],
    ['batch number 0', { ...batch, seq: 0 }, 'invalid-trace-batch'],
    ['lease id 0 in a batch', { ...batch, leaseId: 0 }, 'invalid-trace-batch'],
    ['an absurd skipped count', { ...batch, skipped: MAX_TRACE_SKIPPED_PER_BATCH + 1 }, 'invalid-trace-batch'],
    ['a send in another member’s name', { ...batch, records: [{ ...sent, from: 'n2' }] }, 'invalid-trace-record'],
    ['a receipt addressed to another member', { ...batch, records: [{ ...received, to: 'n2' }] }, 'invalid-trace-record'],
    ['a message from a member to itself', { ...batch, records: [{ ...sent, to: 'n3' }] }, 'invalid-trace-record'],
    ['a record later than its batch', { ...batch, records: [{ ...sent, at: NOW + 1 }] }, 'invalid-trace-record'],
    ['a record from long ago', { ...batch, records: [{ ...sent, at: NOW - MAX_TRACE_RECORD_AGE_MS - 1 }] }, 'invalid-trace-record'],
    ['a range that ends before it starts', { ...batch, records: [{ ...received, toSlot: 10 }] }, 'invalid-trace-record'],
    ['a range without a first slot', { ...batch, records: [{ ...sent, slot: undefined, toSlot: 5 }] }, 'invalid-trace-record'],
    ['a size no transport carries', { ...batch, records: [{ ...sent, bytes: MAX_MESSAGE_BYTES + 1 }] }, 'invalid-trace-record'],
  ] as [string, WireMessage, string][])('drops %s, counted by reason', (_, message, reason) => {
    const clean = JSON.parse(JSON.stringify(message)) as WireMessage; // no `slot: undefined` key
    expect(admit(clean)).toEqual({ admitted: null, drops: [reason] });
  });
});
