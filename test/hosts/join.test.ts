/**
 * A cluster built the way a person does it, on three hosts: h1 starts alone with the defaults (UDP on
 * 0.0.0.0:7400, a generated secret), and h2 and h3 `--join` it by its IP address with that secret,
 * while clients already write through h1. Every member learns the others at their real addresses.
 */
import { expect, it } from 'vitest';
import { BackgroundLoad, ClientHistory, runLoad } from './clients';
import { UDP_PORT } from './host-node';
import { block, describeRig, expectScenarioEnd, startRig, step } from './scenario';

describeRig('a cluster built the way a person does it', () => {
  it('h1 starts alone, h2 and h3 join it by its IP under load; everything acknowledged is chosen once, in real-time order', async () => {
    const rig = await startRig('join by IP', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'join' });
    const history = new ClientHistory();
    const h1 = rig.node('h1');
    // The founder alone decides at once, as a one-node cluster.
    expect((await history.tweet(h1, 'join: before anyone joined')).type).toBe('ok');

    // Clients keep writing through h1 while the others join it.
    const load = new BackgroundLoad(history, { clients: 4, label: 'join', targets: () => [h1] });
    const h2 = await rig.join('h2');
    const h3 = await rig.join('h3');
    await rig.waitForMembers([h1, h2, h3]);
    await block(h1, 'h2');
    await block(h3, 'h1');
    await runLoad(history, { clients: 6, label: 'join-all', targets: () => rig.nodes, total: 300 });
    // Unblocking shows h3's tweets to h1 again, old ones included.
    await block(h3, 'h1', 'unblock');
    await load.stop();
    step('load stopped');

    // Everyone knows everyone at its real address (the founder listed itself as 0.0.0.0).
    for (const node of rig.nodes) {
      const status = await node.status();
      const addresses = Object.fromEntries(status.peers.map((peer) => [peer.id, peer.address]));
      const expected = Object.fromEntries(rig.nodes.filter((other) => other !== node).map((other) => [other.spec.id, `${other.host.address}:${UDP_PORT}`]));
      expect(addresses, `${node.spec.id}'s peers`).toEqual(expected);
    }
    const { report } = await expectScenarioEnd(rig, history);
    expect(report.acknowledged).toBeGreaterThan(300);
  });
});
