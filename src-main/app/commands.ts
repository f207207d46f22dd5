/**
 * The application's commands and their payload encoding (the opaque `Command.payload` of the core).
 *
 * Encoding: a compact JSON array `[type, at, argument]`, e.g. `["tweet",1700000000000,"hello"]`.
 * Invariant: encoding is a bijection. `decodeCommand` accepts exactly the strings `encodeCommand`
 * produces (it re-encodes and compares), so every replica reads a payload the same way and no payload
 * has two spellings (whitespace, key order, escapes or duplicate keys cannot sneak in).
 *
 * Decoding checks structure only (types, shape); whether a command makes sense (text rules, known
 * users) is decided by rules.ts, so that malformed and invalid commands are told apart.
 */
export { normalizeDisplayName, normalizeTweetText, type TextVerdict } from '../../shared/text';

/** `at` is the author's wall-clock time in milliseconds since the epoch, supplied by the caller. */
export type AppCommand =
  | { readonly type: 'register'; readonly name: string; readonly at: number }
  | { readonly type: 'tweet'; readonly text: string; readonly at: number }
  | { readonly type: 'block'; readonly target: string; readonly at: number }
  | { readonly type: 'unblock'; readonly target: string; readonly at: number };

export type AppCommandType = AppCommand['type'];

function argumentOf(command: AppCommand): string {
  switch (command.type) {
    case 'register':
      return command.name;
    case 'tweet':
      return command.text;
    case 'block':
    case 'unblock':
      return command.target;
  }
}

function isTimestamp(at: unknown): at is number {
  return typeof at === 'number' && Number.isSafeInteger(at) && at >= 0;
}

/** Throws a RangeError when `at` is not a non-negative safe integer (a caller bug, not user input). */
export function encodeCommand(command: AppCommand): string {
  if (!isTimestamp(command.at)) throw new RangeError(`command timestamp must be a non-negative safe integer (got ${String(command.at)})`);
  return JSON.stringify([command.type, command.at, argumentOf(command)]);
}

function build(type: unknown, at: number, argument: string): AppCommand | null {
  switch (type) {
    case 'register':
      return { type, name: argument, at };
    case 'tweet':
      return { type, text: argument, at };
    case 'block':
    case 'unblock':
      return { type, target: argument, at };
    default:
      return null;
  }
}

/** The command a payload encodes, or null for anything that `encodeCommand` could not have produced. */
export function decodeCommand(payload: string): AppCommand | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [type, at, argument] = parsed as unknown[];
  if (!isTimestamp(at) || typeof argument !== 'string') return null;
  const command = build(type, at, argument);
  if (command === null || encodeCommand(command) !== payload) return null;
  return command;
}
