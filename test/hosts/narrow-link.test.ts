/**
 * A narrow link: h3 sits behind a router over a private link with MTU 1280 and a 1 Mbit/s rate limit
 * (tbf) in both directions. h3 stops, 20,000 small tweets are chosen without it, and it comes back
 * and catches up over that link: path MTU discovery must work (the router answers "fragmentation
 * needed" and the senders' kernels learn 1280), and the catch-up must fit through 1 Mbit/s. Then h3
 * takes part again and everything agrees.
 */
import { expect, it } from 'vitest';
import { waitFor } from '../process/harness';
import { ClientHistory, runLoad } from './clients';
import { block, describeRig, expectScenarioEnd, startRig, step } from './scenario';

const COMMANDS_TO_CATCH_UP = 20_000;
const LINK_MTU = 1280;
const LINK_RATE_KBIT = 1000;

describeRig('a narrow link', () => {
  it(`a member behind a link with MTU ${LINK_MTU} and ${LINK_RATE_KBIT} kbit/s catches up ${COMMANDS_TO_CATCH_UP} commands`, async () => {
    const rig = await startRig('narrow link catch-up', {
      hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3', placement: { kind: 'routed', mtu: LINK_MTU, rateKbit: LINK_RATE_KBIT } }],
      build: 'peers',
    });
    const history = new ClientHistory();
    const h1 = rig.node('h1');
    const h2 = rig.node('h2');
    const h3 = rig.node('h3');
    await block(h3, 'h1');
    await runLoad(history, { clients: 6, label: 'before', targets: () => rig.nodes, total: 200 });

    await h3.stop();
    const loadStartedAtMs = performance.now();
    await runLoad(history, { clients: 128, label: 'b', targets: () => [h1, h2], total: COMMANDS_TO_CATCH_UP });
    const loadSeconds = (performance.now() - loadStartedAtMs) / 1000;
    step(`${COMMANDS_TO_CATCH_UP} tweets`);
    const target = (await h1.status()).commitIndex;

    const shapedBefore = await rig.network.shapedTowards(h3.host);
    const catchUpStartedAtMs = performance.now();
    await h3.start();
    await waitFor(async () => (await h3.status()).appliedIndex >= target, 180_000, `${h3.spec.id} catching up to slot ${target}`);
    const catchUpSeconds = (performance.now() - catchUpStartedAtMs) / 1000;
    step('caught up');
    const shapedAfter = await rig.network.shapedTowards(h3.host);
    const sentMbit = ((shapedAfter.sentBytes - shapedBefore.sentBytes) * 8) / 1e6;
    const snapshotSlot = (await h3.status()).compactedThrough;
    process.stdout.write(
      `test/hosts: ${COMMANDS_TO_CATCH_UP} tweets in ${loadSeconds.toFixed(1)} s (slot ${target}); ${h3.spec.id} caught up in ${catchUpSeconds.toFixed(1)} s (${snapshotSlot > 0 ? `snapshot through slot ${snapshotSlot}` : 'log only'}), ${sentMbit.toFixed(2)} Mbit through the link (${(sentMbit / catchUpSeconds).toFixed(2)} Mbit/s)\n`,
    );
    // The link really was narrow: the limiter held traffic back, and never let more than its rate through.
    expect(shapedAfter.overlimits, 'the rate limiter held traffic back').toBeGreaterThan(shapedBefore.overlimits);
    expect(sentMbit / catchUpSeconds, 'Mbit/s through the link').toBeLessThanOrEqual((LINK_RATE_KBIT / 1000) * 1.1);
    // Datagrams larger than the link's MTU were sent towards h3, and the senders learned its path MTU.
    const learned = await Promise.all([h1, h2].map((node) => rig.network.learnedPathMtu(node.host, h3.host)));
    expect(learned, `path MTUs from h1 and h2 to ${h3.spec.id}`).toContain(LINK_MTU);

    // h3 takes part again.
    await runLoad(history, { clients: 6, label: 'after', targets: () => rig.nodes, total: 300 });
    expect(history.count('ok', (operation) => operation.node === h3.spec.id && operation.value.startsWith('after')), `acknowledged through ${h3.spec.id}`).toBeGreaterThan(50);
    step('load after');
    const { report } = await expectScenarioEnd(rig, history);
    expect(report.acknowledged).toBeGreaterThanOrEqual(COMMANDS_TO_CATCH_UP);
  });
});
