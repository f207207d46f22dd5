import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c';

/** The textbook bit-at-a-time CRC-32C, to check the sliced tables against. */
function reference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with the bitwise definition at every length and alignment', () => {
    const data = pseudoRandomBytes(300, 7);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 1 + (end % 5)) {
        expect(crc32c(data, 0, start, end)).toBe(reference(data.subarray(start, end)));
        expect(crc32c(data.subarray(start, end))).toBe(reference(data.subarray(start, end)));
      }
    }
  });

  it('continues from a previous checksum', () => {
    const data = pseudoRandomBytes(1000, 42);
    const whole = crc32c(data);
    for (const split of [0, 1, 3, 8, 9, 500, 999, 1000]) {
      expect(crc32c(data.subarray(split), crc32c(data.subarray(0, split)))).toBe(whole);
      expect(crc32c(data, crc32c(data, 0, 0, split), split)).toBe(whole);
    }
  });

  it('rejects a range outside the data', () => {
    expect(() => crc32c(new Uint8Array(4), 0, 2, 5)).toThrow(RangeError);
    expect(() => crc32c(new Uint8Array(4), 0, 3, 2)).toThrow(RangeError);
  });
});
