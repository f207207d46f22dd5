import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, type AppCommand } from '../app/commands';
import type { Command, PersistBatch } from '../core/types';
import { StorageError } from './errors';
import { NodeFileSystem } from './node-file-system';
import { ReplicaStore } from './replica-store';
import { DEFAULT_SLICING, readCheckpointImage, snapshotFromImage, type Slicing } from './snapshot-export';

let sqlJs: SqlJsStatic;
beforeAll(async () => {
  sqlJs = await initSqlJs();
});

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A store on the real file system with `slots` slots of registrations, tweets, blocks (and rejections). */
function storeWithHistory(slots: number): ReplicaStore {
  const root = mkdtempSync(join(tmpdir(), 'synod-snapshot-export-'));
  roots.push(root);
  const store = ReplicaStore.open(new NodeFileSystem(), sqlJs, join(root, 'data'), { nodeId: 'n1', clusterId: 'c1' });
  store.takeDurableState();
  appendHistory(store, slots);
  return store;
}

function appendHistory(store: ReplicaStore, slots: number): void {
  const ballot = { round: 1, node: 'n1' };
  const first = store.appliedIndex + 1;
  let seq = 2 * store.appliedIndex;
  const command = (origin: string, app: AppCommand): Command => ({ origin, seq: ++seq, payload: encodeCommand(app) });
  for (let slot = first; slot < first + slots; slot++) {
    const at = 1_700_000_000_000 + slot;
    const value = [
      command(`u${slot % 7}`, slot % 7 === slot ? { type: 'register', name: `user "${slot}" ✨`, at } : { type: 'tweet', text: `tweet ${slot} with\nnew lines, "quotes" and 😀`, at }),
      command(`u${slot % 5}`, slot % 3 === 0 ? { type: 'block', target: `u${slot % 4}`, at } : { type: 'unblock', target: `u${slot % 6}`, at }),
    ];
    const batch: PersistBatch = { promised: slot === 1 ? ballot : null, accepted: [{ slot, ballot, value }], chosen: [{ slot, value }], proposals: [] };
    store.stage(batch);
    store.apply(batch.chosen);
  }
  store.sync(); // once: an fsync per slot would only slow the test down
}

/** Slices of (almost) no time: pauses after every clock check, and counts them. */
function eagerSlicing(): Slicing & { pauses: number } {
  const slicing = {
    ...DEFAULT_SLICING,
    sliceMs: 0,
    pauses: 0,
    pause: (): Promise<void> => {
      slicing.pauses++;
      return DEFAULT_SLICING.pause();
    },
  };
  return slicing;
}

// Real files and fsyncs on a machine that may be busy: generous timeouts.
describe('snapshots built without stalling', { timeout: 30_000 }, () => {
  it('from the checkpoint file: the state at the checkpoint, stripped in several slices', async () => {
    const store = storeWithHistory(600);
    store.checkpoint();
    const digestAtCheckpoint = store.app.digest();
    expect(store.checkpointSlot).toBe(600);
    appendHistory(store, 50); // the store moves on; the file still holds slot 600
    const slicing = eagerSlicing();
    const built = await snapshotFromImage(sqlJs, await readCheckpointImage(store.checkpointPath, slicing), slicing);
    expect(built.slot).toBe(600);
    expect(slicing.pauses).toBeGreaterThanOrEqual(3); // 600 log rows go in 3 steps
    const target = storeWithHistory(0);
    expect(target.installSnapshot(built.bytes)?.slot).toBe(600);
    expect(target.app.digest()).toBe(digestAtCheckpoint);
    target.close();
    store.close();
  });

  it('from an export: the state at the applied index, which a fresh replica installs', async () => {
    const store = storeWithHistory(300);
    const { image, slot } = store.exportImage();
    expect(slot).toBe(300);
    const built = await snapshotFromImage(sqlJs, image);
    expect(Buffer.compare(built.bytes, store.snapshot())).toBe(0); // the sliced and the one-go build agree
    const target = storeWithHistory(0);
    expect(target.installSnapshot(built.bytes)?.slot).toBe(300);
    expect(target.app.digest()).toBe(store.app.digest());
    target.close();
    store.close();
  });

  it('knows which slot the checkpoint file holds, across checkpoints and restarts', () => {
    const store = storeWithHistory(50);
    expect(store.checkpointSlot).toBe(0); // the first image was taken when the directory was created
    store.checkpoint();
    expect(store.checkpointSlot).toBe(50);
    const pending = store.beginCheckpoint();
    expect(pending.slot).toBe(50);
    expect(store.checkpointSlot).toBe(50);
    const path = store.checkpointPath;
    store.close();
    const reopened = ReplicaStore.open(new NodeFileSystem(), sqlJs, path.replace(/\/checkpoint\.db$/, ''), { nodeId: 'n1', clusterId: 'c1' });
    expect(reopened.checkpointSlot).toBe(50);
    reopened.close();
  });

  it('refuses a damaged checkpoint file rather than serving wrong state', async () => {
    const store = storeWithHistory(100);
    store.checkpoint();
    const file = readFileSync(store.checkpointPath);
    file[file.length - 100] = (file[file.length - 100] as number) ^ 0xff;
    writeFileSync(store.checkpointPath, file);
    const error = await readCheckpointImage(store.checkpointPath).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('checkpoint-corrupt');
  });

  it('refuses an image that holds no membership yet (a joining node has nothing to serve)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synod-snapshot-export-'));
    roots.push(root);
    const joining = ReplicaStore.open(new NodeFileSystem(), sqlJs, join(root, 'data'), { nodeId: 'n9', clusterId: 'c1', bootstrapMembership: null });
    await expect(snapshotFromImage(sqlJs, joining.exportImage().image)).rejects.toThrow(/membership/);
    joining.close();
  });
});
