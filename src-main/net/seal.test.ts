import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../core/random';
import { BOOT_SALT_BYTES, deriveClusterKeys } from './keys';
import type { EpochFloors } from './peer-epochs';
import { REPLAY_WINDOW_COUNTERS } from './replay-window';
import { MAX_RECEIVE_BYTES, membersDigest, Opener, Sealer, sealOverheadBytes, type DropReason, type OpenResult } from './seal';
import { MAX_DEPARTED_SENDERS } from './strangers';

const keys = deriveClusterKeys('a long shared cluster secret');
const other = deriveClusterKeys('another cluster entirely');
const members = new Set(['n1', 'n2', 'n3']);
const digest = membersDigest(members);
const fragment = { messageId: 7, index: 0, count: 1 };

function sealer(self = 'n1', epoch = 1, k = keys): Sealer {
  return new Sealer(k.key, k.clusterId, self, epoch, digest);
}

function opener(k = keys, ids: ReadonlySet<string> = members, floors?: EpochFloors): Opener {
  const o = new Opener(k.key, k.clusterId, floors);
  o.setMembers(ids);
  return o;
}

/** Floors in memory, recording every raise. */
function memoryFloors(initial: Record<string, number> = {}): EpochFloors & { readonly raised: [string, number][] } {
  const floors = new Map(Object.entries(initial));
  const raised: [string, number][] = [];
  return {
    raised,
    floor: (sender) => floors.get(sender) ?? 0,
    raise: (sender, epoch) => {
      if (epoch <= (floors.get(sender) ?? 0)) return;
      floors.set(sender, epoch);
      raised.push([sender, epoch]);
    },
  };
}

