import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api';
import { validateArgs } from '../../shared/validate';
import { BOOT_SALT_BYTES, deriveClusterKeys, deriveSenderKey, senderKeyDeriver } from './keys';

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

  it('gives every sender and every process life (boot salt) its own key', () => {
    const { key } = deriveClusterKeys('correct horse battery staple');
    const salt = new Uint8Array(BOOT_SALT_BYTES).fill(7);
    const n1 = deriveSenderKey(key, 'n1', salt);
    expect(n1.length).toBe(32);
    expect(deriveSenderKey(key, 'n1', salt).equals(n1)).toBe(true);
    expect(deriveSenderKey(key, 'n2', salt).equals(n1)).toBe(false);
    expect(deriveSenderKey(key, 'n1', new Uint8Array(BOOT_SALT_BYTES).fill(8)).equals(n1)).toBe(false);
    expect(n1.equals(key)).toBe(false);
    expect(() => deriveSenderKey(key, 'n1', new Uint8Array(4))).toThrow(RangeError);
  });

  it('derives sender keys exactly as HKDF-SHA256 (RFC 5869) does', () => {
    const { key } = deriveClusterKeys('correct horse battery staple');
    const derive = senderKeyDeriver(key);
    for (const [id, byte] of [['n1', 0], ['a-rather-long-node-identifier-32', 255]] as const) {
      const salt = new Uint8Array(BOOT_SALT_BYTES).fill(byte);
      const info = Buffer.concat([Buffer.from(`synod datagram sender key\u0000${id}\u0000`, 'latin1'), salt]);
      const expected = Buffer.from(hkdfSync('sha256', key, 'synod-cluster-v1', info, 32));
      expect(derive(id, salt).equals(expected)).toBe(true);
      expect(deriveSenderKey(key, id, salt).equals(expected)).toBe(true);
    }
  });
});

describe('the secret rule: what the API accepts, the keys derive from', () => {
  const accepted = (secret: string): boolean => {
    try {
      validateArgs('join', { address: '127.0.0.1:7400', secret });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid-argument') return false;
      throw error;
    }
  };
  const derives = (secret: string): boolean => {
    try {
      deriveClusterKeys(secret);
      return true;
    } catch {
      return false;
    }
  };

  it('gives the same verdict on both sides, "😀😀😀😀" included', () => {
    const secrets = ['😀😀😀😀', '😀'.repeat(7), '😀'.repeat(8), '1234567', '12345678', 'x'.repeat(512), 'x'.repeat(513), '😀'.repeat(512), '😀'.repeat(513), 'long enough \ud800', 'é'.repeat(8)];
    for (const secret of secrets) expect(derives(secret), JSON.stringify(secret)).toBe(accepted(secret));
    expect(() => deriveClusterKeys('😀😀😀😀')).toThrow(/at least 8 characters long \(got 4\)/);
    expect(accepted('😀😀😀😀')).toBe(false);
  });
});
