import { describe, expect, it } from 'vitest';
import type { LogFields } from './logger';
import { LatencyProbe, noteArrival, SAMPLE_EVERY_SLOTS } from './latency-probe';

const SLOT = SAMPLE_EVERY_SLOTS * 3;
const command = (seq: number) => ({ origin: 'n1', seq, payload: '{}' });

function probe(): { probe: LatencyProbe; lines: LogFields[] } {
  const lines: LogFields[] = [];
  return { probe: new LatencyProbe((fields) => lines.push(fields)), lines };
}

describe('LatencyProbe', () => {
  it('follows a sampled slot through the leader\'s stages, from its earliest own command, and reports it once applied', () => {
    const { probe: p, lines } = probe();
    p.noteSubmitted('n1/7', 100);
    p.noteSubmitted('n1/8', 100.5);
    p.noteAcceptSent(SLOT, [command(7), command(8)], 101);
    p.noteAcceptSent(SLOT, [command(7), command(8)], 150); // a retransmission starts nothing
    p.notePersisted([SLOT], 103);
    noteArrival(p, { type: 'accepted', from: 'n2', to: 'n1', ballot: { round: 1, node: 'n1' }, slot: SLOT }, 102.5);
    noteArrival(p, { type: 'accepted', from: 'n3', to: 'n1', ballot: { round: 1, node: 'n1' }, slot: SLOT }, 102.8);
    p.noteChosen([SLOT], 103.5);
    expect(lines).toEqual([]);
    p.noteApplied([SLOT], [command(7), command(8)], 104);
    expect(lines).toEqual([{ role: 'leader', slot: SLOT, queueMs: 1, ownFsyncMs: 2, firstAcceptedMs: 1.5, chooseMs: 0.5, applyMs: 0.5, totalMs: 4 }]);
  });

  it('reports a follower\'s own work for a sampled slot when its accepted leaves', () => {
    const { probe: p, lines } = probe();
    noteArrival(p, { type: 'accept', from: 'n1', to: 'n2', ballot: { round: 1, node: 'n1' }, slot: SLOT, value: [], commitIndex: 0 }, 10);
    p.notePersisted([SLOT], 12.25);
    p.noteAcceptedSent(SLOT, 12.5);
    expect(lines).toEqual([{ role: 'follower', slot: SLOT, fsyncMs: 2.25, sendMs: 0.25, totalMs: 2.5 }]);
  });

  it('ignores slots outside the sample, and a value without own commands has no queue stage', () => {
    const { probe: p, lines } = probe();
    p.noteAcceptSent(SLOT + 1, [], 1);
    p.notePersisted([SLOT + 1], 2);
    p.noteAcceptedArrived(SLOT + 1, 2);
    p.noteChosen([SLOT + 1], 3);
    p.noteApplied([SLOT + 1], [], 4);
    p.noteAcceptSent(SLOT, [command(1)], 1);
    p.notePersisted([SLOT], 2);
    p.noteAcceptedArrived(SLOT, 2);
    p.noteChosen([SLOT], 3);
    p.noteApplied([SLOT], [], 4);
    expect(lines).toEqual([{ role: 'leader', slot: SLOT, ownFsyncMs: 1, firstAcceptedMs: 1, chooseMs: 1, applyMs: 1, totalMs: 3 }]);
  });

  it('follows at most a bounded number of slots (a flood of accepts never applied cannot grow it)', () => {
    const { probe: p, lines } = probe();
    for (let i = 1; i <= 10_000; i++) p.noteAcceptSent(i * SAMPLE_EVERY_SLOTS, [], i);
    const last = 10_000 * SAMPLE_EVERY_SLOTS;
    p.notePersisted([last], 1);
    p.noteAcceptedArrived(last, 1);
    p.noteChosen([last], 1);
    p.noteApplied([last], [], 2);
    expect(lines).toEqual([]);
  });
});
