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
 * When asked (a peer is behind or silent, so it will need one), the same image is also turned into a
 * snapshot for lagging peers (snapshot-image.ts), so that the replica has one ready before anyone asks.
 *
 * Protocol: one CheckpointBuildRequest at a time in, one CheckpointBuildReply out.
 */
import { parentPort } from 'node:worker_threads';
import initSqlJs from 'sql.js';
import { NodeFileSystem } from './node-file-system';
import { writeCheckpointInBackground } from './checkpoint-writer';
import { ReplicaStore, type CheckpointPlan, type WrittenCheckpoint } from './replica-store';
import { snapshotFromImageNow, type SnapshotImage } from './snapshot-image';

export interface CheckpointBuildRequest {
  readonly dir: string;
  readonly nodeId: string;
  readonly clusterId: string;
  readonly plan: CheckpointPlan;
  /** Also build a snapshot from the image. */
  readonly snapshot: boolean;
}

export type CheckpointBuildReply =
  | ({ readonly ok: true; readonly buildMs: number; readonly writeMs: number; readonly snapshot: SnapshotImage | null } & WrittenCheckpoint)
  | { readonly ok: false; readonly message: string };

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker.ts runs as a worker thread (see checkpoint-builder.ts)');
const sqlJs = await initSqlJs();
const fs = new NodeFileSystem();

port.on('message', (request: CheckpointBuildRequest) => {
  void build(request).then((reply) => port.postMessage(reply, reply.ok && reply.snapshot !== null ? [reply.snapshot.bytes.buffer as ArrayBuffer] : []));
});

async function build({ dir, nodeId, clusterId, plan, snapshot }: CheckpointBuildRequest): Promise<CheckpointBuildReply> {
  try {
    const start = performance.now();
    const { image, slot } = ReplicaStore.buildCheckpointImage(fs, sqlJs, dir, { nodeId, clusterId }, plan);
    const built = performance.now();
    await writeCheckpointInBackground(dir, image);
    const writeMs = performance.now() - built;
    return { ok: true, segment: plan.endSegment, slot, imageBytes: image.length, buildMs: built - start, writeMs, snapshot: snapshot ? snapshotFromImageNow(sqlJs, image) : null };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
