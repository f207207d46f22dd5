/**
 * Keys of a cluster, derived from its shared secret with HKDF-SHA256 (fixed salt "synod-cluster-v1"):
 *  - `key`: the 32-byte cluster key. Datagrams are never sealed with it directly: each process life of
 *    each sender seals with its own key, deriveSenderKey(key, senderId, bootSalt), because the
 *    (epoch, counter) nonces of different senders overlap, and those of two lives of one sender overlap
 *    if its epoch ever repeats (a clock set back, a restored data directory); AES-GCM must never see a
 *    nonce twice under one key. The boot salt is BOOT_SALT_BYTES random bytes drawn at every start and
 *    sent in clear in every datagram (seal.ts).
 *  - `clusterId`: 8 public bytes naming the cluster. Nodes with another secret derive another id, so a
 *    datagram from "another cluster" is recognized without trying to decrypt it. clusterIdHex (16 hex
 *    characters) is what storage records and status shows.
 *
 * HKDF is not a password hash: the cluster id (sent in clear in every datagram) lets an eavesdropper
 * test guesses offline, so the secret must be long and random, not a memorable word. The length check
 * only catches obvious mistakes.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { clusterSecretProblem } from '../../shared/cluster-secret';

const SALT = 'synod-cluster-v1';
export const CLUSTER_KEY_BYTES = 32;
export const CLUSTER_ID_BYTES = 8;
export const BOOT_SALT_BYTES = 8;
/** HKDF-Expand's counter byte of the first (and, for 32 bytes of SHA-256, only) output block. */
const EXPAND_BLOCK_ONE = Uint8Array.of(1);

export interface ClusterKeys {
  readonly key: Buffer;
  readonly clusterId: Buffer;
  readonly clusterIdHex: string;
}

function hkdf(secret: string | Buffer, info: string, lengthBytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, lengthBytes));
}

/** Throws an Error naming the problem when the secret breaks the rule every boundary checks (shared/cluster-secret.ts). */
export function deriveClusterKeys(secret: string): ClusterKeys {
  const problem = clusterSecretProblem(secret);
  if (problem !== null) throw new Error(`the cluster secret ${problem}; use a long random string shared by all members`);
  const key = hkdf(secret, 'synod aes-256-gcm cluster key', CLUSTER_KEY_BYTES);
  const clusterId = hkdf(secret, 'synod cluster id', CLUSTER_ID_BYTES);
  return { key, clusterId, clusterIdHex: clusterId.toString('hex') };
}

/** Derives sender keys (see deriveSenderKey) under one cluster key. */
export type SenderKeyDeriver = (senderId: string, bootSalt: Uint8Array) => Buffer;

/**
 * The AES-256-GCM key with which `senderId` seals its datagrams in the process life that drew
 * `bootSalt` (and with which receivers open them): HKDF-SHA256 of the cluster key with info
 * "synod datagram sender key" NUL senderId NUL bootSalt. The info is unambiguous: node ids are ASCII
 * without NUL and the salt has a fixed length.
 *
 * Computed as RFC 5869 spells it, extract once per cluster key, then one HMAC per key (a 32-byte output
 * is a single expand block; a test checks the result equals node's hkdfSync): receivers derive a key for
 * every boot salt they have not authenticated yet, forged ones included, so this must cost no more than
 * trying to decrypt (hkdfSync costs about five times as much).
 */
export function senderKeyDeriver(clusterKey: Buffer): SenderKeyDeriver {
  const pseudoRandomKey = createHmac('sha256', SALT).update(clusterKey).digest();
  return (senderId, bootSalt) => {
    if (bootSalt.length !== BOOT_SALT_BYTES) throw new RangeError(`a boot salt is ${BOOT_SALT_BYTES} bytes (got ${bootSalt.length})`);
    return createHmac('sha256', pseudoRandomKey).update(`synod datagram sender key\u0000${senderId}\u0000`, 'latin1').update(bootSalt).update(EXPAND_BLOCK_ONE).digest();
  };
}

/** deriveSenderKey for one key; prefer senderKeyDeriver when deriving many under the same cluster key. */
export function deriveSenderKey(clusterKey: Buffer, senderId: string, bootSalt: Uint8Array): Buffer {
  return senderKeyDeriver(clusterKey)(senderId, bootSalt);
}
