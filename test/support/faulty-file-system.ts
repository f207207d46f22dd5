/**
 * An in-memory FileSystem that loses exactly what the durability model (file-system.ts) allows a crash
 * to lose, in the spirit of LazyFS. Tests and the deterministic simulator run the real storage code on
 * it, crash it at any write point, and check what recovery sees.
 *
 * Model:
 *  - A file is an inode with current bytes and durable bytes. fsync(handle) makes the current bytes
 *    durable. A directory maps names to inodes twice: the current entries and the durable entries;
 *    create, rename and unlink change the current entries, fsyncDir(dir) makes them durable.
 *  - crash() reverts every directory to its durable entries and every file to its durable bytes. An inode
 *    no durable entry names is gone, even if its bytes were fsynced (conservative: a real file system
 *    may keep it, or may not). With `tornWrite`, a file that only grew by appends since its last fsync
 *    keeps a prefix of the appended bytes; a file truncated below its durable length or rewritten just
 *    reverts.
 *  - Directories themselves are durable as soon as mkdirp creates them (a simplification: the storage
 *    code never relies on a freshly created directory surviving a crash).
 *  - Handles refer to inodes, as POSIX descriptors do. Handles opened before a crash are stale: using one
 *    throws.
 *
 * Fault injection: every mutating operation is numbered (1, 2, ...). Before operation n runs,
 * `beforeOperation(n, op, path)` is called and, if n === crashAt, a SimulatedCrash is thrown; a throwing
 * operation has no effect. After a SimulatedCrash every mutating operation throws one (the process is
 * dead) until crash() is called. Deterministic: no randomness or clock inside; callers pass functions.
 */
import { basename, dirname, join, normalize } from 'node:path';
import type { FileHandle, FileSystem } from '../../src-main/storage/file-system';

/** Thrown by a FaultyFileSystem in place of the mutating operation at which a test crashes the process. */
export class SimulatedCrash extends Error {
  constructor(
    readonly operation: number,
    readonly op: string,
    readonly path: string,
  ) {
    super(`simulated crash before operation ${operation} (${op} ${path})`);
    this.name = 'SimulatedCrash';
  }
}

export interface CrashOptions {
  /**
   * For each file with bytes appended since its last fsync: how many of those `pendingBytes` survive
   * (a torn write keeps a prefix). Clamped to [0, pendingBytes]. Default: none survive.
   */
  tornWrite?: (pendingBytes: number, path: string) => number;
  /**
   * Only the process dies (kill -9), not the machine: the page cache survives, so nothing is lost, but
   * handles go stale. Recovery then reads data that is not durable yet, and must make it so.
   */
  processOnly?: boolean;
}

const INITIAL_CAPACITY_BYTES = 256;

class Inode {
  data: Uint8Array = new Uint8Array(INITIAL_CAPACITY_BYTES);
  length = 0;
  /** data[0, durableLength) is the durable content, unless `durableCopy` holds it. */
  durableLength = 0;
  /** The durable content, saved when a truncate or rewrite is about to destroy it in `data`. */
  durableCopy: Uint8Array | null = null;

  content(): Uint8Array {
    return this.data.slice(0, this.length);
  }

  append(bytes: Uint8Array): void {
    this.reserve(this.length + bytes.length);
    this.data.set(bytes, this.length);
    this.length += bytes.length;
  }

  truncate(length: number): void {
    if (length < this.durableLength) this.saveDurable();
    if (length > this.length) {
      this.reserve(length);
      this.data.fill(0, this.length, length);
    }
    this.length = length;
  }

  replace(bytes: Uint8Array): void {
    this.truncate(0);
    this.append(bytes);
  }

  fsync(): void {
    this.durableLength = this.length;
    this.durableCopy = null;
  }

  crash(keepPendingBytes: (pendingBytes: number) => number): void {
    if (this.durableCopy !== null) {
      this.data = this.durableCopy;
      this.length = this.durableCopy.length;
    } else {
      const pending = this.length - this.durableLength;
      const keep = pending > 0 ? Math.max(0, Math.min(pending, Math.floor(keepPendingBytes(pending)))) : 0;
      this.length = this.durableLength + keep;
    }
    this.fsync();
  }

  private saveDurable(): void {
    if (this.durableCopy === null) this.durableCopy = this.data.slice(0, this.durableLength);
  }

