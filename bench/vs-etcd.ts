/**
 * Synod against etcd (`npm run bench:vs-etcd`; not a test): a 3-member etcd cluster (Debian's etcd, installed by
 * bench/etcd-cluster.ts when missing) and a 3-node Synod cluster, both on 127.0.0.1 with fsync on and their data
 * in temp dirs, driven by the same load loop from this process.
 *
 * Method and fairness choices:
 *  - The same payload for both: 100-byte values (etcd: a put of a new key per write; Synod: a tweet of that text
 *    through the HTTP API). Both keep every write: etcd's MVCC history, Synod's tweets table.
 *  - Every client has its own connection (Synod: a keep-alive node:http socket, bench/http-client.ts; etcd: its own
 *    gRPC channel) and issues one write at a time. Latency is measured the same way for both: performance.now()
 *    around the awaited write, in the same loop; a write that fails counts as an error, not as a latency.
 *  - Where clients connect: the 1-client round goes to the leader in both (the shortest commit path, no forwarding);
 *    with 64 clients, client i goes to member i mod 3 in both (followers forward to the leader in both systems).
 *  - Each measurement is preceded by 1 s of warm-up on the same connections. Rounds alternate which system goes
 *    first, so that both see the same machine conditions; both clusters stay up all along (the idle one only
 *    heartbeats). Each system runs with its defaults (etcd: heartbeat 100 ms, election timeout 1 s).
 *  - Restart-to-ready, on fresh clusters holding `--commands` writes (100,000; same loop, 64 clients): a follower is
 *    SIGKILLed and restarted; both are polled every 10 ms from the spawn. etcd: until it serves a linearizable read
 *    (a gRPC range with serializable=false on that member). Synod: until its HTTP API answers `status`, the ready of
 *    cluster-bench (bench/cluster-bench.ts). Synod's ready does not include reaching the leader, etcd's does, so the
 *    table also shows, for both, the time until a write through the restarted member commits.
 *  - The load generator shares the 2 cores with six server processes; its CPU per system is printed (etcd's gRPC
 *    client costs more client CPU than the lean HTTP client), and figures on a busy machine are noisy.
 *
 * Run: npm run bench:vs-etcd [-- --seconds 10 --rounds 2 --commands 100000]
 */
