/**
 * Group commit for async callers: commit() appends a record and returns a promise that resolves once it
 * is durable. Every commit requested before the scheduled flush runs (by default: in the same event-loop
 * turn, flushed with setImmediate) shares one journal.sync(), i.e. one fsync. Because sync() is
 * synchronous, commits requested while a flush runs necessarily land in the next batch.
 *
 * All commits of a batch share one promise, so a batch costs one allocation rather than one per record.
 * If the sync fails, every commit of the batch rejects (and the journal refuses further use).
 */
import type { Journal } from './journal';

/** Runs `flush` later; setImmediate by default, injectable for deterministic tests and the simulator. */
export type FlushScheduler = (flush: () => void) => void;

interface Batch {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function newBatch(): Batch {
  let resolve: () => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class GroupCommit {
  private batch: Batch | null = null;

  constructor(
    private readonly journal: Journal,
    private readonly schedule: FlushScheduler = (flush) => {
      setImmediate(flush);
    },
  ) {}

  /** Appends `payload`; resolves once it is durable. */
  commit(payload: Uint8Array): Promise<void> {
    try {
      this.journal.append(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.batch === null) {
      this.batch = newBatch();
      this.schedule(() => this.flush());
    }
    return this.batch.promise;
  }

  private flush(): void {
    const batch = this.batch;
    if (batch === null) return;
    this.batch = null;
    try {
      this.journal.sync();
    } catch (error) {
      batch.reject(error);
      return;
    }
    batch.resolve();
  }
}
