/**
 * Hosts going down under load, on three hosts:
 *  - a rolling restart: every host in turn stops its node cleanly (SIGTERM) and starts it again on
 *    the same data directory, the leader's host included; the others keep deciding meanwhile;
 *  - the leader's whole host loses power: SIGKILL for every process in its namespace; the others elect
 *    a leader and go on; the host comes back on its data directory and catches up.
 */
import { expect, it } from 'vitest';
import { sleep, waitFor } from '../process/harness';
import { BackgroundLoad, ClientHistory } from './clients';
import type { HostNode } from './host-node';
import type { Rig } from './rig';
import { block, describeRig, expectScenarioEnd, startRig, step } from './scenario';

const DOWN_MS = 2_000;

/** Tweets acknowledged by the nodes other than `down` between `fromMs` and now. */
function acknowledgedWithout(history: ClientHistory, down: HostNode, fromMs: number): number {
  const toMs = performance.now();
  return history.count('ok', (operation) => operation.node !== down.spec.id && operation.invokedAtMs >= fromMs && operation.completedAtMs <= toMs);
}

/** Starts `node` again and waits until it applied what the others had committed when it came back. */
async function bringBack(rig: Rig, node: HostNode): Promise<void> {
  const others = rig.running();
  const target = Math.max(...(await Promise.all(others.map(async (other) => (await other.status()).commitIndex))));
  await node.start();
  await waitFor(async () => (await node.status()).appliedIndex >= target, 60_000, `${node.spec.id} catching up to slot ${target}`);
}

describeRig('hosts going down under load', () => {
  it('a rolling restart of every host, the leader included: the others keep deciding, nothing acknowledged is lost', async () => {
    const rig = await startRig('rolling restart', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'peers' });
    await block(rig.node('h2'), 'h3');
    const history = new ClientHistory();
    const load = new BackgroundLoad(history, { clients: 6, label: 'rolling', targets: () => rig.nodes });
    await sleep(2_000);

    const leader = await rig.waitForLeader();
    // The leader last: its restart forces an election while the others are already fresh processes.
    for (const node of [...rig.nodes.filter((other) => other !== leader), leader]) {
      await node.stop();
      const downAtMs = performance.now();
      await sleep(DOWN_MS);
      expect(acknowledgedWithout(history, node, downAtMs + 500), `acknowledged while ${node.spec.id} was down`).toBeGreaterThan(5);
      await bringBack(rig, node);
      await rig.waitForLeader();
    }
    await sleep(1_000);
    await load.stop();
    step('load stopped');

    await expectScenarioEnd(rig, history);
  });

  it("SIGKILL of the leader's whole host: the others go on, the host comes back on its data and catches up", async () => {
    const rig = await startRig('SIGKILL a host', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'peers' });
    await block(rig.node('h1'), 'h2');
    const history = new ClientHistory();
    const load = new BackgroundLoad(history, { clients: 6, label: 'kill', targets: () => rig.nodes });
    await sleep(2_000);

    const victim = await rig.waitForLeader();
    await rig.killHost(victim.spec.id);
    const killedAtMs = performance.now();
    const survivors = rig.nodes.filter((node) => node !== victim);
    await rig.waitForLeader(10_000, survivors);
    await sleep(3_000);
    expect(acknowledgedWithout(history, victim, killedAtMs + 500), `acknowledged after ${victim.spec.id}'s host was killed`).toBeGreaterThan(20);

    await bringBack(rig, victim);
    await sleep(2_000);
    await load.stop();
    step('load stopped');
    expect(history.count('ok', (operation) => operation.node === victim.spec.id && operation.invokedAtMs > killedAtMs), `acknowledged through ${victim.spec.id} after it came back`).toBeGreaterThan(5);

    await expectScenarioEnd(rig, history);
  });
});
