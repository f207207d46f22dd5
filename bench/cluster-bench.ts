/**
 * The cluster benchmark (`npm run bench`; not a test): three real synod-node processes on loopback with
 * fsync on, loaded through the HTTP API.
 *
 *  1. 1, 16 and 64 concurrent clients (spread over the three nodes) tweeting 100-byte texts: committed
 *     tweets/s, p50/p99/max latency, fsyncs/s, CPU per process; 64 clients again while n1 watches the
 *     cluster trace (its cost).
 *  2. Leader failover: SIGKILL the leader under light load; time until the next write succeeds.
 *  3. Restart-to-ready of a node holding 100,000 commands (SIGKILLed, so recovery replays its journal).
 *  4. Catch-up: a node that missed 100,000 commands comes back; time until it has applied them all.
 *
 * Run: npm run bench [-- --seconds S]
 *
 * `npm run bench -- --trace-cost PAIRS` measures only the cost of watching the cluster trace (issue 13:
 * at most 5% of throughput while watched, 0% when not): PAIRS pairs of 64-client runs, one watched and
 * one not, in alternating order (so a drift of the machine does not favour either), each unwatched run
 * only once no member holds a trace lease, and checking that no member served a trace record during it.
 * `npm run bench -- --catch-up-runs N` runs only the catch-up (step 4), N times on fresh clusters, and
 * prints each run's phases from the members' log lines.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiCallError, ProcessCluster, sleep, waitFor, type ProcessNode } from '../test/process/harness';
import { bulkLoad } from './bulk-load';
import { LeanClient } from './http-client';
import { percentile } from './percentile';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, commands: { type: 'string', default: '100000' }, 'trace-cost': { type: 'string' }, 'catch-up-runs': { type: 'string' } } });
const SECONDS = Number(values.seconds);
const BULK_COMMANDS = Number(values.commands);
const TEXT = 'x'.repeat(90);

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

interface LoadStats {
  latenciesMs: number[];
  errors: number;
}

/** `clients` loops, client i always using node i mod 3, until `deadline`. */
async function load(nodes: readonly ProcessNode[], clients: number, deadline: number, stats: LoadStats): Promise<void> {
  const connections = nodes.map((node) => new LeanClient(node.spec.httpPort, node.token, clients));
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const client = connections[i % nodes.length] as LeanClient;
      let n = 0;
      while (Date.now() < deadline) {
        const start = performance.now();
        try {
          const response = await client.call('tweet', { text: `${TEXT} ${i}-${n++}` });
          if (response.error !== undefined) stats.errors++;
          else stats.latenciesMs.push(performance.now() - start);
        } catch {
          stats.errors++;
        }
      }
    }),
  );
  for (const client of connections) client.close();
}

async function throughput(cluster: ProcessCluster, clients: number, only?: ProcessNode): Promise<string> {
  const nodes = only === undefined ? cluster.nodes : [only];
  await load(nodes, clients, Date.now() + 1_000, { latenciesMs: [], errors: 0 }); // warm-up
  const before = await Promise.all(cluster.nodes.map((n) => n.status()));
  const cpuBefore = cluster.nodes.map((n) => cpuSeconds(n.child?.pid));
  const stats: LoadStats = { latenciesMs: [], errors: 0 };
  const start = performance.now();
  await load(nodes, clients, Date.now() + SECONDS * 1_000, stats);
  const seconds = (performance.now() - start) / 1_000;
  const after = await Promise.all(cluster.nodes.map((n) => n.status()));
  const cpu = cluster.nodes.map((n, i) => (((cpuSeconds(n.child?.pid) - (cpuBefore[i] as number)) / seconds) * 100).toFixed(0));
  const fsyncs = after.reduce((sum, s, i) => sum + s.metrics.fsyncs - (before[i]?.metrics.fsyncs ?? 0), 0);
  const sorted = [...stats.latenciesMs].sort((a, b) => a - b);
  const roles = after.map((s) => `${s.id}:${s.role === 'leader' ? 'L' : 'F'}`).join(',');
  return [
    `clients=${clients}${only === undefined ? '' : ` (all to the leader ${only.spec.id})`}`,
    `tweets_per_s=${(stats.latenciesMs.length / seconds).toFixed(0)}`,
    `p50_ms=${percentile(sorted, 50).toFixed(2)}`,
    `p99_ms=${percentile(sorted, 99).toFixed(2)}`,
    `max_ms=${(sorted.at(-1) ?? NaN).toFixed(1)}`,
    `fsyncs_per_s=${(fsyncs / seconds).toFixed(0)}`,
    `cpu_percent=${cpu.join('/')} (${roles})`,
    `errors=${stats.errors}`,
  ].join(' ');
}

