import { describe, expect, it } from 'vitest';
import type { CatchupReplyMessage } from '../core/types';
import type { SnapshotChunkMessage } from '../net/wire';
import { BulkSender, bulkMessageSizeBound, type BulkMessage, type BulkSenderOptions } from './bulk-sender';

const KIB = 1024;

const DATA = new Uint8Array(64 * KIB);

function chunk(to: string, offset: number, bytes = 16 * KIB): SnapshotChunkMessage {
  return { type: 'snapshotChunk', from: 'n1', to, transferId: 1, slot: 10, totalBytes: 1 << 30, offset, data: DATA.subarray(0, bytes) };
}

function catchupReply(to: string, slot: number): CatchupReplyMessage {
  return { type: 'catchupReply', from: 'n1', to, entries: [{ slot, value: [{ origin: 'n1', seq: slot, payload: 'x'.repeat(1000) }] }], commitIndex: slot, compactedThrough: 0 };
}

/** A bulk sender on a manual clock that records what it sent and when it asked to be woken. */
function harness(options: Partial<BulkSenderOptions> = {}) {
  let now = 0;
  const sent: BulkMessage[][] = [];
  const wakes: number[] = [];
  const bulk = new BulkSender({ send: (messages) => sent.push([...messages]), now: () => now, wake: (delayMs) => wakes.push(delayMs), ...options });
  return {
    bulk,
    sent,
    wakes,
    advance(ms: number) {
      now += ms;
    },
    sentTo(peer: string): BulkMessage[] {
      return sent.flat().filter((m) => m.to === peer);
    },
  };
}

