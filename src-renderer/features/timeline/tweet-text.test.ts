import { describe, expect, it } from 'vitest';
import { characterCount, counterLevel, counterText, MAX_TWEET_CHARACTERS, prepareTweet } from './tweet-text';

describe('characterCount', () => {
  it('counts grapheme clusters, so emoji with modifiers and ZWJ sequences count once', () => {
    expect(characterCount('hello')).toBe(5);
    expect(characterCount('👍')).toBe(1);
    expect(characterCount('👍🏽')).toBe(1);
    expect(characterCount('👨‍👩‍👧')).toBe(1);
    expect(characterCount('🇫🇷🇩🇪')).toBe(2);
    expect(characterCount('e\u0301')).toBe(1);
    expect(characterCount('')).toBe(0);
  });
});

describe('prepareTweet', () => {
  it('trims the edges (including invisible formatters) and normalizes to NFC and LF', () => {
    const prepared = prepareTweet('  \u200b cafe\u0301\r\nnext line \ufeff\n');
    expect(prepared).toEqual({ text: 'café\nnext line', count: 14, problem: null, message: null });
  });

  it('refuses empty and blank text', () => {
    expect(prepareTweet('').problem).toBe('empty');
    expect(prepareTweet(' \n\t\u00a0\u3000 ').problem).toBe('empty');
  });

  it('accepts exactly 280 characters and refuses 281, counting emoji as one', () => {
    expect(prepareTweet('a'.repeat(MAX_TWEET_CHARACTERS)).problem).toBeNull();
    expect(prepareTweet('👍🏽'.repeat(MAX_TWEET_CHARACTERS))).toMatchObject({ count: 280, problem: null });
    // The node also caps a tweet at 1000 code points (its replicated rule cannot depend on ICU):
    // 280 family emoji are 280 characters but 1400 code points, and the compose box says so up front.
    expect(prepareTweet('👨‍👩‍👧'.repeat(MAX_TWEET_CHARACTERS))).toMatchObject({ count: 280, problem: 'too-long', message: expect.stringMatching(/code points/) });
    const over = prepareTweet('👍🏽'.repeat(MAX_TWEET_CHARACTERS + 1));
    expect(over).toMatchObject({ count: 281, problem: 'too-long' });
    expect(over.message).toContain('remove 1');
  });

  it('refuses control characters other than line breaks, and lone surrogates', () => {
    expect(prepareTweet('a\tb').problem).toBe('control-character');
    expect(prepareTweet('a\u0007b').problem).toBe('control-character');
    expect(prepareTweet('a\nb').problem).toBeNull();
    expect(prepareTweet('a\ud800b').problem).toBe('ill-formed');
  });
});

describe('counter', () => {
  it('warns near the limit and over it, in words', () => {
    expect(counterLevel(12)).toBe('ok');
    expect(counterText(12)).toBe('12 / 280');
    expect(counterLevel(259)).toBe('ok');
    expect(counterLevel(260)).toBe('near');
    expect(counterText(279)).toBe('279 / 280, 1 character left');
    expect(counterText(280)).toBe('280 / 280, 0 characters left');
    expect(counterLevel(281)).toBe('over');
    expect(counterText(285)).toBe('285 / 280, 5 too many');
  });
});
