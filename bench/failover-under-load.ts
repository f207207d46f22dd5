/**
 * Failover under load (`npm run bench:failover`; not a test): issue 10's scenario, `--runs` times on
 * fresh 3-process clusters on loopback with fsync on, alternating who campaigns first. Each run: 64
 * clients tweet full-size tweets (280 4-byte emoji) to the leader; a follower is SIGSTOPped until it
 * is >= `--lag` slots behind; the leader is SIGKILLed and the laggard resumed (the up-to-date survivor
 * SIGSTOPped for 300 ms when the laggard is to campaign first); writes go through both survivors until
 * one is applied. Prints per run the failover time (SIGKILL to the first write applied), survivors that
 * exited, leadership changes while the leader was alive, and whether the survivors converged to the
 * same history; then a summary line.
 *
 * Run: npm run bench:failover [-- --runs 20 --lag 1000 --clients 64]
 */
import { parseArgs } from 'node:util';
import { expectSameHistory } from '../test/process/consistency';
import { ProcessCluster } from '../test/process/harness';
import { percentile } from './percentile';
import { convergeOrExplain, DEFAULT_FAILOVER_OPTIONS, firstEventAfter, LagNotReachedError, lastWords, runLaggingFailover, unexpectedExits, type CampaignOrder, type FailoverRun } from '../test/process/liveness';

/** The issue's bar: etcd fails over in ~1.1 s on this kind of machine. */
const FAILOVER_BOUND_MS = 2_000;
/** A run whose first write takes longer than this is reported as "none" (the bound keeps 20 runs finite). */
const FAILOVER_TIMEOUT_MS = 60_000;
const CONVERGENCE_TIMEOUT_MS = 60_000;
/** Building the lag takes ~20 s on an idle 2-core machine; a busy one gets longer before a run counts as not run. */
const LAG_TIMEOUT_MS = 120_000;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, lag: { type: 'string', default: String(DEFAULT_FAILOVER_OPTIONS.lagSlots) }, clients: { type: 'string', default: String(DEFAULT_FAILOVER_OPTIONS.clients) } } });
const RUNS = Number(values.runs);
const LAG_SLOTS = Number(values.lag);
const CLIENTS = Number(values.clients);
for (const [flag, value] of [['--runs', RUNS], ['--lag', LAG_SLOTS], ['--clients', CLIENTS]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer`);
}

interface RunOutcome {
  /** False when the lag could not be built (no failover happened). */
  readonly ran: boolean;
  readonly failoverMs: number | null;
  readonly exits: number;
  readonly leadershipChanges: number;
  readonly consistent: boolean;
}

/** Waits for the survivors to converge and checks their histories; returns the first problem, or null. */
async function historyProblem(cluster: ProcessCluster, run: FailoverRun): Promise<string | null> {
  try {
    await convergeOrExplain(cluster, CONVERGENCE_TIMEOUT_MS);
    await expectSameHistory([run.laggard, run.survivor], run.acknowledged, run.pendingAtSurvivors);
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown';
  }
}

/** Where the failover's time went: when each survivor first campaigned and was elected after the SIGKILL (from their logs). */
function steps(run: FailoverRun): string {
  const survivors = [run.laggard, run.survivor];
  const campaigned = firstEventAfter(survivors, 'campaigning', run.killedAtWallMs);
  const elected = firstEventAfter(survivors, 'elected', run.killedAtWallMs);
  return survivors.map((node) => `${node === run.laggard ? 'laggard' : 'survivor'} ${node.spec.id} campaigned +${campaigned.get(node.spec.id) ?? '-'} elected +${elected.get(node.spec.id) ?? '-'}`).join(', ');
}

async function oneRun(index: number, order: CampaignOrder): Promise<RunOutcome> {
  const cluster = await ProcessCluster.start({ size: 3 });
  try {
    const run = await runLaggingFailover(cluster, { ...DEFAULT_FAILOVER_OPTIONS, order, clients: CLIENTS, lagSlots: LAG_SLOTS, lagTimeoutMs: LAG_TIMEOUT_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS });
    const problem = await historyProblem(cluster, run);
    const exits = unexpectedExits([run.laggard, run.survivor]);
    console.log(
      [
        `run=${index}`,
        `order=${order}`,
        `lag_slots=${run.lagSlots}`,
        `load_ms=${run.loadMs.toFixed(0)} (${run.slotsPerSecond.toFixed(1)} slots/s, ${run.tweetsPerSlot.toFixed(1)} tweets/slot)`,
        `failover_ms=${run.failoverMs?.toFixed(0) ?? 'none'}`,
        `(${steps(run)})`,
        `crashes=${exits.length}`,
        `leadership_changes=${run.leadershipChanges.length}`,
        `history=${problem === null ? 'consistent' : `PROBLEM: ${problem}`}`,
      ].join(' '),
    );
    for (const exit of exits) console.log(`  ${exit.replaceAll('\n', '\n  ')}`);
    if (exits.length === 0 && (run.failoverMs === null || problem !== null)) {
      // Stuck without a crash: the survivors' last words say where.
      console.log(`  last log lines (laggard ${run.laggard.spec.id}, survivor ${run.survivor.spec.id}):\n  ${lastWords([run.laggard, run.survivor])}`);
    }
    for (const change of run.leadershipChanges.slice(0, 5)) console.log(`  leadership change: ${change}`);
    if (run.leadershipChanges.length > 5) console.log(`  ... and ${run.leadershipChanges.length - 5} more`);
    return { ran: true, failoverMs: run.failoverMs, exits: exits.length, leadershipChanges: run.leadershipChanges.length, consistent: problem === null };
  } catch (error) {
    if (!(error instanceof LagNotReachedError)) throw error;
    console.log(`run=${index} order=${order} NOT RUN: ${error.message}`);
    return { ran: false, failoverMs: null, exits: error.exits.length, leadershipChanges: error.leadershipChanges.length, consistent: true };
  } finally {
    await cluster.dispose();
  }
}

async function main(): Promise<void> {
  console.log(`failover under load: ${RUNS} runs, 3 synod-node processes on 127.0.0.1, fsync on, ${CLIENTS} clients, a follower >= ${LAG_SLOTS} slots behind`);
  const outcomes: RunOutcome[] = [];
  for (let index = 1; index <= RUNS; index++) outcomes.push(await oneRun(index, index % 2 === 1 ? 'laggard-first' : 'survivor-first'));
  const times = outcomes.flatMap((o) => (o.failoverMs === null ? [] : [o.failoverMs])).sort((a, b) => a - b);
  const within = outcomes.filter((o) => o.failoverMs !== null && o.failoverMs <= FAILOVER_BOUND_MS).length;
  console.log(
    [
      `summary runs=${RUNS}`,
      `within_${FAILOVER_BOUND_MS}ms=${within}/${RUNS}`,
      `failover_ms median=${percentile(times, 50).toFixed(0)} p90=${percentile(times, 90).toFixed(0)} max=${(times.at(-1) ?? NaN).toFixed(0)}`,
      `no_write=${outcomes.filter((o) => o.ran && o.failoverMs === null).length}`,
      `not_run=${outcomes.filter((o) => !o.ran).length}`,
      `crashes=${outcomes.reduce((sum, o) => sum + o.exits, 0)}`,
      `leadership_changes=${outcomes.reduce((sum, o) => sum + o.leadershipChanges, 0)}`,
      `inconsistent=${outcomes.filter((o) => !o.consistent).length}`,
    ].join(' '),
  );
}

await main();
