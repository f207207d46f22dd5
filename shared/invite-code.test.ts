import { describe, expect, it } from 'vitest';
import { decodeInviteCode, encodeInviteCode, MAX_INVITE_ADDRESSES, type Invite } from './invite-code';

const INVITE: Invite = { addresses: ['192.168.1.10:7400', '[fe80::1]:7401'], secret: 'correct horse battery staple' };
/** Made once by this format (its CRC-32 checked against zlib): codes already handed out must stay readable. */
const KNOWN_CODE = 'synod1.eyJhIjpbIjE5Mi4xNjguMS4xMDo3NDAwIiwiW2ZlODA6OjFdOjc0MDEiXSwicyI6ImNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGUifQ.b8db897e';

function problemOf(text: string): string {
  const decoded = decodeInviteCode(text);
  if (decoded.ok) throw new Error(`expected a refusal for ${text}`);
  return decoded.problem;
}

/** A code with a valid checksum around any payload (what a careless or hostile encoder could make). */
function codeAround(payload: string): string {
  const body = `synod1.${Buffer.from(payload).toString('base64url')}`;
  // CRC-32 as zlib computes it (zlib.crc32 needs Node 22).
  let crc = 0xffffffff;
  for (const byte of Buffer.from(body)) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return `${body}.${((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0')}`;
}

describe('invite codes', () => {
  it('round-trip the addresses and the secret, emoji included', () => {
    const invite = { addresses: ['10.0.0.2:7400'], secret: 'a secret with 😀 in it' };
    expect(decodeInviteCode(encodeInviteCode(invite))).toEqual({ ok: true, invite });
    expect(encodeInviteCode(INVITE)).toBe(KNOWN_CODE);
    expect(decodeInviteCode(KNOWN_CODE)).toEqual({ ok: true, invite: INVITE });
  });

  it('survive the line breaks and spaces a paste adds', () => {
    const wrapped = ` ${KNOWN_CODE.slice(0, 40)}\n  ${KNOWN_CODE.slice(40, 90)}\r\n${KNOWN_CODE.slice(90)}\n`;
    expect(decodeInviteCode(wrapped)).toEqual({ ok: true, invite: INVITE });
  });

  it('refuse a changed or truncated code with words saying so', () => {
    const flipped = KNOWN_CODE.replace('eyJh', 'eyJi');
    expect(problemOf(flipped)).toMatch(/damaged or incomplete.*checksum does not match/);
    expect(problemOf(KNOWN_CODE.slice(0, -3))).toMatch(/damaged or incomplete/);
    expect(problemOf(KNOWN_CODE.slice(0, 60))).toMatch(/damaged or incomplete/);
    expect(problemOf(`${KNOWN_CODE}.extra`)).toMatch(/damaged or incomplete/);
  });

  it('name the version it cannot read, and refuse what is not a code', () => {
    expect(problemOf(KNOWN_CODE.replace('synod1.', 'synod2.'))).toBe('This invite code has format version 2, and this Synod reads version 1: use the same version of Synod on both machines.');
    expect(problemOf('')).toMatch(/Paste the invite code/);
    expect(problemOf('correct horse battery staple')).toMatch(/not a Synod invite code/);
    expect(problemOf('192.168.1.10:7400')).toMatch(/not a Synod invite code/);
    expect(problemOf(`synod1.${'A'.repeat(20_000)}.00000000`)).toMatch(/far longer than an invite code/);
  });

  it('check what a well-formed code carries: addresses, secret, nothing else', () => {
    expect(problemOf(codeAround('{"a":[],"s":"long enough secret"}'))).toMatch(/lists no member address/);
    expect(problemOf(codeAround(JSON.stringify({ a: Array(MAX_INVITE_ADDRESSES + 1).fill('10.0.0.1:7400'), s: 'long enough secret' })))).toMatch(/17 addresses, more than 16/);
    expect(problemOf(codeAround('{"a":["10.0.0.1"],"s":"long enough secret"}'))).toMatch(/member address must be HOST:PORT/);
    expect(problemOf(codeAround('{"a":["10.0.0.1:70000"],"s":"long enough secret"}'))).toMatch(/port 70000/);
    expect(problemOf(codeAround('{"a":[7400],"s":"long enough secret"}'))).toMatch(/must be a string/);
    expect(problemOf(codeAround('{"a":["10.0.0.1:7400"],"s":"short"}'))).toMatch(/secret in it must be at least 8/);
    expect(problemOf(codeAround('{"a":["10.0.0.1:7400"],"s":"long enough secret","x":1}'))).toMatch(/damaged/);
    expect(problemOf(codeAround('{"a":"10.0.0.1:7400","s":"long enough secret"}'))).toMatch(/damaged/);
    expect(problemOf(codeAround('["10.0.0.1:7400"]'))).toMatch(/damaged/);
    expect(problemOf(codeAround('not json'))).toMatch(/damaged/);
    expect(problemOf(`synod1.${Buffer.from([0xff, 0xfe, 0x22]).toString('base64url')}.00000000`)).toMatch(/checksum/);
    expect(problemOf(codeAround('\u0000{"a":["10.0.0.1:7400"],"s":"long enough secret"}'))).toMatch(/damaged/);
  });

  it('refuse to make a code the decoder would refuse', () => {
    expect(() => encodeInviteCode({ addresses: [], secret: 'long enough secret' })).toThrow(/no member address/);
    expect(() => encodeInviteCode({ addresses: ['10.0.0.1:7400'], secret: 'short' })).toThrow(/secret/);
  });
});
