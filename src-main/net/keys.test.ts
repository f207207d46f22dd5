import { describe, expect, it } from 'vitest';
import { deriveClusterKeys, deriveSenderKey } from './keys';

describe('deriveClusterKeys', () => {
  it('rejects secrets shorter than 8 characters with a clear error', () => {
    expect(() => deriveClusterKeys('')).toThrow(/at least 8 characters/);
    expect(() => deriveClusterKeys('1234567')).toThrow(/at least 8 characters/);
    // Characters, not UTF-16 units: seven emoji are seven characters.
    expect(() => deriveClusterKeys('😀'.repeat(7))).toThrow(/got 7/);
    expect(() => deriveClusterKeys('12345678')).not.toThrow();
  });

  it('derives a 32-byte key and an 8-byte cluster id, deterministically', () => {
    const a = deriveClusterKeys('correct horse battery staple');
    const b = deriveClusterKeys('correct horse battery staple');
    expect(a.key.length).toBe(32);
    expect(a.clusterId.length).toBe(8);
    expect(a.clusterIdHex).toMatch(/^[0-9a-f]{16}$/);
    expect(a.clusterIdHex).toBe(a.clusterId.toString('hex'));
    expect(b.key.equals(a.key)).toBe(true);
    expect(b.clusterIdHex).toBe(a.clusterIdHex);
    // The public id reveals nothing of the key: they come from independent HKDF outputs.
    expect(a.key.subarray(0, 8).equals(a.clusterId)).toBe(false);
  });

  it('gives another secret another cluster', () => {
    const a = deriveClusterKeys('correct horse battery staple');
    const b = deriveClusterKeys('correct horse battery stapl3');
    expect(b.clusterIdHex).not.toBe(a.clusterIdHex);
    expect(b.key.equals(a.key)).toBe(false);
  });

  it('gives every sender its own key', () => {
    const { key } = deriveClusterKeys('correct horse battery staple');
    const n1 = deriveSenderKey(key, 'n1');
    expect(n1.length).toBe(32);
    expect(deriveSenderKey(key, 'n1').equals(n1)).toBe(true);
    expect(deriveSenderKey(key, 'n2').equals(n1)).toBe(false);
    expect(n1.equals(key)).toBe(false);
  });
});
