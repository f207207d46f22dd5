import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL_CONFIG } from '../core/config';
import { utf8ByteLength } from '../core/utf8';
import { decodeCommand, encodeCommand, normalizeDisplayName, normalizeTweetText, type AppCommand } from './commands';
import { MAX_NAME_CODE_POINTS, MAX_TWEET_CODE_POINTS, replicatedTweetText } from '../../shared/text';

const AT = 1_700_000_000_000;

describe('encodeCommand / decodeCommand', () => {
  const samples: AppCommand[] = [
    { type: 'register', name: 'Alice Ω', at: AT },
    { type: 'tweet', text: 'hello "world"\n\\ 👍🏽 👨‍👩‍👧 e\u0301', at: 0 },
    { type: 'block', target: 'bob', at: Number.MAX_SAFE_INTEGER },
    { type: 'unblock', target: 'bob-2_x', at: AT },
  ];

  it('round-trips every command type', () => {
    for (const command of samples) expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it('uses a compact array encoding', () => {
    expect(encodeCommand({ type: 'tweet', text: 'hi', at: AT })).toBe('["tweet",1700000000000,"hi"]');
  });

  it('refuses to encode an invalid timestamp', () => {
    for (const at of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => encodeCommand({ type: 'tweet', text: 'x', at })).toThrow(RangeError);
    }
  });

  it('returns null for malformed payloads', () => {
    const malformed = [
      '',
      'null',
      '42',
      '"tweet"',
      '{}',
      '[]',
      '{"type":"tweet","text":"x","at":1}',
      '["tweet",1]',
      '["tweet",1,"x",null]',
      '["tweet","1","x"]',
      '["tweet",1,2]',
      '["tweet",1,null]',
      '["post",1,"x"]',
      '[1,1,"x"]',
      '["tweet",-1,"x"]',
      '["tweet",1.5,"x"]',
      '["tweet",9007199254740992,"x"]',
      // Not the canonical spelling of a valid command:
      '["tweet",1e3,"x"]',
      '[ "tweet",1,"x"]',
      '["tweet",1,"x"] ',
      '["tweet",1,"x"]\n',
      '["tw\\u0065et",1,"x"]',
      '["tweet",1,"\\u0078"]',
      // Trailing garbage and broken JSON:
      '["tweet",1,"x"]x',
      '["tweet",1,"x"',
      '["tweet",1,"x"]["tweet",1,"x"]',
    ];
    for (const payload of malformed) expect(decodeCommand(payload), payload).toBeNull();
  });

  it('never throws, whatever the input', () => {
    const alphabet = ['[', ']', '{', '}', '"', ',', ':', '1', '-', 'e', '.', 'tweet', 'block', '\\', 'u', ' ', 'null', '\ud800'];
    let state = 7;
    const next = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    for (let i = 0; i < 2000; i++) {
      let payload = '';
      const length = next(12);
      for (let j = 0; j < length; j++) payload += alphabet[next(alphabet.length)] ?? '';
      expect(() => decodeCommand(payload)).not.toThrow();
    }
  });

  it('keeps the largest acceptable tweet and name within the core payload limit', () => {
    // Astral code points are the costliest (4 UTF-8 bytes; JSON escapes cost at most 2 per code point).
    const text = '😀'.repeat(MAX_TWEET_CODE_POINTS);
    expect(replicatedTweetText(text).ok).toBe(true);
    const tweet = encodeCommand({ type: 'tweet', text, at: Number.MAX_SAFE_INTEGER });
    expect(utf8ByteLength(tweet)).toBeLessThanOrEqual(DEFAULT_PROTOCOL_CONFIG.maxCommandBytes);
    const name = encodeCommand({ type: 'register', name: '😀'.repeat(MAX_NAME_CODE_POINTS), at: Number.MAX_SAFE_INTEGER });
    expect(utf8ByteLength(name)).toBeLessThanOrEqual(DEFAULT_PROTOCOL_CONFIG.maxCommandBytes);
  });
});

describe('normalizeTweetText', () => {
  const accepted = (input: unknown): string => {
    const verdict = normalizeTweetText(input);
    if (!verdict.ok) throw new Error(`rejected: ${verdict.message}`);
    return verdict.text;
  };
  const problem = (input: unknown): string | null => {
    const verdict = normalizeTweetText(input);
    return verdict.ok ? null : verdict.problem;
  };

  it('trims, normalizes to NFC and turns CRLF into LF', () => {
    expect(accepted('  hello  ')).toBe('hello');
    expect(accepted('\u200b hi \ufeff')).toBe('hi');
    expect(accepted('e\u0301')).toBe('\u00e9');
    expect(accepted('a\r\nb\rc')).toBe('a\nb\nc');
    expect(accepted('line 1\n\nline 2')).toBe('line 1\n\nline 2');
  });

  it('accepts 280 characters and rejects 281', () => {
    expect(accepted('a'.repeat(280))).toHaveLength(280);
    expect(problem('a'.repeat(281))).toBe('too-long');
    const verdict = normalizeTweetText('a'.repeat(281));
    expect(verdict.ok ? '' : verdict.message).toBe('A tweet can have at most 280 characters (this one has 281).');
  });

  it('counts emoji and combining sequences as one character each (graphemes)', () => {
    expect(problem('👍🏽'.repeat(280))).toBeNull();
    expect(problem('👍🏽'.repeat(281))).toBe('too-long');
    // q + combining dot above has no precomposed form: NFC keeps 2 code points, 1 grapheme.
    expect(problem('q\u0307'.repeat(280))).toBeNull();
    expect(problem('q\u0307'.repeat(281))).toBe('too-long');
    // e + combining acute composes to é under NFC.
    expect(accepted('e\u0301'.repeat(280))).toBe('\u00e9'.repeat(280));
  });

  it('also caps code points, so a payload always fits the core limit', () => {
    // The family emoji is 5 code points: 200 of them are exactly the cap, 201 exceed it.
    expect(problem('👨‍👩‍👧'.repeat(200))).toBeNull();
    expect(problem('👨‍👩‍👧'.repeat(201))).toBe('too-long');
  });

  it('rejects empty and whitespace-only text', () => {
    for (const input of ['', '   ', '\n\n', ' \t\r\n ', '\u3000\u00a0', '\u200b\u2060']) expect(problem(input), JSON.stringify(input)).toBe('empty');
  });

  it('rejects control characters except line breaks', () => {
    for (const input of ['a\u0000b', 'a\u0007b', 'a\tb', 'a\u001bb', 'a\u007fb', 'a\u0085b']) {
      expect(problem(input), JSON.stringify(input)).toBe('control-character');
    }
    expect(problem('a\nb')).toBeNull();
  });

  it('rejects ill-formed Unicode and non-strings', () => {
    expect(problem('a\ud800')).toBe('ill-formed');
    expect(problem('\udc00a')).toBe('ill-formed');
    expect(problem(42)).toBe('not-text');
    expect(problem(null)).toBe('not-text');
  });
});

describe('normalizeDisplayName', () => {
  it('accepts 1..40 characters, trimmed and in NFC', () => {
    expect(normalizeDisplayName('  Zoe\u0308  ')).toEqual({ ok: true, text: 'Zo\u00eb' });
    expect(normalizeDisplayName('n'.repeat(40)).ok).toBe(true);
    expect(normalizeDisplayName('👍🏽'.repeat(40)).ok).toBe(true);
  });

  it('rejects empty, too long, and names with control characters or line breaks', () => {
    const problem = (input: unknown): string | null => {
      const verdict = normalizeDisplayName(input);
      return verdict.ok ? null : verdict.problem;
    };
    expect(problem('   ')).toBe('empty');
    expect(problem('n'.repeat(41))).toBe('too-long');
    expect(problem('a\nb')).toBe('control-character');
    expect(problem('a\tb')).toBe('control-character');
    expect(problem(undefined)).toBe('not-text');
  });
});
