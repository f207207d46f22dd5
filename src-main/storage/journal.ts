/**
 * The append-only write-ahead journal: opaque records in numbered segment files of one directory
 * (journal-00000001.log, journal-00000002.log, ...).
 *
 * Format (little-endian):
 *  - segment header, 16 bytes: magic "SYNJ", u16 format version (1), u16 reserved (0), u64 segment number;
 *  - then records: u32 payload length, u32 CRC-32C over (the 4 length bytes ++ payload), payload.
 *
 * Durability: append() only buffers; sync() writes the buffer with one append and one fsync (group
 * commit), so a record is durable exactly when a sync() that followed its append() has returned.
 * A new segment is durable (header fsynced, directory fsynced) before any record goes into it, and roll()
 * syncs the old segment first, so only the last segment can end in a torn write.
 *
 * Recovery (open): every segment at or above `firstSegment` must be present without gaps and intact,
 * except that the last one may end in what a crash during a write leaves (a torn tail: an incomplete
 * record, a final record with a bad checksum, or zero bytes); that tail is cut off with a warning.
 * Anything else is damage that recovery cannot repair without losing acknowledged records, so it is a
 * StorageError('journal-corrupt') that names the file, the offset and the record.
 *
 * After a write or fsync fails the journal refuses further use: after a failed fsync the kernel may
 * have dropped the dirty pages, so what is on disk is unknown until the node restarts and recovers.
 */
import { join } from 'node:path';
import { crc32c } from './crc32c';
import { StorageError } from './errors';
import type { FileHandle, FileSystem } from './file-system';

export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
export const JOURNAL_FORMAT_VERSION = 1;
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** The length field is a u32. */
const LENGTH_LIMIT_BYTES = 0xffff_ffff;
const MAGIC = [0x53, 0x59, 0x4e, 0x4a]; // "SYNJ"

/** Initial size of the append buffer; a buffer grown past the cap is dropped after a sync to free the memory. */
const BUFFER_INITIAL_BYTES = 64 * 1024;
const BUFFER_KEEP_MAX_BYTES = 4 * 1024 * 1024;

const DAMAGED_ADVICE =
  "the journal is damaged before its end; restore the data directory from a backup or remove it to rejoin as a fresh node (this node's accepted values would be lost)";

export interface JournalOptions {
  /** The lowest segment recovery needs (older ones are covered by a checkpoint and ignored). >= 1. */
  firstSegment: number;
  /** Largest payload accepted by append(); a stored length above it is corruption. Default 64 MiB. */
  maxRecordBytes?: number;
  /** Told about repairs that lose nothing acknowledged (a torn tail cut off). */
  onWarning?: (message: string) => void;
}

export interface JournalStats {
  /** Records appended since open. */
  records: number;
  /** Record bytes (headers included) appended since open. */
  bytes: number;
  /** sync() calls that wrote and fsynced something. */
  syncs: number;
}

export function segmentFileName(segment: number): string {
  return `journal-${String(segment).padStart(8, '0')}.log`;
}

/** The segment number of a journal segment file name, or undefined for any other name. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = /^journal-(\d{8,})\.log$/.exec(name);
  if (match === null) return undefined;
  const segment = Number(match[1]);
  // Only the canonical spelling counts, so two names can never claim the same segment.
  return Number.isSafeInteger(segment) && segment >= 1 && segmentFileName(segment) === name ? segment : undefined;
}

function segmentHeader(segment: number): Uint8Array {
  const header = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  view.setUint16(4, JOURNAL_FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, segment >>> 0, true);
  view.setUint32(12, Math.floor(segment / 0x1_0000_0000), true);
  return header;
}

function isZero(data: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (data[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** What a segment's scan found at its end (anything worse was thrown as corruption). */
type SegmentEnd =
  | { readonly kind: 'intact' }
  | { readonly kind: 'torn-header'; readonly bytes: number }
  | { readonly kind: 'torn-tail'; readonly offset: number; readonly dropped: number; readonly reason: string };

interface ScanContext {
  readonly path: string;
  readonly segment: number;
  readonly last: boolean;
  readonly maxRecordBytes: number;
  /** Records recovered from earlier segments (for error messages). */
  readonly recordsBefore: number;
}

function corruptHeader(path: string, reason: string): StorageError {
  return new StorageError('journal-corrupt', `journal segment ${path} has a bad header: ${reason}; ${DAMAGED_ADVICE}`);
}

