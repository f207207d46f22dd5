/**
 * Journal group-commit benchmark on the real disk (not a test): for 1, 16 and 64 concurrent async
 * writers, each looping `await groupCommit.commit(100-byte record)` for about 3 seconds, prints durable
 * records/s, fsync batches/s, mean records per fsync and p50/p99 commit latency, one line per writer count.
 *
 * Run: npx tsx bench/storage/journal-bench.ts [seconds-per-run]
 * The journal lives in a temporary directory under os.tmpdir(), removed at the end (also on failure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GroupCommit } from '../../src-main/storage/group-commit';
import { Journal } from '../../src-main/storage/journal';
import { NodeFileSystem } from '../../src-main/storage/node-file-system';
import { percentile } from '../percentile';

const RECORD_BYTES = 100;
const WRITER_COUNTS = [1, 16, 64];
const runSeconds = Number(process.argv[2] ?? 3);


async function run(root: string, writers: number): Promise<string> {
  const { journal } = Journal.open(new NodeFileSystem(), join(root, `writers-${writers}`), { firstSegment: 1 });
  const group = new GroupCommit(journal);
  const latenciesMs: number[] = [];
  const start = performance.now();
  const deadline = start + runSeconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const payload = new Uint8Array(RECORD_BYTES).fill(writer & 0xff);
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await group.commit(payload);
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - start) / 1000;
  const { records, syncs } = journal.stats;
  journal.close();
  const sorted = Float64Array.from(latenciesMs).sort();
  return (
    `journal writers=${writers} records_per_s=${(records / elapsedS).toFixed(0)} fsyncs_per_s=${(syncs / elapsedS).toFixed(0)}` +
    ` records_per_fsync=${(records / Math.max(1, syncs)).toFixed(1)} p50_ms=${percentile(sorted, 50).toFixed(3)} p99_ms=${percentile(sorted, 99).toFixed(3)}\n`
  );
}

const root = mkdtempSync(join(tmpdir(), 'synod-journal-bench-'));
try {
  process.stdout.write(`journal benchmark: ${RECORD_BYTES}-byte records, ${runSeconds} s per run, in ${root}\n`);
  for (const writers of WRITER_COUNTS) process.stdout.write(await run(root, writers));
} finally {
  rmSync(root, { recursive: true, force: true });
}
