/**
 * The checkpoint: the whole sql.js database image, written atomically.
 *
 * File format: "SYNC" magic, u16 format version, u16 reserved, u32 CRC-32C of the image, u64 image
 * length (little endian), then the image. The CRC makes a damaged checkpoint a precise error rather
 * than a database that opens with silently wrong contents.
 *
 * Atomicity: write `checkpoint.tmp` and fsync it, rename it over `checkpoint.db`, fsync the directory.
 * A crash at any point leaves either the old or the new checkpoint in place, never a mix.
 */
import { crc32c } from './crc32c';
import { StorageError } from './errors';
import type { FileSystem } from './file-system';

export const CHECKPOINT_FILE = 'checkpoint.db';
const MAGIC = [0x53, 0x59, 0x4e, 0x43]; // "SYNC"
const VERSION = 1;
const HEADER_BYTES = 20;

export const CHECKPOINT_TEMP_FILE = 'checkpoint.tmp';

/** The header that precedes a database image of `imageBytes` bytes whose CRC-32C is `imageCrc`. */
export function checkpointHeader(imageCrc: number, imageBytes: number): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  view.setUint16(4, VERSION, true);
  view.setUint32(8, imageCrc, true);
  view.setBigUint64(12, BigInt(imageBytes), true);
  return header;
}

/** The checkpoint file's bytes for a database image (header + image). */
export function checkpointFileBytes(image: Uint8Array): Uint8Array {
  const file = new Uint8Array(HEADER_BYTES + image.length);
  file.set(checkpointHeader(crc32c(image), image.length), 0);
  file.set(image, HEADER_BYTES);
  return file;
}

/** Size of a checkpoint file holding `imageBytes` of database image. */
export function checkpointFileSize(imageBytes: number): number {
  return HEADER_BYTES + imageBytes;
}

/** Writes checkpoint bytes atomically: temp file, fsync, rename over the checkpoint, fsync the directory. */
export function writeCheckpointFile(fs: FileSystem, dir: string, file: Uint8Array): void {
  fs.writeFileSynced(`${dir}/${CHECKPOINT_TEMP_FILE}`, file);
  fs.rename(`${dir}/${CHECKPOINT_TEMP_FILE}`, `${dir}/${CHECKPOINT_FILE}`);
  fs.fsyncDir(dir);
}

export function hasCheckpoint(fs: FileSystem, dir: string): boolean {
  return fs.exists(`${dir}/${CHECKPOINT_FILE}`);
}

/** The database image of the checkpoint; throws a StorageError when it is missing or damaged. */
export function readCheckpoint(fs: FileSystem, dir: string): Uint8Array {
  const path = `${dir}/${CHECKPOINT_FILE}`;
  if (!fs.exists(path)) {
    throw new StorageError('checkpoint-missing', `${path} is missing but the journal exists: the data directory is incomplete. Restore it from a backup, or remove the directory to rejoin the cluster as a fresh node.`);
  }
  const { image, crc } = parseCheckpointFile(fs.readFile(path), path);
  if (crc32c(image) !== crc) throw checkpointDamaged(path, 'checksum mismatch');
  return image;
}

/**
 * The image inside checkpoint file bytes and the CRC-32C its header promises (the caller checks it, so
 * that a reader off the critical path can checksum in slices). Throws a StorageError for a file that is
 * not a checkpoint of this format.
 */
export function parseCheckpointFile(file: Uint8Array, path: string): { image: Uint8Array; crc: number } {
  if (file.length < HEADER_BYTES || MAGIC.some((byte, i) => file[i] !== byte)) throw checkpointDamaged(path, 'not a Synod checkpoint');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint16(4, true);
  if (version !== VERSION) throw new StorageError('unsupported-format', `${path} has format version ${version}; this build reads version ${VERSION}. Use a matching Synod version.`);
  const length = Number(view.getBigUint64(12, true));
  if (length !== file.length - HEADER_BYTES) throw checkpointDamaged(path, `expected ${length} bytes of database image, found ${file.length - HEADER_BYTES}`);
  return { image: file.subarray(HEADER_BYTES), crc: view.getUint32(8, true) };
}

export function checkpointDamaged(path: string, why: string): StorageError {
  return new StorageError('checkpoint-corrupt', `${path} is damaged (${why}). Restore the data directory from a backup, or remove it to rejoin the cluster as a fresh node.`);
}
