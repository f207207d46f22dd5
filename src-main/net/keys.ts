/**
 * Keys of a cluster, derived from its shared secret with HKDF-SHA256 (fixed salt "synod-cluster-v1"):
 *  - `key`: the 32-byte cluster key. Datagrams are never sealed with it directly: each sender seals
 *    with its own key, deriveSenderKey(key, senderId), because the (epoch, counter) nonces of different
 *    senders overlap and AES-GCM must never see a nonce twice under one key.
 *  - `clusterId`: 8 public bytes naming the cluster. Nodes with another secret derive another id, so a
 *    datagram from "another cluster" is recognized without trying to decrypt it. clusterIdHex (16 hex
 *    characters) is what storage records and status shows.
 *
 * HKDF is not a password hash: the cluster id (sent in clear in every datagram) lets an eavesdropper
 * test guesses offline, so the secret must be long and random, not a memorable word. The length check
 * only catches obvious mistakes.
 */
import { hkdfSync } from 'node:crypto';

const SALT = 'synod-cluster-v1';
export const MIN_SECRET_CHARACTERS = 8;
export const CLUSTER_KEY_BYTES = 32;
export const CLUSTER_ID_BYTES = 8;

export interface ClusterKeys {
  readonly key: Buffer;
  readonly clusterId: Buffer;
  readonly clusterIdHex: string;
}

function hkdf(secret: string | Buffer, info: string, lengthBytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, lengthBytes));
}

/** Throws an Error naming the problem when the secret is too short to be a secret. */
export function deriveClusterKeys(secret: string): ClusterKeys {
  const characters = [...secret].length;
  if (characters < MIN_SECRET_CHARACTERS) {
    throw new Error(`the cluster secret must be at least ${MIN_SECRET_CHARACTERS} characters long (got ${characters}); use a long random string shared by all members`);
  }
  const key = hkdf(secret, 'synod aes-256-gcm cluster key', CLUSTER_KEY_BYTES);
  const clusterId = hkdf(secret, 'synod cluster id', CLUSTER_ID_BYTES);
  return { key, clusterId, clusterIdHex: clusterId.toString('hex') };
}

/** The AES-256-GCM key with which `senderId` seals its datagrams (and with which receivers open them). */
export function deriveSenderKey(clusterKey: Buffer, senderId: string): Buffer {
  return hkdf(clusterKey, `synod datagram sender key\u0000${senderId}`, CLUSTER_KEY_BYTES);
}
