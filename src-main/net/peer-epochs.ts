/**
 * The lowest transport epoch this node still accepts from each sender, kept in `${dir}/peer-epochs` so
 * that it survives a restart of this node. Replay windows live in memory; without this file a restarted
 * node would accept, once each, captured datagrams from every earlier life of its peers.
 *
 * A floor rises when a sender's epoch rises (to that epoch: the sender may still be running it) and when
 * a member leaves the cluster (above its last epoch: it is heard again only from a new life). A peer's
 * epoch rises once per restart of that peer, so writes are rare; they are coalesced to at most one per
 * WRITE_INTERVAL_MS so that a flood of rising epochs (only a holder of the secret can seal them) cannot
 * turn into a flood of fsyncs.
 *
 * Invariants:
 *  - Floors only rise, in memory and on disk.
 *  - The file is replaced atomically (temporary file, fsync, rename, directory fsync): a crash leaves the
 *    old floors or the new ones, never a mix. A floor raised less than WRITE_INTERVAL_MS after the last
 *    write becomes durable at the next write (a timer, or close()): a crash in between loses it, and a
 *    sender's captured datagrams from the epoch just left may then be accepted once after the restart.
 *  - Memory and file are bounded: at most MAX_PEER_EPOCHS senders, the least recently raised forgotten.
 *  - Nothing here throws after open(): a failed write is reported through `onError` and retried at the
 *    next raise or close. A corrupt file is an error at open() naming the file (deleting it is safe: it
 *    only weakens replay protection until each peer's next restart).
 */
import { isValidNodeId } from '../core/config';
import type { FileSystem } from '../storage/file-system';

export const PEER_EPOCHS_FILE_NAME = 'peer-epochs';
export const MAX_PEER_EPOCHS = 512;
export const WRITE_INTERVAL_MS = 1000;
const TEMP_FILE_NAME = `${PEER_EPOCHS_FILE_NAME}.tmp`;
const MAX_EPOCH = 0xffffffff;

/** Where replay windows start (seal.ts): the lowest epoch each sender may still use. */
export interface EpochFloors {
  /** The lowest epoch to accept from `sender`; 0 accepts any. */
  floor(sender: string): number;
  /** Raises the floor of `sender` to `epoch` (a lower value changes nothing). */
  raise(sender: string, epoch: number): void;
}

/** Floors that are never remembered (a transport without a data directory). */
export const NO_EPOCH_FLOORS: EpochFloors = Object.freeze({ floor: () => 0, raise: () => undefined });

export interface PeerEpochsOptions {
  /** Told of every failed write (the floors stay in memory and are written again later); must not throw. */
  readonly onError?: (error: unknown) => void;
  /** Clock for coalescing writes, in milliseconds. Default Date.now. */
  readonly now?: () => number;
}

function parse(bytes: Uint8Array, path: string): Map<string, number> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const floors = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^(\S+) (\d{1,10})$/.exec(line);
    const epoch = Number(match?.[2]);
    if (match === null || !isValidNodeId(match[1] as string) || epoch > MAX_EPOCH) {
      throw new Error(`${path} is corrupt (line ${JSON.stringify(line.slice(0, 60))}); delete it to start over (replay protection then resumes as each peer restarts)`);
    }
    floors.delete(match[1] as string);
    floors.set(match[1] as string, epoch);
  }
  // Written least recently raised first: keep the most recent.
  for (const oldest of floors.keys()) {
    if (floors.size <= MAX_PEER_EPOCHS) break;
    floors.delete(oldest);
  }
  return floors;
}

export class PeerEpochs implements EpochFloors {
  private dirty = false;
  private lastWriteAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private closed = false;
  private readonly onError: (error: unknown) => void;
  private readonly now: () => number;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    /** Insertion order is raise order: the first entry is the least recently raised. */
    private readonly floors: Map<string, number>,
    options: PeerEpochsOptions,
  ) {
    this.onError = options.onError ?? (() => undefined);
    this.now = options.now ?? Date.now;
  }

  /** Loads the floors of `dir` (none if the file is missing). Throws for a corrupt or unreadable file. */
  static open(fs: FileSystem, dir: string, options: PeerEpochsOptions = {}): PeerEpochs {
    const path = `${dir}/${PEER_EPOCHS_FILE_NAME}`;
    const floors = fs.exists(path) ? parse(fs.readFile(path), path) : new Map<string, number>();
    return new PeerEpochs(fs, dir, floors, options);
  }

  floor(sender: string): number {
    return this.floors.get(sender) ?? 0;
  }

  raise(sender: string, epoch: number): void {
    if (this.closed || !(epoch > this.floor(sender)) || !Number.isInteger(epoch) || epoch > MAX_EPOCH) return;
    this.floors.delete(sender);
    this.floors.set(sender, epoch);
    for (const oldest of this.floors.keys()) {
      if (this.floors.size <= MAX_PEER_EPOCHS) break;
      this.floors.delete(oldest);
    }
    this.dirty = true;
    const now = this.now();
    const waitMs = this.lastWriteAt + WRITE_INTERVAL_MS - now;
    // A clock that stepped back (now < lastWriteAt) must not postpone writes: write then.
    if (waitMs <= 0 || now < this.lastWriteAt) this.write();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, waitMs);
      this.timer.unref();
    }
  }

  /** Writes what is not durable yet and stops writing; later raises change nothing. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
    this.closed = true;
  }

  private write(): void {
    if (!this.dirty) return;
    this.lastWriteAt = this.now();
    const text = [...this.floors].map(([sender, epoch]) => `${sender} ${epoch}\n`).join('');
    try {
      const tempPath = `${this.dir}/${TEMP_FILE_NAME}`;
      this.fs.writeFileSynced(tempPath, new TextEncoder().encode(text));
      this.fs.rename(tempPath, `${this.dir}/${PEER_EPOCHS_FILE_NAME}`);
      this.fs.fsyncDir(this.dir);
      this.dirty = false;
    } catch (error) {
      this.onError(error);
    }
  }
}
