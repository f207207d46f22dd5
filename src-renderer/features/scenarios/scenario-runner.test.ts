import { describe, expect, it, vi } from 'vitest';
import { ApiError, type LogEntryView } from '../../../shared/api';
import { FakeApi, makePeerStatus, makeStatus } from '../../../test/support/renderer/fake-api';
import { FAULT_TTL_MS, NOT_THIS_TIME, ScenarioRunner, type RunView, type Scenario, type StepState } from './scenario-runner';
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

const DONE: readonly StepState[] = ['reached', 'missed'];
const ACTIVE: readonly StepState[] = ['acting', 'watching'];

/** The steps are played in order: those done first, then at most one under way, then those waiting. */
function inOrder(view: RunView): boolean {
  const shown = states(view);
  const done = shown.findIndex((state) => !DONE.includes(state));
  if (done === -1) return true;
  const rest = ACTIVE.includes(shown[done] as StepState) ? shown.slice(done + 1) : shown.slice(done);
  return rest.every((state) => state === 'waiting');
}

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

  it('a step decided missed (NOT_THIS_TIME) is missed at once if optional, and fails the run if not', async () => {
    const optional = await runner(healthyApi()).run(
      testScenario(() => [
        { title: 'maybe', watch: '', reached: () => NOT_THIS_TIME, timeoutMs: 60_000, missed: 'not this time' },
        { title: 'then', watch: '', reached: () => true, timeoutMs: 10 },
      ]),
    );
    expect(optional.phase).toBe('finished');
    expect(states(optional)).toEqual(['missed', 'reached']);
    const required = await runner(healthyApi()).run(testScenario(() => [{ title: 'must', watch: '', reached: () => NOT_THIS_TIME, timeoutMs: 60_000 }]));
    expect(required.phase).toBe('failed');
    expect(required.problem).toMatch(/Step 1 \(must\): not seen, and the cluster shows it will not be/);
  });

  it('a missed step with a retry is played again from its `from` step after its reset, saying why, until it is seen', async () => {
    const api = healthyApi();
    const views: RunView[] = [];
    let attempts = 0;
    const scenario = testScenario((plan) => [
      { title: 'before', watch: '', reached: () => 'once', timeoutMs: 1_000 },
      {
        title: 'set up',
        watch: '',
        act: async (run) => {
          attempts++;
          await run.setFaults(plan.peers[0] as string, { dropRate: 0.3, delayMs: 0, isolate: [] });
        },
        reached: () => `attempt ${attempts}`,
        timeoutMs: 1_000,
      },
      {
        title: 'by chance',
        watch: '',
        reached: () => (attempts === 3 ? 'seen at last' : NOT_THIS_TIME),
        timeoutMs: 60_000,
        missed: 'never seen',
        retry: { attempts: 3, from: 1, again: 'Not this time: trying again', reset: (run) => run.clearFaults(plan.peers[0] as string) },
      },
      { title: 'after', watch: '', reached: () => true, timeoutMs: 1_000 },
    ]);
    const final = await runner(api, views).run(scenario);
    expect(final).toMatchObject({ phase: 'finished', problem: null, faultsHeld: [], retries: ['Not this time: trying again (2 of 3)', 'Not this time: trying again (3 of 3)'] });
    expect(final.steps.map((step) => [step.state, step.note])).toEqual([
      ['reached', 'once'],
      ['reached', 'attempt 3'],
      ['reached', 'seen at last'],
      ['reached', null],
    ]);
    // Each attempt's fault was cleared before the next one set it again: set, clear, set, clear, set, then the undo.
    expect(api.callsOf('clusterFaults').map((call) => (call as { ttlMs: number }).ttlMs)).toEqual([FAULT_TTL_MS, 0, FAULT_TTL_MS, 0, FAULT_TTL_MS, 0]);
    expect(api.memberFaults.size).toBe(0);
    // While trying again the step says so; the steps are rewound together, never shown out of order.
    expect(views.some((view) => view.steps[2]?.state === 'acting' && view.steps[2].note === 'Not this time: trying again (2 of 3)')).toBe(true);
    expect(views.every(inOrder)).toBe(true);
    // 'missed' is never said before the last attempt.
    expect(views.some((view) => view.steps[2]?.state === 'missed')).toBe(false);
  });

  it('a step missed at every attempt (its timeout, too) is said missed once, after the last, and the run goes on', async () => {
    const api = healthyApi();
    const views: RunView[] = [];
    const scenario = testScenario((plan) => [
      { title: 'set up', watch: '', act: (run) => run.setFaults(plan.peers[1] as string, { dropRate: 0.3, delayMs: 0, isolate: [] }), reached: () => true, timeoutMs: 1_000 },
      {
        title: 'by chance',
        watch: '',
        reached: () => false,
        timeoutMs: 5,
        missed: 'never seen, in 2 attempts',
        retry: { attempts: 2, from: 0, again: 'again', reset: (run) => run.clearFaults(plan.peers[1] as string) },
      },
      { title: 'after', watch: '', reached: () => true, timeoutMs: 1_000 },
    ]);
    const final = await runner(api, views).run(scenario);
    expect(final).toMatchObject({ phase: 'finished', retries: ['again (2 of 2)'] });
    expect(final.steps.map((step) => [step.state, step.note])).toEqual([
      ['reached', null],
      ['missed', 'never seen, in 2 attempts'],
      ['reached', null],
    ]);
    expect(views.filter((view) => view.steps[1]?.state === 'missed' && view.steps[2]?.state === 'waiting')).toHaveLength(1);
    expect(views.every(inOrder)).toBe(true);
    expect(api.memberFaults.size).toBe(0);
  });

  it('a reset that fails fails the run, and the undo still clears every fault', async () => {
    const api = healthyApi();
    const scenario = testScenario((plan) => [
      { title: 'set up', watch: '', act: (run) => run.setFaults(plan.peers[0] as string, { dropRate: 0.3, delayMs: 0, isolate: [] }), reached: () => true, timeoutMs: 1_000 },
      {
        title: 'by chance',
        watch: '',
        reached: () => NOT_THIS_TIME,
        timeoutMs: 1_000,
        missed: 'never',
        retry: {
          attempts: 3,
          from: 0,
          again: 'again',
          reset: async () => {
            throw new Error('no answer');
          },
        },
      },
    ]);
    const final = await runner(api).run(scenario);
    expect(final.phase).toBe('failed');
    expect(final.problem).toMatch(/Step 2 \(by chance\) could not try again: no answer/);
    expect(states(final)).toEqual(['reached', 'failed']);
    expect(api.memberFaults.size).toBe(0);
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

describe('the crash scenario, on observed status', () => {
  it('asks carol to crash once, sees it down, the others go on, then sees it back and caught up; no fault to undo', async () => {
    const api = healthyApi();
    const views: RunView[] = [];
    const playing = runner(api, views).run(scenarioById('crash') as Scenario);
    // crashMember shows carol unreachable (the fake), which is the first step; then the others go on.
    await vi.waitFor(() => expect(views.at(-1)?.steps[1]?.state).toBe('watching'));
    api.statusValue = { ...api.statusValue, commitIndex: 13 };
    await vi.waitFor(() => expect(views.at(-1)?.steps[1]?.state).toBe('reached'));
    expect(api.crashes).toEqual([{ member: 'carol', downMs: 8_000 }]);
    expect(views.at(-1)?.steps[1]?.note).toMatch(/carol stopped at 10/);
    expect(views.at(-1)?.steps[2]?.state).toBe('watching');
    // carol restarted from its disk and learned what it missed.
    const commitIndex = api.statusValue.commitIndex;
    api.statusValue = { ...api.statusValue, peers: api.statusValue.peers.map((peer) => (peer.id === 'carol' ? { ...peer, reachable: true, commitIndex } : peer)) };
    const final = await playing;
    expect(final.phase).toBe('finished');
    expect(states(final)).toEqual(['reached', 'reached', 'reached']);
    expect(final.steps[2]?.note).toMatch(/^carol recovered from its disk and caught up to slot \d+/);
    expect(api.crashes).toHaveLength(1);
    expect(api.memberFaults.size).toBe(0);
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

describe('the hole that never stalls', () => {
  /**
   * A cluster for the hole scenario played from alice: bob (the victim) leads when asked to campaign.
   * At attempt `holeAt` (null: never), alice's log shows a gap once two rounds of commands were poured;
   * cut off then (by alice), bob leaves a hole that carol, its successor, fills with a no-op. Cut off
   * without a gap, it leaves none. Healed (its own faults cleared last), bob is reachable and caught up.
   */
  function holeCluster(holeAt: number | null): { api: FakeApi; events: string[]; noop: () => number | null } {
    const api = healthyApi();
    const events: string[] = [];
    let cuts = 0;
    let poured = 0;
    let noop: number | null = null;
    const bob = (change: Partial<FakeApi['statusValue']['peers'][number]>) => api.statusValue.peers.map((peer) => (peer.id === 'bob' ? { ...peer, ...change } : peer));
    api.override.tweet = async (args, original) => {
      poured++;
      const receipt = await original(args);
      api.statusValue = { ...api.statusValue, commitIndex: Math.max(api.statusValue.commitIndex, receipt.slot) };
      return receipt;
    };
    api.override.campaignNow = async (args, original) => {
      events.push(`campaign ${args.member}`);
      return original(args);
    };
    api.override.clusterFaults = async (args, original) => {
      const result = await original(args);
      if (args.ttlMs === 0) {
        events.push(`heal ${args.member}`);
        if (args.member === 'bob') api.statusValue = { ...api.statusValue, peers: bob({ reachable: true, commitIndex: api.statusValue.commitIndex }) };
      } else if (args.member === 'alice') {
        events.push(`alice isolates ${args.faults.isolate.join(',')}`);
        cuts++;
        if (cuts === holeAt) noop = api.choose();
        poured = 0;
        const commitIndex = Math.max(api.statusValue.commitIndex, noop ?? 0);
        api.statusValue = { ...api.statusValue, leader: 'carol', role: 'follower', ballot: { round: api.statusValue.ballot.round + 1, node: 'carol' }, commitIndex, peers: bob({ reachable: false }) };
      } else {
        events.push(`${args.member} drops ${args.faults.dropRate}, isolates ${args.faults.isolate.join(',')}`);
      }
      return result;
    };
    api.override.log = async () => {
      const commitIndex = api.statusValue.commitIndex;
      const gap = noop === null && cuts + 1 === holeAt && poured >= 8;
      const entries: LogEntryView[] =
        noop !== null
          ? [{ slot: noop, status: 'chosen', ballot: null, commands: [] }]
          : gap
            ? [
                { slot: commitIndex + 1, status: 'empty', ballot: null, commands: [] },
                { slot: commitIndex + 2, status: 'accepted', ballot: { round: 9, node: 'bob' }, commands: [] },
              ]
            : [];
      return { firstSlot: 1, commitIndex, entries };
    };
    return { api, events, noop: () => noop };
  }

  const attempt = ['campaign bob', 'bob drops 0.3, isolates carol', 'alice isolates bob'];
  const heal = ['heal alice', 'heal bob'];

  it('cuts bob off when this node\'s log shows a gap; with no hole, heals bob, lets it catch up and plays the cut again, then shows the no-op', async () => {
    const { api, events, noop } = holeCluster(2);
    const views: RunView[] = [];
    const final = await runner(api, views).run(scenarioById('hole') as Scenario);
    expect(final).toMatchObject({ phase: 'finished', problem: null, faultsHeld: [], retries: ['No hole this time: healing bob and trying again (2 of 3)'] });
    expect(states(final)).toEqual(['reached', 'reached', 'reached', 'reached', 'reached']);
    // Views kept along the way: the first attempt cut bob off after its six rounds, the second at the gap.
    expect(views.some((view) => /^Nobody hears bob any more \(no gap in 6 rounds of commands: cut off anyway\)/.test(view.steps[1]?.note ?? ''))).toBe(true);
    expect(final.steps[1]?.note).toMatch(/^Nobody hears bob any more \(cut off as this node's log showed slot \d+ empty below slot \d+\)/);
    expect(final.steps[3]?.note).toBe(`Slot ${String(noop())} is a no-op: the hole bob left, filled so that the slots after it could be applied. Open it in the Inspector.`);
    expect(events).toEqual([...attempt, ...heal, ...attempt, ...heal]);
    // Four tweets a round: six rounds the first time, two the second.
    expect(api.callsOf('tweet')).toHaveLength(32);
    expect(views.every(inOrder)).toBe(true);
    expect(api.memberFaults.size).toBe(0);
  });

  it('says there was no hole only after the last attempt, and still heals bob', async () => {
    const { api, events } = holeCluster(null);
    const final = await runner(api).run(scenarioById('hole') as Scenario);
    expect(final).toMatchObject({ phase: 'finished', problem: null, faultsHeld: [] });
    expect(final.retries).toEqual(['No hole this time: healing bob and trying again (2 of 3)', 'No hole this time: healing bob and trying again (3 of 3)']);
    expect(states(final)).toEqual(['reached', 'reached', 'reached', 'missed', 'reached']);
    expect(final.steps[3]?.note).toMatch(/^No hole in 3 attempts: /);
    expect(events).toEqual([...attempt, ...heal, ...attempt, ...heal, ...attempt, ...heal]);
    expect(api.memberFaults.size).toBe(0);
  });
});
