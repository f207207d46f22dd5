/**
 * Members that are not where they were listed, on three hosts under load:
 *  - the leader's IP address changes while its node runs (listening on 0.0.0.0);
 *  - a host behind NAT: listed at its private address, which nobody can reach, its datagrams arrive
 *    from the router's address and another port.
 * The peers must follow (the transport moves a peer only after a challenge ping to the new address is
 * echoed, see src-main/net/udp-transport.ts), and they do so in both directions: then the moved host
 * and one peer, with the third host cut off, still form a majority that decides.
 */
import { expect, it } from 'vitest';
import { sleep, waitFor } from '../process/harness';
import { BackgroundLoad, ClientHistory } from './clients';
import { UDP_PORT, type HostNode } from './host-node';
import type { Rig } from './rig';
import { block, describeRig, expectScenarioEnd, startRig, step } from './scenario';

const LOAD_MS = 3_000;

/** Waits until every other node has `moved` at an address that `matches`, and hears it. */
async function waitUntilFollowed(rig: Rig, moved: HostNode, matches: (address: string) => boolean): Promise<void> {
  let seen = '';
  await waitFor(
    async () => {
      const views = await Promise.all(
        rig.nodes
          .filter((node) => node !== moved)
          .map(async (node) => {
            const peer = (await node.status()).peers.find((p) => p.id === moved.spec.id);
            return { node: node.spec.id, address: peer?.address ?? '?', reachable: peer?.reachable ?? false };
          }),
      );
      seen = JSON.stringify(views);
      return views.every((view) => view.reachable && matches(view.address));
    },
    20_000,
    `the peers following ${moved.spec.id} (last seen ${seen})`,
  );
}

/**
 * Cuts `third` off in both directions: `moved` and the remaining peer must decide on their own, which
 * needs each to reach the other where it really is. Returns how many tweets were acknowledged meanwhile.
 */
async function decideWithout(rig: Rig, third: HostNode, history: ClientHistory): Promise<number> {
  const others = rig.nodes.filter((node) => node !== third);
  await rig.network.partition(
    [third.host],
    others.map((node) => node.host),
  );
  await rig.waitForLeader(10_000, others);
  const fromMs = performance.now();
  await sleep(LOAD_MS);
  const toMs = performance.now();
  await rig.network.heal();
  return history.count('ok', (operation) => operation.invokedAtMs >= fromMs && operation.completedAtMs <= toMs && operation.node !== third.spec.id);
}

describeRig('members that move', () => {
  it("the leader's IP address changes while it runs: the peers follow it, and it still decides with each of them", async () => {
    const rig = await startRig('address change', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'peers' });
    await block(rig.node('h1'), 'h3');
    const history = new ClientHistory();
    const load = new BackgroundLoad(history, { clients: 6, label: 'move', targets: () => rig.nodes });
    await sleep(LOAD_MS);

    const moved = await rig.waitForLeader();
    const newAddress = '198.18.0.33';
    await rig.network.moveAddress(moved.host, newAddress);
    await waitUntilFollowed(rig, moved, (address) => address === `${newAddress}:${UDP_PORT}`);
    const third = rig.nodes.find((node) => node !== moved) as HostNode;
    expect(await decideWithout(rig, third, history), `acknowledged by ${moved.spec.id} and the other peer alone`).toBeGreaterThan(20);
    await sleep(1_000);
    await load.stop();
    step('load stopped');

    await expectScenarioEnd(rig, history);
  });

  it('a host behind NAT, listed at its private address: the peers follow its translated address and port', async () => {
    const rig = await startRig('behind NAT', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3', placement: { kind: 'nat' } }], build: 'peers' });
    const natted = rig.node('h3');
    const router = natted.host.router?.address as string;
    await waitUntilFollowed(rig, natted, (address) => address.startsWith(`${router}:`) && address !== `${router}:${UDP_PORT}`);

    await block(natted, 'h2');
    const history = new ClientHistory();
    const load = new BackgroundLoad(history, { clients: 6, label: 'nat', targets: () => rig.nodes });
    await sleep(LOAD_MS);
    expect(history.count('ok', (operation) => operation.node === natted.spec.id), 'acknowledged through the host behind NAT').toBeGreaterThan(10);
    const third = rig.node('h2');
    expect(await decideWithout(rig, third, history), `acknowledged by ${natted.spec.id} and h1 alone`).toBeGreaterThan(20);
    await sleep(1_000);
    await load.stop();
    step('load stopped');

    await expectScenarioEnd(rig, history);
  });
});
