/**
 * The membership benchmark (`npm run bench:membership`; not a test): three real synod-node processes on
 * loopback with fsync on and a history of `--commands` tweets, then
 *  1. a fourth machine joins with --join: time until it is a member holding the whole history
 *     (snapshot transfer plus the log tail), and until it is a member at all;
 *  2. a follower is removed: time until removeMember answers (chosen) and until the change is in effect;
 *  3. the leader is removed: time until a remaining member leads and a tweet succeeds.
 *
 * Run: npm run bench:membership [-- --commands N]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freeLoopbackUdpPort, freeTcpPort, ProcessCluster, ProcessNode, waitFor } from '../test/process/harness';
import { bulkLoad } from './bulk-load';

const { values } = parseArgs({ options: { commands: { type: 'string', default: '20000' } } });
const COMMANDS = Number(values.commands);

async function memberIds(node: ProcessNode): Promise<string> {
  return ((await node.status()).membership.members ?? []).map((m) => m.id).join(',');
}

async function main(): Promise<void> {
  console.log(`membership benchmark: 3 synod-node processes on 127.0.0.1, fsync on, ${COMMANDS} commands of history`);
  const cluster = await ProcessCluster.start({ size: 3 });
  let joiner: ProcessNode | null = null;
  try {
    const [n1, n2, n3] = cluster.nodes as [ProcessNode, ProcessNode, ProcessNode];
    const loadSeconds = await bulkLoad(cluster.nodes, COMMANDS);
    await cluster.waitForConvergence(120_000);
    const target = (await n1.status()).commitIndex;
    console.log(`history: ${COMMANDS} commands in ${loadSeconds.toFixed(1)} s, ${target} slots`);

    // 1. A fourth machine joins through n1.
    const spec = { id: 'n4', udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(cluster.baseDir, 'n4') };
    joiner = new ProcessNode(spec, ['--id', 'n4', '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--secret', cluster.secret, '--join', `127.0.0.1:${n1.spec.udpPort}`]);
    const joinStart = performance.now();
    await joiner.start();
    const ready = performance.now() - joinStart;
    const newcomer = joiner;
    let memberMs = NaN;
    await waitFor(
      async () => {
        const status = await newcomer.status();
        if (Number.isNaN(memberMs) && status.membership.isMember) memberMs = performance.now() - joinStart;
        return status.membership.isMember && status.appliedIndex >= target;
      },
      300_000,
      'the newcomer to hold the whole history',
    );
    const wholeMs = performance.now() - joinStart;
    console.log(`join history_slots=${target} process_ready_ms=${ready.toFixed(0)} member_ms=${memberMs.toFixed(0)} whole_history_ms=${wholeMs.toFixed(0)}`);

    // 2. Remove a follower.
    const leaderId = (await n1.status()).leader as string;
    const follower = [n1, n2, n3].find((n) => n.spec.id !== leaderId) as ProcessNode;
    const via = [n1, n2, n3].find((n) => n !== follower && n.spec.id !== leaderId) as ProcessNode;
    const removeStart = performance.now();
    await via.call('removeMember', { id: follower.spec.id });
    const chosenMs = performance.now() - removeStart;
    await waitFor(async () => (await via.status()).membership.pending === null && !(await memberIds(via)).includes(follower.spec.id), 30_000, 'the removal in effect');
    console.log(`remove-follower chosen_ms=${chosenMs.toFixed(0)} in_effect_ms=${(performance.now() - removeStart).toFixed(0)}`);
    await follower.kill();

    // 3. Remove the leader: leadership moves by hand-over, not by election timeout.
    const leader = cluster.node(leaderId);
    const leaderStart = performance.now();
    await via.call('removeMember', { id: leaderId });
    await waitFor(
      async () => {
        const status = await via.status();
        return status.membership.pending === null && status.leader !== null && status.leader !== leaderId;
      },
      30_000,
      'a new leader',
    );
    const newLeaderMs = performance.now() - leaderStart;
    await via.call('tweet', { text: 'after the leader left' });
    console.log(`remove-leader new_leader_ms=${newLeaderMs.toFixed(0)} first_write_ms=${(performance.now() - leaderStart).toFixed(0)} members=${await memberIds(via)}`);
    await leader.kill();
  } finally {
    await joiner?.kill();
    await cluster.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
