/**
 * Snapshot benchmark (not a test): what catching up by snapshot costs the serving and the installing
 * replica, for a data directory of N commands (100-byte tweets, 10 per slot, the whole log retained).
 *
 *  - serve: read the checkpoint file and check its CRC (slices), strip the private rows (slices), gzip;
 *    with the longest pause of the event loop during the sliced part;
 *  - install: open and validate the image, move the private rows in, the synchronous checkpoint;
 *    the installing replica answers nothing during it.
 *
 * Run: npx tsx bench/storage/snapshot-bench.ts [commands...]   (default: 100000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import initSqlJs from 'sql.js';
import { NodeFileSystem } from '../../src-main/storage/node-file-system';
import { ReplicaStore } from '../../src-main/storage/replica-store';
import { readCheckpointImage, snapshotFromImage } from '../../src-main/storage/snapshot-export';
import { BENCH_NODE, buildDataDir } from './fixture';

const sqlJs = await initSqlJs();
const sizes = process.argv.slice(2).map(Number);
for (const commands of sizes.length > 0 ? sizes : [100_000]) {
  const root = mkdtempSync(join(tmpdir(), 'synod-snapshot-bench-'));
  try {
    buildDataDir(sqlJs, join(root, 'server'), commands);
    const server = ReplicaStore.open(new NodeFileSystem(), sqlJs, join(root, 'server'), BENCH_NODE);
    server.takeDurableState();
    server.checkpoint();

    let longestPauseMs = 0;
    let lastBeat = performance.now();
    const heartbeat = setInterval(() => {
      const now = performance.now();
      longestPauseMs = Math.max(longestPauseMs, now - lastBeat);
      lastBeat = now;
    }, 1);
    const serveStart = performance.now();
    const image = await readCheckpointImage(server.checkpointPath);
    const readMs = performance.now() - serveStart;
    const built = await snapshotFromImage(sqlJs, image);
    const stripMs = performance.now() - serveStart - readMs;
    clearInterval(heartbeat);
    const gzipStart = performance.now();
    const gzipped = gzipSync(built.bytes, { level: 1 });
    const gzipMs = performance.now() - gzipStart;

    const target = ReplicaStore.open(new NodeFileSystem(), sqlJs, join(root, 'target'), { ...BENCH_NODE, nodeId: 'target' });
    target.takeDurableState();
    const installStart = performance.now();
    target.installSnapshot(built.bytes);
    const installMs = performance.now() - installStart;
    console.log(
      [
        `snapshot commands=${commands} slot=${built.slot}`,
        `checkpoint_mb=${(image.length / 1e6).toFixed(1)} snapshot_mb=${(built.bytes.length / 1e6).toFixed(1)} gzipped_mb=${(gzipped.length / 1e6).toFixed(1)}`,
        `serve: read_ms=${readMs.toFixed(0)} strip_ms=${stripMs.toFixed(0)} longest_pause_ms=${longestPauseMs.toFixed(0)} gzip_ms=${gzipMs.toFixed(0)} (thread pool in the node)`,
        `install_ms=${installMs.toFixed(0)} (one stall)`,
      ].join(' '),
    );
    server.close();
    target.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
