/** Test helper: a log of many slots, served page by page like the node's `log` method. */
import type { LogArgs, LogEntryView, LogPage } from '../../../shared/api';

export const BALLOT = { round: 7, node: 'bob' } as const;

/** Slot n: every 10th a no-op, every 7th three commands, the last `accepted` slots accepted (not yet chosen), the rest a tweet by ann. */
export function fakeEntry(slot: number, newest: number, accepted: number): LogEntryView {
  const status = slot > newest - accepted ? 'accepted' : 'chosen';
  if (slot % 10 === 0) return { slot, status, ballot: BALLOT, commands: [] };
  if (slot % 7 === 0) {
    return {
      slot,
      status,
      ballot: BALLOT,
      commands: [
        { id: `cyd/${slot}`, type: 'block', author: 'cyd', target: 'bob', at: 1_700_000_000_000 + slot },
        { id: `ann/${slot}`, type: 'register', author: 'ann', name: 'Ann', at: null },
        { id: `bob/${slot}`, type: 'unblock', author: 'bob', target: 'cyd', at: 1_700_000_000_000 + slot },
      ],
    };
  }
  return { slot, status, ballot: BALLOT, commands: [{ id: `ann/${slot}`, type: 'tweet', author: 'ann', text: `hello from slot ${slot}`, at: 1_700_000_000_000 + slot }] };
}

export function fakeLogPage(args: LogArgs | undefined, log: { firstSlot: number; newest: number; commitIndex: number; accepted: number }): LogPage {
  const limit = args?.limit ?? 100;
  const from = Math.max(log.firstSlot, args?.from ?? log.newest - limit + 1);
  const entries: LogEntryView[] = [];
  for (let slot = from; slot <= Math.min(from + limit - 1, log.newest); slot++) entries.push(fakeEntry(slot, log.newest, log.accepted));
  return { firstSlot: log.firstSlot, commitIndex: log.commitIndex, entries };
}
