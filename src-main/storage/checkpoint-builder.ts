/**
 * The replica's side of the checkpoint thread (checkpoint-worker.ts): starts the worker on first use,
 * sends it one build at a time, and restarts it after it dies. A build that fails is an error for the
 * caller, who keeps the journal (nothing is lost) and tries again later.
 */
import { Worker } from 'node:worker_threads';
import { assert } from '../core/assert';
import type { SnapshotImage } from './snapshot-image';
import type { CheckpointBuildReply, CheckpointBuildRequest, CheckpointWorkerMessage } from './checkpoint-worker';

/** Where the worker's code is, and whether it is TypeScript (loaded through tsx, a development dependency). */
export interface CheckpointWorkerScript {
  readonly url: URL;
  readonly typescript: boolean;
}

/**
 * The worker script beside an entry point (src-main/electron/main.ts, src-main/headless/main.ts, or their
 * builds in out/main/): built entries sit next to out/main/checkpoint-worker.js; run from the TypeScript
 * sources (tests, development), the worker is the .ts file, loaded through tsx like its parent.
 */
export function checkpointWorkerScript(entryUrl: string): CheckpointWorkerScript {
  if (entryUrl.endsWith('.ts')) return { url: new URL('../storage/checkpoint-worker.ts', entryUrl), typescript: true };
  return { url: new URL('./checkpoint-worker.js', entryUrl), typescript: false };
}

export type BuiltCheckpoint = Extract<CheckpointBuildReply, { ok: true }>;

export class CheckpointBuilder {
  private worker: Worker | null = null;
  private waiting: { resolve: (reply: CheckpointBuildReply) => void; reject: (error: Error) => void; onSnapshot: (snapshot: SnapshotImage) => void } | null = null;

  constructor(private readonly script: CheckpointWorkerScript) {}

  /**
   * Builds and writes the checkpoint of `request`; rejects if the worker failed or died. One at a time.
   * The snapshot asked for (request.snapshot) goes to `onSnapshot` as soon as it is built, before the
   * checkpoint's file is written.
   */
  build(request: CheckpointBuildRequest, onSnapshot: (snapshot: SnapshotImage) => void = () => undefined): Promise<BuiltCheckpoint> {
    assert(this.waiting === null, 'one checkpoint build at a time');
    const worker = this.worker ?? this.startWorker();
    return new Promise<CheckpointBuildReply>((resolve, reject) => {
      this.waiting = { resolve, reject, onSnapshot };
      worker.postMessage(request);
    }).then((reply) => {
      if (!reply.ok) throw new Error(`building the checkpoint failed: ${reply.message}`);
      return reply;
    });
  }

  /** Stops the worker; a build in progress is abandoned (its temporary file is overwritten by the next). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }

  private startWorker(): Worker {
    const { url, typescript } = this.script;
    // `--import tsx` in a worker's execArgv does not reach the worker's module loader (Node 20); tsx's
    // API registered inside the worker does.
    const worker = typescript ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true }) : new Worker(url);
    // The worker never holds the process open: the replica decides when it stops (close()).
    worker.unref();
    worker.on('message', (message: CheckpointWorkerMessage) => {
      if (message.kind === 'snapshot') this.waiting?.onSnapshot(message.snapshot);
      else this.settle((waiting) => waiting.resolve(message));
    });
    worker.on('error', (error) => this.settle((waiting) => waiting.reject(error)));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      this.settle((waiting) => waiting.reject(new Error(`the checkpoint worker exited (code ${code})`)));
    });
    this.worker = worker;
    return worker;
  }

  private settle(outcome: (waiting: NonNullable<CheckpointBuilder['waiting']>) => void): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting !== null) outcome(waiting);
  }
}
