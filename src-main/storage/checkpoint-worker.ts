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
 * The snapshot leaves before the checkpoint file is written: a member may be waiting for it, and the
 * write and fsync of the file (hundreds of milliseconds at tens of megabytes) are none of its business.
 *
 * Protocol: one CheckpointBuildRequest at a time in; out, a SnapshotBuilt first if a snapshot was
 * asked for and could be built, then one CheckpointBuildReply.
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
  | ({ readonly kind: 'checkpoint'; readonly ok: true; readonly buildMs: number; readonly writeMs: number } & WrittenCheckpoint)
  | { readonly kind: 'checkpoint'; readonly ok: false; readonly message: string };

/** The snapshot of the checkpoint being built, sent before the checkpoint's file is written. */
export interface SnapshotBuilt {
  readonly kind: 'snapshot';
  readonly snapshot: SnapshotImage;
}

export type CheckpointWorkerMessage = CheckpointBuildReply | SnapshotBuilt;

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker.ts runs as a worker thread (see checkpoint-builder.ts)');
const sqlJs = await initSqlJs();
const fs = new NodeFileSystem();

port.on('message', (request: CheckpointBuildRequest) => {
  void build(request).then((reply) => port.postMessage(reply));
});

async function build({ dir, nodeId, clusterId, plan, snapshot }: CheckpointBuildRequest): Promise<CheckpointBuildReply> {
  try {
    const start = performance.now();
    const { image, slot } = ReplicaStore.buildCheckpointImage(fs, sqlJs, dir, { nodeId, clusterId }, plan);
    const built = performance.now();
    if (snapshot) {
      const message: SnapshotBuilt = { kind: 'snapshot', snapshot: snapshotFromImageNow(sqlJs, image) };
      port?.postMessage(message, [message.snapshot.bytes.buffer as ArrayBuffer]);
    }
    const writeStart = performance.now();
    await writeCheckpointInBackground(dir, image);
    return { kind: 'checkpoint', ok: true, segment: plan.endSegment, slot, imageBytes: image.length, buildMs: built - start, writeMs: performance.now() - writeStart };
  } catch (error) {
    return { kind: 'checkpoint', ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
