/**
 * Memory per node as the history grows (issue 14: peak RSS within 2x the database). Three `synod-node`
 * processes on 127.0.0.1 (fsync on) are loaded with 100-byte tweets through 64 clients up to each
 * target; then each node's peak and current resident set (Linux /proc/PID/status: VmHWM, VmRSS) is
 * printed beside its database (the checkpoint file's image, which is the sql.js database it holds in
 * memory). Linux only.
 *
 *   npm run bench:memory [-- --commands 100000,1000000]
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessCluster, type ProcessNode } from '../test/process/harness';
import { bulkLoad } from './bulk-load';

function argValue(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const TARGETS = argValue('--commands', '100000,1000000').split(',').map(Number);
const MIB = 1024 * 1024;

/** kB figures of /proc/PID/status as bytes. */
function memoryOf(node: ProcessNode): { peakBytes: number; currentBytes: number } {
  const status = readFileSync(`/proc/${node.child?.pid ?? 0}/status`, 'utf8');
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peakBytes: kB('VmHWM'), currentBytes: kB('VmRSS') };
}

function databaseBytes(node: ProcessNode): number {
  try {
    return statSync(join(node.spec.dataDir, 'checkpoint.db')).size;
  } catch {
    return NaN;
  }
}

const cluster = await ProcessCluster.start({ size: 3 });
try {
  await cluster.waitForConvergence();
  console.log(`memory benchmark: 3 synod-node processes on 127.0.0.1, fsync on, 100-byte tweets through 64 clients`);
  let loaded = 0;
  for (const target of TARGETS) {
    const seconds = await bulkLoad(cluster.nodes, target - loaded);
    loaded = target;
    await cluster.waitForConvergence(120_000);
    const slots = (await (cluster.nodes[0] as ProcessNode).status()).commitIndex;
    console.log(`commands=${target} slots=${slots} (the last ${(target - (TARGETS[TARGETS.indexOf(target) - 1] ?? 0)).toLocaleString('en')} in ${seconds.toFixed(0)} s)`);
    for (const node of cluster.nodes) {
      const { peakBytes, currentBytes } = memoryOf(node);
      const db = databaseBytes(node);
      // Where it is now: the replica's thread's heap and what it holds outside it (sql.js), the rest of the process.
      const memory = (await node.status()).metrics.memory;
      const rest = memory.rssBytes - memory.heapUsedBytes - memory.externalBytes;
      console.log(`  ${node.spec.id} peak_rss_mib=${(peakBytes / MIB).toFixed(0)} rss_mib=${(currentBytes / MIB).toFixed(0)} database_mib=${(db / MIB).toFixed(1)} peak_over_database=${(peakBytes / db).toFixed(2)} replica_thread_heap_mib=${(memory.heapUsedBytes / MIB).toFixed(0)} replica_thread_external_mib=${(memory.externalBytes / MIB).toFixed(0)} (array_buffers_mib=${(memory.arrayBuffersBytes / MIB).toFixed(0)}) rest_mib=${(rest / MIB).toFixed(0)}`);
    }
  }
} finally {
  await cluster.dispose();
}
