/**
 * The one rule behind "removing this member would stall the cluster", used by the node (which refuses
 * without `force`) and by the Peers page (which warns before asking): the members that would remain and
 * are reachable must be a majority of those that remain, or no decision can be made until enough of
 * them are back.
 */
import { majority } from '../src-main/core/quorum';

export interface RemovalOutlook {
  /** Members left without the removed one. */
  readonly remaining: number;
  /** How many of them are reachable. */
  readonly reachable: number;
  /** How many a majority of them needs. */
  readonly majority: number;
  /** The reachable members are fewer than a majority: the cluster could decide nothing. */
  readonly stalls: boolean;
}

export function removalOutlook(members: readonly string[], removing: string, isReachable: (member: string) => boolean): RemovalOutlook {
  const remaining = members.filter((member) => member !== removing);
  const reachable = remaining.filter(isReachable).length;
  const needed = majority(remaining.length);
  return { remaining: remaining.length, reachable, majority: needed, stalls: remaining.length > 0 && reachable < needed };
}
