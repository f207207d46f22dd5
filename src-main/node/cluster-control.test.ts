import { describe, expect, it } from 'vitest';
import type { Faults } from '../../shared/domain';
import type { ControlAckMessage, ControlWireMessage } from '../net/wire';
import { ClusterControl, combineFaults, CONTROL_RETRY_MS, CONTROL_TIMEOUT_MS, type CrashRequest } from './cluster-control';
import { NodeError } from './node-error';

const LOSSY: Faults = { dropRate: 0.25, delayMs: 40, isolate: ['n2'] };

function setup(self = 'n3', members: string[] = ['n1', 'n2', 'n3']) {
  const sent: ControlWireMessage[] = [];
  const clock = { now: 1_000 };
  let changes = 0;
  let campaigns = 0;
  const crashes: CrashRequest[] = [];
  const crash = { refusal: null as string | null };
  const control = new ClusterControl({
    self,
    members: () => members,
    send: (message) => sent.push(message),
    now: () => clock.now,
    onFaultsChanged: () => changes++,
    campaign: () => {
      campaigns++;
      return true;
    },
    crash: (request) => {
      if (crash.refusal === null) crashes.push(request);
      return crash.refusal;
    },
  });
  return { control, sent, clock, members, changes: () => changes, campaigns: () => campaigns, crashes, crash };
}

const faultRequest = (from: string, requestId: number, ttlMs: number, faults: Faults = LOSSY) =>
  ({ type: 'faultRequest', from, to: 'n3', requestId, ttlMs, dropPpm: Math.round(faults.dropRate * 1e6), delayMs: faults.delayMs, isolate: faults.isolate }) as const;

describe('ClusterControl, serving', () => {
  it('holds a member\'s faults until their TTL lapses, then heals on its own', () => {
    const { control, sent, clock, changes } = setup();
    control.onMessage(faultRequest('n1', 1, 30_000));
    expect(sent).toEqual([{ type: 'controlAck', from: 'n3', to: 'n1', requestId: 1, applied: true, reason: '' }]);
    expect(control.heldFaults()).toEqual([{ from: 'n1', faults: LOSSY, expiresInMs: 30_000 }]);
    expect(changes()).toBe(1);
    clock.now += 29_999;
    control.tick();
    expect(control.heldFaultSets()).toEqual([LOSSY]);
    clock.now += 1;
    control.tick();
    expect(control.heldFaults()).toEqual([]);
    expect(changes()).toBe(2);
  });

  it('a renewal extends the TTL; ttlMs 0 clears at once; one set per requester', () => {
    const { control, clock } = setup();
    control.onMessage(faultRequest('n1', 1, 10_000));
    clock.now += 8_000;
    control.onMessage(faultRequest('n1', 2, 10_000, { dropRate: 0.5, delayMs: 0, isolate: [] }));
    control.onMessage(faultRequest('n2', 1, 10_000, { dropRate: 0, delayMs: 0, isolate: ['n1'] }));
    clock.now += 5_000;
    control.tick();
    expect(control.heldFaults().map((held) => [held.from, held.faults.dropRate, held.expiresInMs])).toEqual([
      ['n1', 0.5, 5_000],
      ['n2', 0, 5_000],
    ]);
    control.onMessage(faultRequest('n1', 3, 0));
    expect(control.heldFaults().map((held) => held.from)).toEqual(['n2']);
  });

  it('obeys members only: a non-member is refused, acked so, and counted', () => {
    const { control, sent, campaigns } = setup();
    control.onMessage(faultRequest('stranger', 1, 10_000));
    control.onMessage({ type: 'campaignRequest', from: 'stranger', to: 'n3', requestId: 2 });
    expect(control.heldFaults()).toEqual([]);
    expect(campaigns()).toBe(0);
    expect(sent.map((m) => m.type === 'controlAck' && m.applied)).toEqual([false, false]);
    expect(control.dropped()['control-not-member']).toBe(2);
  });

  it('drops the faults of a requester that left the membership', () => {
    const { control, members } = setup();
    control.onMessage(faultRequest('n1', 1, 60_000));
    members.splice(members.indexOf('n1'), 1);
    control.tick();
    expect(control.heldFaults()).toEqual([]);
  });

  it('campaigns once per request id, acking each retransmission', () => {
    const { control, sent, campaigns } = setup();
    control.onMessage({ type: 'campaignRequest', from: 'n1', to: 'n3', requestId: 5 });
    control.onMessage({ type: 'campaignRequest', from: 'n1', to: 'n3', requestId: 5 });
    expect(campaigns()).toBe(1);
    expect(sent.filter((m) => m.type === 'controlAck' && m.applied)).toHaveLength(2);
  });

  it('hands a member\'s crash request to the runtime with its requester and id (the host deduplicates it), acking each copy; members only', () => {
    const { control, sent, crashes } = setup();
    control.onMessage({ type: 'crashRequest', from: 'stranger', to: 'n3', requestId: 1, downMs: 5_000 });
    control.onMessage({ type: 'crashRequest', from: 'n1', to: 'n3', requestId: 4, downMs: 5_000 });
    control.onMessage({ type: 'crashRequest', from: 'n1', to: 'n3', requestId: 4, downMs: 5_000 });
    expect(crashes).toEqual([{ from: 'n1', requestId: 4, downMs: 5_000 }, { from: 'n1', requestId: 4, downMs: 5_000 }]);
    expect(sent.map((m) => m.type === 'controlAck' && m.applied)).toEqual([false, true, true]);
  });

  it('acks a crash the runtime cannot do as refused, with its reason, and does it on a later request once it can', () => {
    const { control, sent, crashes, crash } = setup();
    crash.refusal = 'it is restarting already';
    control.onMessage({ type: 'crashRequest', from: 'n1', to: 'n3', requestId: 4, downMs: 5_000 });
    expect(sent.at(-1)).toMatchObject({ type: 'controlAck', applied: false, reason: 'it is restarting already' });
    crash.refusal = null;
    control.onMessage({ type: 'crashRequest', from: 'n1', to: 'n3', requestId: 4, downMs: 5_000 });
    expect(crashes).toEqual([{ from: 'n1', requestId: 4, downMs: 5_000 }]);
  });
});