/** How often the watching dashboard polls the cluster trace (POLL_MS in src-renderer/features/cluster/cluster-trace.svelte.ts). */
const TRACE_POLL_MS = 1_000;

/**
 * throughput() while n1 is watched the way the dashboard's Cluster view watches it: clusterTrace polled
 * every TRACE_POLL_MS, which holds trace leases on every member, so each member records its messages
 * and sends them to n1 (issue 13: at most 5% of throughput). Says how much the watch received.
 */
async function watchedThroughput(cluster: ProcessCluster, clients: number): Promise<string> {
  const watcher = cluster.nodes[0] as ProcessNode;
  let watching = true;
  let polls = 0;
  let messages = 0;
  const watch = (async () => {
    let afterSeq: number | undefined;
    while (watching) {
      const trace = await watcher.call('clusterTrace', afterSeq === undefined ? { limit: 10_000 } : { afterSeq });
      afterSeq = trace.lastSeq;
      messages += trace.messages.length;
      polls++;
      await sleep(TRACE_POLL_MS);
    }
  })();
  try {
    const line = await throughput(cluster, clients);
    return `${line} watched_by=${watcher.spec.id} trace_polls=${polls} trace_messages=${messages}`;
  } finally {
    watching = false;
    await watch;
  }
}

/** Trace records every member has served to watchers so far, and whether any still holds a lease. */
async function traceServed(cluster: ProcessCluster): Promise<{ records: number; leases: number }> {
  const views = await Promise.all(cluster.nodes.map((node) => node.call('clusterTrace', { limit: 1, watch: false })));
  return { records: views.reduce((sum, view) => sum + view.served.records, 0), leases: views.reduce((sum, view) => sum + view.served.leases, 0) };
}

function tweetsPerSecond(line: string): number {
  return Number(/tweets_per_s=(\d+)/.exec(line)?.[1] ?? NaN);
}

/** The cost of watching: `pairs` pairs of 64-client runs, watched and not, in alternating order. */
async function traceCost(cluster: ProcessCluster, pairs: number): Promise<void> {
  const ratios: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const rates = { watched: NaN, unwatched: NaN };
    for (const watched of pair % 2 === 0 ? [false, true] : [true, false]) {
      if (watched) {
        const line = await watchedThroughput(cluster, 64);
        rates.watched = tweetsPerSecond(line);
        console.log(`  pair ${pair + 1} watched:   ${line}`);
      } else {
        // A watch ends WATCH_MS after the last poll and then ends its leases: wait for that.
        await waitFor(async () => (await traceServed(cluster)).leases === 0, 30_000, 'every trace lease to end');
        const before = await traceServed(cluster);
        const line = await throughput(cluster, 64);
        const after = await traceServed(cluster);
        rates.unwatched = tweetsPerSecond(line);
        console.log(`  pair ${pair + 1} unwatched: ${line} trace_records_served=${after.records - before.records}`);
      }
    }
    ratios.push(rates.watched / rates.unwatched);
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? (sorted[(sorted.length - 1) / 2] as number) : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  console.log(`trace cost: pairs=${pairs} watched/unwatched ratios=${ratios.map((r) => r.toFixed(3)).join('/')} median=${median.toFixed(3)} cost_percent=${((1 - median) * 100).toFixed(1)} (negative: watched ran faster, i.e. within the noise)`);
}

async function failover(cluster: ProcessCluster, rounds: number): Promise<string> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const leader = await cluster.waitForLeader();
    const survivors = cluster.nodes.filter((n) => n !== leader);
    await sleep(300);
    const killedAt = performance.now();
    await leader.kill();
    // Keep writing through a survivor until a write succeeds.
    for (;;) {
      try {
        await survivors[0]!.call('tweet', { text: 'after the failover' }, 2_000);
        break;
      } catch (error) {
        if (!(error instanceof ApiCallError)) await sleep(5);
      }
    }
    times.push(performance.now() - killedAt);
    await leader.start();
    await cluster.waitForConvergence();
  }
  times.sort((a, b) => a - b);
  return `failover rounds=${rounds} median_ms=${percentile(times, 50).toFixed(0)} max_ms=${(times.at(-1) ?? NaN).toFixed(0)} all_ms=${times.map((t) => t.toFixed(0)).join('/')}`;
}

