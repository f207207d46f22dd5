/**
 * `npm run fuzz:peer -- --seconds N [--seed S] [--rate R] [--clients C] [--stall-ms MS]
 *                      [--impersonation SHARE] [--only a,b] [--skip a,b]`
 *
 * A hostile member attacks a live 3-node cluster for N seconds (see peer-fuzz-run.ts). Prints the seed
 * first (the generator is deterministic for a seed and the cluster views it gets), a summary line at
 * the end, then one line per failure; exits 1 when the run failed, 2 on bad arguments, 130 when
 * interrupted (every process and directory is removed all the same).
 *
 *   --rate R             hostile actions per second (default 200)
 *   --clients C          concurrent tweeting clients (default 3)
 *   --stall-ms MS        a node answering later than this (beyond CPU starvation) fails the run (200)
 *   --impersonation S    share of actions sealed as a real member, 0..1 (default 0.01; 0 disables);
 *                        each impersonated member is restarted once the episode is over
 *   --only / --skip      attacks by name: the wire message types, bundle, fragments, replay,
 *                        sender-mismatch, and impersonate (a modifier: skipping it = --impersonation 0)
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ATTACK_NAMES, type AttackName } from './hostile-messages';
import { runPeerFuzz, summaryLine } from './peer-fuzz-run';

function fail(message: string): never {
  console.error(`fuzz:peer: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    rate: { type: 'string', default: '200' },
    clients: { type: 'string', default: '3' },
    'stall-ms': { type: 'string', default: '200' },
    impersonation: { type: 'string', default: '0.01' },
    only: { type: 'string' },
    skip: { type: 'string' },
  },
});

function number(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isSafeInteger(value))) fail(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}, got "${text}"`);
  return value;
}

function attackList(name: string, text: string | undefined): AttackName[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').filter((part) => part !== '');
  for (const attack of names) if (!(ATTACK_NAMES as readonly string[]).includes(attack)) fail(`--${name}: unknown attack "${attack}" (known: ${ATTACK_NAMES.join(', ')})`);
  return names as AttackName[];
}

const only = attackList('only', values.only);
const skip = new Set(attackList('skip', values.skip) ?? []);
const attacks = (only ?? ATTACK_NAMES).filter((attack) => !skip.has(attack));
const impersonationShare = number('impersonation', values.impersonation, false);
if (impersonationShare > 1) fail('--impersonation is a share of actions, between 0 and 1');
const seed = values.seed === undefined ? randomInt(2 ** 31) : number('seed', values.seed, true);
const seconds = number('seconds', values.seconds, false);

// Ctrl-C ends the run early but still removes every process and directory it made; a second one quits at once.
const interrupted = new AbortController();
process.on('SIGINT', () => (interrupted.signal.aborted ? process.exit(130) : interrupted.abort(new Error('interrupted'))));
process.on('SIGTERM', () => interrupted.abort(new Error('terminated')));

console.log(`fuzz:peer seed=${seed} seconds=${seconds} (repeat with --seed ${seed})`);
const report = await runPeerFuzz({
  signal: interrupted.signal,
  seconds,
  seed,
  ratePerSecond: number('rate', values.rate, false),
  clients: number('clients', values.clients, true),
  stallMs: number('stall-ms', values['stall-ms'], false),
  impersonationShare,
  attacks,
  log: (line) => console.log(`fuzz:peer: ${line}`),
}).catch((error: unknown) => {
  if (!interrupted.signal.aborted) throw error;
  console.error('fuzz:peer: interrupted; every process and directory was removed');
  process.exit(130);
});
console.log(summaryLine(report));
for (const failure of report.failures) console.log(`FAIL ${failure}`);
process.exit(report.failures.length === 0 ? 0 : 1);
