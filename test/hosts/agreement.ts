/**
 * What every rig scenario checks at its end, once the members converged:
 *  - every member's retained log is chosen, holds no command twice, and agrees with every other member
 *    slot by slot (a member that installed a snapshot retains only the slots after it);
 *  - every acknowledged command is in every member's retained log, at the slot it was acknowledged in;
 *  - the client history passes the history checker against the chosen log (each acknowledged tweet
 *    exactly once, pending and unanswered ones at most once, real-time order);
 *  - every member's blocks are the ones the log's block/unblock commands say, and its timeline is
 *    exactly the chosen tweets minus those of users who block it (its state, snapshot included).
 * Like test/process/consistency.ts, but for members whose logs may start at different slots and for
 * histories with blocks, on top of the history checker.
 */
import { expect } from 'vitest';
import type { CommandView, LogEntryView, TimelineEntry, UserView } from '../../shared/api';
import { fullTimeline } from '../process/consistency';
import { checkHistory, describeViolations, type ChosenCommand, type ClientOperation, type HistoryReport } from '../support/history-checker';
import type { HostNode } from './host-node';
import type { Rig } from './rig';

interface MemberLog {
  readonly node: HostNode;
  readonly firstSlot: number;
  /** Command id -> slot, for the retained slots. */
  readonly slotOf: ReadonlyMap<string, number>;
}

async function readLog(node: HostNode, chosenBySlot: Map<number, LogEntryView>): Promise<MemberLog> {
  const firstSlot = (await node.call('log', { limit: 1 })).firstSlot;
  const slotOf = new Map<string, number>();
  for (const entry of await node.fullLog()) {
    expect(entry.status, `${node.spec.id} slot ${entry.slot}`).toBe('chosen');
    for (const command of entry.commands) {
      expect(slotOf.has(command.id), `${node.spec.id}: command ${command.id} in slots ${slotOf.get(command.id)} and ${entry.slot}`).toBe(false);
      slotOf.set(command.id, entry.slot);
    }
    const other = chosenBySlot.get(entry.slot);
    if (other === undefined) chosenBySlot.set(entry.slot, entry);
    else expect(entry.commands.map((c) => c.id).join(','), `slot ${entry.slot} differs between members`).toBe(other.commands.map((c) => c.id).join(','));
  }
  return { node, firstSlot, slotOf };
}

/** Who blocks whom after replaying the log's block/unblock commands, as `blocker>target` pairs. */
function blocksInLog(commands: readonly CommandView[]): Set<string> {
  const blocks = new Set<string>();
  for (const command of commands) {
    if (command.type === 'block') blocks.add(`${command.author}>${command.target}`);
    if (command.type === 'unblock') blocks.delete(`${command.author}>${command.target}`);
  }
  return blocks;
}

/** Where two long lists first differ, in words (a full diff of 20,000 ids helps nobody), or null. */
function firstDifference(actual: readonly string[], expected: readonly string[]): string | null {
  const length = Math.max(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (actual[i] !== expected[i]) return `${actual.length} entries, expected ${expected.length}; at ${i}: ${actual[i] ?? 'nothing'}, expected ${expected[i] ?? 'nothing'}`;
  }
  return null;
}

export interface AgreementSummary {
  readonly report: HistoryReport;
  readonly slots: number;
}

/** Waits for `members` to converge, then checks everything above; returns the checker's counts. */
export async function expectAgreement(rig: Rig, members: readonly HostNode[], history: readonly ClientOperation[]): Promise<AgreementSummary> {
  await rig.waitForConvergence(members);
  const chosenBySlot = new Map<number, LogEntryView>();
  const logs: MemberLog[] = [];
  for (const node of members) logs.push(await readLog(node, chosenBySlot));

  // The whole log from the members that retain each part of it. Members that caught up by a snapshot (a
  // restarted host more than 512 slots behind) retain nothing below it; when no member retains the
  // start, the tweets chosen there are known from the replicas' states (timelines carry their slots).
  const slots = [...chosenBySlot.keys()].sort((a, b) => a - b);
  const retainedFrom = Math.min(...logs.map((log) => log.firstSlot));
  expect(slots.length, 'the retained logs leave no gap').toBe((slots.at(-1) ?? 0) - (slots[0] ?? 1) + 1);
  const commands = slots.flatMap((slot) => (chosenBySlot.get(slot) as LogEntryView).commands);

  for (const log of logs) {
    const missing: string[] = [];
    for (const operation of history) {
      const outcome = operation.outcome;
      if (outcome.type === 'ok' && outcome.slot >= log.firstSlot && log.slotOf.get(outcome.id) !== outcome.slot) missing.push(`${outcome.id}@${outcome.slot}`);
    }
    expect(missing, `${log.node.spec.id}: acknowledged commands not at their slot in its log (from slot ${log.firstSlot})`).toEqual([]);
  }

  const timelines = new Map<HostNode, readonly TimelineEntry[]>();
  for (const node of members) timelines.set(node, await fullTimeline(node));
  const tweets: ChosenCommand[] = [];
  // Below every retained log: each tweet once, from whichever replica's timeline shows it.
  const seenBelow = new Map<string, ChosenCommand>();
  for (const timeline of timelines.values()) {
    for (const entry of timeline) if (entry.slot < retainedFrom) seenBelow.set(entry.id, { id: entry.id, value: entry.text, slot: entry.slot });
  }
  tweets.push(...[...seenBelow.values()].sort((a, b) => a.slot - b.slot));
  for (const slot of slots) {
    for (const command of (chosenBySlot.get(slot) as LogEntryView).commands) if (command.type === 'tweet') tweets.push({ id: command.id, value: command.text ?? '', slot });
  }
  const report = checkHistory(history, tweets);
  expect(report.violations, describeViolations(report.violations)).toEqual([]);

  const blocks = blocksInLog(commands);
  const tweetsOldestFirst = commands.filter((command) => command.type === 'tweet');
  let referenceBlocks: string[] | null = null;
  for (const node of members) {
    const users: readonly UserView[] = await node.call('users');
    const stateBlocks = [...new Set(users.flatMap((user) => user.blocks.map((target) => `${user.id}>${target}`)))].sort();
    // With the whole log retained the blocks must be the log's; otherwise the replicas' states must agree.
    if (retainedFrom === 1) expect(stateBlocks, `${node.spec.id}: blocks in its state vs in the log`).toEqual([...blocks].sort());
    else expect(stateBlocks, `${node.spec.id}: blocks in its state vs the other members'`).toEqual((referenceBlocks ??= stateBlocks));
    const blockers = new Set(users.find((user) => user.id === node.spec.id)?.blockedBy ?? []);
    const expected = tweetsOldestFirst.filter((command) => !blockers.has(command.author)).map((command) => command.id);
    const timeline = (timelines.get(node) ?? []).filter((entry) => entry.slot >= retainedFrom).map((entry) => entry.id);
    expect(firstDifference(timeline, expected.reverse()), `${node.spec.id}'s timeline vs the chosen tweets minus those of ${[...blockers].join(', ') || 'nobody'}`).toBeNull();
  }
  return { report, slots: slots.length };
}
