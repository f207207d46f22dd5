/**
 * The one implementation of "is this command acceptable?", shared by the check a node runs before
 * proposing and by `apply` on every replica. Only the text rules differ between the two (see text.ts):
 * the proposer's are stricter and ICU-based, the replicated ones deterministic. Everything else (self
 * targets, unknown users, author ids) is identical, so a command that passed the check is only rejected
 * by apply if someone bypassed the check.
 *
 * Reject reasons are stable codes: they are stored in the replicated tables (and hashed by digest()),
 * so rewording a message never makes replicas running different builds disagree.
 */
import { isValidNodeId } from '../core/config';
import type { NodeId } from '../core/types';
import type { AppCommand } from './commands';
import { normalizeDisplayName, normalizeTweetText, replicatedDisplayName, replicatedTweetText, type TextProblem, type TextVerdict } from '../../shared/text';

export type RejectReason =
  | 'malformed-payload'
  | 'invalid-author'
  | `text-${TextProblem}`
  | `name-${TextProblem}`
  | 'self-target'
  | 'unknown-user';

/** Every reject reason code (the replicated tables hold nothing else). */
export const REJECT_REASON_CODES: readonly RejectReason[] = [
  'malformed-payload',
  'invalid-author',
  ...(['empty', 'too-long', 'control-character', 'ill-formed', 'not-text'] as const).flatMap((p) => [`text-${p}` as const, `name-${p}` as const]),
  'self-target',
  'unknown-user',
];

const REJECT_REASONS: ReadonlySet<string> = new Set<string>(REJECT_REASON_CODES);

export function isRejectReason(value: unknown): value is RejectReason {
  return typeof value === 'string' && REJECT_REASONS.has(value);
}

/** What the rules need to know about the current state. */
export interface AppView {
  isRegistered(id: NodeId): boolean;
}

export interface TextRules {
  tweet(text: string): TextVerdict;
  name(name: string): TextVerdict;
}

export const REPLICATED_TEXT_RULES: TextRules = { tweet: replicatedTweetText, name: replicatedDisplayName };
export const PROPOSER_TEXT_RULES: TextRules = { tweet: normalizeTweetText, name: normalizeDisplayName };

export type Verdict =
  | { readonly ok: true; readonly command: AppCommand }
  | { readonly ok: false; readonly reason: RejectReason; readonly message: string };

function reject(reason: RejectReason, message: string): Verdict {
  return { ok: false, reason, message };
}

/** A generic message per reason, for outcomes read back from the tables (where only the code is kept). */
export function describeRejectReason(reason: RejectReason): string {
  switch (reason) {
    case 'malformed-payload':
      return 'The command could not be read.';
    case 'invalid-author':
      return 'The author is not a valid user id.';
    case 'self-target':
      return 'You cannot block or unblock yourself.';
    case 'unknown-user':
      return 'There is no such user.';
    default:
      return reason.startsWith('text-') ? 'The tweet text is not acceptable.' : 'The display name is not acceptable.';
  }
}

/**
 * Judges `command` by `author` against the state in `view`. On success returns the command in canonical
 * form (text and names as they must be stored or proposed).
 */
export function judgeCommand(view: AppView, author: NodeId, command: AppCommand, text: TextRules): Verdict {
  if (!isValidNodeId(author)) return reject('invalid-author', `"${author}" is not a valid user id.`);
  switch (command.type) {
    case 'register': {
      const name = text.name(command.name);
      return name.ok ? { ok: true, command: { ...command, name: name.text } } : reject(`name-${name.problem}`, name.message);
    }
    case 'tweet': {
      const tweet = text.tweet(command.text);
      return tweet.ok ? { ok: true, command: { ...command, text: tweet.text } } : reject(`text-${tweet.problem}`, tweet.message);
    }
    case 'block':
    case 'unblock': {
      if (command.target === author) return reject('self-target', `You cannot ${command.type} yourself.`);
      // Only registered users can be targets; registered ids are always valid node ids.
      if (!view.isRegistered(command.target)) return reject('unknown-user', `There is no user "${command.target}".`);
      return { ok: true, command };
    }
  }
}
