/**
 * Seeds that once found a bug, replayed forever with their original options. Each entry says what the
 * bug was, so a future failure points at the right place.
 */
import { expect, it } from 'vitest';
import { DEFAULT_PROTOCOL_CONFIG } from '../../src-main/core/config';
import { ALL_FAULTS, runSimulation, type SimulationOptions } from './simulation';

/** The fault kinds before membership changes joined them: seeds found then replay exactly with these. */
const FAULTS_BEFORE_MEMBERSHIP = ALL_FAULTS.filter((kind) => kind !== 'membership');

/** The simulator before issue 10: the core's default byte limits, infinitely fast links, light load only. */
const BEFORE_ISSUE_10: Partial<SimulationOptions> = { protocol: DEFAULT_PROTOCOL_CONFIG, bandwidthBytesPerMs: null, workload: 'light', sleepingLaptop: false };

const REGRESSIONS: readonly { readonly options: SimulationOptions; readonly bug: string }[] = [
  {
    options: { seed: 50, faults: FAULTS_BEFORE_MEMBERSHIP, ...BEFORE_ISSUE_10 },
    bug: 'a snapshot ledger held ids of chosen slots above the snapshot point; a new leader then stripped those commands from the very slot where they were chosen (two values chosen in slot 40)',
  },
  {
    options: { seed: 293, hostile: true },
    bug: 'a hostile member sent a catch-up request in a newcomer\'s name; the newcomer took the answer, applied slots with no membership to follow, and could not restart',
  },
  {
    options: { seed: 66, hostile: true },
    bug: "a hostile member sent a commit at the leader's own ballot in another member's name; the leader followed that member and forwarded its own commands there, where they were dropped",
  },
];

for (const { options, bug } of REGRESSIONS) {
  it(`seed ${options.seed}: ${bug}`, () => {
    expect(runSimulation(options).violation).toBeNull();
  });
}
