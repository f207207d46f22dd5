/**
 * How the rogue seals datagrams as any identity: the real Sealer (net/seal.ts) with keys derived from
 * the cluster secret, which the rogue holds like every member. The Sealer's constructor and header are
 * the transport's business and may change; this is the one place the fuzzer builds one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeId } from '../../src-main/core/types';
import { EPOCH_FILE_NAME } from '../../src-main/net/epoch';
import type { ClusterKeys } from '../../src-main/net/keys';
import { Sealer } from '../../src-main/net/seal';

export function createRogueSealer(keys: ClusterKeys, senderId: NodeId, epoch: number, membersDigest: number): Sealer {
  return new Sealer(keys.key, keys.clusterId, senderId, epoch, membersDigest);
}

/** The transport epoch a real node's data directory holds (its current process's epoch), 0 if none. */
export function storedEpoch(dataDir: string): number {
  const path = join(dataDir, EPOCH_FILE_NAME);
  if (!existsSync(path)) return 0;
  const value = Number(readFileSync(path, 'latin1').trim());
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
