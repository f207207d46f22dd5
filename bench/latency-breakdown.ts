/**
 * Where one command's time goes (`npm run bench:latency`; not a test; issue 14): three synod-node processes
 * on loopback with fsync on and `--latency-probe`, one client tweeting 100-byte texts straight to the
 * leader over a keep-alive HTTP connection (the shortest commit path). Each node logs, for every 4th slot,
 * the stages it saw on its own monotonic clock (src-main/node/latency-probe.ts); this prints their
 * percentiles beside the client's round trip:
 *
 *   client round trip = HTTP and the client's own work + the leader's stages (submitted → applied)
 *   leader: queue (submitted → accepts sent), its own fsync (in parallel with the followers'),
 *           accepts sent → first accepted back, → chosen, → applied (the client is answered)
 *   the first accepted back = the faster follower's own work (accept arrived → fsync → accepted sent)
 *           + the rest: the network both ways and the event-loop waits before it is read
 *
 * Which follower answered first is not known per slot; the faster follower's work is taken, so "the rest"
 * is if anything overstated. No stage compares two processes' clocks.
 *
 * Run: npm run bench:latency [-- --seconds 10]
 */
import { parseArgs } from 'node:util';
import { ProcessCluster, sleep } from '../test/process/harness';
import { LeanClient } from './http-client';
import { percentile } from './percentile';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const SECONDS = Number(values.seconds);
if (!(SECONDS > 0)) throw new Error('--seconds must be a positive number');
const TEXT = 'x'.repeat(90);


/** The key=value fields of the `latency` log lines (logger.ts's format). */
function latencyLines(lines: readonly string[]): Map<string, number | string>[] {
  const parsed: Map<string, number | string>[] = [];
  for (const line of lines) {
    const at = line.indexOf(' latency ');
    if (at === -1) continue;
    const fields = new Map<string, number | string>();
    for (const pair of line.slice(at + ' latency '.length).trim().split(' ')) {
      const [key, value] = pair.split('=') as [string, string];
      fields.set(key, Number.isNaN(Number(value)) ? value : Number(value));
    }
    parsed.push(fields);
  }
  return parsed;
}

function row(stage: string, samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${stage.padEnd(58)} p50 ${percentile(sorted, 50).toFixed(3).padStart(8)} ms   p90 ${percentile(sorted, 90).toFixed(3).padStart(8)} ms   (n=${samples.length})`;
}

async function main(): Promise<void> {
  const cluster = await ProcessCluster.start({ size: 3, extraArgs: ['--latency-probe'] });
  try {
    await cluster.waitForConvergence();
    const leader = await cluster.waitForLeader();
    const client = new LeanClient(leader.spec.httpPort, leader.token, 1);
    const roundTripsMs: number[] = [];
    let errors = 0;
    const warmUpUntil = Date.now() + 1_000;
    const marks = cluster.nodes.map(() => 0);
    let measuring = false;
    const deadline = Date.now() + 1_000 + SECONDS * 1_000;
    for (let n = 0; Date.now() < deadline; n++) {
      if (!measuring && Date.now() >= warmUpUntil) {
        measuring = true;
        cluster.nodes.forEach((node, i) => (marks[i] = node.logs.length));
      }
      const start = performance.now();
      const response = await client.call('tweet', { text: `${TEXT} ${n}` });
      if (response.error !== undefined) errors++;
      else if (measuring) roundTripsMs.push(performance.now() - start);
    }
    await sleep(200); // the last lines
    // The HTTP path alone, on the same connection: `faults` does no replica work.
    const emptyCallsMs: number[] = [];
    for (let n = 0; n < 500; n++) {
      const start = performance.now();
      await client.call('faults', undefined);
      emptyCallsMs.push(performance.now() - start);
    }
    const lines = cluster.nodes.flatMap((node, i) => latencyLines(node.logs.slice(marks[i])));
    const leaderLines = lines.filter((fields) => fields.get('role') === 'leader');
    const followerWork = new Map<number, number>();
    for (const fields of lines.filter((f) => f.get('role') === 'follower')) {
      const slot = fields.get('slot') as number;
      followerWork.set(slot, Math.min(followerWork.get(slot) ?? Infinity, fields.get('totalMs') as number));
    }
    const stage = (name: string): number[] => leaderLines.map((fields) => fields.get(name)).filter((value): value is number => typeof value === 'number');
    const serverTotal = stage('totalMs');
    const followerFsync = lines.filter((f) => f.get('role') === 'follower').map((f) => f.get('fsyncMs') as number);
    const followerSend = lines.filter((f) => f.get('role') === 'follower').map((f) => f.get('sendMs') as number);
    const rest = leaderLines.flatMap((fields) => {
      const work = followerWork.get(fields.get('slot') as number);
      return work === undefined ? [] : [(fields.get('firstAcceptedMs') as number) - work];
    });
    console.log(`latency breakdown: 3 synod-node processes on 127.0.0.1, fsync on, 1 client straight to the leader ${leader.spec.id}, ${SECONDS} s, ${roundTripsMs.length} commands (${errors} errors), every 4th slot probed`);
    console.log(row('client round trip', roundTripsMs));
    console.log(row('  an API call doing no replica work (faults), same connection', emptyCallsMs));
    const serverP50 = percentile([...serverTotal].sort((a, b) => a - b), 50);
    console.log(row('  HTTP and client (round trip - server p50)', roundTripsMs.map((ms) => ms - serverP50)));
    console.log(row('  server: submitted -> applied (answered)', serverTotal));
    console.log(row('    queue: submitted -> accepts sent', stage('queueMs')));
    console.log(row('    leader fsync (accepts sent -> own fsync done)', stage('ownFsyncMs')));
    console.log(row('    accepts sent -> first accepted back', stage('firstAcceptedMs')));
    console.log(row('      follower: accept arrived -> fsync done', followerFsync));
    console.log(row('      follower: fsync done -> accepted sent', followerSend));
    console.log(row('      network both ways and event-loop waits', rest));
    console.log(row('    first accepted and own fsync -> chosen', stage('chooseMs')));
    console.log(row('    chosen -> applied', stage('applyMs')));
  } finally {
    await cluster.dispose();
  }
}

await main();
