/**
 * The checkpoint builder's thread (a worker_threads entry point; checkpoint-builder.ts starts it).
 *
 * sql.js can only copy a whole database out (export() walks every page), which on the replica's thread
 * stalled it in proportion to the database: 102-210 ms at 54 MB, growing linearly. Here, on its own
 * thread with its own sql.js, the next checkpoint is rebuilt the way recovery would rebuild the replica
 * (ReplicaStore.buildCheckpointImage: the last checkpoint plus the closed journal segments) and written
 * atomically; the replica only rolled its journal. The cost moved here is CPU on another thread and,
 * while a build runs, memory for a second copy of the database.
 *
 * Protocol: one CheckpointBuildRequest at a time in, one CheckpointBuildReply out.
 */
import { parentPort } from 'node:worker_threads';
import initSqlJs from 'sql.js';
import { NodeFileSystem } from './node-file-system';
import { writeCheckpointInBackground } from './checkpoint-writer';
import { ReplicaStore, type CheckpointPlan, type WrittenCheckpoint } from './replica-store';

export interface CheckpointBuildRequest {
  readonly dir: string;
  readonly nodeId: string;
  readonly clusterId: string;
  readonly plan: CheckpointPlan;
}

export type CheckpointBuildReply =
  | ({ readonly ok: true; readonly buildMs: number; readonly writeMs: number } & WrittenCheckpoint)
  | { readonly ok: false; readonly message: string };

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker.ts runs as a worker thread (see checkpoint-builder.ts)');
const sqlJs = await initSqlJs();
const fs = new NodeFileSystem();

port.on('message', (request: CheckpointBuildRequest) => {
  void build(request).then((reply) => port.postMessage(reply));
});

async function build({ dir, nodeId, clusterId, plan }: CheckpointBuildRequest): Promise<CheckpointBuildReply> {
  try {
    const start = performance.now();
    const { image, slot } = ReplicaStore.buildCheckpointImage(fs, sqlJs, dir, { nodeId, clusterId }, plan);
    const built = performance.now();
    await writeCheckpointInBackground(dir, image);
    return { ok: true, segment: plan.endSegment, slot, imageBytes: image.length, buildMs: built - start, writeMs: performance.now() - built };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
