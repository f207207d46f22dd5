/**
 * Authenticated encryption of datagrams (AES-256-GCM) and their header.
 *
 * Datagram layout (big-endian); everything before the ciphertext is authenticated as AAD:
 *   u8  format version (3)
 *   8   cluster id (keys.ts)
 *   u8  sender id length, then the sender id (ASCII, a valid node id)
 *   8   boot salt: random per process life of the sender, part of its key (keys.ts)
 *   u32 epoch   } the 12-byte GCM nonce is exactly these two fields
 *   u64 counter }
 *   u32 members digest (lets peers notice that they are configured with different member sets)
 *   u32 sent at: the sender's monotonic clock in ms, wrapping (freshness.ts tells a stale backlog by it)
 *   u32 message id, u16 fragment index, u16 fragment count (fragments.ts)
 *   ciphertext, then the 16-byte GCM tag
 *
 * Invariants:
 *  - A (key, nonce) pair is never used twice. The key is per sender and per process life: HKDF of the
 *    cluster key, the sender id and a random 64-bit boot salt drawn when the Sealer is made
 *    (deriveSenderKey). Within a life the nonce is (epoch, counter) with a counter that counts 0, 1,
 *    2... and throws rather than wrap. So nonces never repeat even if an epoch does (a clock set back, a
 *    data directory restored or recreated within the same second), barring a 2^-64 salt collision.
 *    Two live processes with one node id are safe for nonces too, but their peers' replay windows
 *    will drop one of them.
 *  - open() accepts a datagram only under this cluster's key, with a valid tag, that it has not accepted
 *    before (ReplayWindow), from an epoch at or above the sender's floor (peer-epochs.ts). Its replay
 *    state and key cache change only after the tag verified, so forged datagrams cannot poison them.
 *  - Replay state is kept per sender id, not per membership status: a member that leaves keeps its
 *    window (for the last MAX_DEPARTED_SENDERS of them), raised above its last epoch, so its captured
 *    datagrams (its `join` above all) stay replays and it is heard again only from a new process life.
 *    Strangers (non-members holding the secret) keep theirs for the last MAX_STRANGERS of them.
 *  - Work per datagram is bounded: one window check, at most one HKDF (a salt not cached yet) and one
 *    decryption. Each sender caches the keys of its last MAX_KEYS_PER_SENDER salts.
 *  - open() never throws on input: every rejection is a DropReason.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { isValidNodeId } from '../core/config';
import { BOOT_SALT_BYTES, CLUSTER_ID_BYTES, CLUSTER_KEY_BYTES, deriveSenderKey, senderKeyDeriver, type SenderKeyDeriver } from './keys';
import { NO_EPOCH_FLOORS, type EpochFloors } from './peer-epochs';
import { ReplayWindow } from './replay-window';
import { MAX_DEPARTED_SENDERS, MAX_STRANGERS, rememberRecent } from './strangers';

export const DATAGRAM_FORMAT_VERSION = 3;
export const TAG_BYTES = 16;
/** The largest UDP payload over IPv4; anything larger is not ours. */
export const MAX_RECEIVE_BYTES = 65_507;
export const MAX_FRAGMENT_COUNT = 0xffff;
const MAX_SENDER_ID_BYTES = 32;
/** Header bytes other than the sender id: version, cluster id, id length, boot salt, epoch, counter, digest, sent at, fragment header. */
const FIXED_HEADER_BYTES = 1 + CLUSTER_ID_BYTES + 1 + BOOT_SALT_BYTES + 4 + 8 + 4 + 4 + 8;
/** Keys cached per sender: its current process life, and the previous one while their datagrams overlap. */
const MAX_KEYS_PER_SENDER = 2;
const NONCE_BYTES = 12;
const MAX_U32 = 0xffffffff;
const TWO_POW_32 = 0x1_0000_0000;
/** The highest counter a Sealer uses: counters stay exact JavaScript integers. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

export type DropReason = 'malformed' | 'wrong-cluster' | 'unknown-sender' | 'unauthenticated' | 'replayed' | 'oversized';

export interface FragmentHeader {
  /** Per sender and epoch, wrapping at 2^32. */
  readonly messageId: number;
  /** 0 <= index < count. */
  readonly index: number;
  /** 1 .. MAX_FRAGMENT_COUNT. */
  readonly count: number;
}

