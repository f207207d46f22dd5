import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom, type RandomSource } from '../core/random';
import { MAX_MESSAGE_BYTES, maxMessageBytes, MessageTooLargeError, PARTIAL_OVERHEAD_BYTES, PIECE_OVERHEAD_BYTES, Reassembler, splitMessage, type ReassemblyResult } from './fragments';
import { MAX_FRAGMENT_COUNT } from './seal';

function randomBytes(rng: RandomSource, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = randomInt(rng, 256);
  return bytes;
}

function shuffle<T>(rng: RandomSource, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Feeds fragments i (in the given order) of `pieces` as message `messageId` of `source`. */
function feed(r: Reassembler, source: string, messageId: number, pieces: Uint8Array[], order: number[], nowMs = 0): ReassemblyResult[] {
  return order.map((index) => r.add(source, { messageId, index, count: pieces.length }, pieces[index] as Uint8Array, nowMs));
}

describe('splitMessage', () => {
  it('splits into the fewest pieces that fit, and they concatenate to the message', () => {
    const rng = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const message = randomBytes(rng, randomInt(rng, 5000));
      const size = 1 + randomInt(rng, 1500);
      const pieces = splitMessage(message, size);
      expect(pieces.length).toBe(Math.max(1, Math.ceil(message.length / size)));
      expect(pieces.every((p) => p.length <= size)).toBe(true);
      expect(Buffer.concat(pieces).equals(message)).toBe(true);
    }
  });

  it('sends an empty message as one empty fragment', () => {
    expect(splitMessage(new Uint8Array(0), 100).map((p) => p.length)).toEqual([0]);
  });

  it('refuses, never truncates, a message that needs more than the maximum fragment count', () => {
    const size = 10;
    expect(maxMessageBytes(size)).toBe(size * MAX_FRAGMENT_COUNT);
    expect(splitMessage(new Uint8Array(size * MAX_FRAGMENT_COUNT), size).length).toBe(MAX_FRAGMENT_COUNT);
    expect(() => splitMessage(new Uint8Array(size * MAX_FRAGMENT_COUNT + 1), size)).toThrow(MessageTooLargeError);
    expect(() => splitMessage(new Uint8Array(size * MAX_FRAGMENT_COUNT + 1), size)).toThrow(/exceeds the 655350-byte limit/);
  });

  it('refuses a message larger than receivers reassemble, whatever the fragment size', () => {
    expect(maxMessageBytes(60_000)).toBe(MAX_MESSAGE_BYTES);
    expect(() => splitMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1), 60_000)).toThrow(MessageTooLargeError);
  });
});

