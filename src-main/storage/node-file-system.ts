/**
 * The FileSystem on the real disk, with node:fs synchronous calls. Synchronous on purpose (see
 * file-system.ts): the replica persists a whole turn with one write and one fsync.
 *
 * Invariants: append() writes every byte or throws (writeSync may write fewer bytes than asked);
 * an error from fsync is never swallowed (after a failed fsync the kernel may have dropped the dirty
 * pages, so the caller must treat the file as unknown; the journal stops).
 */
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import type { FileHandle, FileSystem } from './file-system';

class NodeFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  closed = false;
}

/**
 * Errors that mean "this platform cannot fsync a directory" rather than "the fsync failed": Windows
 * cannot open a directory as a file (EISDIR/EPERM), and some file systems reject fsync on a directory
 * (EINVAL; PostgreSQL ignores it for the same reason). There is nothing more to do there.
 */
const DIRECTORY_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM']);

export function isDirectoryFsyncUnsupported(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && DIRECTORY_FSYNC_UNSUPPORTED.has(code);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

function writeAll(fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) {
    const n = writeSync(fd, data, written, data.length - written);
    if (n <= 0) throw new Error(`write made no progress (${written} of ${data.length} bytes written)`);
    written += n;
  }
}

export class NodeFileSystem implements FileSystem {
  exists(path: string): boolean {
    return existsSync(path);
  }

  mkdirp(dir: string): void {
    mkdirSync(dir, { recursive: true });
  }

  list(dir: string): string[] {
    return readdirSync(dir).sort();
  }

  readFile(path: string): Uint8Array {
    return readFileSync(path);
  }

  openAppend(path: string): FileHandle {
    return new NodeFileHandle(path, openSync(path, 'a'));
  }

  append(handle: FileHandle, data: Uint8Array): void {
    writeAll(this.fd(handle), data);
  }

  fsync(handle: FileHandle): void {
    fsyncSync(this.fd(handle));
  }

  fsyncAsync(handle: FileHandle): Promise<void> {
    const fd = this.fd(handle);
    return new Promise((resolve, reject) => fsync(fd, (error) => (error === null ? resolve() : reject(error))));
  }

  close(handle: FileHandle): void {
    const h = this.handle(handle);
    if (h.closed) return;
    h.closed = true;
    closeSync(h.fd);
  }

  size(path: string): number {
    return statSync(path).size;
  }

  truncate(path: string, length: number): void {
    truncateSync(path, length);
  }

  writeFileSynced(path: string, data: Uint8Array): void {
    const fd = openSync(path, 'w');
    try {
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  rename(from: string, to: string): void {
    renameSync(from, to);
  }

  unlink(path: string): void {
    unlinkSync(path);
  }

  fsyncDir(dir: string): void {
    let fd: number;
    try {
      fd = openSync(dir, 'r');
    } catch (error) {
      if (isDirectoryFsyncUnsupported(error)) return;
      throw error;
    }
    try {
      fsyncSync(fd);
    } catch (error) {
      if (!isDirectoryFsyncUnsupported(error)) throw error;
    } finally {
      closeSync(fd);
    }
  }

  private handle(handle: FileHandle): NodeFileHandle {
    if (!(handle instanceof NodeFileHandle)) throw new TypeError('not a NodeFileSystem handle');
    return handle;
  }

  private fd(handle: FileHandle): number {
    const h = this.handle(handle);
    if (h.closed) throw new Error(`file handle of ${h.path} is closed`);
    return h.fd;
  }
}
