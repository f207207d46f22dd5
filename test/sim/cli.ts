/**
 * `npm run sim -- --seeds N [--replicas R] [--bug NAME] [--start S] [--seed S] [--safety-ms MS] [--membership-weight W] [--real-storage]
 *   [--bandwidth BYTES_PER_MS|unlimited] [--workload light|full] [--sleeping-laptop yes|no] [--hostile|--no-hostile] [--hostile-gap-ms MS]`
 *
 * --bandwidth, --workload and --sleeping-laptop pin the stress each seed otherwise draws (stress.ts);
 * --hostile and --no-hostile pin whether it has a hostile member (hostile-member.ts). --help lists them.
 * Runs seeds start..start+N-1 (or the one --seed), prints each failing seed with its trace and the
 * command that replays it, and ends with `seeds=N violations=V ...`. Exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import initSqlJs from 'sql.js';
import { PLANTED_BUGS, type PlantedBug } from './planted-bugs';
import { DEFAULT_HOSTILE_GAP_MS, HOSTILE_SEED_SHARE } from './hostile-member';
import { REAL_STORAGE_CHECKPOINT_BYTES, runSimulation } from './simulation';
import type { Workload } from './stress';
import { describeRun, summarize } from './summary';

const HELP = `usage: npm run sim -- [options]

Runs seeded simulations of whole clusters (docs/simulator.md) and ends with "seeds=N violations=V ...".
Exits 1 on any violation, after printing each failing seed's trace and the command that replays it.

  --seeds N                 how many seeds (default 100), from --start S (default 1)
  --seed S                  exactly one seed (replays it)
  --replicas R              cluster size (otherwise each seed picks 3, 5 or 7)
  --bug NAME                plant a bug the checker must catch: ${PLANTED_BUGS.join(', ')}
  --safety-ms MS            virtual duration of the fault phase (default 6000)
  --membership-weight W     how often a fault is a membership change, relative to one other kind (0: never)
  --bandwidth N|unlimited   link speed in bytes per virtual ms (otherwise each seed draws one)
  --workload light|full     full: 280-emoji tweets from closed-loop clients (otherwise drawn)
  --sleeping-laptop yes|no  a member sleeps far behind and wakes as the leader dies (otherwise drawn)
  --hostile                 every seed has a hostile member: it injects the peer fuzzer's core messages
                            (test/fuzz/hostile-messages.ts) through the network during the safety phase
  --no-hostile              no seed has one (otherwise about one seed in ${Math.round(1 / HOSTILE_SEED_SHARE)} draws one)
  --hostile-gap-ms MS       mean virtual time between two hostile messages (default ${DEFAULT_HOSTILE_GAP_MS})
  --real-storage            the real journal, sql.js tables and checkpoints on fault-injecting file systems
  --quiet                   no line per seed (printed otherwise when there are at most 20)
  --help                    this text
`;

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
    hostile: { type: 'boolean', default: false },
    'no-hostile': { type: 'boolean', default: false },
    'hostile-gap-ms': { type: 'string' },
    help: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'real-storage': { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

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
if (values.hostile && values['no-hostile']) fail('--hostile and --no-hostile contradict each other');
const hostile = values.hostile ? true : values['no-hostile'] ? false : undefined;
const hostileGapMs = integer('hostile-gap-ms', values['hostile-gap-ms']);
if (hostileGapMs === 0) fail('--hostile-gap-ms must be positive');
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
    hostile === undefined ? '' : hostile ? '--hostile' : '--no-hostile',
    hostileGapMs !== undefined ? `--hostile-gap-ms ${hostileGapMs}` : '',
  ]
    .filter(Boolean)
    .join(' ');

const started = performance.now();
const results = [];
for (let seed = first; seed < first + count; seed++) {
  const result = runSimulation({ seed, replicas, plantedBug: bug ?? null, safetyMs, membershipWeight, realStorage, hostile, hostileGapMs, ...stress });
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
