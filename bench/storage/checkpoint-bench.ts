/**
 * Checkpoint benchmark (not a test): for databases of about 10 MB and 50 MB,
 *  - a checkpoint entirely on the replica's thread (export + write + fsync + rename = the stall), and
 *  - the node's way: the export on the replica's thread (the stall), the file written in the background;
 *    the event loop's worst delay during the background write shows that the replica keeps serving.
 *
 * Run: npx tsx bench/storage/checkpoint-bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeCheckpointInBackground } from '../../src-main/storage/checkpoint-writer';
import { NodeFileSystem } from '../../src-main/storage/node-file-system';
import { ReplicaStore } from '../../src-main/storage/replica-store';
import { BENCH_NODE, buildDataDir } from './fixture';

/** Commands that make a checkpoint image of roughly the target size (measured: ~320 bytes each). */
const TARGETS = [
  { label: '10MB', commands: 31_000 },
  { label: '50MB', commands: 156_000 },
];
const RUNS = 5;

const sqlJs = await initSqlJs();
for (const { label, commands } of TARGETS) {
  const root = mkdtempSync(join(tmpdir(), 'synod-checkpoint-bench-'));
  try {
    const dir = join(root, 'data');
    buildDataDir(sqlJs, dir, commands);
    const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, dir, BENCH_NODE);
    store.takeDurableState();
    const runs = Array.from({ length: RUNS }, () => store.checkpoint());
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const exportMs = median(runs.map((r) => r.exportMs));
    const writeMs = median(runs.map((r) => r.writeMs));
    console.log(
      `checkpoint db=${label} image_mb=${((runs[0]?.bytes ?? 0) / 1e6).toFixed(1)} mode=inline export_ms=${exportMs.toFixed(0)} write_fsync_rename_ms=${writeMs.toFixed(0)} stall_ms=${(exportMs + writeMs).toFixed(0)} (median of ${RUNS})`,
    );
    const background: { exportMs: number; writeMs: number; lagMs: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const pending = store.beginCheckpoint();
      const lag = monitorEventLoopDelay({ resolution: 1 });
      lag.enable();
      const writeStart = performance.now();
      await writeCheckpointInBackground(pending);
      const writeMs = performance.now() - writeStart;
      lag.disable();
      store.finishCheckpoint(pending);
      background.push({ exportMs: pending.exportMs, writeMs, lagMs: lag.max / 1e6 });
    }
    console.log(
      `checkpoint db=${label} mode=background stall_ms=${median(background.map((r) => r.exportMs)).toFixed(0)} background_write_ms=${median(background.map((r) => r.writeMs)).toFixed(0)} event_loop_max_delay_ms=${median(background.map((r) => r.lagMs)).toFixed(1)} (median of ${RUNS})`,
    );
    store.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