describe('Reassembler', () => {
  it('reassembles random messages from shuffled fragments with duplicates, exactly once', () => {
    const rng = seededRandom(2);
    const r = new Reassembler();
    for (let id = 0; id < 200; id++) {
      const message = randomBytes(rng, 1 + randomInt(rng, 20_000));
      const pieces = splitMessage(message, 1 + randomInt(rng, 1400));
      const order = shuffle(rng, [...pieces.keys(), ...pieces.keys()].slice(0, pieces.length + randomInt(rng, pieces.length)));
      // Make sure every fragment occurs at least once, wherever the duplicates are.
      for (const i of pieces.keys()) if (!order.includes(i)) order.push(i);
      const results = feed(r, 'n1@1', id, pieces, order);
      const complete = results.filter((x) => x.status === 'complete');
      expect(complete).toHaveLength(1);
      const first = complete[0];
      expect(first?.status === 'complete' && Buffer.from(first.message).equals(message)).toBe(true);
    }
  });

  it('delivers nothing when one fragment is lost, then expires the partial', () => {
    const rng = seededRandom(3);
    const r = new Reassembler({ timeoutMs: 1000 });
    const pieces = splitMessage(randomBytes(rng, 5000), 1000);
    const results = feed(r, 'n1@1', 1, pieces, [0, 1, 3, 4], 0);
    expect(results.every((x) => x.status === 'pending')).toBe(true);
    expect(r.stats()).toMatchObject({ partialMessages: 1, bufferedBytes: 4000 });
    r.expire(999);
    expect(r.stats().partialMessages).toBe(1);
    r.expire(1000);
    expect(r.stats()).toMatchObject({ partialMessages: 0, bufferedBytes: 0, expired: 1 });
    // The late fragment starts a new partial that can never complete.
    expect(r.add('n1@1', { messageId: 1, index: 2, count: 5 }, pieces[2] as Uint8Array, 1001).status).toBe('pending');
  });

  it('keeps sources apart', () => {
    const r = new Reassembler();
    const a = splitMessage(new Uint8Array(20).fill(1), 10);
    const b = splitMessage(new Uint8Array(20).fill(2), 10);
    expect(r.add('n1@1', { messageId: 5, index: 0, count: 2 }, a[0] as Uint8Array, 0).status).toBe('pending');
    expect(r.add('n2@1', { messageId: 5, index: 1, count: 2 }, b[1] as Uint8Array, 0).status).toBe('pending');
    expect(r.add('n1@2', { messageId: 5, index: 1, count: 2 }, a[1] as Uint8Array, 0).status).toBe('pending');
    const done = r.add('n1@1', { messageId: 5, index: 1, count: 2 }, a[1] as Uint8Array, 0);
    expect(done.status === 'complete' && Array.from(done.message)).toEqual(new Array(20).fill(1));
  });

  it('rejects fragments that disagree on the count', () => {
    const r = new Reassembler();
    expect(r.add('n1@1', { messageId: 1, index: 0, count: 3 }, new Uint8Array(5), 0).status).toBe('pending');
    expect(r.add('n1@1', { messageId: 1, index: 1, count: 4 }, new Uint8Array(5), 0)).toEqual({ status: 'rejected', reason: 'inconsistent' });
    expect(r.stats()).toMatchObject({ partialMessages: 0, bufferedBytes: 0 });
  });

  it('bounds partial messages by evicting the oldest', () => {
    const r = new Reassembler({ maxPartialMessages: 4 });
    for (let id = 0; id < 10; id++) r.add('n1@1', { messageId: id, index: 0, count: 2 }, new Uint8Array(10), id);
    expect(r.stats()).toMatchObject({ partialMessages: 4, bufferedBytes: 40, evicted: 6 });
    // The newest survive: message 9 completes, message 0 was evicted.
    expect(r.add('n1@1', { messageId: 9, index: 1, count: 2 }, new Uint8Array(10), 10).status).toBe('complete');
    expect(r.add('n1@1', { messageId: 0, index: 1, count: 2 }, new Uint8Array(10), 10).status).toBe('pending');
  });

  it('bounds what one sender buffers by evicting its oldest, and refuses a message that can never fit', () => {
    const pieceCost = 300 + PIECE_OVERHEAD_BYTES;
    const budget = 3 * (PARTIAL_OVERHEAD_BYTES + pieceCost);
    const r = new Reassembler({ maxMemoryBytesPerSender: budget, maxMessageBytes: 1000 });
    for (let id = 0; id < 5; id++) r.add('n1@1', { messageId: id, index: 0, count: 2 }, new Uint8Array(300), 0);
    expect(r.stats()).toMatchObject({ partialMessages: 3, bufferedBytes: 900, memoryBytes: budget, evicted: 2 });
    const big = [0, 1, 2, 3].map((index) => r.add('n2@1', { messageId: 1, index, count: 4 }, new Uint8Array(300), 0));
    expect(big.map((x) => x.status)).toEqual(['pending', 'pending', 'pending', 'rejected']);
    expect(big[3]).toEqual({ status: 'rejected', reason: 'too-large' });
    expect(r.stats().memoryBytes).toBeLessThanOrEqual(2 * budget);
  });

  it('charges every fragment its bookkeeping: empty fragments are refused, and a flood of tiny ones stays within the budget', () => {
    const r = new Reassembler();
    // A fragment of a message of several fragments always holds at least one byte (splitMessage).
    expect(r.add('n1@1', { messageId: 1, index: 0, count: 3 }, new Uint8Array(0), 0)).toEqual({ status: 'rejected', reason: 'inconsistent' });
    expect(r.add('n1@1', { messageId: 2, index: 0, count: 3 }, new Uint8Array(1), 0).status).toBe('pending');
    expect(r.add('n1@1', { messageId: 2, index: 1, count: 3 }, new Uint8Array(0), 0)).toEqual({ status: 'rejected', reason: 'inconsistent' });
    expect(r.stats()).toMatchObject({ partialMessages: 0, bufferedBytes: 0, memoryBytes: 0 });
    // 65,535 one-byte fragments would cost far more than their 64 KiB: refused at the first one.
    expect(r.add('n1@1', { messageId: 3, index: 0, count: MAX_FRAGMENT_COUNT }, new Uint8Array(1), 0)).toEqual({ status: 'rejected', reason: 'too-large' });

    // Tiny fragments from many messages of many senders: memory stays bounded, counted with overheads.
    const maxMemoryBytes = 200_000;
    const maxMemoryBytesPerSender = 60_000;
    const flood = new Reassembler({ maxMemoryBytes, maxMemoryBytesPerSender });
    let buffered = 0;
    for (let sender = 0; sender < 10; sender++) {
      for (let id = 0; id < 50; id++) {
        for (let index = 0; index < 49; index++) {
          if (flood.add(`n${sender}@1`, { messageId: id, index, count: 50 }, new Uint8Array(1), 0).status === 'pending') buffered++;
          const stats = flood.stats();
          expect(stats.memoryBytes).toBeLessThanOrEqual(maxMemoryBytes);
          expect(stats.memoryBytes).toBe(stats.partialMessages * PARTIAL_OVERHEAD_BYTES + stats.bufferedBytes * (1 + PIECE_OVERHEAD_BYTES));
        }
      }
    }
    expect(buffered).toBeGreaterThan(0);
    expect(flood.stats().bufferedBytes).toBeLessThanOrEqual(maxMemoryBytes / PIECE_OVERHEAD_BYTES);
  });

  it("never evicts another sender's partial messages: a flooding sender only loses its own", () => {
    const r = new Reassembler({ maxPartialMessages: 8, maxPartialMessagesPerSender: 4 });
    const victim = splitMessage(new Uint8Array(20).fill(7), 10);
    expect(r.add('n2@1', { messageId: 1, index: 0, count: 2 }, victim[0] as Uint8Array, 0).status).toBe('pending');
    for (let id = 0; id < 100; id++) r.add('n1@1', { messageId: id, index: 0, count: 2 }, new Uint8Array(10), 0);
    // The flooding sender's epochs share its budget.
    for (let id = 0; id < 100; id++) r.add('n1@2', { messageId: id, index: 0, count: 2 }, new Uint8Array(10), 0);
    expect(r.stats()).toMatchObject({ partialMessages: 5, senders: 2, evicted: 196 });
    const done = r.add('n2@1', { messageId: 1, index: 1, count: 2 }, victim[1] as Uint8Array, 0);
    expect(done.status === 'complete' && Array.from(done.message)).toEqual(new Array(20).fill(7));
  });

  it('refuses a newcomer as busy when all senders together are at their budget, rather than evict others', () => {
    const r = new Reassembler({ maxPartialMessages: 4, maxPartialMessagesPerSender: 4 });
    for (let id = 0; id < 4; id++) expect(r.add('n1@1', { messageId: id, index: 0, count: 2 }, new Uint8Array(10), 0).status).toBe('pending');
    expect(r.add('n2@1', { messageId: 1, index: 0, count: 2 }, new Uint8Array(10), 0)).toEqual({ status: 'rejected', reason: 'busy' });
    expect(r.stats()).toMatchObject({ partialMessages: 4, senders: 1, evicted: 0 });
    // The busy sender gives up its own oldest to start another.
    expect(r.add('n1@1', { messageId: 9, index: 0, count: 2 }, new Uint8Array(10), 0).status).toBe('pending');
    expect(r.stats()).toMatchObject({ partialMessages: 4, evicted: 1 });

    // In bytes: each sender may take half of what all may, so a flooding sender leaves room for the others.
    const partialCost = PARTIAL_OVERHEAD_BYTES + 1000 + PIECE_OVERHEAD_BYTES;
    const bytes = new Reassembler({ maxMemoryBytes: 4 * partialCost, maxMemoryBytesPerSender: 2 * partialCost });
    const victim = splitMessage(new Uint8Array(2000).fill(3), 1000);
    expect(bytes.add('n2@1', { messageId: 1, index: 0, count: 2 }, victim[0] as Uint8Array, 0).status).toBe('pending');
    const flood = [0, 1, 2, 3].map((id) => bytes.add('n1@1', { messageId: id, index: 0, count: 2 }, new Uint8Array(1000), 0).status);
    expect(flood).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect(bytes.stats()).toMatchObject({ partialMessages: 3, senders: 2, memoryBytes: 3 * partialCost });
    expect(bytes.add('n2@1', { messageId: 1, index: 1, count: 2 }, victim[1] as Uint8Array, 0).status).toBe('complete');
  });

  it('passes single-fragment messages straight through', () => {
    const r = new Reassembler();
    const data = new Uint8Array([1, 2, 3]);
    const result = r.add('n1@1', { messageId: 1, index: 0, count: 1 }, data, 0);
    expect(result.status === 'complete' && result.message).toBe(data);
    expect(r.stats().partialMessages).toBe(0);
  });
});
