/** A flood of garbage and of datagrams sealed with another cluster's secret: dropped, counted, harmless. */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterEach, expect, it } from 'vitest';
import { UdpTransport } from '../../src-main/net/udp-transport';
import { expectConsistentCluster } from './consistency';
import { freeLoopbackUdpPort, ProcessCluster } from './harness';
import { newLoadResult, tweetLoad } from './load';

let cluster: ProcessCluster | null = null;
afterEach(async () => {
  await cluster?.dispose();
  cluster = null;
});

it('garbage and wrong-secret floods are dropped by reason while the cluster keeps working', async () => {
  cluster = await ProcessCluster.start({ size: 3 });
  await cluster.waitForConvergence();
  const target = cluster.nodes[0]!;
  const garbage = createSocket('udp4');
  // An impostor that speaks the protocol perfectly, with the wrong secret.
  const impostor = await UdpTransport.open({
    self: 'n2',
    listenHost: '127.0.0.1',
    listenPort: await freeLoopbackUdpPort(),
    secret: 'not the cluster secret at all',
    epoch: 1,
    members: new Map([['n1', { host: '127.0.0.1', port: target.spec.udpPort }]]),
    onMessage: () => undefined,
  });
  const result = newLoadResult();
  let stop = false;
  const load = tweetLoad(() => cluster!.nodes, 3, () => stop, result);
  try {
    for (let i = 0; i < 2_000; i++) {
      garbage.send(randomBytes(1 + (i % 1400)), target.spec.udpPort, '127.0.0.1');
      if (i % 4 === 0) impostor.send({ type: 'prepare', from: 'n2', to: 'n1', ballot: { round: 1_000_000, node: 'n2' }, fromSlot: 1 });
      if (i % 100 === 0) await new Promise((done) => setTimeout(done, 5));
    }
    await new Promise((done) => setTimeout(done, 500));
  } finally {
    stop = true;
    await load;
    garbage.close();
    await impostor.close();
  }
  const status = await target.status();
  const dropped = Object.values(status.dropped).reduce((a, b) => a + b, 0);
  expect(dropped).toBeGreaterThan(2_000);
  expect(status.dropped['wrong-cluster'] ?? 0).toBeGreaterThan(400);
  // The forged prepare never reached the protocol: no promise to ballot 1,000,000.
  expect(status.promised.round).toBeLessThan(1_000_000);
  expect(result.acknowledged.size).toBeGreaterThan(20);
  await expectConsistentCluster(cluster, result.acknowledged);
});
