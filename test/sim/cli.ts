/**
 * `npm run sim -- --seeds N [--replicas R] [--bug NAME] [--start S] [--seed S] [--safety-ms MS] [--membership-weight W] [--real-storage]
 *   [--bandwidth BYTES_PER_MS|unlimited] [--workload light|full] [--sleeping-laptop yes|no]`
 *
 * The last three pin the stress each seed otherwise draws (stress.ts).
 * Runs seeds start..start+N-1 (or the one --seed), prints each failing seed with its trace and the
 * command that replays it, and ends with `seeds=N violations=V ...`. Exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import initSqlJs from 'sql.js';
import { PLANTED_BUGS, type PlantedBug } from './sim-node';
import { REAL_STORAGE_CHECKPOINT_BYTES, runSimulation } from './simulation';
import type { Workload } from './stress';
import { describeRun, summarize } from './summary';

function fail(message: string): never {
  console.error(`sim: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    replicas: { type: 'string' },
    bug: { type: 'string' },
    'safety-ms': { type: 'string' },
    /** How much more often than other faults the membership changes (default 1). */
    'membership-weight': { type: 'string' },
    bandwidth: { type: 'string' },
    workload: { type: 'string' },
    'sleeping-laptop': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'real-storage': { type: 'boolean', default: false },
  },
});

const integer = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) fail(`--${name} must be a non-negative integer, got "${text}"`);
  return value;
};

const bug = values.bug as PlantedBug | undefined;
if (bug !== undefined && !PLANTED_BUGS.includes(bug)) fail(`unknown --bug "${bug}"; known: ${PLANTED_BUGS.join(', ')}`);
const replicas = integer('replicas', values.replicas);
if (replicas !== undefined && (replicas < 1 || replicas > 15)) fail('--replicas must be between 1 and 15');
const single = integer('seed', values.seed);
const first = single ?? integer('start', values.start) ?? 1;
const count = single !== undefined ? 1 : (integer('seeds', values.seeds) ?? 100);
const safetyMs = integer('safety-ms', values['safety-ms']);
const membershipWeight = integer('membership-weight', values['membership-weight']);
const bandwidthBytesPerMs = values.bandwidth === 'unlimited' ? null : integer('bandwidth', values.bandwidth);
if (bandwidthBytesPerMs === 0) fail('--bandwidth must be positive (or "unlimited")');
const workload = values.workload as Workload | undefined;
if (workload !== undefined && workload !== 'light' && workload !== 'full') fail(`--workload must be light or full, got "${workload}"`);
const laptopFlag = values['sleeping-laptop'];
if (laptopFlag !== undefined && laptopFlag !== 'yes' && laptopFlag !== 'no') fail(`--sleeping-laptop must be yes or no, got "${laptopFlag}"`);
const sleepingLaptop = laptopFlag === undefined ? undefined : laptopFlag === 'yes';
const stress = {
  ...(bandwidthBytesPerMs === undefined ? {} : { bandwidthBytesPerMs }),
  ...(workload === undefined ? {} : { workload }),
  ...(sleepingLaptop === undefined ? {} : { sleepingLaptop }),
};

// The real storage code on fault-injecting file systems; small checkpoints so crashes hit every state.
const realStorage = values['real-storage'] ? { sqlJs: await initSqlJs(), checkpointJournalBytes: REAL_STORAGE_CHECKPOINT_BYTES } : undefined;

const replay = (seed: number): string =>
  [
    'npm run sim --',
    `--seed ${seed}`,
    replicas !== undefined ? `--replicas ${replicas}` : '',
    bug !== undefined ? `--bug ${bug}` : '',
    safetyMs !== undefined ? `--safety-ms ${safetyMs}` : '',
    membershipWeight !== undefined ? `--membership-weight ${membershipWeight}` : '',
    realStorage !== undefined ? '--real-storage' : '',
    values.bandwidth !== undefined ? `--bandwidth ${values.bandwidth}` : '',
    workload !== undefined ? `--workload ${workload}` : '',
    laptopFlag !== undefined ? `--sleeping-laptop ${laptopFlag}` : '',
  ]
    .filter(Boolean)
    .join(' ');

const started = performance.now();
const results = [];
for (let seed = first; seed < first + count; seed++) {
  const result = runSimulation({ seed, replicas, plantedBug: bug ?? null, safetyMs, membershipWeight, realStorage, ...stress });
  results.push(result);
  if (result.violation !== null) {
    console.log(`\nseed ${seed} (${describeRun(result)}) VIOLATION: ${result.violation}`);
    console.log(result.trace.map((line) => `  ${line}`).join('\n'));
    console.log(`replay: ${replay(seed)}\n`);
  } else if (!values.quiet && count <= 20) {
    console.log(`seed ${seed} ok: ${JSON.stringify(result.stats)}`);
  }
}
const summary = summarize(results, (performance.now() - started) / 1000);
console.log(summary.line);
process.exit(summary.violations > 0 ? 1 : 0);
