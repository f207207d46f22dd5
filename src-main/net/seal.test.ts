import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../core/random';
import { deriveClusterKeys } from './keys';
import { REPLAY_WINDOW_COUNTERS } from './replay-window';
import { MAX_RECEIVE_BYTES, membersDigest, Opener, Sealer, sealOverheadBytes, type DropReason, type OpenResult } from './seal';

const keys = deriveClusterKeys('a long shared cluster secret');
const other = deriveClusterKeys('another cluster entirely');
const members = new Set(['n1', 'n2', 'n3']);
const digest = membersDigest(members);
const fragment = { messageId: 7, index: 0, count: 1 };

function sealer(self = 'n1', epoch = 1, k = keys): Sealer {
  return new Sealer(k.key, k.clusterId, self, epoch, digest);
}

function opener(k = keys, ids: ReadonlySet<string> = members): Opener {
  return new Opener(k.key, k.clusterId, () => ids);
}

function reason(result: OpenResult): DropReason | 'ok' {
  return result.ok ? 'ok' : result.reason;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('seal and open', () => {
  it('round-trips sender, epoch, digest, fragment header and plaintext', () => {
    const s = sealer('n2', 9);
    const datagram = s.seal({ messageId: 4_000_000_000, index: 2, count: 3 }, text('hello'));
    const result = opener().open(datagram);
    expect(result).toEqual({
      ok: true,
      sender: 'n2',
      epoch: 9,
      counter: 0,
      membersDigest: digest,
      fragment: { messageId: 4_000_000_000, index: 2, count: 3 },
      plaintext: text('hello'),
      stranger: false,
    });
    expect(s.sealedDatagrams).toBe(1);
  });

  it('spends 50 bytes plus the sender id length on headers and tag', () => {
    for (const id of ['n', 'n1', 'a-rather-long-node-identifier-32']) {
      const s = sealer(id);
      const datagram = s.seal(fragment, new Uint8Array(100));
      expect(datagram.length - 100).toBe(50 + id.length);
      expect(sealOverheadBytes(id)).toBe(50 + id.length);
      expect(s.overheadBytes).toBe(50 + id.length);
    }
  });

  it('seals an empty plaintext', () => {
    const result = opener().open(sealer().seal(fragment, new Uint8Array(0)));
    expect(result.ok && result.plaintext.length).toBe(0);
  });

  it('encrypts: the plaintext does not appear in the datagram', () => {
    const datagram = Buffer.from(sealer().seal(fragment, text('a very recognizable plaintext')));
    expect(datagram.includes('recognizable')).toBe(false);
  });

  it('gives each sender its own key, so equal nonces of two senders never meet under one key', () => {
    const plaintext = new Uint8Array(64);
    const a = sealer('n1', 1).seal(fragment, plaintext);
    const b = sealer('n2', 1).seal(fragment, plaintext);
    // Same epoch and counter, hence the same nonce: the ciphertexts must still differ.
    expect(Buffer.from(a.subarray(-80, -16)).equals(b.subarray(-80, -16))).toBe(false);
  });

  it('rejects every single-byte tampering, and the forgeries do not poison the replay window', () => {
    const rng = seededRandom(3);
    const o = opener();
    const datagram = sealer().seal({ messageId: 1, index: 1, count: 2 }, text('attack at dawn'));
    const seen = new Set<string>();
    for (let at = 0; at < datagram.length; at++) {
      const tampered = datagram.slice();
      tampered[at] = (tampered[at] as number) ^ (1 + randomInt(rng, 255));
      const r = reason(o.open(tampered));
      expect(['malformed', 'wrong-cluster', 'unknown-sender', 'unauthenticated']).toContain(r);
      seen.add(r);
    }
    expect(seen.has('wrong-cluster') && seen.has('unauthenticated')).toBe(true);
    expect(reason(o.open(datagram))).toBe('ok');
  });

  it('rejects truncated datagrams', () => {
    const o = opener();
    const datagram = sealer().seal(fragment, text('some payload'));
    for (let length = 0; length < datagram.length; length++) {
      expect(['malformed', 'unauthenticated']).toContain(reason(o.open(datagram.subarray(0, length))));
    }
  });

  it('tells another cluster apart', () => {
    expect(reason(opener().open(sealer('n1', 1, other).seal(fragment, text('x'))))).toBe('wrong-cluster');
  });

  it('rejects a datagram under the right cluster id but the wrong key as unauthenticated', () => {
    const impostor = new Opener(other.key, keys.clusterId, () => members);
    expect(reason(impostor.open(sealer().seal(fragment, text('x'))))).toBe('unauthenticated');
  });

  it('opens a non-member holding the secret as a stranger (the transport admits only its join), with replay protection', () => {
    const datagram = sealer('n9').seal(fragment, text('x'));
    const first = opener();
    const result = first.open(datagram);
    expect(result.ok && result.stranger).toBe(true);
    expect(reason(first.open(datagram))).toBe('replayed');
    const forged = sealer("n9", 1, other).seal(fragment, text('x'));
    expect(reason(opener().open(forged))).toBe('wrong-cluster');
  });

  it('drops oversized and obviously malformed datagrams', () => {
    expect(reason(opener().open(new Uint8Array(MAX_RECEIVE_BYTES + 1)))).toBe('oversized');
    expect(reason(opener().open(new Uint8Array(10)))).toBe('malformed');
    const datagram = sealer().seal(fragment, text('x'));
    datagram[0] = 2;
    expect(reason(opener().open(datagram))).toBe('malformed');
  });

  it('rejects replays: duplicates, older epochs, counters below the window', () => {
    const o = opener();
    const s = sealer('n1', 5);
    const first = s.seal(fragment, text('1'));
    expect(reason(o.open(first))).toBe('ok');
    expect(reason(o.open(first))).toBe('replayed');
    // The sender restarts with a new epoch: its old datagrams are now replays.
    const stale = s.seal(fragment, text('2'));
    expect(reason(o.open(sealer('n1', 6).seal(fragment, text('3'))))).toBe('ok');
    expect(reason(o.open(stale))).toBe('replayed');
    expect(reason(o.open(sealer('n1', 4).seal(fragment, text('4'))))).toBe('replayed');
    // Other senders have their own windows.
    expect(reason(o.open(sealer('n2', 1).seal(fragment, text('5'))))).toBe('ok');
  });

  it('accepts reordering within the window and nothing below it', () => {
    const o = opener();
    const s = sealer('n3', 1);
    const datagrams = Array.from({ length: REPLAY_WINDOW_COUNTERS + 10 }, (_, i) => s.seal(fragment, text(String(i))));
    const last = datagrams.at(-1) as Uint8Array;
    expect(reason(o.open(last))).toBe('ok');
    // Counters 10 .. last are inside the window; 0 .. 9 fell out of it.
    for (let i = datagrams.length - 2; i >= 10; i--) expect(reason(o.open(datagrams[i] as Uint8Array))).toBe('ok');
    for (let i = 0; i < 10; i++) expect(reason(o.open(datagrams[i] as Uint8Array))).toBe('replayed');
    expect(reason(o.open(datagrams[500] as Uint8Array))).toBe('replayed');
  });

  it('throws instead of reusing a nonce when the counter is exhausted', () => {
    const s = sealer();
    (s as unknown as { counter: number }).counter = Number.MAX_SAFE_INTEGER;
    const datagram = s.seal(fragment, text('last'));
    expect(opener().open(datagram)).toMatchObject({ ok: true, counter: Number.MAX_SAFE_INTEGER });
    expect(() => s.seal(fragment, text('one too many'))).toThrow(/exhausted/);
  });

  it('refuses invalid fragment headers and constructor arguments', () => {
    expect(() => sealer().seal({ messageId: 1, index: 2, count: 2 }, text('x'))).toThrow(RangeError);
    expect(() => sealer().seal({ messageId: 1, index: 0, count: 0 }, text('x'))).toThrow(RangeError);
    expect(() => sealer().seal({ messageId: 2 ** 32, index: 0, count: 1 }, text('x'))).toThrow(RangeError);
    expect(() => new Sealer(keys.key, keys.clusterId, 'not valid', 1, 0)).toThrow(RangeError);
    expect(() => new Sealer(keys.key, keys.clusterId, 'n1', 2 ** 32, 0)).toThrow(RangeError);
    expect(() => new Sealer(keys.key.subarray(1), keys.clusterId, 'n1', 1, 0)).toThrow(RangeError);
  });
});

describe('membersDigest', () => {
  it('ignores order and duplicates, and tells different sets apart', () => {
    expect(membersDigest(['n3', 'n1', 'n2'])).toBe(membersDigest(['n1', 'n2', 'n3', 'n1']));
    expect(membersDigest(['n1', 'n2'])).not.toBe(membersDigest(['n1', 'n2', 'n3']));
    expect(Number.isInteger(digest) && digest >= 0 && digest <= 0xffffffff).toBe(true);
  });
});
