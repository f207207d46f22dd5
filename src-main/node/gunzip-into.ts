/**
 * Gunzip into one buffer, fed while the compressed bytes arrive: how a fetched snapshot is decompressed.
 *
 * Why: on the project's 2-core machine (a Firecracker VM) the first touch of fresh memory costs about
 * 3.5 ms per MB (page faults), as much as inflating itself. Gunzipping a 37 MB snapshot took 0.2 s in a
 * quiet process and 0.5-0.6 s on a replica catching up, and joining the 1 MiB output pieces into the one
 * buffer sql.js needs touched 37 MB more. Here the output goes into one buffer of the size the gzip
 * trailer states (ISIZE), which is then handed over as it is, and the work runs on libuv's thread pool
 * as the chunks are written, overlapping the transfer instead of following it.
 *
 * Nothing is trusted: the stated size must be at most `maxBytes` and possible for the compressed size
 * (deflate expands at most 1032-fold), the output may not exceed it and must match it at the end (zlib
 * also checks the trailer's CRC-32 and size). A buffer of the stated size is only reserved: its pages
 * cost memory as the output fills them.
 */
import { createGunzip, type Gunzip } from 'node:zlib';

/** Deflate's largest expansion (258-byte matches in about 2 bits): a larger stated size is a lie. */
export const DEFLATE_MAX_RATIO = 1032;
/** zlib's smallest output chunk. */
const MIN_CHUNK_BYTES = 64;

export interface GunzipIntoLimits {
  /** Size of the whole compressed input (bounds the stated size, DEFLATE_MAX_RATIO). */
  readonly compressedBytes: number;
  /** The largest output accepted whatever the trailer says. */
  readonly maxBytes: number;
}

/** Whether `first` (the first bytes of a transfer) starts a gzip stream. */
export function isGzip(first: Uint8Array): boolean {
  return first[0] === 0x1f && first[1] === 0x8b;
}

/**
 * The decompressed size that a gzip stream's trailer (its last 4 bytes, little-endian) states, from
 * its chunks in order; undefined while a chunk holding those bytes is missing.
 */
export function gzipTrailerSize(chunks: readonly (Uint8Array | undefined)[]): number | undefined {
  const trailer: number[] = [];
  for (let index = chunks.length - 1; index >= 0 && trailer.length < 4; index--) {
    const chunk = chunks[index];
    if (chunk === undefined) return undefined;
    for (let at = chunk.length - 1; at >= 0 && trailer.length < 4; at--) trailer.unshift(chunk[at] as number);
  }
  if (trailer.length < 4) return undefined;
  const [b0, b1, b2, b3] = trailer as [number, number, number, number];
  return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
}

export class GunzipInto {
  private readonly gunzip: Gunzip | null;
  private readonly done: Promise<Uint8Array>;

  constructor(
    /** The decompressed size the trailer states (gzipTrailerSize). */
    private readonly sizeBytes: number,
    limits: GunzipIntoLimits,
  ) {
    if (sizeBytes > limits.maxBytes || sizeBytes > limits.compressedBytes * DEFLATE_MAX_RATIO) {
      this.gunzip = null;
      this.done = Promise.reject(new RangeError(`the snapshot claims to decompress to ${sizeBytes} bytes, more than ${Math.min(limits.maxBytes, limits.compressedBytes * DEFLATE_MAX_RATIO)} bytes`));
    } else {
      // One byte more than stated: a stream that keeps its word never makes zlib start a second buffer.
      const gunzip = createGunzip({ chunkSize: Math.max(MIN_CHUNK_BYTES, sizeBytes + 1) });
      this.gunzip = gunzip;
      this.done = new Promise((resolve, reject) => {
        const pieces: Buffer[] = [];
        let outputBytes = 0;
        gunzip.on('data', (data: Buffer) => {
          outputBytes += data.length;
          if (outputBytes > sizeBytes) gunzip.destroy(new RangeError(`the snapshot decompresses to more than the ${sizeBytes} bytes its trailer states`));
          else pieces.push(data);
        });
        gunzip.on('end', () => {
          if (outputBytes === sizeBytes) resolve(joined(pieces, sizeBytes));
          else reject(new RangeError(`the snapshot decompresses to ${outputBytes} bytes, its trailer states ${sizeBytes}`));
        });
        gunzip.on('error', reject);
      });
    }
    // Failing before end() is asked for is not an unhandled rejection: end() reports it.
    this.done.catch(() => undefined);
  }

  /** Decompresses `chunk` (the next bytes of the stream) on the thread pool; the buffer must not change. */
  write(chunk: Uint8Array): void {
    if (this.gunzip !== null && !this.gunzip.destroyed) this.gunzip.write(chunk);
  }

  /** The input is complete: resolves with the decompressed bytes, or rejects when they are not what was stated. */
  end(): Promise<Uint8Array> {
    if (this.gunzip !== null && !this.gunzip.destroyed) this.gunzip.end();
    return this.done;
  }

  /** Stops decompressing (the transfer was given up); end() is never asked for. */
  destroy(): void {
    this.gunzip?.destroy();
  }
}

/**
 * The pieces zlib emitted, as one buffer: they are consecutive views of its one output buffer (see the
 * chunk size above), so a view of all of them costs no copy; anything else is copied together.
 */
function joined(pieces: readonly Buffer[], sizeBytes: number): Uint8Array {
  const first = pieces[0];
  if (first === undefined) return new Uint8Array(0);
  let end = first.byteOffset;
  for (const piece of pieces) {
    if (piece.buffer !== first.buffer || piece.byteOffset !== end) return Buffer.concat(pieces, sizeBytes);
    end += piece.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, sizeBytes);
}
