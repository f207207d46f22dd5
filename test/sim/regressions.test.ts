/**
 * Seeds that once found a bug, replayed forever with their original options. Each entry says what the
 * bug was, so a future failure points at the right place.
 */
import { expect, it } from 'vitest';
import { runSimulation, type SimulationOptions } from './simulation';

const REGRESSIONS: readonly { readonly options: SimulationOptions; readonly bug: string }[] = [
  {
    options: { seed: 50 },
    bug: 'a snapshot ledger held ids of chosen slots above the snapshot point; a new leader then stripped those commands from the very slot where they were chosen (two values chosen in slot 40)',
  },
];

for (const { options, bug } of REGRESSIONS) {
  it(`seed ${options.seed}: ${bug}`, () => {
    expect(runSimulation(options).violation).toBeNull();
  });
}