function reason(result: OpenResult): DropReason | 'ok' {
  return result.ok ? 'ok' : result.reason;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('seal and open', () => {
  it('round-trips sender, epoch, digest, send time, fragment header and plaintext', () => {
    const s = sealer('n2', 9);
    const datagram = s.seal({ messageId: 4_000_000_000, index: 2, count: 3 }, text('hello'), 2 ** 32 + 1234.7);
    const result = opener().open(datagram);
    expect(result).toEqual({
      ok: true,
      sender: 'n2',
      epoch: 9,
      counter: 0,
      membersDigest: digest,
      sentAtMs: 1234, // ms, wrapped at 2^32
      fragment: { messageId: 4_000_000_000, index: 2, count: 3 },
      plaintext: text('hello'),
      stranger: false,
    });
    expect(s.sealedDatagrams).toBe(1);
  });

  it('spends 62 bytes plus the sender id length on headers and tag', () => {
    for (const id of ['n', 'n1', 'a-rather-long-node-identifier-32']) {
      const s = sealer(id);
      const datagram = s.seal(fragment, new Uint8Array(100));
      expect(datagram.length - 100).toBe(62 + id.length);
      expect(sealOverheadBytes(id)).toBe(62 + id.length);
      expect(s.overheadBytes).toBe(62 + id.length);
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

  it('gives each process life its own key: a repeated epoch under a new boot salt repeats no (key, nonce) pair', () => {
    const plaintext = new Uint8Array(64);
    const salt = (byte: number): Uint8Array => new Uint8Array(BOOT_SALT_BYTES).fill(byte);
    const life = (bootSalt: Uint8Array): Uint8Array => new Sealer(keys.key, keys.clusterId, 'n1', 7, digest, bootSalt).seal(fragment, plaintext, 0);
    // Same sender, epoch, counter (hence nonce), send time and plaintext: only the salt differs.
    expect(Buffer.from(life(salt(1))).equals(life(salt(1)))).toBe(true);
    const first = life(salt(1));
    const second = life(salt(2));
    expect(Buffer.from(first.subarray(-80, -16)).equals(second.subarray(-80, -16))).toBe(false);
    // Receivers derive the key from the salt in the header: both open.
    expect(reason(opener().open(first))).toBe('ok');
    expect(reason(opener().open(second))).toBe('ok');
    // The default salt is random: two sealers made alike still differ.
    expect(Buffer.from(sealer().seal(fragment, plaintext)).equals(sealer().seal(fragment, plaintext))).toBe(false);
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
    const impostor = new Opener(other.key, keys.clusterId);
    impostor.setMembers(members);
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
    // Format 1 had no boot salt: such a datagram is not ours.
    datagram[0] = 1;
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

  it('keeps a removed member\'s replay state: its captured join stays a replay, and only a new life is heard', () => {
    const o = opener(keys, new Set(['n1']));
    const newcomer = sealer('n4', 50);
    // n4 asks to join as a stranger; the datagram is captured.
    const join = newcomer.seal(fragment, text('join'));
    expect(o.open(join)).toMatchObject({ ok: true, stranger: true });
    o.setMembers(new Set(['n1', 'n4']));
    expect(o.open(newcomer.seal(fragment, text('member traffic')))).toMatchObject({ ok: true, stranger: false });
    o.setMembers(new Set(['n1']));
    // Removed: the capture is a replay, and so is anything else from the life it was removed in.
    expect(reason(o.open(join))).toBe('replayed');
    expect(reason(o.open(newcomer.seal(fragment, text('join again'))))).toBe('replayed');
    // Restarted (a new epoch): heard again, as a stranger.
    expect(o.open(sealer('n4', 51).seal(fragment, text('join, new life')))).toMatchObject({ ok: true, stranger: true });
  });

  it('keeps the windows of at most MAX_DEPARTED_SENDERS removed members in memory; the floors cover the rest', () => {
    const ids = Array.from({ length: MAX_DEPARTED_SENDERS + 1 }, (_, i) => `m${i}`);
    for (const floors of [undefined, memoryFloors()]) {
      const o = opener(keys, new Set(ids), floors);
      const captured = ids.map((id) => {
        const datagram = sealer(id, 5).seal(fragment, text('x'));
        expect(reason(o.open(datagram))).toBe('ok');
        return datagram;
      });
      o.setMembers(new Set());
      expect(reason(o.open(captured[1] as Uint8Array))).toBe('replayed');
      expect(reason(o.open(captured.at(-1) as Uint8Array))).toBe('replayed');
      // The first to leave was forgotten: only its raised floor (peer-epochs.ts) still rejects its capture.
      expect(reason(o.open(captured[0] as Uint8Array))).toBe(floors === undefined ? 'ok' : 'replayed');
    }
  });

  it('starts replay windows at the remembered floors and raises them as epochs rise and members leave', () => {
    const floors = memoryFloors({ n2: 10 });
    const o = opener(keys, members, floors);
    // A restart of this node forgot the windows, not the floors: n2's epoch 9 is a replay.
    expect(reason(o.open(sealer('n2', 9).seal(fragment, text('old life'))))).toBe('replayed');
    expect(reason(o.open(sealer('n2', 10).seal(fragment, text('current life'))))).toBe('ok');
    expect(reason(o.open(sealer('n3', 4).seal(fragment, text('n3'))))).toBe('ok');
    const restarted = sealer('n3', 5);
    expect(reason(o.open(restarted.seal(fragment, text('n3 restarted'))))).toBe('ok');
    expect(reason(o.open(restarted.seal(fragment, text('same life: no new floor'))))).toBe('ok');
    // A forgery never raises a floor.
    expect(reason(o.open(sealer('n3', 98, { ...keys, key: other.key }).seal(fragment, text('forged'))))).toBe('unauthenticated');
    expect(floors.raised).toEqual([
      ['n3', 4],
      ['n3', 5],
    ]);
    // n3 leaves: its floor goes above its last epoch; n1, never heard and never remembered, gets none.
    o.setMembers(new Set(['n2']));
    expect(floors.raised.at(-1)).toEqual(['n3', 6]);
    expect(floors.floor('n1')).toBe(0);
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