import { parseArgs } from 'node:util';
import { ProcessCluster, sleep, type ProcessNode } from '../test/process/harness';
import { EtcdCluster, ensureEtcd, etcdClient } from './etcd-cluster';
import { LeanClient } from './http-client';
import { percentile } from './percentile';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' }, commands: { type: 'string', default: '100000' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const COMMANDS = Number(values.commands);
for (const [flag, value] of [['--seconds', SECONDS], ['--rounds', ROUNDS], ['--commands', COMMANDS]] as const) {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${flag} must be a positive number`);
}
const POLL_MS = 10;

/** One client's connection to one member: write() resolves once the write is committed, rejects on any error. */
interface Writer {
  write(key: string, value: string): Promise<void>;
  close(): void;
}

interface Restart {
  readonly readyMs: number;
  readonly firstWriteMs: number;
  readonly note: string;
}

/** What the load loop needs of a cluster. */
interface System {
  readonly name: 'etcd' | 'Synod';
  readonly size: number;
  leaderIndex(): Promise<number>;
  connect(member: number): Writer;
  converge(): Promise<void>;
  /** SIGKILLs a follower and restarts it; times from the spawn. */
  restartFollower(): Promise<Restart>;
}

/** A 100-byte value, unique per client and write. */
const payload = (client: number, n: number): string => `${client}-${n}-`.padEnd(100, 'x');

async function firstWrite(writer: Writer, start: number): Promise<number> {
  for (;;) {
    try {
      await writer.write(`restart-probe-${Date.now()}`, payload(0, 0));
      return performance.now() - start;
    } catch {
      await sleep(POLL_MS);
    }
  }
}

function etcdSystem(cluster: EtcdCluster): System {
  const connect = (member: number): Writer => {
    const client = etcdClient(cluster.members[member]!.clientPort);
    return { write: async (key, value) => void (await client.put(key).value(value)), close: () => client.close() };
  };
  return {
    name: 'etcd',
    size: cluster.members.length,
    leaderIndex: () => cluster.leaderIndex(),
    connect,
    converge: async () => {
      await cluster.waitForConvergence();
      await cluster.leaderIndex();
    },
    restartFollower: async () => {
      const leader = await cluster.leaderIndex();
      const index = (leader + 1) % cluster.members.length;
      const member = cluster.members[index]!;
      await member.kill();
      const start = performance.now();
      const readyMs = await cluster.restartUntilLinearizableRead(member, POLL_MS);
      const writer = connect(index);
      const firstWriteMs = await firstWrite(writer, start).finally(() => writer.close());
      return { readyMs, firstWriteMs, note: `${member.name} (follower)` };
    },
  };
}

function synodSystem(cluster: ProcessCluster): System {
  const connect = (member: number): Writer => {
    const node = cluster.nodes[member]!;
    const client = new LeanClient(node.spec.httpPort, node.token, 1);
    return {
      write: async (_key, value) => {
        const response = await client.call('tweet', { text: value });
        if (response.error !== undefined) throw new Error(`${response.error.code}: ${response.error.message}`);
      },
      close: () => client.close(),
    };
  };
  return {
    name: 'Synod',
    size: cluster.nodes.length,
    leaderIndex: async () => cluster.nodes.indexOf(await cluster.waitForLeader()),
    connect,
    converge: async () => {
      await cluster.waitForConvergence(60_000);
      await cluster.waitForLeader();
    },
    restartFollower: async () => {
      const leader = await cluster.waitForLeader();
      const index = (cluster.nodes.indexOf(leader) + 1) % cluster.nodes.length;
      const node = cluster.nodes[index] as ProcessNode;
      await node.kill();
      const start = performance.now();
      const starting = node.start(); // spawns synchronously, then polls every 100 ms: we poll every 10 ms beside it
      const probe = new LeanClient(node.spec.httpPort, node.token, 1);
      let readyMs = NaN;
      try {
        while (node.running) {
          const answered = await probe.call('status', undefined).then(
            (r) => r.error === undefined,
            () => false,
          );
          if (answered) {
            readyMs = performance.now() - start;
            break;
          }
          await sleep(POLL_MS);
        }
      } finally {
        probe.close();
      }
      await starting; // throws with the node's logs if it exited
      const writer = connect(index);
      const firstWriteMs = await firstWrite(writer, start).finally(() => writer.close());
      const recovered = node.logs.findLast((line) => line.includes(' recovered ')) ?? '';
      // bin/synod-node.mjs runs the build, or the sources through tsx (slower to start) when the build is missing or outdated.
      const how = node.logs.some((line) => line.includes('through tsx')) ? 'sources via tsx' : 'built JS';
      return { readyMs, firstWriteMs, note: `${node.spec.id} (follower, ${how}; its recovery itself: ${/ms=(\d+)/.exec(recovered)?.[1] ?? '?'} ms)` };
    },
  };
}

interface Measurement {
  readonly latenciesMs: number[];
  readonly errors: number;
  readonly seconds: number;
  /** CPU of this (load-generating) process, in percent of one core. */
  readonly clientCpu: number;
}

/** Every writer writes one value at a time until the deadline (or until `total` writes were sent). */
let drives = 0;
async function drive(writers: readonly Writer[], deadline: number, total = Infinity): Promise<Measurement> {
  const run = drives++;
  const latenciesMs: number[] = [];
  let errors = 0;
  let sent = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    writers.map(async (writer, i) => {
      for (let n = 0; Date.now() < deadline && sent < total; n++) {
        sent++;
        const begin = performance.now();
        try {
          await writer.write(`k${run}-${i}-${n}`, payload(i, n));
          latenciesMs.push(performance.now() - begin);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  return { latenciesMs, errors, seconds, clientCpu: ((cpu.user + cpu.system) / 1e6 / seconds) * 100 };
}

async function measure(system: System, clients: number, toLeader: boolean): Promise<Measurement> {
  const leader = toLeader ? await system.leaderIndex() : -1;
  const writers = Array.from({ length: clients }, (_, i) => system.connect(toLeader ? leader : i % system.size));
  try {
    await drive(writers, Date.now() + 1_000); // warm-up
    return await drive(writers, Date.now() + SECONDS * 1_000);
  } finally {
    for (const writer of writers) writer.close();
  }
}

function summarize(runs: readonly Measurement[]): { perSecond: number; p50: number; p99: number; errors: number } {
  const sorted = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return { perSecond: sorted.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: runs.reduce((sum, r) => sum + r.errors, 0) };
}

/** Processes and temp dirs to remove at the end, also on Ctrl-C or an error. */
const disposers = new Set<() => Promise<void>>();
async function cleanUp(): Promise<void> {
  const pending = [...disposers];
  disposers.clear();
  await Promise.allSettled(pending.map((dispose) => dispose()));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: killing the clusters and removing their data`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function startBoth(): Promise<[System, System]> {
  const etcd = await EtcdCluster.start(3);
  disposers.add(() => etcd.dispose());
  const synod = await ProcessCluster.start({ size: 3 });
  disposers.add(() => synod.dispose());
  return [etcdSystem(etcd), synodSystem(synod)];
}

type Row = [label: string, etcd: number, synod: number, goal: string, met: (ratio: number) => boolean];

function printTable(rows: readonly Row[]): void {
  const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log('\n| | etcd | Synod | Synod / etcd | goal |\n|---|---|---|---|---|');
  for (const [label, etcd, synod, goal, met] of rows) {
    const ratio = synod / etcd;
    console.log(`| ${label} | ${fmt(etcd)} | ${fmt(synod)} | ${ratio.toFixed(2)} | ${goal}${goal === '' ? '' : met(ratio) ? ' ✓' : ' ✗'} |`);
  }
}

async function main(): Promise<void> {
  console.log(`Synod vs etcd: 3 members each on 127.0.0.1, fsync on; ${ROUNDS} round(s) of ${SECONDS} s per load level; restart with ${COMMANDS} commands`);
  ensureEtcd();
  const results = new Map<string, Measurement[]>();
  let [etcd, synod] = await startBoth();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [clients, toLeader] of [[1, true], [64, false]] as const) {
      for (const system of round % 2 === 1 ? [etcd, synod] : [synod, etcd]) {
        const m = await measure(system, clients, toLeader);
        const s = summarize([m]);
        const key = `${system.name}/${clients}`;
        results.set(key, [...(results.get(key) ?? []), m]);
        console.log(
          `round=${round} ${system.name.padEnd(5)} clients=${clients} (${toLeader ? 'to the leader' : 'spread'}) writes_per_s=${s.perSecond.toFixed(0)} p50_ms=${s.p50.toFixed(2)} p99_ms=${s.p99.toFixed(2)} errors=${s.errors} loadgen_cpu=${m.clientCpu.toFixed(0)}%`,
        );
      }
    }
  }
  await cleanUp();

  [etcd, synod] = await startBoth();
  for (const system of [etcd, synod]) {
    const writers = Array.from({ length: 64 }, (_, i) => system.connect(i % system.size));
    const fill = await drive(writers, Infinity, COMMANDS).finally(() => writers.forEach((w) => w.close()));
    await system.converge();
    console.log(`${system.name.padEnd(5)} loaded ${fill.latenciesMs.length} writes (${fill.errors} errors) in ${fill.seconds.toFixed(1)} s`);
  }
  const restarts = new Map<string, Restart[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const system of round % 2 === 1 ? [etcd, synod] : [synod, etcd]) {
      const r = await system.restartFollower();
      restarts.set(system.name, [...(restarts.get(system.name) ?? []), r]);
      console.log(`round=${round} ${system.name.padEnd(5)} restart of ${r.note}: ready_ms=${r.readyMs.toFixed(0)} first_write_ms=${r.firstWriteMs.toFixed(0)}`);
      await system.converge();
    }
  }
  await cleanUp();

  const [e1, s1, e64, s64] = (['etcd/1', 'Synod/1', 'etcd/64', 'Synod/64'] as const).map((key) => summarize(results.get(key) ?? []));
  const median = (name: string, pick: (r: Restart) => number): number => {
    const sorted = (restarts.get(name) ?? []).map(pick).sort((a, b) => a - b);
    return ((sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN) + (sorted[Math.ceil((sorted.length - 1) / 2)] ?? NaN)) / 2;
  };
  printTable([
    ['1 client p50 (ms)', e1!.p50, s1!.p50, '≤ 0.6', (r) => r <= 0.6],
    ['64 clients throughput (writes/s)', e64!.perSecond, s64!.perSecond, '≥ 2.0', (r) => r >= 2],
    ['64 clients p99 (ms)', e64!.p99, s64!.p99, '≤ 1.0', (r) => r <= 1],
    [`restart-to-ready, ${COMMANDS / 1000}k commands (ms)`, median('etcd', (r) => r.readyMs), median('Synod', (r) => r.readyMs), '≤ 1.0', (r) => r <= 1],
    ['restart to first write through it (ms)', median('etcd', (r) => r.firstWriteMs), median('Synod', (r) => r.firstWriteMs), '', () => true],
  ]);
  console.log(`(latencies pooled over ${ROUNDS} round(s); restart times are medians; 2-core machine shared with the load generator: noisy)`);
}

try {
  await main();
} finally {
  await cleanUp();
}