/**
 * n3 misses BULK_COMMANDS commands (killed while n1 and n2 take them), then comes back: prints how long it
 * took to apply them all after it was ready, and the members' log lines that say where the time went.
 * Returns n3's recovery line.
 */
async function catchUp(cluster: ProcessCluster): Promise<string | undefined> {
  await cluster.waitForConvergence();
  const [n1, n2, n3] = cluster.nodes as [ProcessNode, ProcessNode, ProcessNode];
  await n3.kill();
  const loadSeconds = await bulkLoad([n1, n2], BULK_COMMANDS);
  const target = (await n1.status()).commitIndex;
  console.log(`bulk load: ${BULK_COMMANDS} commands through 2 of 3 nodes in ${loadSeconds.toFixed(1)} s (${(BULK_COMMANDS / loadSeconds).toFixed(0)}/s), ${target} slots`);
  const restartAt = performance.now();
  await n3.start();
  const readyMs = performance.now() - restartAt;
  await waitFor(async () => (await n3.status()).appliedIndex >= target, 120_000, 'n3 to catch up');
  const caughtUpMs = performance.now() - restartAt - readyMs;
  console.log(`catch-up commands=${BULK_COMMANDS} slots=${target} catch_up_ms=${caughtUpMs.toFixed(0)} (after the restarted node was ready)`);
  // Where the time went: the members preparing snapshots, the transfer, decoding, installing (their log lines).
  for (const line of [...n1.logs, ...n2.logs, ...n3.logs]) if (/ snapshot-(ready|fetched|installed) | caught-up /.test(line)) console.log(`  ${line}`);
  return n3.logs.find((line) => line.includes(' recovered '));
}

async function main(): Promise<void> {
  console.log(`cluster benchmark: 3 synod-node processes on 127.0.0.1, fsync on, ${SECONDS} s per load level`);
  if (values['catch-up-runs'] !== undefined) {
    for (let run = 1; run <= Number(values['catch-up-runs']); run++) {
      console.log(`catch-up run ${run}`);
      const fresh = await ProcessCluster.start({ size: 3 });
      try {
        await catchUp(fresh);
      } finally {
        await fresh.dispose();
      }
    }
    return;
  }
  let cluster = await ProcessCluster.start({ size: 3 });
  if (values['trace-cost'] !== undefined) {
    try {
      await cluster.waitForConvergence();
      await traceCost(cluster, Number(values['trace-cost']));
    } finally {
      await cluster.dispose();
    }
    return;
  }
  try {
    await cluster.waitForConvergence();
    console.log(await throughput(cluster, 1, await cluster.waitForLeader()));
    for (const clients of [1, 16, 64]) console.log(await throughput(cluster, clients));
    // The cost of watching the cluster trace: the same 64 clients while n1 watches (after the unwatched
    // run above: a lease lasts up to 30 s after its last renewal).
    console.log(await watchedThroughput(cluster, 64));
    console.log(await failover(cluster, 5));
  } finally {
    await cluster.dispose();
  }

  // Catch-up and restart with a large history: n3 misses BULK_COMMANDS commands, then comes back.
  cluster = await ProcessCluster.start({ size: 3 });
  try {
    const recovered = await catchUp(cluster);
    const [n1] = cluster.nodes as [ProcessNode];
    // Restart-to-ready of a node that holds the whole history; SIGKILL so that recovery replays its journal.
    await n1.kill();
    const start = performance.now();
    await n1.start();
    const ready = performance.now() - start;
    const line = n1.logs.find((l) => l.includes(' recovered ')) ?? '';
    console.log(`restart-to-ready commands=${BULK_COMMANDS} ready_ms=${ready.toFixed(0)} (process start of the built node; recovery itself: ${/ms=(\d+)/.exec(line)?.[1] ?? '?'} ms) [n3 before: ${recovered ?? ''}]`);
  } finally {
    await cluster.dispose();
  }
}

await main();
