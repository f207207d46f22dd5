/**
 * What every real-process test checks at its end, once the cluster converged:
 *  - every acknowledged command is in every replica's log exactly once, at the slot it was acknowledged in;
 *  - all replicas' chosen logs agree slot by slot;
 *  - every replica's timeline is exactly the chosen tweets minus those of users who block its user.
 */
import { expect } from 'vitest';
import type { LogEntryView } from '../../shared/api';
import type { ProcessCluster } from './harness';

export async function expectConsistentCluster(cluster: ProcessCluster, acknowledged: ReadonlyMap<string, number>): Promise<void> {
  await cluster.waitForConvergence();
  const nodes = cluster.running();
  const logs = await Promise.all(nodes.map((node) => node.fullLog()));
  const chosenBySlot = new Map<number, string>();
  nodes.forEach((node, i) => {
    const log = logs[i] as LogEntryView[];
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