/** Checks the header and every record of one segment, pushing payloads (views into `data`) to `records`. */
function scanSegment(data: Uint8Array, context: ScanContext, records: Uint8Array[]): SegmentEnd {
  const { path, segment, last, maxRecordBytes } = context;
  const size = data.length;
  const expected = segmentHeader(segment);

  // A crash while a segment was being created can leave it empty, short or zero-filled. No record was
  // ever acknowledged in it (records go in only after the header is durable), so it is rewritten.
  if (last && isZero(data, 0, size)) return { kind: 'torn-header', bytes: size };
  if (size < SEGMENT_HEADER_BYTES) {
    if (last && data.every((byte, i) => byte === expected[i])) return { kind: 'torn-header', bytes: size };
    throw corruptHeader(path, `the file has only ${size} bytes`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (!MAGIC.every((byte, i) => data[i] === byte)) throw corruptHeader(path, 'it does not start with the magic "SYNJ"');
  const version = view.getUint16(4, true);
  if (version !== JOURNAL_FORMAT_VERSION) {
    throw new StorageError(
      'unsupported-format',
      `journal segment ${path} has format version ${version}, but this build reads only version ${JOURNAL_FORMAT_VERSION}; run a build that supports it`,
    );
  }
  if (view.getUint16(6, true) !== 0) throw corruptHeader(path, 'the reserved field is not 0');
  const stored = view.getUint32(8, true) + view.getUint32(12, true) * 0x1_0000_0000;
  if (stored !== segment) throw corruptHeader(path, `it says segment ${stored}, but the file name says ${segment}`);

  let offset = SEGMENT_HEADER_BYTES;
  let index = 0;
  const damaged = (reason: string): StorageError =>
    new StorageError(
      'journal-corrupt',
      `journal segment ${path} is corrupt at byte offset ${offset}, record index ${index} of the segment (record ${context.recordsBefore + index} of the journal, counting from 0): ${reason}; ${DAMAGED_ADVICE}`,
    );
  const torn = (reason: string): SegmentEnd => ({ kind: 'torn-tail', offset, dropped: size - offset, reason });

  while (offset < size) {
    const remaining = size - offset;
    if (last && isZero(data, offset, size)) return torn('zero bytes');
    if (remaining < RECORD_HEADER_BYTES) {
      if (last) return torn('an incomplete record header');
      throw damaged(`only ${remaining} bytes remain, fewer than a record header, in a segment that is not the last`);
    }
    const length = view.getUint32(offset, true);
    const storedCrc = view.getUint32(offset + 4, true);
    if (length > maxRecordBytes) {
      // A length this writer never writes: torn only if nothing but zeros follows the record header.
      if (last && isZero(data, offset + RECORD_HEADER_BYTES, size)) return torn(`a record header with an impossible length (${length} bytes)`);
      throw damaged(`the record length ${length} exceeds the maximum record size ${maxRecordBytes}`);
    }
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > size) {
      if (last) return torn(`an incomplete record (${remaining - RECORD_HEADER_BYTES} of ${length} payload bytes)`);
      throw damaged(`the record (${length} payload bytes) runs past the end of a segment that is not the last`);
    }
    const actualCrc = crc32c(data, crc32c(data, 0, offset, offset + 4), offset + RECORD_HEADER_BYTES, end);
    if (actualCrc !== storedCrc) {
      // A write torn inside the last record; anything non-zero after it would be a later write, so the
      // bad record cannot be a torn tail then.
      if (last && isZero(data, end, size)) return torn('a final record with a bad checksum');
      throw damaged(`checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(actualCrc)}) with more data after the record`);
    }
    records.push(data.subarray(offset + RECORD_HEADER_BYTES, end));
    offset = end;
    index++;
  }
  return { kind: 'intact' };
}

/**
 * Makes segment `segment` durable and empty: file, header, fsync, directory fsync. `rewrite` replaces
 * the content of an existing file (a segment whose creation a crash interrupted).
 */
function createSegment(fs: FileSystem, dir: string, segment: number, rewrite = false): FileHandle {
  const path = join(dir, segmentFileName(segment));
  if (rewrite) fs.truncate(path, 0);
  else if (fs.exists(path)) throw new Error(`journal: segment ${path} already exists`);
  const handle = fs.openAppend(path);
  try {
    fs.append(handle, segmentHeader(segment));
    fs.fsync(handle);
    fs.fsyncDir(dir);
  } catch (error) {
    fs.close(handle);
    throw error;
  }
  return handle;
}

function listSegments(fs: FileSystem, dir: string): number[] {
  const segments: number[] = [];
  for (const name of fs.list(dir)) {
    const segment = parseSegmentFileName(name);
    if (segment !== undefined) segments.push(segment);
  }
  return segments.sort((a, b) => a - b);
}

/**
 * The payloads of the closed segments [firstSegment, endSegment), read without opening the journal for
 * writing: a checkpoint builder (checkpoint-worker.ts) reads them while the replica appends to a later
 * segment. A closed segment was synced before the next one was created (roll()), so it must be whole:
 * a torn tail there is damage, not a crash's leftover, and anything missing or damaged is a StorageError.
 */
export function readClosedSegments(fs: FileSystem, dir: string, firstSegment: number, endSegment: number, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): Uint8Array[] {
  if (!Number.isSafeInteger(firstSegment) || firstSegment < 1 || !Number.isSafeInteger(endSegment) || endSegment < firstSegment) {
    throw new RangeError(`journal: bad closed segment range [${firstSegment}, ${endSegment})`);
  }
  const records: Uint8Array[] = [];
  for (let segment = firstSegment; segment < endSegment; segment++) {
    const path = join(dir, segmentFileName(segment));
    if (!fs.exists(path)) throw new StorageError('journal-corrupt', `journal ${dir} is missing segment ${segmentFileName(segment)}; ${DAMAGED_ADVICE}`);
    scanSegment(fs.readFile(path), { path, segment, last: false, maxRecordBytes, recordsBefore: records.length }, records);
  }
  return records;
}

export class Journal {
  private buffer = new Uint8Array(BUFFER_INITIAL_BYTES);
  private bufferedBytes = 0;
  /** Bytes written to the segment file since its last fsync. */
  private unsyncedBytes = 0;
  private segmentBytes: number;
  private records = 0;
  private bytes = 0;
  private syncs = 0;
  private failure: unknown = undefined;
  private closed = false;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private handle: FileHandle,
    private segment: number,
    segmentBytes: number,
    private readonly maxRecordBytes: number,
  ) {
    this.segmentBytes = segmentBytes;
  }

  /**
   * Recovers the journal in `dir` (created if missing): returns the payloads of every record in segments
   * >= firstSegment, in order, and a journal that appends to the last segment. The payloads are views
   * into the bytes read; they stay valid. `tornTailTruncated`: a crash's torn write was cut off.
   */
  static open(fs: FileSystem, dir: string, options: JournalOptions): { journal: Journal; records: Uint8Array[]; tornTailTruncated: boolean } {
    const { firstSegment } = options;
    const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    const warn = options.onWarning ?? (() => {});
    if (!Number.isSafeInteger(firstSegment) || firstSegment < 1) throw new RangeError(`journal: firstSegment must be an integer >= 1, got ${firstSegment}`);
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 0 || maxRecordBytes > LENGTH_LIMIT_BYTES) {
      throw new RangeError(`journal: maxRecordBytes must be an integer in [0, ${LENGTH_LIMIT_BYTES}], got ${maxRecordBytes}`);
    }
    if (!fs.exists(dir)) fs.mkdirp(dir);

    const segments = listSegments(fs, dir).filter((segment) => segment >= firstSegment);
    segments.forEach((segment, i) => {
      const expected = firstSegment + i;
      if (segment !== expected) {
        throw new StorageError(
          'journal-corrupt',
          `journal ${dir} is missing segment ${segmentFileName(expected)} (the next one present is ${segmentFileName(segment)}); ${DAMAGED_ADVICE}`,
        );
      }
    });

    const records: Uint8Array[] = [];
    let end: SegmentEnd = { kind: 'intact' };
    let lastSize = 0;
    for (const [i, segment] of segments.entries()) {
      const path = join(dir, segmentFileName(segment));
      const data = fs.readFile(path);
      const last = i === segments.length - 1;
      end = scanSegment(data, { path, segment, last, maxRecordBytes, recordsBefore: records.length }, records);
      if (last) lastSize = data.length;
    }

    const lastSegment = segments.at(-1);
    if (lastSegment === undefined) {
      const handle = createSegment(fs, dir, firstSegment);
      return { journal: new Journal(fs, dir, handle, firstSegment, SEGMENT_HEADER_BYTES, maxRecordBytes), records, tornTailTruncated: false };
    }
    const path = join(dir, segmentFileName(lastSegment));
    if (end.kind === 'torn-header') {
      warn(`journal segment ${path} has an incomplete header (${end.bytes} bytes) left by a crash while it was created; rewrote it (no record is lost)`);
      const handle = createSegment(fs, dir, lastSegment, true);
      return { journal: new Journal(fs, dir, handle, lastSegment, SEGMENT_HEADER_BYTES, maxRecordBytes), records, tornTailTruncated: true };
    }
    let size = lastSize;
    if (end.kind === 'torn-tail') {
      warn(
        `journal segment ${path} ends in a torn write (${end.reason}): dropped ${end.dropped} bytes at byte offset ${end.offset}; only records never synced are lost`,
      );
      fs.truncate(path, end.offset);
      size = end.offset;
    }
    const handle = fs.openAppend(path);
    try {
      // If the previous process died without the machine crashing, what it wrote may still be only in
      // the page cache, where this process just read it; make it durable before anything relies on it.
      fs.fsync(handle);
      fs.fsyncDir(dir);
    } catch (error) {
      fs.close(handle);
      throw error;
    }
    return { journal: new Journal(fs, dir, handle, lastSegment, size, maxRecordBytes), records, tornTailTruncated: end.kind === 'torn-tail' };
  }

  /** The segment records are appended to. */
  get currentSegment(): number {
    return this.segment;
  }

  /** Size of the current segment including buffered records: lets the caller decide when to roll(). */
  get currentSegmentBytes(): number {
    return this.segmentBytes + this.bufferedBytes;
  }

  get stats(): JournalStats {
    return { records: this.records, bytes: this.bytes, syncs: this.syncs };
  }

  /** Buffers one record; it is durable once a later sync() returns. */
  append(payload: Uint8Array): void {
    this.checkUsable();
    const length = payload.length;
    if (length > this.maxRecordBytes) throw new RangeError(`journal: a record of ${length} bytes exceeds maxRecordBytes ${this.maxRecordBytes}`);
    const offset = this.bufferedBytes;
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > this.buffer.length) this.grow(end);
    const buffer = this.buffer;
    buffer[offset] = length & 0xff;
    buffer[offset + 1] = (length >>> 8) & 0xff;
    buffer[offset + 2] = (length >>> 16) & 0xff;
    buffer[offset + 3] = length >>> 24;
    const crc = crc32c(payload, crc32c(buffer, 0, offset, offset + 4));
    buffer[offset + 4] = crc & 0xff;
    buffer[offset + 5] = (crc >>> 8) & 0xff;
    buffer[offset + 6] = (crc >>> 16) & 0xff;
    buffer[offset + 7] = crc >>> 24;
    buffer.set(payload, offset + RECORD_HEADER_BYTES);
    this.bufferedBytes = end;
    this.records++;
    this.bytes += end - offset;
  }

  /**
   * Writes the buffered records to the segment file without fsync: they may survive a crash, whole or
   * torn, or not at all. sync() calls it; the simulator calls it alone to open the window between a
   * write and its fsync, where a real crash can strike.
   */
  write(): void {
    this.checkUsable();
    if (this.bufferedBytes === 0) return;
    try {
      this.fs.append(this.handle, this.buffer.subarray(0, this.bufferedBytes));
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.segmentBytes += this.bufferedBytes;
    this.unsyncedBytes += this.bufferedBytes;
    this.bufferedBytes = 0;
    if (this.buffer.length > BUFFER_KEEP_MAX_BYTES) this.buffer = new Uint8Array(BUFFER_INITIAL_BYTES);
  }

  /** Makes every record appended so far durable, with one write and one fsync. No-op if none is pending. */
  sync(): void {
    this.write();
    if (this.unsyncedBytes === 0) return;
    try {
      this.fs.fsync(this.handle);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.unsyncedBytes = 0;
    this.syncs++;
  }

  /**
   * sync() without blocking the thread during the fsync. The caller must not append, roll or close until
   * it resolves (the replica's loop waits for it before its next turn).
   */
  async syncAsync(): Promise<void> {
    this.write();
    if (this.unsyncedBytes === 0) return;
    const written = this.unsyncedBytes;
    try {
      await this.fs.fsyncAsync(this.handle);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.unsyncedBytes -= written;
    this.syncs++;
  }

  /** Syncs, then starts the next segment (durably) and returns its number. */
  roll(): number {
    this.sync();
    const next = this.segment + 1;
    let handle: FileHandle;
    try {
      handle = createSegment(this.fs, this.dir, next);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.fs.close(this.handle);
    this.handle = handle;
    this.segment = next;
    this.segmentBytes = SEGMENT_HEADER_BYTES;
    return next;
  }

  /** Deletes the segment files numbered below `segment` (durably). The current segment cannot be dropped. */
  dropSegmentsBefore(segment: number): void {
    this.checkUsable();
    if (segment > this.segment) throw new RangeError(`journal: cannot drop segments before ${segment}: the current segment is ${this.segment}`);
    let dropped = 0;
    for (const existing of listSegments(this.fs, this.dir)) {
      if (existing >= segment) break;
      this.fs.unlink(join(this.dir, segmentFileName(existing)));
      dropped++;
    }
    if (dropped > 0) this.fs.fsyncDir(this.dir);
  }

  /** Syncs what is pending (unless an earlier write failed) and closes the segment. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      if (this.failure === undefined) this.sync();
    } finally {
      this.closed = true;
      this.fs.close(this.handle);
    }
  }

  private grow(minBytes: number): void {
    let capacity = this.buffer.length * 2;
    while (capacity < minBytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.bufferedBytes));
    this.buffer = grown;
  }

  private checkUsable(): void {
    if (this.closed) throw new Error('journal: closed');
    if (this.failure !== undefined) {
      throw new Error('journal: unusable after a failed write or fsync; restart the node to recover from what is durable', { cause: this.failure });
    }
  }
}