describe('BulkSender', () => {
  it('sends nothing before drain(), and asks to be woken at once', () => {
    const h = harness();
    expect(h.bulk.push(chunk('n2', 0))).toBe(true);
    expect(h.sent).toEqual([]);
    expect(h.wakes).toEqual([0]);
    h.bulk.drain();
    expect(h.sentTo('n2')).toHaveLength(1);
  });

  it('paces each peer by its byte budget and wakes when the budget allows the next message', () => {
    const h = harness({ peerBurstBytes: 64 * KIB, peerBytesPerMs: 16 * KIB });
    for (let i = 0; i < 10; i++) h.bulk.push(chunk('n2', i * 16 * KIB));
    h.bulk.drain();
    // A 16 KiB chunk costs a little more than 16 KiB (its frame), so a 64 KiB burst holds three.
    expect(h.sentTo('n2')).toHaveLength(3);
    const wake = h.wakes.at(-1) as number;
    expect(wake).toBeGreaterThan(0);
    expect(wake).toBeLessThanOrEqual(2);
    h.advance(wake);
    h.bulk.drain();
    expect(h.sentTo('n2').length).toBeGreaterThan(3);
    // Over 100 ms at 16 KiB/ms everything (160 KiB) has gone, in push order.
    for (let t = 0; t < 100; t++) {
      h.advance(1);
      h.bulk.drain();
    }
    expect(h.sentTo('n2').map((m) => (m as SnapshotChunkMessage).offset)).toEqual(Array.from({ length: 10 }, (_, i) => i * 16 * KIB));
    expect(h.bulk.queued()).toBe(0);
  });

  it('bounds one drain by drainBytes, whatever the peers may receive', () => {
    const h = harness({ peerBurstBytes: 1024 * KIB, drainBytes: 100 * KIB });
    for (let i = 0; i < 20; i++) h.bulk.push(chunk('n2', i * 16 * KIB));
    h.bulk.drain();
    const bytes = h.sent.flat().reduce((sum, m) => sum + bulkMessageSizeBound(m), 0);
    expect(bytes).toBeLessThanOrEqual(100 * KIB + bulkMessageSizeBound(chunk('n2', 0)));
    expect(h.wakes.at(-1)).toBe(0); // budget exhausted, not the peer's: go on at once
  });

  it('serves peers round-robin, so one busy peer does not delay another', () => {
    const h = harness({ drainBytes: 40 * KIB });
    for (let i = 0; i < 50; i++) h.bulk.push(chunk('n2', i * 16 * KIB));
    h.bulk.push(catchupReply('n3', 7));
    h.bulk.drain();
    expect(h.sentTo('n3')).toHaveLength(1);
  });

  it('caps what one peer and all peers together may queue, and counts what it drops', () => {
    const h = harness({ maxQueuedBytesPerPeer: 100 * KIB, maxQueuedBytes: 150 * KIB });
    let accepted = 0;
    // A hostile requester asks for 100 MiB of chunks: at most the cap is queued.
    for (let i = 0; i < 6400; i++) if (h.bulk.push(chunk('n2', i * 16 * KIB))) accepted++;
    expect(accepted).toBe(6);
    expect(h.bulk.queued('n2')).toBeLessThanOrEqual(100 * KIB);
    for (let i = 0; i < 10; i++) h.bulk.push(chunk('n3', i * 16 * KIB));
    expect(h.bulk.queued()).toBeLessThanOrEqual(150 * KIB);
    const { dropped } = h.bulk.stats();
    expect(dropped['peer-queue-full']).toBe(6400 - 6);
    expect(dropped['queue-full']).toBeGreaterThan(0);
  });

  it('drops a duplicate of a message still queued, but not once it was sent', () => {
    const h = harness();
    expect(h.bulk.push(chunk('n2', 0), 'snapshot/1/0')).toBe(true);
    expect(h.bulk.push(chunk('n2', 0), 'snapshot/1/0')).toBe(false);
    expect(h.bulk.push(chunk('n3', 0), 'snapshot/1/0')).toBe(true); // another peer's
    expect(h.bulk.stats().dropped.duplicate).toBe(1);
    h.bulk.drain();
    expect(h.bulk.push(chunk('n2', 0), 'snapshot/1/0')).toBe(true);
  });

  it('drops what waited too long instead of sending it late', () => {
    const h = harness({ maxQueueAgeMs: 1_000, peerBurstBytes: 16 * KIB + 100, peerBytesPerMs: 1 });
    h.bulk.push(chunk('n2', 0));
    h.bulk.push(chunk('n2', 16 * KIB));
    h.bulk.drain(); // the first goes; the second waits for a budget that refills very slowly
    h.advance(1_001);
    h.bulk.drain();
    expect(h.sentTo('n2')).toHaveLength(1);
    expect(h.bulk.stats().dropped.expired).toBe(1);
    expect(h.bulk.queued()).toBe(0);
  });

  it('sends a message larger than the burst when the budget is full, and makes the peer wait it off', () => {
    const h = harness({ peerBurstBytes: 16 * KIB, peerBytesPerMs: 16 * KIB });
    h.bulk.push(chunk('n2', 0, 64 * KIB));
    h.bulk.push(chunk('n2', 64 * KIB, 1 * KIB));
    h.bulk.drain();
    expect(h.sentTo('n2')).toHaveLength(1);
    h.advance(2);
    h.bulk.drain();
    expect(h.sentTo('n2')).toHaveLength(1); // still paying off the 48 KiB debt
    h.advance(3);
    h.bulk.drain();
    expect(h.sentTo('n2')).toHaveLength(2);
  });

  it('forgets a peer with everything queued for it', () => {
    const h = harness();
    h.bulk.push(chunk('n2', 0));
    h.bulk.push(catchupReply('n2', 1));
    h.bulk.forget('n2');
    h.bulk.drain();
    expect(h.sent).toEqual([]);
    expect(h.bulk.stats()).toMatchObject({ queuedBytes: 0, queuedMessages: 0, dropped: { forgotten: 2 } });
  });

  it('does not over-refill or throw when the clock goes backwards', () => {
    const h = harness({ peerBurstBytes: 32 * KIB, peerBytesPerMs: 1 });
    for (let i = 0; i < 4; i++) h.bulk.push(chunk('n2', i * 16 * KIB));
    h.bulk.drain();
    const before = h.sentTo('n2').length;
    h.advance(-1_000_000);
    h.bulk.drain();
    h.advance(1_000_000);
    h.bulk.drain();
    expect(h.sentTo('n2').length).toBe(before);
  });

  it('wakes no more often than needed: an earlier pending wake covers later pushes', () => {
    const h = harness();
    h.bulk.push(chunk('n2', 0));
    h.bulk.push(chunk('n2', 16 * KIB));
    h.bulk.push(catchupReply('n3', 1));
    expect(h.wakes).toEqual([0]);
  });

  it('counts catch-up replies by their encoded-size bound', () => {
    const reply = catchupReply('n2', 3);
    expect(bulkMessageSizeBound(reply)).toBeGreaterThan(1000);
    expect(bulkMessageSizeBound(chunk('n2', 0, 100))).toBeGreaterThan(100);
  });

  it('rejects nonsensical options', () => {
    expect(() => harness({ peerBytesPerMs: 0 })).toThrow(RangeError);
    expect(() => harness({ drainBytes: Number.NaN })).toThrow(RangeError);
    expect(() => harness({ maxQueuedBytes: Infinity })).toThrow(RangeError);
  });
});
