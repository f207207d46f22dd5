/**
 * Membership changes with real synod-node processes on loopback, under client load: a one-node cluster
 * grows to three and to five machines by `--join`, loses two members by removeMember (the leader among
 * them), and replaces a SIGKILLed member with a fresh machine. Nothing acknowledged may be lost: at
 * the end every member's timeline holds every acknowledged tweet exactly once, and the members' logs
 * agree slot by slot wherever they overlap.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../shared/api';
import { fullTimeline } from './consistency';
import { ApiCallError, freeLoopbackUdpPort, freeTcpPort, ProcessNode, waitFor } from './harness';
import { newLoadResult, tweetLoad } from './load';

class GrowingCluster {
  readonly nodes = new Map<string, ProcessNode>();
  readonly secret = randomBytes(16).toString('hex');
  readonly baseDir = mkdtempSync(join(tmpdir(), 'synod-membership-'));

  /** Starts `id`: the first node of a new cluster, or one that joins through `contact`'s UDP port. */
  async add(id: string, contact: ProcessNode | null): Promise<ProcessNode> {
    const spec = { id, udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(this.baseDir, id) };
    const args = ['--id', spec.id, '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--secret', this.secret];
    if (contact !== null) args.push('--join', `127.0.0.1:${contact.spec.udpPort}`);
    const node = new ProcessNode(spec, args);
    this.nodes.set(id, node);
    await node.start();
    return node;
  }

  node(id: string): ProcessNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Waits until every running node in `ids` reports exactly `ids` as the members in effect. */
  async waitForMembers(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
    const expected = [...ids].sort().join(',');
    await waitFor(
      async () => {
        const statuses = await Promise.all(ids.map((id) => this.node(id).status()));
        return statuses.every((s) => s.membership.members?.map((m) => m.id).join(',') === expected && s.membership.pending === null);
      },
      timeoutMs,
      `members ${expected}`,
    );
  }

  /** removeMember through `via`, retried while another change is still taking effect. */
  async remove(via: ProcessNode, id: string): Promise<void> {
    await waitFor(
      async () => {
        try {
          await via.call('removeMember', { id }, 15_000);
          return true;
        } catch (error) {
          if (error instanceof ApiCallError && error.code === 'unavailable') return false;
          throw error;
        }
      },
      30_000,
      `the removal of ${id}`,
    );
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.kill()));
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}


let cluster: GrowingCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

describe('membership changes with real processes', () => {
  it('grows 1 -> 3 -> 5 under load, removes two (the leader among them), replaces a SIGKILLed member; nothing acknowledged is lost', async () => {
    cluster = new GrowingCluster();
    const c = cluster;
    const members = new Set<string>(['n1']);
    const n1 = await c.add('n1', null);
    const result = newLoadResult();
    let loading = true;
    const load = tweetLoad(
      () => [...members].map((id) => c.node(id)),
      2,
      () => !loading,
      result,
      'membership',
    );

    // 1 -> 3: two machines join through n1.
    await c.add('n2', n1);
    await c.add('n3', n1);
    for (const id of ['n2', 'n3']) members.add(id);
    await c.waitForMembers(['n1', 'n2', 'n3']);
    // 3 -> 5, through another member.
    const n2 = c.node('n2');
    await c.add('n4', n2);
    await c.add('n5', n2);
    for (const id of ['n4', 'n5']) members.add(id);
    await c.waitForMembers(['n1', 'n2', 'n3', 'n4', 'n5']);

    // Remove two, the leader among them: leadership must move to a remaining member.
    const leader = (await n2.status()).leader as string;
    const removed = [leader, ['n1', 'n3', 'n4', 'n5'].find((id) => id !== leader && id !== 'n2') as string];
    const via = c.node(['n2', 'n3', 'n4', 'n5'].find((id) => !removed.includes(id)) as string);
    for (const id of removed) {
      members.delete(id);
      await c.remove(via, id);
    }
    const remaining = ['n1', 'n2', 'n3', 'n4', 'n5'].filter((id) => !removed.includes(id));
    await c.waitForMembers(remaining);
    const status: NodeStatus = await via.status();
    expect(remaining).toContain(status.leader);
    for (const id of removed) await c.node(id).kill();

    // Replace a member that was SIGKILLed with a fresh machine.
    const victim = remaining.find((id) => id !== via.spec.id) as string;
    members.delete(victim);
    await c.node(victim).kill();
    await c.remove(via, victim);
    const survivors = remaining.filter((id) => id !== victim);
    await c.waitForMembers(survivors);
    await c.add('n6', via);
    members.add('n6');
    await c.waitForMembers([...survivors, 'n6']);

    await new Promise((done) => setTimeout(done, 500));
    loading = false;
    await load;
    expect(result.acknowledged.size).toBeGreaterThan(20);

    // Converged: the final members applied the same slots and nothing is pending.
    const finalMembers = [...members].map((id) => c.node(id));
    await waitFor(
      async () => {
        const statuses = await Promise.all(finalMembers.map((node) => node.status()));
        return new Set(statuses.map((s) => s.appliedIndex)).size === 1 && statuses.every((s) => s.pendingCommands === 0);
      },
      30_000,
      'convergence of the final members',
    );
    const acknowledgedTweets = new Set(result.acknowledged.keys());
    const timelines = await Promise.all(finalMembers.map(fullTimeline));
    for (const [i, timeline] of timelines.entries()) {
      const ids = timeline.map((t) => t.id);
      expect(new Set(ids).size, `${finalMembers[i]?.spec.id}: a tweet twice`).toBe(ids.length);
      for (const id of acknowledgedTweets) expect(ids, `${finalMembers[i]?.spec.id} lost acknowledged ${id}`).toContain(id);
      expect(ids).toEqual(timelines[0]?.map((t) => t.id));
    }
    // Where their retained logs overlap, the members agree slot by slot, acknowledged slots included.
    const logs = await Promise.all(finalMembers.map((node) => node.fullLog()));
    const bySlot = new Map<number, string>();
    for (const log of logs) {
      for (const entry of log) {
        expect(entry.status).toBe('chosen');
        const key = entry.commands.map((command) => command.id).join(',');
        const other = bySlot.get(entry.slot);
        if (other === undefined) bySlot.set(entry.slot, key);
        else expect(key, `slot ${entry.slot}`).toBe(other);
        for (const command of entry.commands) {
          const slot = result.acknowledged.get(command.id);
          if (slot !== undefined) expect(entry.slot, `acknowledged ${command.id}`).toBe(slot);
        }
      }
    }
  }, 180_000);
});
