/**
 * Builds a realistic data directory on the real file system for the storage benchmarks: a one-node
 * replica's log of `commands` tweets (100-byte texts, 10 per slot), applied to the micro-blog tables,
 * checkpointed as the node would (every 64 MiB of journal) and compacted to the default retention.
 */
import type { SqlJsStatic } from 'sql.js';
import { encodeCommand } from '../../src-main/app/commands';
import type { Command, PersistBatch } from '../../src-main/core/types';
import { NodeFileSystem } from '../../src-main/storage/node-file-system';
import { ReplicaStore } from '../../src-main/storage/replica-store';

export const BENCH_NODE = { nodeId: 'bench', clusterId: 'bench' } as const;
const COMMANDS_PER_SLOT = 10;
const RETAIN_SLOTS = 10_000;

export function tweetText(i: number): string {
  return `tweet ${i} `.padEnd(100, 'abcdefghij');
}

export interface FixtureOptions {
  readonly onProgress?: (done: number) => void;
  /**
   * Build quickly (for databases of a gigabyte): one fsync per 1,000 slots instead of per slot, and
   * one checkpoint at the end instead of the node's cadence. The directory is the same either way.
   */
  readonly fast?: boolean;
}

/** Fills `dir` with `commands` chosen and applied commands; leaves a journal tail after the last checkpoint. */
export function buildDataDir(sqlJs: SqlJsStatic, dir: string, commands: number, { onProgress, fast = false }: FixtureOptions = {}): void {
  const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, fast ? { ...BENCH_NODE, checkpointJournalBytes: Number.MAX_SAFE_INTEGER } : BENCH_NODE);
  store.takeDurableState();
  const ballot = { round: 1, node: BENCH_NODE.nodeId };
  let seq = 0;
  for (let slot = 1; seq < commands; slot++) {
    const value: Command[] = [];
    for (let i = 0; i < COMMANDS_PER_SLOT && seq < commands; i++) {
      seq++;
      value.push({ origin: `user${seq % 50}`, seq, payload: encodeCommand({ type: 'tweet', text: tweetText(seq), at: 1_700_000_000_000 + seq }) });
    }
    const batch: PersistBatch = { promised: slot === 1 ? ballot : null, accepted: [{ slot, ballot, value }], chosen: [{ slot, value }], proposals: [] };
    store.stage(batch);
    if (!fast || slot % 1_000 === 0) store.sync();
    store.apply(batch.chosen);
    if (slot % 1_000 === 0 && slot > RETAIN_SLOTS) store.compact(slot - RETAIN_SLOTS);
    if (store.checkpointDue()) store.checkpoint();
    if (slot % 10_000 === 0) onProgress?.(seq);
  }
  if (fast) store.checkpoint();
  // No final checkpoint: a crashed node leaves its journal tail behind, which recovery must replay.
}