export type OpenResult =
  | {
      readonly ok: true;
      readonly sender: string;
      readonly epoch: number;
      readonly counter: number;
      readonly membersDigest: number;
      /** The sender's monotonic clock when it sealed the datagram, ms mod 2^32. */
      readonly sentAtMs: number;
      readonly fragment: FragmentHeader;
      readonly plaintext: Uint8Array;
      /** The sender holds the cluster secret but is not a member (a node asking to join). */
      readonly stranger: boolean;
    }
  | { readonly ok: false; readonly reason: DropReason };

/** Bytes a datagram from `senderId` spends on everything but the sealed payload. */
export function sealOverheadBytes(senderId: string): number {
  return FIXED_HEADER_BYTES + senderId.length + TAG_BYTES;
}

/** A 32-bit digest of a member set: the first 4 bytes of SHA-256 of the sorted, distinct ids joined with ','. */
export function membersDigest(ids: Iterable<string>): number {
  const sorted = [...new Set(ids)].sort();
  return createHash('sha256').update(sorted.join(',')).digest().readUInt32BE(0);
}

/** A finite clock reading as a u32 (ms mod 2^32). */
function wrapU32(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`sent at must be a finite time (got ${ms})`);
  return ((Math.floor(ms) % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) throw new RangeError(`${what} must be a u32 (got ${value})`);
}

function checkClusterMaterial(key: Buffer, clusterId: Buffer): void {
  if (key.length !== CLUSTER_KEY_BYTES) throw new RangeError(`cluster key must be ${CLUSTER_KEY_BYTES} bytes`);
  if (clusterId.length !== CLUSTER_ID_BYTES) throw new RangeError(`cluster id must be ${CLUSTER_ID_BYTES} bytes`);
}

/** Seals the datagrams of one sender in one epoch. */
export class Sealer {
  private counter = 0;
  private readonly senderKey: KeyObject;
  /** version | cluster id | sender id length | sender id | boot salt | epoch: the same in every datagram. */
  private readonly prefix: Buffer;
  private digest: number;

  /** `bootSalt`: BOOT_SALT_BYTES random bytes by default, fresh for every Sealer (every process life). */
  constructor(key: Buffer, clusterId: Buffer, self: string, epoch: number, membersDigestValue: number, bootSalt: Uint8Array = randomBytes(BOOT_SALT_BYTES)) {
    checkClusterMaterial(key, clusterId);
    if (!isValidNodeId(self)) throw new RangeError(`invalid sender id "${self}"`);
    checkU32(epoch, 'epoch');
    checkU32(membersDigestValue, 'members digest');
    this.senderKey = createSecretKey(deriveSenderKey(key, self, bootSalt));
    this.digest = membersDigestValue;
    const idBytes = Buffer.from(self, 'latin1');
    this.prefix = Buffer.alloc(1 + CLUSTER_ID_BYTES + 1 + idBytes.length + BOOT_SALT_BYTES + 4);
    let p = this.prefix.writeUInt8(DATAGRAM_FORMAT_VERSION, 0);
    p += clusterId.copy(this.prefix, p);
    p = this.prefix.writeUInt8(idBytes.length, p);
    p += idBytes.copy(this.prefix, p);
    this.prefix.set(bootSalt, p);
    this.prefix.writeUInt32BE(epoch, p + BOOT_SALT_BYTES);
  }

  /** Datagrams sealed so far (also the next counter). */
  get sealedDatagrams(): number {
    return this.counter;
  }

  /** Bytes each datagram spends on everything but the payload. */
  get overheadBytes(): number {
    return this.prefix.length + 8 + 4 + 4 + 8 + TAG_BYTES;
  }

  /** The member set changed: later datagrams advertise the new digest. */
  setMembersDigest(digest: number): void {
    checkU32(digest, 'members digest');
    this.digest = digest;
  }

