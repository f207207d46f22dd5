/**
 * Rules for text users write (tweets and display names), in two strengths.
 *
 * Replicated rules (`replicatedTweetText`, `replicatedDisplayName`) run inside `apply` on every replica,
 * so they must give the same verdict on every machine, Node and Electron version. They therefore use
 * only the fixed code point tables below: no String.prototype.normalize, no Intl, no trim() and no \p{}
 * regexes, whose answers follow whatever Unicode/ICU version the runtime ships.
 *
 * Proposer rules (`normalizeTweetText`, `normalizeDisplayName`) run once, at the author's node, before
 * proposing. They may use ICU (NFC, grapheme segmentation) because their *output* is what gets
 * replicated. They end by applying the replicated rule, so text they accept is never rejected by apply.
 *
 * Lengths: the user-facing limit counts grapheme clusters with Intl.Segmenter ("👍🏽" and "👨‍👩‍👧" are 1
 * each), falling back to code points where Intl.Segmenter is missing. The replicated limit counts code
 * points, generously: MAX_TWEET_CODE_POINTS * 4 UTF-8 bytes plus the encoding's envelope stays within the
 * core's default maxCommandBytes (4096), so a tweet that passes never fails propose() for size.
 */

export const MAX_TWEET_GRAPHEMES = 280;
export const MAX_TWEET_CODE_POINTS = 1000;
export const MAX_NAME_GRAPHEMES = 40;
export const MAX_NAME_CODE_POINTS = 160;

export type TextProblem = 'empty' | 'too-long' | 'control-character' | 'ill-formed' | 'not-text';

export type TextVerdict =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly problem: TextProblem; readonly message: string };

/**
 * Trimmed from both ends: JavaScript's WhiteSpace and LineTerminator sets (Unicode 15 Zs) plus invisible
 * formatters that would otherwise let a "blank" tweet through. Fixed here so trimming never depends on
 * the engine's Unicode version.
 */
const EDGE_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x180e, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060,
  0x3000, 0xfeff,
]);

/** Unicode general category Cc (C0, DEL, C1): a fixed set, stable across Unicode versions. */
function isControl(codePoint: number): boolean {
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f);
}

/** True when the string has no lone surrogate (SQLite would silently store U+FFFD instead). */
export function isWellFormed(text: string): boolean {
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

/** Removes EDGE_SPACE code points from both ends (all of them are in the BMP: one UTF-16 unit each). */
function trimEdges(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && EDGE_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && EDGE_SPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** The number of Unicode code points of well-formed text, counted without allocating. */
export function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
}

let segmenter: Intl.Segmenter | null | undefined;

/** Printable ASCII, tab and LF: every character is its own grapheme cluster (only CR LF pairs, and CRs are gone by now). */
const SINGLE_UNIT_GRAPHEMES = /^[\t\n\x20-\x7e]*$/;

/** User-perceived characters: grapheme clusters when Intl.Segmenter exists, else code points. */
export function userCharacterCount(text: string): number {
  // ICU segmentation costs ~0.3 ms for a tweet; most tweets are plain ASCII, whose count is its length.
  if (SINGLE_UNIT_GRAPHEMES.test(text)) return text.length;
  if (segmenter === undefined) {
    segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : null;
  }
  if (segmenter === null) return codePointCount(text);
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

interface TextKind {
  /** "A tweet" / "A display name": starts every message. */
  readonly noun: string;
  readonly maxGraphemes: number;
  readonly maxCodePoints: number;
  readonly allowsNewline: boolean;
}

const TWEET: TextKind = { noun: 'A tweet', maxGraphemes: MAX_TWEET_GRAPHEMES, maxCodePoints: MAX_TWEET_CODE_POINTS, allowsNewline: true };
const NAME: TextKind = { noun: 'A display name', maxGraphemes: MAX_NAME_GRAPHEMES, maxCodePoints: MAX_NAME_CODE_POINTS, allowsNewline: false };

function fail(problem: TextProblem, message: string): TextVerdict {
  return { ok: false, problem, message };
}

function replicated(kind: TextKind, text: string): TextVerdict {
  if (!isWellFormed(text)) return fail('ill-formed', `${kind.noun} must be valid Unicode text.`);
  const trimmed = trimEdges(text);
  for (let i = 0; i < trimmed.length; i++) {
    const unit = trimmed.charCodeAt(i);
    if (isControl(unit) && !(kind.allowsNewline && unit === 0x0a)) {
      const allowed = kind.allowsNewline ? ' (line breaks are fine)' : ' or line breaks';
      return fail('control-character', `${kind.noun} cannot contain control characters${allowed}.`);
    }
  }
  if (trimmed.length === 0) return fail('empty', `${kind.noun} cannot be empty.`);
  const codePoints = codePointCount(trimmed);
  if (codePoints > kind.maxCodePoints) {
    return fail('too-long', `${kind.noun} can have at most ${kind.maxCodePoints} Unicode code points (this one has ${codePoints}).`);
  }
  return { ok: true, text: trimmed };
}

/**
 * What user input becomes before the rules apply: CRLF -> LF (Windows and some text areas send CRLF;
 * plain LF looks the same everywhere), NFC, edges trimmed. The compose box counts on this too.
 */
export function normalizeInput(input: string): string {
  return trimEdges(input.replace(/\r\n?/g, '\n').normalize('NFC'));
}

function proposed(kind: TextKind, input: unknown): TextVerdict {
  if (typeof input !== 'string') return fail('not-text', `${kind.noun} must be text.`);
  if (!isWellFormed(input)) return fail('ill-formed', `${kind.noun} must be valid Unicode text.`);
  const text = normalizeInput(input);
  const verdict = replicated(kind, text);
  if (!verdict.ok) return verdict;
  const characters = userCharacterCount(verdict.text);
  if (characters > kind.maxGraphemes) {
    return fail('too-long', `${kind.noun} can have at most ${kind.maxGraphemes} characters (this one has ${characters}).`);
  }
  return verdict;
}

/** The deterministic rule `apply` enforces on tweet text; returns the text to store (edges trimmed). */
export function replicatedTweetText(text: string): TextVerdict {
  return replicated(TWEET, text);
}

/** The deterministic rule `apply` enforces on display names; returns the name to store (edges trimmed). */
export function replicatedDisplayName(name: string): TextVerdict {
  return replicated(NAME, name);
}

/**
 * Prepares user input for a tweet: CRLF -> LF, NFC, trimmed, 1..280 characters (graphemes), no control
 * characters except line breaks. The returned text is what should be proposed.
 */
export function normalizeTweetText(text: unknown): TextVerdict {
  return proposed(TWEET, text);
}

/** Prepares user input for a display name: NFC, trimmed, 1..40 characters (graphemes), no control characters. */
export function normalizeDisplayName(name: unknown): TextVerdict {
  return proposed(NAME, name);
}