  private reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.data.length * 2));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

interface Directory {
  current: Map<string, Inode>;
  durable: Map<string, Inode>;
}

class FaultyHandle implements FileHandle {
  closed = false;

  constructor(
    readonly owner: FaultyFileSystem,
    readonly path: string,
    readonly inode: Inode,
    readonly epoch: number,
  ) {}
}

function fsError(code: string, syscall: string, path: string): Error {
  const error = new Error(`${code}: ${syscall} '${path}'`) as Error & { code: string; syscall: string; path: string };
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

export class FaultyFileSystem implements FileSystem {
  /** Mutating operations performed so far (the one a SimulatedCrash replaces is not counted). */
  operations = 0;
  /** Throw a SimulatedCrash instead of performing mutating operation number `crashAt`. Cleared by crash(). */
  crashAt: number | undefined = undefined;
  /** Called before each mutating operation with its number; may throw (e.g. a SimulatedCrash). */
  beforeOperation: ((n: number, op: string, path: string) => void) | undefined = undefined;

  private readonly dirs = new Map<string, Directory>();
  private epoch = 0;
  private halted = false;

  exists(path: string): boolean {
    const p = normalize(path);
    return this.isDir(p) || this.lookup(p) !== undefined;
  }

  mkdirp(dir: string): void {
    const missing: string[] = [];
    for (let d = normalize(dir); !this.isDir(d); d = dirname(d)) {
      if (this.lookup(d) !== undefined) throw fsError('ENOTDIR', 'mkdir', d);
      missing.push(d);
    }
    if (missing.length === 0) return;
    this.gate('mkdirp', dir);
    for (const d of missing) this.dirs.set(d, { current: new Map(), durable: new Map() });
  }

  list(dir: string): string[] {
    const d = normalize(dir);
    const directory = this.directory(d, 'scandir');
    const names = [...directory.current.keys()];
    for (const other of this.dirs.keys()) if (other !== d && dirname(other) === d) names.push(basename(other));
    return names.sort();
  }

  readFile(path: string): Uint8Array {
    return this.file(path, 'open').content();
  }

  openAppend(path: string): FileHandle {
    const p = normalize(path);
    let inode = this.lookup(p);
    if (inode === undefined) {
      if (this.isDir(p)) throw fsError('EISDIR', 'open', p);
      const directory = this.directory(dirname(p), 'open');
      this.gate('create', p);
      inode = new Inode();
      directory.current.set(basename(p), inode);
    }
    return new FaultyHandle(this, p, inode, this.epoch);
  }

  append(handle: FileHandle, data: Uint8Array): void {
    const h = this.live(handle, 'write');
    this.gate('append', h.path);
    h.inode.append(data);
  }

  fsync(handle: FileHandle): void {
    const h = this.live(handle, 'fsync');
    this.gate('fsync', h.path);
    h.inode.fsync();
  }

  /** Deterministic: the fsync happens at once (a crash in the window is the caller's to model). */
  fsyncAsync(handle: FileHandle): Promise<void> {
    try {
      this.fsync(handle);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  close(handle: FileHandle): void {
    // Closing a stale handle is allowed: cleanup code after a crash must not fail.
    if (handle instanceof FaultyHandle && handle.owner === this) handle.closed = true;
  }

  size(path: string): number {
    return this.file(path, 'stat').length;
  }

  truncate(path: string, length: number): void {
    if (!Number.isSafeInteger(length) || length < 0) throw fsError('EINVAL', 'truncate', path);
    const inode = this.file(path, 'truncate');
    this.gate('truncate', path);
    inode.truncate(length);
  }

  /**
   * Two mutating operations, because a crash can fall between them: 'write' (create or rewrite in place,
   * not durable) and then 'fsync'.
   */
  writeFileSynced(path: string, data: Uint8Array): void {
    const p = normalize(path);
    if (this.isDir(p)) throw fsError('EISDIR', 'open', p);
    const directory = this.directory(dirname(p), 'open');
    this.gate('write', p);
    let inode = directory.current.get(basename(p));
    if (inode === undefined) {
      inode = new Inode();
      directory.current.set(basename(p), inode);
    }
    inode.replace(data);
    this.gate('fsync', p);
    inode.fsync();
  }

  rename(from: string, to: string): void {
    const f = normalize(from);
    const t = normalize(to);
    const inode = this.file(f, 'rename');
    if (this.isDir(t)) throw fsError('EISDIR', 'rename', t);
    const target = this.directory(dirname(t), 'rename');
    this.gate('rename', `${f} -> ${t}`);
    this.directory(dirname(f), 'rename').current.delete(basename(f));
    target.current.set(basename(t), inode);
  }

  unlink(path: string): void {
    const p = normalize(path);
    this.file(p, 'unlink');
    this.gate('unlink', p);
    this.directory(dirname(p), 'unlink').current.delete(basename(p));
  }

  fsyncDir(dir: string): void {
    const directory = this.directory(normalize(dir), 'fsync');
    this.gate('fsyncDir', dir);
    directory.durable = new Map(directory.current);
  }

  /**
   * The power goes out: everything not durable is lost (see the model above), open handles go stale,
   * `crashAt` is cleared and mutating operations work again. See CrashOptions for torn writes and for a
   * crash of the process alone.
   */
  crash(options: CrashOptions = {}): void {
    this.epoch++;
    this.halted = false;
    this.crashAt = undefined;
    if (options.processOnly === true) return;
    const tornWrite = options.tornWrite ?? (() => 0);
    const survivors = new Map<Inode, string>();
    for (const [path, directory] of [...this.dirs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      directory.current = new Map(directory.durable);
      for (const [name, inode] of [...directory.durable].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!survivors.has(inode)) survivors.set(inode, join(path, name));
      }
    }
    for (const [inode, path] of survivors) inode.crash((pending) => tornWrite(pending, path));
  }

  /**
   * Corruption on the medium: XORs the byte at `offset` with `xorMask` (1..255) in both the current and
   * the durable content, wherever they hold that offset.
   */
  corrupt(path: string, offset: number, xorMask = 0xff): void {
    if (!Number.isInteger(xorMask) || xorMask < 1 || xorMask > 255) throw new RangeError(`corrupt: xorMask must be 1..255, got ${xorMask}`);
    const inode = this.file(path, 'corrupt');
    const durableLength = inode.durableCopy?.length ?? inode.durableLength;
    if (!Number.isInteger(offset) || offset < 0 || offset >= Math.max(inode.length, durableLength)) {
      throw new RangeError(`corrupt: offset ${offset} is outside ${path}`);
    }
    if (offset < inode.length) inode.data[offset] = (inode.data[offset] as number) ^ xorMask;
    if (inode.durableCopy !== null && offset < inode.durableCopy.length) {
      inode.durableCopy[offset] = (inode.durableCopy[offset] as number) ^ xorMask;
    }
  }

  private gate(op: string, path: string): void {
    const n = this.operations + 1;
    if (this.halted) throw new SimulatedCrash(n, op, path);
    try {
      this.beforeOperation?.(n, op, path);
      if (this.crashAt === n) throw new SimulatedCrash(n, op, path);
    } catch (error) {
      if (error instanceof SimulatedCrash) this.halted = true;
      throw error;
    }
    this.operations = n;
  }

  private isDir(p: string): boolean {
    return dirname(p) === p || this.dirs.has(p);
  }

  private lookup(p: string): Inode | undefined {
    return this.dirs.get(dirname(p))?.current.get(basename(p));
  }

  private directory(d: string, syscall: string): Directory {
    let directory = this.dirs.get(d);
    if (directory === undefined && dirname(d) === d) {
      // A root ('/' or '.') always exists.
      directory = { current: new Map(), durable: new Map() };
      this.dirs.set(d, directory);
    }
    if (directory === undefined) throw fsError(this.lookup(d) === undefined ? 'ENOENT' : 'ENOTDIR', syscall, d);
    return directory;
  }

  private file(path: string, syscall: string): Inode {
    const p = normalize(path);
    const inode = this.lookup(p);
    if (inode === undefined) throw fsError(this.isDir(p) ? 'EISDIR' : 'ENOENT', syscall, p);
    return inode;
  }

  private live(handle: FileHandle, syscall: string): FaultyHandle {
    if (!(handle instanceof FaultyHandle) || handle.owner !== this) throw new TypeError('not a handle of this FaultyFileSystem');
    if (handle.closed) throw fsError('EBADF', syscall, handle.path);
    if (handle.epoch !== this.epoch) throw fsError('EBADF', `${syscall} (handle opened before a crash)`, handle.path);
    return handle;
  }
}
