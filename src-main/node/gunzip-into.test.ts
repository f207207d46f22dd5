import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFLATE_MAX_RATIO, GunzipInto, gzipTrailerSize, isGzip } from './gunzip-into';

const LIMITS = { compressedBytes: Number.MAX_SAFE_INTEGER, maxBytes: 1024 * 1024 * 1024 };

/** Compressible bytes: a repeated random block. */
function sample(length: number): Uint8Array {
  const block = randomBytes(4096);
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += block.length) bytes.set(block.subarray(0, Math.min(block.length, length - at)), at);
  return bytes;
}

function cut(bytes: Uint8Array, chunkBytes: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, Math.min(at + chunkBytes, bytes.length)));
  return chunks;
}

function decode(gzipped: Uint8Array, chunkBytes = 16 * 1024, limits = { ...LIMITS, compressedBytes: gzipped.length }): Promise<Uint8Array> {
  const chunks = cut(gzipped, chunkBytes);
  const decoder = new GunzipInto(gzipTrailerSize(chunks) ?? -1, limits);
  for (const chunk of chunks) decoder.write(chunk);
  return decoder.end();
}

describe('gunzip into one buffer', () => {
  it('reads the stated size from the trailer, also when it straddles two chunks, once those chunks are here', () => {
    const gzipped = gzipSync(sample(100_000));
    expect(isGzip(gzipped)).toBe(true);
    expect(isGzip(new TextEncoder().encode('{"a":1}'))).toBe(false);
    expect(gzipTrailerSize([gzipped])).toBe(100_000);
    const straddling = [gzipped.subarray(0, gzipped.length - 2), gzipped.subarray(gzipped.length - 2)];
    expect(gzipTrailerSize(straddling)).toBe(100_000);
    expect(gzipTrailerSize([undefined, straddling[1]])).toBeUndefined();
    expect(gzipTrailerSize([straddling[0], undefined])).toBeUndefined();
    expect(gzipTrailerSize([new Uint8Array(3)])).toBeUndefined();
  });

  it('decompresses chunk by chunk into one buffer, handed over without a copy', async () => {
    const bytes = sample(3 * 1024 * 1024 + 123);
    const out = await decode(gzipSync(bytes));
    expect(Buffer.compare(out, bytes)).toBe(0);
    // The view spans the one output buffer zlib filled (one byte more than stated).
    expect(out.buffer.byteLength).toBe(bytes.length + 1);
    expect(await decode(gzipSync(new Uint8Array(0)))).toHaveLength(0);
  });

  it('refuses a stated size beyond the limit or beyond what deflate can expand to, before decompressing anything', async () => {
    const gzipped = gzipSync(sample(100_000));
    await expect(decode(gzipped, 16 * 1024, { compressedBytes: gzipped.length, maxBytes: 99_999 })).rejects.toThrow(/claims to decompress to 100000 bytes, more than 99999/);
    const decoder = new GunzipInto(gzipped.length * DEFLATE_MAX_RATIO + 1, { compressedBytes: gzipped.length, maxBytes: Number.MAX_SAFE_INTEGER });
    decoder.write(gzipped);
    await expect(decoder.end()).rejects.toThrow(/claims to decompress/);
  });

  it('refuses a snapshot that decompresses beyond the limit (a compression bomb), and takes one within it', async () => {
    const bomb = gzipSync(new Uint8Array(10 * 1024 * 1024));
    await expect(decode(bomb, 16 * 1024, { compressedBytes: bomb.length, maxBytes: 1024 * 1024 })).rejects.toThrow(/more than 1048576 bytes/);
    expect(await decode(bomb, 16 * 1024, { compressedBytes: bomb.length, maxBytes: 10 * 1024 * 1024 })).toHaveLength(10 * 1024 * 1024);
  });

  it('refuses a stream that decompresses to more or less than its trailer states (a lying trailer, a bomb)', async () => {
    const bomb = gzipSync(new Uint8Array(10 * 1024 * 1024));
    const lying = new Uint8Array(bomb);
    lying.set([0x00, 0x00, 0x10, 0x00], lying.length - 4); // states 1 MiB
    await expect(decode(lying)).rejects.toThrow(/more than the 1048576 bytes|size|check/);
    const short = new Uint8Array(gzipSync(sample(1000)));
    short.set([0xe9, 0x03, 0x00, 0x00], short.length - 4); // states 1001
    await expect(decode(short)).rejects.toThrow();
  });

  it('refuses damaged bytes (the CRC-32 in the trailer) and stops quietly when destroyed', async () => {
    const damaged = new Uint8Array(gzipSync(sample(100_000)));
    damaged[damaged.length - 6] = (damaged[damaged.length - 6] as number) ^ 0xff;
    await expect(decode(damaged)).rejects.toThrow();
    const decoder = new GunzipInto(100_000, LIMITS);
    decoder.write(gzipSync(sample(100_000)).subarray(0, 100));
    decoder.destroy();
    decoder.write(new Uint8Array(10)); // ignored after destroy
  });
});
