/**
 * What every real-process test checks at its end, once the cluster converged:
 *  - every acknowledged command is in every replica's log exactly once, at the slot it was acknowledged in;
 *  - all replicas' chosen logs agree slot by slot;
 *  - every replica's timeline is exactly the chosen tweets minus those of users who block its user.
 */
import { expect } from 'vitest';
import type { LogEntryView, TimelineEntry } from '../../shared/api';
import type { ProcessCluster, ProcessNode } from './harness';

export async function expectConsistentCluster(cluster: ProcessCluster, acknowledged: ReadonlyMap<string, number>): Promise<void> {
  await cluster.waitForConvergence();
  const nodes = cluster.running();
  const logs = await Promise.all(nodes.map((node) => node.fullLog()));
  const chosenBySlot = new Map<number, string>();
  nodes.forEach((node, i) => {
    const slotOf = checkRetainedLog(node, logs[i] as LogEntryView[], chosenBySlot);
    for (const [id, slot] of acknowledged) expect(slotOf.get(id), `${node.spec.id}: acknowledged ${id} (slot ${slot})`).toBe(slot);
  });
  for (const [i, node] of nodes.entries()) {
    const users = await node.call('users');
    const me = users.find((u) => u.id === node.spec.id);
    const blockers = new Set(me?.blockedBy ?? []);
    const tweets = (logs[i] as LogEntryView[]).flatMap((entry) => entry.commands.filter((c) => c.type === 'tweet').map((c) => c.id));
    const expected = tweets.filter((id) => !blockers.has(id.split('/')[0] as string)).reverse();
    const timeline = await node.call('timeline', { limit: 500 });
    expect(
      timeline.map((t) => t.id),
      `${node.spec.id}'s timeline`,
    ).toEqual(expected.slice(0, 500));
  }
}

/**
 * Checks one replica's retained log: every slot chosen, no command twice, and each slot equal to what
 * the replicas checked before chose there (recorded in `chosenBySlot`). Returns command id -> slot.
 */
function checkRetainedLog(node: ProcessNode, log: readonly LogEntryView[], chosenBySlot: Map<number, string>): Map<string, number> {
  const slotOf = new Map<string, number>();
  for (const entry of log) {
    expect(entry.status, `${node.spec.id} slot ${entry.slot}`).toBe('chosen');
    const ids = entry.commands.map((c) => c.id);
    for (const id of ids) {
      expect(slotOf.has(id), `${node.spec.id}: command ${id} in slots ${slotOf.get(id)} and ${entry.slot}`).toBe(false);
      slotOf.set(id, entry.slot);
    }
    const key = ids.join(',');
    const other = chosenBySlot.get(entry.slot);
    if (other === undefined) chosenBySlot.set(entry.slot, key);
    else expect(key, `slot ${entry.slot} differs between replicas`).toBe(other);
  }
  return slotOf;
}

/** Every tweet in `node`'s timeline, newest first. */
export async function fullTimeline(node: ProcessNode): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  for (;;) {
    const last = entries.at(-1);
    const page = await node.call('timeline', { limit: 500, ...(last === undefined ? {} : { before: { slot: last.slot, position: last.position } }) });
    entries.push(...page);
    if (page.length < 500) return entries;
  }
}

/**
 * The same guarantees for replicas whose retained logs may start at different slots (a member that
 * caught up by installing a snapshot holds no log below it), for runs without blocks (every timeline
 * holds every tweet), once they converged:
 *  - every retained log is chosen, holds no command twice, and agrees with the others where they overlap;
 *  - every acknowledged command a node's log retains is at the slot it was acknowledged in;
 *  - every node's timeline (its state, whatever was compacted) holds each tweet exactly once, every
 *    acknowledged tweet and every tweet in `mustBeChosen`, and all timelines are equal.
 */
export async function expectSameHistory(nodes: readonly ProcessNode[], acknowledged: ReadonlyMap<string, number>, mustBeChosen: ReadonlySet<string> = new Set()): Promise<void> {
  const chosenBySlot = new Map<number, string>();
  for (const node of nodes) {
    const firstSlot = (await node.call('log', { limit: 1 })).firstSlot;
    const slotOf = checkRetainedLog(node, await node.fullLog(), chosenBySlot);
    for (const [id, slot] of acknowledged) if (slot >= firstSlot) expect(slotOf.get(id), `${node.spec.id}: acknowledged ${id} (slot ${slot})`).toBe(slot);
  }
  let reference: readonly string[] | null = null;
  for (const node of nodes) {
    const ids = (await fullTimeline(node)).map((t) => t.id);
    const present = new Set(ids);
    expect(present.size, `${node.spec.id}: a tweet twice in the timeline`).toBe(ids.length);
    const lost = [...acknowledged.keys(), ...mustBeChosen].filter((id) => !present.has(id));
    expect(lost, `${node.spec.id}: acknowledged or pending tweets missing (${lost.length})`).toEqual([]);
    if (reference === null) reference = ids;
    else expect(ids.length === reference.length && ids.every((id, i) => id === reference?.[i]), `${node.spec.id}'s timeline differs from ${nodes[0]?.spec.id}'s`).toBe(true);
  }
}
