/**
 * Recovery benchmark (not a test): time to open a data directory holding N chosen commands, and the
 * peak memory of the process that opened it. Each open runs in a fresh child process so the peak RSS
 * belongs to recovery alone.
 *
 * Run: npx tsx bench/storage/recovery-bench.ts [commands...]   (default: 100000 1000000)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import initSqlJs from 'sql.js';
import { NodeFileSystem } from '../../src-main/storage/node-file-system';
import { ReplicaStore } from '../../src-main/storage/replica-store';
import { BENCH_NODE, buildDataDir } from './fixture';

const mode = process.argv[2];

if (mode === '--open') {
  // Child: open the directory once, report timings and peak memory as JSON.
  const dir = process.argv[3] as string;
  const initStart = performance.now();
  const sqlJs = await initSqlJs();
  const openStart = performance.now();
  const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, BENCH_NODE);
  const durable = store.takeDurableState();
  const openMs = performance.now() - openStart;
  const usage = process.resourceUsage();
  process.stdout.write(JSON.stringify({ sqlInitMs: openStart - initStart, openMs, appliedIndex: durable.appliedIndex, retainedSlots: durable.chosen.length, peakRssMb: usage.maxRSS / 1024 }));
} else {
  const sizes = process.argv.slice(2).map(Number);
  const sqlJs = await initSqlJs();
  for (const commands of sizes.length > 0 ? sizes : [100_000, 1_000_000]) {
    const root = mkdtempSync(join(tmpdir(), 'synod-recovery-bench-'));
    try {
      const dir = join(root, 'data');
      const buildStart = performance.now();
      buildDataDir(sqlJs, dir, commands);
      const buildS = (performance.now() - buildStart) / 1000;
      const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, [...process.execArgv, process.argv[1] as string, '--open', dir], { encoding: 'utf8' })) as { openMs: number; sqlInitMs: number; peakRssMb: number; appliedIndex: number; retainedSlots: number });
      const best = runs.reduce((a, b) => (a.openMs <= b.openMs ? a : b));
      console.log(
        `recovery commands=${commands} open_ms=${best.openMs.toFixed(0)} (runs ${runs.map((r) => r.openMs.toFixed(0)).join('/')}) sqljs_init_ms=${best.sqlInitMs.toFixed(0)} peak_rss_mb=${best.peakRssMb.toFixed(0)} applied_slots=${best.appliedIndex} retained_slots=${best.retainedSlots} build_s=${buildS.toFixed(0)}`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
}
