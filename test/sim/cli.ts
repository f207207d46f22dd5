/**
 * `npm run sim -- --seeds N [--replicas R] [--bug NAME] [--start S] [--seed S] [--safety-ms MS] [--membership-weight W] [--real-storage]`
 *
 * Runs seeds start..start+N-1 (or the one --seed), prints each failing seed with its trace and the
 * command that replays it, and ends with `seeds=N violations=V ...`. Exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import initSqlJs from 'sql.js';
import { PLANTED_BUGS, type PlantedBug } from './sim-node';
import { REAL_STORAGE_CHECKPOINT_BYTES, runSimulation } from './simulation';
import { summarize } from './summary';

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
  ]
    .filter(Boolean)
    .join(' ');

const started = performance.now();
const results = [];
for (let seed = first; seed < first + count; seed++) {
  const result = runSimulation({ seed, replicas, plantedBug: bug ?? null, safetyMs, membershipWeight, realStorage });
  results.push(result);
  if (result.violation !== null) {
    console.log(`\nseed ${seed} (${result.replicas} replicas) VIOLATION: ${result.violation}`);
    console.log(result.trace.map((line) => `  ${line}`).join('\n'));
    console.log(`replay: ${replay(seed)}\n`);
  } else if (!values.quiet && count <= 20) {
    console.log(`seed ${seed} ok: ${JSON.stringify(result.stats)}`);
  }
}
const summary = summarize(results, (performance.now() - started) / 1000);
console.log(summary.line);
process.exit(summary.violations > 0 ? 1 : 0);
