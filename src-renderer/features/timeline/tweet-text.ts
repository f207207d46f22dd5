/**
 * The tweet rules as the compose box needs them, live on every keystroke. Mirrors the proposer rule in
 * src-main/app/text.ts (normalizeTweetText): CRLF -> LF, NFC, edges trimmed (the same fixed set of
 * space and invisible characters), no control characters except line breaks, 1..280 user-perceived
 * characters counted as grapheme clusters with Intl.Segmenter (code points where it is missing).
 * The node checks again; this only keeps the counter and the Tweet button honest.
 */

export const MAX_TWEET_CHARACTERS = 280;
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

const EDGE_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x180e, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060,
  0x3000, 0xfeff,
]);

function trimEdges(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && EDGE_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && EDGE_SPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return false;
  }
  return true;
}

/** C0 controls, DEL and C1 controls other than LF. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if ((unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f)) && unit !== 0x0a) return true;
  }
  return false;
}

let segmenter: Intl.Segmenter | null | undefined;

/** User-perceived characters: grapheme clusters ("👍🏽" and "👨‍👩‍👧" count 1 each). */
export function characterCount(text: string): number {
  if (segmenter === undefined) {
    segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : null;
  }
  if (segmenter === null) return [...text].length;
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

export function prepareTweet(raw: string): PreparedTweet {
  if (!isWellFormed(raw)) return { text: raw, count: characterCount(raw), problem: 'ill-formed', message: 'A tweet must be valid Unicode text.' };
  const text = trimEdges(raw.replace(/\r\n?/g, '\n').normalize('NFC'));
  const count = characterCount(text);
  if (text.length === 0) return { text, count, problem: 'empty', message: null };
  if (hasControlCharacter(text)) {
    return { text, count, problem: 'control-character', message: 'A tweet cannot contain control characters such as tabs (line breaks are fine).' };
  }
  if (count > MAX_TWEET_CHARACTERS) {
    return { text, count, problem: 'too-long', message: `A tweet can have at most ${MAX_TWEET_CHARACTERS} characters: remove ${count - MAX_TWEET_CHARACTERS}.` };
  }
  return { text, count, problem: null, message: null };
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
