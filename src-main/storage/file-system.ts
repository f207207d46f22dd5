/**
 * The file operations storage needs, and nothing more. Synchronous on purpose: the replica's loop
 * persists a whole turn with one write and one fsync, and the simulator can then drive the real storage
 * code deterministically on a fault-injecting implementation (see FaultyFileSystem).
 *
 * Durability model (what a crash keeps), which every implementation must honour:
 *  - bytes written to a file survive a crash only after fsync(handle) of that file returned;
 *  - creating, renaming or unlinking a directory entry survives only after fsyncDir(dir) returned;
 *  - a crash may keep any prefix of the bytes written since the last fsync (a torn write).
 */
export interface FileHandle {
  readonly path: string;
}

export interface FileSystem {
  exists(path: string): boolean;
  /** Creates the directory and its parents if missing. */
  mkdirp(dir: string): void;
  /** File names (not paths) in `dir`, sorted. */
  list(dir: string): string[];
  readFile(path: string): Uint8Array;
  /** Opens `path` for appending, creating it empty if missing. */
  openAppend(path: string): FileHandle;
  append(handle: FileHandle, data: Uint8Array): void;
  fsync(handle: FileHandle): void;
  /** The same as fsync, without blocking the thread while the disk works (same durability once it resolves). */
  fsyncAsync(handle: FileHandle): Promise<void>;
  close(handle: FileHandle): void;
  /** Current size in bytes. */
  size(path: string): number;
  /** Shortens the file to `length` bytes (durable after an fsync of the file). */
  truncate(path: string, length: number): void;
  /** Creates or replaces `path` with `data` and fsyncs the file (its directory entry still needs fsyncDir). */
  writeFileSynced(path: string, data: Uint8Array): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  fsyncDir(dir: string): void;
}
