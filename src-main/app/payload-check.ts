/**
 * What a leader checks before it proposes a command that another node forwarded: the same rules the API
 * applies to a local command (app/rules.ts with the proposer's text rules, membership.ts for membership
 * changes), so a buggy or hostile member cannot get nonsense into the log through a forward.
 *
 * Only rules that do not depend on the replicated state are checked here: whether a block's target is a
 * registered user depends on slots this leader may not have applied yet, so that is judged (and a
 * failure recorded as a rejection, deterministically on every replica) when the command is applied.
 */
import { decodeMembershipChange, isValidMembershipChange } from '../core/membership';
import { isValidNodeId } from '../core/node-id';
import type { NodeId } from '../core/types';
import { decodeCommand, encodeCommand } from './commands';
import { judgeCommand, PROPOSER_TEXT_RULES, type AppView } from './rules';

/** For state-independent checks: any valid id could be a registered user. */
const ANY_VALID_USER: AppView = { isRegistered: isValidNodeId };

/** Null when `payload` from `origin` is a command the API could have proposed, else why not. */
export function checkForwardedPayload(origin: NodeId, payload: string): string | null {
  const change = decodeMembershipChange(payload);
  if (change !== null) return isValidMembershipChange(change) ? null : 'an invalid membership change';
  const command = decodeCommand(payload);
  if (command === null) return 'not a command';
  const verdict = judgeCommand(ANY_VALID_USER, origin, command, PROPOSER_TEXT_RULES);
  if (!verdict.ok) return verdict.message;
  // The API proposes commands in canonical form (normalized text): anything else was not proposed by it.
  return encodeCommand(verdict.command) === payload ? null : 'not in canonical form';
}
