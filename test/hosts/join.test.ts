/**
 * A cluster built the way a person does it, on three hosts: h1 starts alone with the defaults (UDP on
 * 0.0.0.0:7400, a generated secret), h2 joins it by its IP address with that secret, and h3 joins
 * either the same way or, as README's "Two laptops in five minutes" has it, with an invite code after
 * seeing the cluster on the network; all while clients already write through h1. Every member learns
 * the others at their real addresses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { DiscoveredCluster } from '../../shared/api';
import { waitFor } from '../process/harness';
import { BackgroundLoad, ClientHistory, runLoad } from './clients';
import { UDP_PORT, type HostNode } from './host-node';
import type { Rig } from './rig';
import { block, describeRig, expectScenarioEnd, startRig, step } from './scenario';

/** Everyone knows everyone at its real address (the founder listed itself as 0.0.0.0). */
async function expectRealAddresses(rig: Rig): Promise<void> {
  for (const node of rig.nodes) {
    const status = await node.status();
    const addresses = Object.fromEntries(status.peers.map((peer) => [peer.id, peer.address]));
    const expected = Object.fromEntries(rig.nodes.filter((other) => other !== node).map((other) => [other.spec.id, `${other.host.address}:${UDP_PORT}`]));
    expect(addresses, `${node.spec.id}'s peers`).toEqual(expected);
  }
}

/** The clusters `node` hears on the LAN, as its Peers page lists them. */
async function heardBy(node: HostNode): Promise<DiscoveredCluster[]> {
  const discovery = await node.call('discovered');
  expect(discovery.enabled, discovery.note ?? '').toBe(true);
  return [...discovery.clusters];
}

const memberList = (cluster: DiscoveredCluster): string =>
  cluster.heard
    .map((member) => `${member.id}@${member.address}`)
    .sort()
    .join(' ');

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

    await expectRealAddresses(rig);
    const { report } = await expectScenarioEnd(rig, history);
    expect(report.acknowledged).toBeGreaterThan(300);
  });

  it('h3 hears the cluster on the LAN and joins it with an invite code: the listed address that answers adds it', async () => {
    const rig = await startRig('join by invite code', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'join', discover: true });
    const history = new ClientHistory();
    const h1 = rig.node('h1');
    expect((await history.tweet(h1, 'invite: before anyone joined')).type).toBe('ok');
    const load = new BackgroundLoad(history, { clients: 4, label: 'invite', targets: () => [h1] });
    const h2 = await rig.join('h2');
    await rig.waitForMembers([h1, h2]);

    // h3, still a one-node cluster of its own (as the desktop app starts), lists the cluster it hears
    // by its members and their count; the members list h3's cluster too. Never their own.
    const alone = await rig.startAlone('h3');
    const h1Address = `${h1.host.address}:${UDP_PORT}`;
    const h2Address = `${h2.host.address}:${UDP_PORT}`;
    await waitFor(async () => (await heardBy(alone)).some((cluster) => cluster.members === 2 && memberList(cluster) === `h1@${h1Address} h2@${h2Address}`), 30_000, 'h3 to hear h1 and h2');
    expect((await heardBy(alone)).map((cluster) => cluster.heard.map((member) => member.name).sort())).toEqual([['h1', 'h2']]);
    await waitFor(async () => (await heardBy(h1)).some((cluster) => cluster.members === 1 && memberList(cluster) === `h3@${alone.host.address}:${UDP_PORT}`), 30_000, 'h1 to hear h3');
    expect(await heardBy(h2)).toHaveLength(1);
    step('heard on the LAN');
    // It leaves with a goodbye: the members stop listing it at once.
    await alone.stop();
    await waitFor(async () => (await heardBy(h1)).length === 0, 10_000, 'h3 gone from the list');

    // The invite code of h1 lists its management address first (no UDP is answered there), then its
    // LAN address and h2's: the join goes on to the next address until one answers.
    const invite = await h1.call('inviteCode');
    expect(invite.addresses).toEqual(expect.arrayContaining([h1Address, h2Address]));
    expect(invite.addresses.indexOf(h1Address)).toBeGreaterThan(0);
    const h3 = await rig.join('h3', { code: invite.code });
    await rig.waitForMembers([h1, h2, h3]);
    step('h3 joined with the code');
    // What the code carried stays out of the logs; the secret is kept for restarts.
    const secret = readFileSync(rig.secretFile, 'utf8').trim();
    for (const node of rig.nodes) expect(node.logs.join('\n'), `${node.spec.id}'s log`).not.toContain(secret);
    expect(h3.logs.join('\n')).not.toContain(invite.code);
    expect(readFileSync(join(h3.spec.dataDir, 'cluster-secret'), 'utf8').trim()).toBe(secret);

    await block(h3, 'h1');
    await runLoad(history, { clients: 6, label: 'invite-all', targets: () => rig.nodes, total: 200 });
    await load.stop();
    step('load stopped');
    await expectRealAddresses(rig);
    const { report } = await expectScenarioEnd(rig, history);
    expect(report.acknowledged).toBeGreaterThan(200);
  });
});
