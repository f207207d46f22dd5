/**
 * The Scenarios panel's runner (src-renderer/features/scenarios) played through the HTTP API of one of
 * three real synod-node processes: "a minority that cannot decide", both "duelling proposers", and the
 * lossy, hole and crash scenarios run to their end, with every step seen in the node's status (the hole's
 * no-op may be missed: no hole that time, and the scenario says so); afterwards no member holds any
 * fault and the logs agree. And remote faults that nobody renews lapse on their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiMethodName, type ApiMethods } from '../../shared/api';
import { ScenarioRunner, type ScenarioApi } from '../../src-renderer/features/scenarios/scenario-runner';
import { scenarioById } from '../../src-renderer/features/scenarios/scenarios';
import { expectConsistentCluster } from './consistency';
import { ApiCallError, ProcessCluster, sleep, waitFor, type ProcessNode } from './harness';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ size: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.dispose();
});

/** The API of `node` as the renderer sees it: errors as ApiErrors (the scenarios read their codes). */
function apiOf(node: ProcessNode): ScenarioApi {
  const call = async <M extends ApiMethodName>(method: M, args?: ApiMethods[M]['args']): Promise<ApiMethods[M]['result']> => {
    try {
      return await node.call(method, args, 15_000);
    } catch (error) {
      if (error instanceof ApiCallError) throw new ApiError({ code: error.code as ApiError['code'], message: error.message, ...(error.id === undefined ? {} : { id: error.id }) });
      throw error;
    }
  };
  return {
    status: () => call('status'),
    tweet: (args) => call('tweet', args),
    log: (args) => call('log', args),
    clusterFaults: (args) => call('clusterFaults', args),
    campaignNow: (args) => call('campaignNow', args),
    crashMember: (args) => call('crashMember', args),
  };
}

async function everyPeerReachable(): Promise<void> {
  await waitFor(async () => (await Promise.all(cluster.nodes.map((node) => node.status()))).every((status) => status.leader !== null && status.peers.every((peer) => peer.reachable)), 20_000, 'every peer reachable');
}

async function expectNoFaultAnywhere(): Promise<void> {
  for (const node of cluster.nodes) {
    const status = await node.status();
    expect(status.remoteFaults, node.spec.id).toEqual([]);
    expect(await node.call('faults'), node.spec.id).toEqual({ dropRate: 0, delayMs: 0, isolate: [] });
  }
}

async function play(id: string): Promise<void> {
  await everyPeerReachable();
  const runner = new ScenarioRunner(apiOf(cluster.node('n1')), { pollMs: 100 });
  const final = await runner.run(scenarioById(id) as NonNullable<ReturnType<typeof scenarioById>>);
  // On failure, what the members said about campaigns, leaders and faults.
  if (final.phase !== 'finished') for (const node of cluster.nodes) console.log(node.spec.id, node.logs.filter((line) => /campaign|leader|elect|fault/.test(line)).slice(-30).join('\n'));
  expect({ phase: final.phase, problem: final.problem }, JSON.stringify(final.steps)).toEqual({ phase: 'finished', problem: null });
  // Only the hole's no-op step is optional ('missed': no hole this time, said so).
  expect(final.steps.every((step) => step.state === 'reached' || step.state === 'missed')).toBe(true);
  expect(final.faultsHeld).toEqual([]);
  await expectNoFaultAnywhere();
}

describe('the classic scenarios on three real processes', () => {
  it('a minority that cannot decide: n1 cut off, its tweet pending, healed, chosen', async () => {
    await play('minority');
    await cluster.waitForConvergence();
  }, 90_000);

  it('duelling proposers, A wins and then B wins, each time the intended member leads', async () => {
    await play('duel-a');
    expect((await cluster.waitForLeader()).spec.id).toBe('n1');
    await play('duel-b');
    expect((await cluster.waitForLeader()).spec.id).toBe('n2');
    await cluster.waitForConvergence();
    await expectConsistentCluster(cluster, new Map());
  }, 90_000);

  it('lossy rounds, the hole that never stalls, crash and recovery: played to their end too', async () => {
    for (const id of ['lossy', 'hole']) await play(id);
    // The crash is real: n3 (n1's last peer) drops its replica and starts again from its disk, in the same process.
    const n3 = cluster.node('n3');
    const before = await n3.status();
    await play('crash');
    const after = await n3.status();
    expect(after.recovery.at).toBeGreaterThan(before.recovery.at);
    expect(after.recovery.learnedFromPeers).not.toBeNull();
    expect(n3.logs.some((line) => line.includes('crash-asked'))).toBe(true);
    expect(n3.running).toBe(true);
    await cluster.waitForConvergence();
    await expectConsistentCluster(cluster, new Map());
  }, 180_000);

  it('remote faults that nobody renews lapse on their own, and members obey members only', async () => {
    await everyPeerReachable();
    const n1 = cluster.node('n1');
    await n1.call('clusterFaults', { member: 'n2', faults: { dropRate: 0.1, delayMs: 0, isolate: ['n3'] }, ttlMs: 1_500 });
    const held = (await cluster.node('n2').status()).remoteFaults;
    expect(held).toMatchObject([{ from: 'n1', faults: { dropRate: 0.1, delayMs: 0, isolate: ['n3'] } }]);
    expect(held[0]?.expiresInMs).toBeLessThanOrEqual(1_500);
    await sleep(2_000);
    expect((await cluster.node('n2').status()).remoteFaults).toEqual([]);
    // Bounds at the API: no more than 120 s, no isolating a member from itself, a member only.
    await expect(n1.call('clusterFaults', { member: 'n2', faults: { dropRate: 0, delayMs: 0, isolate: [] }, ttlMs: 120_001 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(n1.call('clusterFaults', { member: 'n2', faults: { dropRate: 0, delayMs: 0, isolate: ['n2'] }, ttlMs: 1_000 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(n1.call('campaignNow', { member: 'stranger' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expectNoFaultAnywhere();
  }, 30_000);
});
