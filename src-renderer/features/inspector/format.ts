/** Words for the inspector: ballots, slot kinds, one-line command summaries, times. */
import { formatBallot as formatBallotText } from '../../../shared/ballot-text';
import type { BallotView, CommandView, LogEntryView } from '../../../shared/api';

/** A ballot as `round.node` (the zero ballot, before any election, as `0`). */
export function formatBallot(ballot: BallotView | null): string {
  return ballot === null ? '—' : formatBallotText(ballot);
}

/** What a slot holds, as the Status column and the filter name it. */
export type SlotKind = 'chosen' | 'noop' | 'accepted' | 'empty';

export const KIND_LABEL: Readonly<Record<SlotKind, string>> = {
  chosen: 'chosen',
  noop: 'no-op',
  accepted: 'accepted',
  empty: 'empty',
};

export function slotKind(entry: LogEntryView): SlotKind {
  if (entry.status === 'empty') return 'empty';
  if (entry.status === 'accepted') return 'accepted';
  return entry.commands.length === 0 ? 'noop' : 'chosen';
}

export type StatusFilter = 'all' | 'chosen' | 'accepted' | 'noop';

export const FILTERS: readonly { readonly id: StatusFilter; readonly label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'chosen', label: 'Chosen' },
  { id: 'accepted', label: 'Accepted' },
  { id: 'noop', label: 'No-op' },
];

export function matchesFilter(entry: LogEntryView, filter: StatusFilter): boolean {
  return filter === 'all' || slotKind(entry) === filter;
}

const SUMMARY_TEXT_MAX = 40;

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * One command in a few words: `tweet by ann: hello…`, `block bob by cyd`, `register ann as Ann`,
 * `addMember cyd @ 127.0.0.1:7403`, `removeMember cyd`.
 */
export function summarizeCommand(command: CommandView): string {
  switch (command.type) {
    case 'tweet':
      return `tweet by ${command.author}: ${truncate(command.text ?? '', SUMMARY_TEXT_MAX)}`;
    case 'block':
    case 'unblock':
      return `${command.type} ${command.target ?? '?'} by ${command.author}`;
    case 'register':
      return `register ${command.author} as ${command.name ?? '?'}`;
    case 'addMember':
      return `addMember ${command.target ?? '?'} @ ${command.address ?? '?'}`;
    case 'removeMember':
      return `removeMember ${command.target ?? '?'}`;
    case 'unknown':
      return `unreadable command by ${command.author}`;
  }
}

/**
 * The Commands column: one summary, or `3 commands`; for no command, `no-op` on an accepted slot and
 * nothing on a chosen no-op (its status says so already) or an empty slot.
 */
export function summarizeEntry(entry: LogEntryView): string {
  const [only, ...rest] = entry.commands;
  if (only === undefined) return entry.status === 'accepted' ? 'no-op' : '';
  return rest.length === 0 ? summarizeCommand(only) : `${entry.commands.length} commands`;
}

export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
