/**
 * The tweet rules as the compose box needs them, live on every keystroke: the very rule the node applies
 * before proposing (shared/text.ts normalizeTweetText: CRLF -> LF, NFC, edges trimmed, no control
 * characters except line breaks, 1..280 user-perceived characters), plus the counter's words. The node
 * checks again; this keeps the counter and the Tweet button honest.
 */

import { MAX_TWEET_GRAPHEMES, normalizeInput, normalizeTweetText, userCharacterCount } from '../../../shared/text';

export const MAX_TWEET_CHARACTERS = MAX_TWEET_GRAPHEMES;
/** The counter turns into a warning when this few characters (or fewer) are left. */
export const NEAR_LIMIT_REMAINING = 20;

export type TweetProblem = 'empty' | 'too-long' | 'control-character' | 'ill-formed';

export interface PreparedTweet {
  /** What would be sent: normalized and trimmed. */
  readonly text: string;
  /** User-perceived characters in `text`. */
  readonly count: number;
  readonly problem: TweetProblem | null;
  /** The problem in words, or null. */
  readonly message: string | null;
}

export type CounterLevel = 'ok' | 'near' | 'over';

/** User-perceived characters: grapheme clusters ("👍🏽" and "👨‍👩‍👧" count 1 each). */
export const characterCount = userCharacterCount;

/** The node's own proposer rule (shared/text.ts), with the compose box's wording for "too long". */
export function prepareTweet(raw: string): PreparedTweet {
  const text = normalizeInput(raw);
  const count = characterCount(text);
  const verdict = normalizeTweetText(raw);
  if (verdict.ok) return { text: verdict.text, count, problem: null, message: null };
  switch (verdict.problem) {
    case 'empty':
      return { text, count, problem: 'empty', message: null };
    case 'too-long':
      return { text, count, problem: 'too-long', message: count > MAX_TWEET_CHARACTERS ? `A tweet can have at most ${MAX_TWEET_CHARACTERS} characters: remove ${count - MAX_TWEET_CHARACTERS}.` : verdict.message };
    case 'not-text':
    case 'ill-formed':
      return { text: raw, count, problem: 'ill-formed', message: verdict.message };
    case 'control-character':
      return { text, count, problem: 'control-character', message: verdict.message };
  }
}

export function counterLevel(count: number): CounterLevel {
  if (count > MAX_TWEET_CHARACTERS) return 'over';
  return MAX_TWEET_CHARACTERS - count <= NEAR_LIMIT_REMAINING ? 'near' : 'ok';
}

/** The counter's words: "12 / 280", with how many are left or too many near and over the limit. */
export function counterText(count: number): string {
  const base = `${count} / ${MAX_TWEET_CHARACTERS}`;
  switch (counterLevel(count)) {
    case 'ok':
      return base;
    case 'near': {
      const left = MAX_TWEET_CHARACTERS - count;
      return `${base}, ${left} ${left === 1 ? 'character' : 'characters'} left`;
    }
    case 'over': {
      const over = count - MAX_TWEET_CHARACTERS;
      return `${base}, ${over} too many`;
    }
  }
}
