import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../shared/api';
import { FakeApi, makePeerStatus, makeStatus } from '../../../test/support/renderer/fake-api';
import { FAULT_TTL_MS, ScenarioRunner, type RunView, type Scenario } from './scenario-runner';
import { scenarioById } from './scenarios';

/** A healthy three-member cluster led by alice, every peer reachable. */
function healthyApi(): FakeApi {
  const api = new FakeApi();
  api.statusValue = makeStatus({ peers: [makePeerStatus({ id: 'bob', address: '127.0.0.1:7401' }), makePeerStatus({ id: 'carol', address: '127.0.0.1:7402' })] });
  return api;
}

function runner(api: FakeApi, views: RunView[] = []): ScenarioRunner {
  return new ScenarioRunner(api, { pollMs: 1, onChange: (view) => views.push(view) });
}

const states = (view: RunView) => view.steps.map((step) => step.state);

/** A scenario made of `steps` alone (what the runner tests vary). */
function testScenario(steps: Scenario['steps']): Scenario {
  return { id: 'test', title: 'test', story: '', unavailable: () => null, steps };
}

describe('ScenarioRunner', () => {
  it('advances a step only when the status shows it, and undoes every fault at the end', async () => {
    const api = healthyApi();
    const views: RunView[] = [];
    const scenario = testScenario((plan) => [
      {
        title: 'every member drops',
        watch: '',
        act: async (run) => {
          for (const member of plan.members) await run.setFaults(member, { dropRate: 0.5, delayMs: 0, isolate: [] });
        },
        reached: ({ status }) => status.commitIndex >= 12 && `at ${status.commitIndex}`,
        timeoutMs: 5_000,
      },
    ]);
    const running = runner(api, views).run(scenario);
    await vi.waitFor(() => expect(views.at(-1)?.steps[0]?.state).toBe('watching'));
    expect(api.memberFaults.size).toBe(3);
    expect([...api.memberFaults.values()].every((held) => held.ttlMs === FAULT_TTL_MS)).toBe(true);
    // Polled but not reached: the step waits for the cluster, not for a timer.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(views.at(-1)?.steps[0]?.state).toBe('watching');
    api.statusValue = { ...api.statusValue, commitIndex: 12 };
    const final = await running;
    expect(final).toMatchObject({ phase: 'finished', problem: null, faultsHeld: [] });
    expect(final.steps[0]).toMatchObject({ state: 'reached', note: 'at 12' });
    expect(api.memberFaults.size).toBe(0);
    expect(api.calls.filter((call) => call.method === 'clusterFaults' && (call.args as { ttlMs: number }).ttlMs === 0)).toHaveLength(3);
  });

  it('a step not seen in time fails the run, and the undo still clears every fault', async () => {
    const api = healthyApi();
    const scenario = testScenario((plan) => [
      { title: 'isolate', watch: '', act: (run) => run.setFaults(plan.peers[0] as string, { dropRate: 0, delayMs: 0, isolate: ['alice'] }), reached: () => true, timeoutMs: 1_000 },
      { title: 'never', watch: '', reached: () => false, timeoutMs: 20 },
      { title: 'after', watch: '', reached: () => true, timeoutMs: 20 },
    ]);
    const final = await runner(api).run(scenario);
    expect(final.phase).toBe('failed');
    expect(final.problem).toMatch(/Step 2 \(never\): not seen/);
    expect(states(final)).toEqual(['reached', 'failed', 'waiting']);
    expect(api.memberFaults.size).toBe(0);
  });

  it('an optional step not seen in time is missed, with its explanation, and the run goes on', async () => {
    const api = healthyApi();
    const scenario = testScenario(() => [
      { title: 'maybe', watch: '', reached: () => false, timeoutMs: 10, missed: 'not this time' },
      { title: 'then', watch: '', reached: () => true, timeoutMs: 10 },
    ]);
    const final = await runner(api).run(scenario);
    expect(final.phase).toBe('finished');
    expect(final.steps.map((step) => [step.state, step.note])).toEqual([
      ['missed', 'not this time'],
      ['reached', null],
    ]);
  });

  it('stop() ends the wait and undoes', async () => {
    const api = healthyApi();
    const views: RunView[] = [];
    const run = runner(api, views);
    const playing = run.run(scenarioById('minority') as Scenario);
    await vi.waitFor(() => expect(api.memberFaults.get('alice')?.faults.isolate).toEqual(['bob', 'carol']));
    run.stop();
    const final = await playing;
    expect(final.phase).toBe('stopped');
    expect(api.memberFaults.size).toBe(0);
  });

  it('refuses to start on a cluster with an unreachable member, touching nothing', async () => {
    const api = new FakeApi(); // carol is unreachable there
    const final = await runner(api).run(scenarioById('lossy') as Scenario);
    expect(final).toMatchObject({ phase: 'failed', steps: [] });
    expect(final.problem).toMatch(/carol is not/);
    expect(api.calls.some((call) => call.method === 'clusterFaults')).toBe(false);
  });
});

describe('the minority scenario, on observed status', () => {
  it('isolates this node, sees the tweet pending, heals, sees it chosen', async () => {
    const api = healthyApi();
    api.override.tweet = async () => {
      throw new ApiError({ code: 'pending', message: 'No quorum answered in time.', id: 'alice/7' });
    };
    const views: RunView[] = [];
    const playing = runner(api, views).run(scenarioById('minority') as Scenario);
    await vi.waitFor(() => expect(views.at(-1)?.steps[0]?.state).toBe('watching'));
    expect(api.memberFaults.get('alice')?.faults.isolate).toEqual(['bob', 'carol']);
    // The node notices its peers are gone.
    api.statusValue = { ...api.statusValue, pendingCommands: 1, peers: api.statusValue.peers.map((peer) => ({ ...peer, reachable: false })) };
    await vi.waitFor(() => expect(views.at(-1)?.steps[1]?.state).toBe('reached'));
    expect(views.at(-1)?.steps[1]?.note).toMatch(/pending \(1 command queued here\)/);
    await vi.waitFor(() => expect(views.at(-1)?.steps[2]?.state).toBe('watching'));
    expect(api.memberFaults.size).toBe(0);
    api.statusValue = { ...api.statusValue, pendingCommands: 0, peers: api.statusValue.peers.map((peer) => ({ ...peer, reachable: true })) };
    const final = await playing;
    expect(final.phase).toBe('finished');
    expect(states(final)).toEqual(['reached', 'reached', 'reached']);
  });
});

describe('the duelling proposers', () => {
  it('asks the loser first and the winner after, and waits for the winner\'s higher ballot', async () => {
    const api = healthyApi();
    const views: RunView[] = [];
    // The fake's tweet takes the next slot; this node (alice, the loser) applies it at once.
    api.override.tweet = async (args, original) => {
      const receipt = await original(args);
      api.statusValue = { ...api.statusValue, commitIndex: Math.max(api.statusValue.commitIndex, receipt.slot) };
      return receipt;
    };
    const final = await runner(api, views).run(scenarioById('duel-b') as Scenario);
    expect(final.phase).toBe('finished');
    const campaigns = api.calls.filter((call) => call.method === 'campaignNow').map((call) => (call.args as { member: string }).member);
    expect(campaigns).toEqual(['alice', 'bob']);
    expect(final.steps[1]?.note).toMatch(/bob wins with ballot 5\.bob, above alice's 4\.alice/);
  });
});
