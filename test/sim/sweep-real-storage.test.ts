/**
 * The simulator on the real storage code: journal, sql.js tables, checkpoints, compaction and snapshot
 * transfer, over LazyFS-like file systems where a crash keeps only what was fsynced plus a torn prefix
 * of the last write. After convergence every replica's micro-blog tables must have the same digest.
 */
import initSqlJs from 'sql.js';
import { expect, it } from 'vitest';
import { REAL_STORAGE_CHECKPOINT_BYTES } from './simulation';
import { sweep } from './sweep';

it('16 seeded runs of 3, 5 and 7 replicas on real storage: no violation, identical state machines', async () => {
  const realStorage = { sqlJs: await initSqlJs(), checkpointJournalBytes: REAL_STORAGE_CHECKPOINT_BYTES };
  // 16 seeds (30 before issue 10's stress: six of these carry a sleeping laptop under full-size load, and
  // such a run on sql.js costs several light ones), so the sweep keeps its running time.
  const { results, failures } = sweep(1, 16, { realStorage });
  expect(failures.map((f) => f.report).join('\n\n')).toBe('');
  expect(results.every((r) => r.stats.convergeTicks > 0)).toBe(true);
  expect(results.reduce((n, r) => n + r.stats.crashes, 0)).toBeGreaterThan(40);
  expect(results.filter((r) => r.sleepingLaptop).length).toBeGreaterThan(3);
  expect(results.reduce((n, r) => n + r.stats.snapshotsInstalled, 0)).toBeGreaterThan(10);
});
