import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom, type RandomSource } from '../core/random';
import { MAX_MESSAGE_BYTES, maxMessageBytes, MessageTooLargeError, Reassembler, splitMessage, type ReassemblyResult } from './fragments';
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

  it('bounds buffered bytes by evicting the oldest, and refuses a message that can never fit', () => {
    const r = new Reassembler({ maxBufferedBytes: 1000 });
    for (let id = 0; id < 5; id++) r.add('n1@1', { messageId: id, index: 0, count: 2 }, new Uint8Array(300), 0);
    expect(r.stats().bufferedBytes).toBeLessThanOrEqual(1000);
    expect(r.stats()).toMatchObject({ partialMessages: 3, evicted: 2 });
    const big = [0, 1, 2, 3].map((index) => r.add('n2@1', { messageId: 1, index, count: 10 }, new Uint8Array(300), 0));
    expect(big.map((x) => x.status)).toEqual(['pending', 'pending', 'pending', 'rejected']);
    expect(big[3]).toEqual({ status: 'rejected', reason: 'too-large' });
    expect(r.stats().bufferedBytes).toBeLessThanOrEqual(1000);
  });

  it('passes single-fragment messages straight through', () => {
    const r = new Reassembler();
    const data = new Uint8Array([1, 2, 3]);
    const result = r.add('n1@1', { messageId: 1, index: 0, count: 1 }, data, 0);
    expect(result.status === 'complete' && result.message).toBe(data);
    expect(r.stats().partialMessages).toBe(0);
  });
});