  /** `sentAtMs`: this process's monotonic clock now (any finite ms; sealed mod 2^32). */
  seal(fragment: FragmentHeader, plaintext: Uint8Array, sentAtMs = performance.now()): Uint8Array {
    checkU32(fragment.messageId, 'message id');
    const { index, count } = fragment;
    if (!Number.isInteger(count) || count < 1 || count > MAX_FRAGMENT_COUNT || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new RangeError(`invalid fragment ${index} of ${count}`);
    }
    if (this.counter > MAX_COUNTER) throw new Error('datagram counter exhausted: restart the process to get a new transport epoch');
    const counter = this.counter++;
    const nonceOffset = this.prefix.length - 4;
    const headerBytes = this.prefix.length + 8 + 4 + 4 + 8;
    // A plain Uint8Array (written through a Buffer view): callers may rely on slice() copying.
    const datagram = new Uint8Array(headerBytes + plaintext.length + TAG_BYTES);
    const out = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
    this.prefix.copy(out, 0);
    let p = this.prefix.length;
    p = out.writeUInt32BE(Math.floor(counter / TWO_POW_32), p);
    p = out.writeUInt32BE(counter % TWO_POW_32, p);
    p = out.writeUInt32BE(this.digest, p);
    p = out.writeUInt32BE(wrapU32(sentAtMs), p);
    p = out.writeUInt32BE(fragment.messageId, p);
    p = out.writeUInt16BE(index, p);
    p = out.writeUInt16BE(count, p);
    const cipher = createCipheriv('aes-256-gcm', this.senderKey, out.subarray(nonceOffset, nonceOffset + NONCE_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(out.subarray(0, headerBytes));
    p += cipher.update(plaintext).copy(out, p);
    p += cipher.final().copy(out, p);
    cipher.getAuthTag().copy(out, p);
    return datagram;
  }
}

interface SenderState {
  readonly window: ReplayWindow;
  /** Derived keys by boot salt, most recently used last; at most MAX_KEYS_PER_SENDER. */
  readonly keys: Map<bigint, KeyObject>;
}

/** Opens datagrams sealed with this cluster's secret; keeps per-sender replay state. */
export class Opener {
  private members: ReadonlySet<string> = new Set();
  /** Replay state of current members, once heard from (or carried over from before they joined). */
  private readonly memberStates = new Map<string, SenderState>();
  /** Members that left, most recently departed or heard last. */
  private readonly departed = new Map<string, SenderState>();
  /** Non-members that were never members here (nodes asking to join), most recently heard last. */
  private readonly strangers = new Map<string, SenderState>();
  private readonly deriveKey: SenderKeyDeriver;

  /** `floors` tells where a sender's replay window starts and hears when it must rise (peer-epochs.ts). */
  constructor(
    key: Buffer,
    private readonly clusterId: Buffer,
    private readonly floors: EpochFloors = NO_EPOCH_FLOORS,
  ) {
    checkClusterMaterial(key, clusterId);
    this.deriveKey = senderKeyDeriver(key);
  }

  /**
   * Replaces the member set (self excluded). A member that leaves keeps its replay state, with the floor
   * raised above the newest epoch known from it: it is heard again only from a new process life.
   */
  setMembers(ids: ReadonlySet<string>): void {
    for (const id of this.members) {
      if (ids.has(id)) continue;
      const state = this.memberStates.get(id) ?? this.newState(id);
      this.memberStates.delete(id);
      const newestEpoch = Math.max(state.window.newestEpoch, state.window.floor);
      if (newestEpoch > 0) {
        state.window.raiseFloor(newestEpoch + 1);
        this.floors.raise(id, newestEpoch + 1);
      }
      rememberRecent(this.departed, id, state, MAX_DEPARTED_SENDERS);
    }
    for (const id of ids) {
      if (this.members.has(id)) continue;
      const state = this.departed.get(id) ?? this.strangers.get(id);
      this.departed.delete(id);
      this.strangers.delete(id);
      if (state !== undefined) this.memberStates.set(id, state);
    }
    this.members = new Set(ids);
  }

  open(datagram: Uint8Array): OpenResult {
    const length = datagram.length;
    if (length > MAX_RECEIVE_BYTES) return { ok: false, reason: 'oversized' };
    if (length < FIXED_HEADER_BYTES + 1 + TAG_BYTES) return { ok: false, reason: 'malformed' };
    const view = new DataView(datagram.buffer, datagram.byteOffset, length);
    if (view.getUint8(0) !== DATAGRAM_FORMAT_VERSION) return { ok: false, reason: 'malformed' };
    for (let i = 0; i < CLUSTER_ID_BYTES; i++) {
      if (datagram[1 + i] !== this.clusterId[i]) return { ok: false, reason: 'wrong-cluster' };
    }
    let p = 1 + CLUSTER_ID_BYTES;
    const idBytes = view.getUint8(p++);
    if (idBytes === 0 || idBytes > MAX_SENDER_ID_BYTES || length < FIXED_HEADER_BYTES + idBytes + TAG_BYTES) return { ok: false, reason: 'malformed' };
    // latin1 maps each byte to one character: any non-ASCII byte then fails the node id pattern.
    const sender = Buffer.from(datagram.buffer, datagram.byteOffset + p, idBytes).toString('latin1');
    if (!isValidNodeId(sender)) return { ok: false, reason: 'malformed' };
    const stranger = !this.members.has(sender);
    p += idBytes;
    const saltOffset = p;
    const salt = view.getBigUint64(p);
    p += BOOT_SALT_BYTES;
    const nonceOffset = p;
    const epoch = view.getUint32(p);
    const counterHigh = view.getUint32(p + 4);
    const counterLow = view.getUint32(p + 8);
    const digest = view.getUint32(p + 12);
    const sentAtMs = view.getUint32(p + 16);
    const messageId = view.getUint32(p + 20);
    const index = view.getUint16(p + 24);
    const count = view.getUint16(p + 26);
    p += 28;
    // Sealers never go past 2^53 - 1; a larger counter cannot be genuine.
    if (counterHigh >= 0x200000) return { ok: false, reason: 'malformed' };
    if (count === 0 || index >= count) return { ok: false, reason: 'malformed' };
    const counter = counterHigh * TWO_POW_32 + counterLow;
    const known = stranger ? (this.departed.get(sender) ?? this.strangers.get(sender)) : this.memberStates.get(sender);
    const state = known ?? this.newState(sender);
    // Checked before deriving a key or decrypting to save the work; recorded only after the tag verified.
    if (!state.window.mayAccept(epoch, counter)) return { ok: false, reason: 'replayed' };
    // A raw key for a salt not cached yet: a KeyObject is made only for keys worth caching.
    const key = state.keys.get(salt) ?? this.deriveKey(sender, datagram.subarray(saltOffset, saltOffset + BOOT_SALT_BYTES));
    const tagOffset = length - TAG_BYTES;
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, datagram.subarray(nonceOffset, nonceOffset + NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(datagram.subarray(0, p));
      decipher.setAuthTag(datagram.subarray(tagOffset));
      const body = decipher.update(datagram.subarray(p, tagOffset));
      const rest = decipher.final();
      plaintext = rest.length === 0 ? body : Buffer.concat([body, rest]);
    } catch {
      return { ok: false, reason: 'unauthenticated' };
    }
    // A new epoch is made durable before anything of it is delivered (peer-epochs.ts coalesces writes).
    if (epoch > state.window.newestEpoch) this.floors.raise(sender, epoch);
    state.window.record(epoch, counter);
    cacheKey(state.keys, salt, Buffer.isBuffer(key) ? createSecretKey(key) : key);
    this.remember(sender, stranger, state);
    return {
      stranger,
      ok: true,
      sender,
      epoch,
      counter,
      membersDigest: digest,
      sentAtMs,
      fragment: { messageId, index, count },
      // The same bytes as a plain Uint8Array, so that slice() copies as callers expect.
      plaintext: new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length),
    };
  }

  /**
   * Keeps the state of a sender whose datagram authenticated: a member's for as long as it is one, a
   * departed member's or a stranger's among the most recent of its kind. Forged sender ids never get
   * here, so they cost nothing lasting.
   */
  private remember(sender: string, stranger: boolean, state: SenderState): void {
    if (!stranger) this.memberStates.set(sender, state);
    else if (this.departed.has(sender)) rememberRecent(this.departed, sender, state, MAX_DEPARTED_SENDERS);
    else rememberRecent(this.strangers, sender, state, MAX_STRANGERS);
  }

  private newState(sender: string): SenderState {
    return { window: new ReplayWindow(this.floors.floor(sender)), keys: new Map() };
  }
}

function cacheKey(keys: Map<bigint, KeyObject>, salt: bigint, key: KeyObject): void {
  keys.delete(salt);
  keys.set(salt, key);
  for (const oldest of keys.keys()) {
    if (keys.size <= MAX_KEYS_PER_SENDER) break;
    keys.delete(oldest);
  }
}
