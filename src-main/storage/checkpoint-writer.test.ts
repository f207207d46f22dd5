import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { afterEach, expect, it } from 'vitest';
import { writeCheckpointInBackground } from './checkpoint-writer';
import { NodeFileSystem } from './node-file-system';
import { ReplicaStore } from './replica-store';

let root: string | null = null;
afterEach(() => {
  if (root !== null) rmSync(root, { recursive: true, force: true });
  root = null;
});

it('a checkpoint written in the background is what the next open recovers from', async () => {
  root = mkdtempSync(join(tmpdir(), 'synod-checkpoint-writer-'));
  const sqlJs = await initSqlJs();
  const fs = new NodeFileSystem();
  const options = { nodeId: 'n1', clusterId: 'c' };
  const store = ReplicaStore.open(fs, sqlJs, root, options);
  store.takeDurableState();
  const value = [{ origin: 'n1', seq: 1, payload: '["tweet",1,"hello"]' }];
  store.stage({ promised: { round: 1, node: 'n1' }, accepted: [{ slot: 1, ballot: { round: 1, node: 'n1' }, value }], chosen: [{ slot: 1, value }], proposals: [] });
  store.sync();
  store.apply([{ slot: 1, value }]);
  const pending = store.beginCheckpoint();
  // The replica keeps working while the file is written.
  const writing = writeCheckpointInBackground(pending.dir, pending.image);
  store.stage({ promised: { round: 2, node: 'n1' }, accepted: [], chosen: [], proposals: [] });
  store.sync();
  await writing;
  store.finishCheckpoint(pending);
  expect(readdirSync(root).filter((name) => name.startsWith('journal-'))).toEqual([`journal-${String(pending.segment).padStart(8, '0')}.log`]);
  const digest = store.app.digest();
  const reopened = ReplicaStore.open(fs, sqlJs, root, options);
  expect(reopened.app.digest()).toBe(digest);
  expect(reopened.takeDurableState()).toMatchObject({ promised: { round: 2, node: 'n1' }, appliedIndex: 1 });
});