describe('ClusterControl, requesting', () => {
  it('retransmits until acked, then resolves', async () => {
    const { control, sent, clock } = setup('n1');
    const done = control.requestFaults('n2', LOSSY, 30_000);
    expect(sent).toEqual([{ type: 'faultRequest', from: 'n1', to: 'n2', requestId: 1, ttlMs: 30_000, dropPpm: 250_000, delayMs: 40, isolate: ['n2'] }]);
    clock.now += CONTROL_RETRY_MS;
    control.tick();
    expect(sent).toHaveLength(2);
    const ack: ControlAckMessage = { type: 'controlAck', from: 'n2', to: 'n1', requestId: 1, applied: true, reason: '' };
    control.onMessage(ack);
    await expect(done).resolves.toBeUndefined();
    control.onMessage(ack);
    expect(control.dropped()['control-stale-ack']).toBe(1);
  });

  it('fails with unavailable when the member never answers, and refuses a non-member at once', async () => {
    const { control, clock } = setup('n1');
    const done = control.requestCampaign('n2');
    clock.now += CONTROL_TIMEOUT_MS;
    control.tick();
    await expect(done).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(control.requestCampaign('zed')).rejects.toBeInstanceOf(NodeError);
  });

  it('a request to itself takes effect without the network', async () => {
    const { control, sent, campaigns } = setup('n3');
    await control.requestFaults('n3', LOSSY, 5_000);
    await control.requestCampaign('n3');
    expect(sent).toEqual([]);
    expect(control.heldFaults()).toMatchObject([{ from: 'n3', faults: LOSSY }]);
    expect(campaigns()).toBe(1);
  });
});

describe('combineFaults', () => {
  it('takes the highest drop rate, the longest delay and every isolated peer', () => {
    expect(combineFaults([{ dropRate: 0.1, delayMs: 0, isolate: ['b'] }, { dropRate: 0.3, delayMs: 20, isolate: ['a', 'b'] }])).toEqual({ dropRate: 0.3, delayMs: 20, isolate: ['a', 'b'] });
    expect(combineFaults([])).toEqual({ dropRate: 0, delayMs: 0, isolate: [] });
  });
});
