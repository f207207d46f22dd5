/** Runs a range of seeds and reports failures with their replay commands (shared by the test sweeps). */
import { runSimulation, type SimulationOptions, type SimulationResult } from './simulation';
import { describeRun } from './summary';

export interface SweepFailure {
  readonly seed: number;
  readonly report: string;
}

export function sweep(firstSeed: number, count: number, options: Omit<SimulationOptions, 'seed'> = {}, stopAtFirstFailure = false): { results: SimulationResult[]; failures: SweepFailure[] } {
  const results: SimulationResult[] = [];
  const failures: SweepFailure[] = [];
  for (let seed = firstSeed; seed < firstSeed + count; seed++) {
    const result = runSimulation({ ...options, seed });
    results.push(result);
    if (result.violation === null) continue;
    const flags = [
      options.replicas !== undefined ? `--replicas ${options.replicas}` : '',
      options.plantedBug ? `--bug ${options.plantedBug}` : '',
      options.membershipWeight !== undefined ? `--membership-weight ${options.membershipWeight}` : '',
      options.realStorage ? '--real-storage' : '',
      options.bandwidthBytesPerMs !== undefined ? `--bandwidth ${options.bandwidthBytesPerMs ?? 'unlimited'}` : '',
      options.workload !== undefined ? `--workload ${options.workload}` : '',
      options.sleepingLaptop !== undefined ? `--sleeping-laptop ${options.sleepingLaptop ? 'yes' : 'no'}` : '',
      options.hostile !== undefined ? (options.hostile ? '--hostile' : '--no-hostile') : '',
      options.hostileGapMs !== undefined ? `--hostile-gap-ms ${options.hostileGapMs}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    failures.push({
      seed,
      report: [`seed ${seed}: ${result.violation}`, `  (${describeRun(result)})`, ...result.trace.map((l) => `  ${l}`), `replay: npm run sim -- --seed ${seed} ${flags}`].join('\n'),
    });
    if (stopAtFirstFailure) break;
  }
  return { results, failures };
}
