import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../app/commands';
import { MicroBlog } from '../app/microblog';
import { compareBallots, type Ballot } from '../core/ballot';
import { seededRandom } from '../core/random';
import type { ChosenEntry, Command, PersistBatch, Slot } from '../core/types';
import { StorageError } from './errors';
import { FaultyFileSystem, SimulatedCrash } from '../../test/support/faulty-file-system';
import { checkpointFileBytes, writeCheckpointFile } from './checkpoint-file';
import { ReplicaStore, type CheckpointPlan, type ReplicaStoreOptions } from './replica-store';

let sqlJs: SqlJsStatic;
beforeAll(async () => {
  sqlJs = await initSqlJs();
});

const DIR = '/data/n1';
const OPTIONS: ReplicaStoreOptions = { nodeId: 'n1', clusterId: 'c1', checkpointJournalBytes: 2_000 };

/** What the runtime was told is durable: everything staged before a sync() that returned. */
interface Acknowledged {
  promised: Ballot;
  accepted: Map<Slot, string>;
  chosen: Map<Slot, string>;
}

const valueKey = (value: readonly Command[]): string => JSON.stringify(value);

/**
 * How the workload checkpoints: 'export' on the replica's thread (checkpoint()), or 'built' as the
 * runtime does with a builder thread (planCheckpoint(), the image rebuilt from the files while one more
 * turn runs, written, finishCheckpoint()); the builder runs inline here so that the crash points of
 * its writes are counted too.
 */
type CheckpointMode = 'export' | 'built';

/**
 * A scripted workload shaped like the runtime's loop: stage a turn, sync, apply what is committed,
 * sometimes compact, checkpoint when due. Deterministic for a given seed. Throws SimulatedCrash when
 * the file system is told to crash.
 */
function runWorkload(store: ReplicaStore, acknowledged: Acknowledged, seed: number, turns: number, mode: CheckpointMode = 'export', fs?: FaultyFileSystem): number {
  let checkpoints = 0;
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random.next() * n);
  let seq = 0;
  let round = acknowledged.promised.round;
  let slot = Math.max(store.appliedIndex, ...acknowledged.chosen.keys(), 0);
  const chosenPending: ChosenEntry[] = [];
  let planned: CheckpointPlan | null = null;
  const command = (origin: string): Command => {
    const at = 1_700_000_000_000 + seq;
    const kind = pick(4);
    const payload =
      kind === 0 ? encodeCommand({ type: 'register', name: `user ${origin}`, at }) : kind === 1 ? encodeCommand({ type: 'block', target: 'n2', at }) : encodeCommand({ type: 'tweet', text: `tweet ${seed}/${seq}`, at });
    return { origin, seq: ++seq + 1000 * seed, payload };
  };
  for (let turn = 0; turn < turns; turn++) {
    const promised = pick(5) === 0 ? { round: ++round, node: `n${1 + pick(3)}` } : null;
    const accepted = [];
    const chosen = [];
    const proposals: Command[] = [];
    if (pick(3) === 0) proposals.push(command('n1'));
    const slots = 1 + pick(3);
    for (let i = 0; i < slots; i++) {
      slot++;
      const value = [command(pick(2) === 0 ? 'n1' : 'n2'), command('n2')];
      accepted.push({ slot, ballot: { round, node: 'n1' }, value });
      chosen.push({ slot, value });
    }
    const batch: PersistBatch = { promised, accepted, chosen, proposals };
    store.stage(batch);
    store.sync();
    if (promised !== null && compareBallots(promised, acknowledged.promised) > 0) acknowledged.promised = promised;
    for (const entry of accepted) acknowledged.accepted.set(entry.slot, valueKey(entry.value));
    for (const entry of chosen) acknowledged.chosen.set(entry.slot, valueKey(entry.value));
    chosenPending.push(...chosen);
    store.apply(chosenPending.splice(0));
    if (pick(6) === 0) store.compact(Math.max(0, store.appliedIndex - 3));
    if (planned !== null) {
      if (fs === undefined) throw new Error("built checkpoints need the store's file system");
      const { image, slot: imageSlot } = ReplicaStore.buildCheckpointImage(fs, sqlJs, DIR, OPTIONS, planned);
      writeCheckpointFile(fs, DIR, checkpointFileBytes(image));
      store.finishCheckpoint({ segment: planned.endSegment, slot: imageSlot, imageBytes: image.length });
      planned = null;
      checkpoints++;
    } else if (store.checkpointDue()) {
      if (mode === 'export') {
        store.checkpoint();
        checkpoints++;
      } else {
        planned = store.planCheckpoint();
      }
    }
  }
  return checkpoints;
}

function freshAcknowledged(): Acknowledged {
  return { promised: { round: 0, node: '' }, accepted: new Map(), chosen: new Map() };
}

/** Checks a recovered store against what was acknowledged before the crash. */
function checkRecovered(store: ReplicaStore, acknowledged: Acknowledged): void {
  const durable = store.takeDurableState();
  expect(compareBallots(durable.promised, acknowledged.promised), 'promise regressed').toBeGreaterThanOrEqual(0);
  const accepted = new Map(durable.accepted.map((e) => [e.slot, valueKey(e.value)]));
  const chosen = new Map(durable.chosen.map((e) => [e.slot, valueKey(e.value)]));
  for (const [slot, value] of acknowledged.accepted) {
    if (slot <= durable.compactedThrough) continue; // compacted: chosen and summarized by the app tables
    expect(accepted.get(slot), `acknowledged accept of slot ${slot} lost`).toBe(value);
  }
  for (const [slot, value] of acknowledged.chosen) if (slot > durable.compactedThrough) expect(chosen.get(slot)).toBe(value);
  // The recovered app tables equal a fresh replay of the recovered chosen log.
  const replayDb = new sqlJs.Database();
  const replay = new MicroBlog(replayDb);
  const log = [...acknowledged.chosen.keys(), ...chosen.keys()].sort((a, b) => a - b);
  const valueOf = (slot: Slot): readonly Command[] => JSON.parse(chosen.get(slot) ?? (acknowledged.chosen.get(slot) as string)) as Command[];
  for (const slot of new Set(log)) if (slot <= durable.appliedIndex) replay.applyBatch(slot, valueOf(slot));
  expect(store.app.digest()).toBe(replay.digest());
  expect(durable.appliedIndex).toBe(store.appliedIndex);
  replay.dispose();
  replayDb.close();
}

describe('ReplicaStore', () => {
  it('creates a data directory, recovers everything after a clean close', () => {
    const fs = new FaultyFileSystem();
    const store = ReplicaStore.open(fs, sqlJs, DIR, OPTIONS);
    expect(store.takeDurableState()).toMatchObject({ appliedIndex: 0, compactedThrough: 0, accepted: [], chosen: [] });
    const acknowledged = freshAcknowledged();
    runWorkload(store, acknowledged, 1, 40);
    const digest = store.app.digest();
    store.close();
    const reopened = ReplicaStore.open(fs, sqlJs, DIR, OPTIONS);
    expect(reopened.app.digest()).toBe(digest);
    checkRecovered(reopened, acknowledged);
  });

  it('survives a power loss right after the last sync (no close, unsynced data dropped)', () => {
    const fs = new FaultyFileSystem();
    const store = ReplicaStore.open(fs, sqlJs, DIR, OPTIONS);
    const acknowledged = freshAcknowledged();
    runWorkload(store, acknowledged, 2, 30);
    fs.crash();
    checkRecovered(ReplicaStore.open(fs, sqlJs, DIR, OPTIONS), acknowledged);
  });

  it.each<CheckpointMode>(['export', 'built'])('crash at every write point, with and without torn writes: nothing acknowledged is lost and the app matches the log (checkpoints %s)', (mode) => {
    // Count the write points of the workload once.
    const probe = new FaultyFileSystem();
    expect(runWorkload(ReplicaStore.open(probe, sqlJs, DIR, OPTIONS), freshAcknowledged(), 3, 25, mode, probe)).toBeGreaterThanOrEqual(2);
    const writePoints = probe.operations;
    expect(writePoints).toBeGreaterThan(60);
    const tornVariants = [() => 0, (pending: number) => Math.floor(pending / 2), (pending: number) => Math.max(0, pending - 1)];
    let recoveries = 0;
    for (let point = 1; point <= writePoints; point++) {
      for (const tornWrite of tornVariants) {
        const fs = new FaultyFileSystem();
        fs.crashAt = point;
        const acknowledged = freshAcknowledged();
        try {
          runWorkload(ReplicaStore.open(fs, sqlJs, DIR, OPTIONS), acknowledged, 3, 25, mode, fs);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
        }
        fs.crash({ tornWrite });
        const store = ReplicaStore.open(fs, sqlJs, DIR, { ...OPTIONS, onWarning: () => undefined });
        checkRecovered(store, acknowledged);
        // And the recovered store keeps working.
        runWorkload(store, acknowledged, 4, 3, mode, fs);
        recoveries++;
      }
    }
    expect(recoveries).toBe(writePoints * tornVariants.length);
  }, 120_000);

  it('a torn journal tail is truncated with a warning', () => {
    const fs = new FaultyFileSystem();
    const store = ReplicaStore.open(fs, sqlJs, DIR, { ...OPTIONS, checkpointJournalBytes: 1e9 });
    const acknowledged = freshAcknowledged();
    runWorkload(store, acknowledged, 5, 5);
    store.stage({ promised: null, accepted: [], chosen: [], proposals: [{ origin: 'n1', seq: 99_999, payload: 'x'.repeat(200) }] });
    // The power fails inside sync(): after the journal's write, before its fsync.
    fs.beforeOperation = (_n, op) => {
      if (op === 'fsync') throw new SimulatedCrash(0, op, '');
    };
    expect(() => store.sync()).toThrow(SimulatedCrash);
    fs.beforeOperation = undefined;
    fs.crash({ tornWrite: (pending) => pending - 7 });
    const warnings: string[] = [];
    const reopened = ReplicaStore.open(fs, sqlJs, DIR, { ...OPTIONS, onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/torn|truncat/i);
    // What the dashboard shows after the restart: no checkpoint since the start, the journal replayed.
    expect(reopened.recovery).toMatchObject({ checkpointSlot: 0, replayedSlots: [1, store.appliedIndex], tornTailTruncated: true });
    expect(reopened.recovery.journalRecords).toBeGreaterThanOrEqual(5);
    expect(reopened.recovery.checkpointBytes).toBeGreaterThan(0);
    checkRecovered(reopened, acknowledged);
    // After a checkpoint and a clean close, nothing is replayed.
    reopened.close();
    expect(ReplicaStore.open(fs, sqlJs, DIR, OPTIONS).recovery).toMatchObject({ checkpointSlot: store.appliedIndex, replayedSlots: null, journalRecords: 0, tornTailTruncated: false });
  });

  describe('refuses to start on data it cannot trust, with a clear error', () => {
    const prepared = (): FaultyFileSystem => {
      const fs = new FaultyFileSystem();
      const store = ReplicaStore.open(fs, sqlJs, DIR, { ...OPTIONS, checkpointJournalBytes: 1e9 });
      runWorkload(store, freshAcknowledged(), 6, 20);
      fs.crash({ processOnly: true });
      return fs;
    };
    const openError = (fs: FaultyFileSystem, options = OPTIONS): StorageError => {
      try {
        ReplicaStore.open(fs, sqlJs, DIR, options);
      } catch (error) {
        if (error instanceof StorageError) return error;
        throw error;
      }
      throw new Error('open succeeded');
    };

    it('a corrupt record in the middle of the journal', () => {
      const fs = prepared();
      const segment = fs.list(DIR).find((name) => name.startsWith('journal-')) as string;
      fs.corrupt(`${DIR}/${segment}`, 200);
      const error = openError(fs);
      expect(error.code).toBe('journal-corrupt');
      expect(error.message).toMatch(/journal-\d+\.log/);
      expect(error.exitCode).toBe(70);
    });

    it('a corrupt checkpoint', () => {
      const fs = prepared();
      fs.corrupt(`${DIR}/checkpoint.db`, 5_000);
      const error = openError(fs);
      expect(error.code).toBe('checkpoint-corrupt');
      expect(error.message).toMatch(/checksum/);
    });

    it('a missing checkpoint', () => {
      const fs = prepared();
      fs.unlink(`${DIR}/checkpoint.db`);
      expect(openError(fs).code).toBe('checkpoint-missing');
    });

    it("another node's or another cluster's data directory", () => {
      const fs = prepared();
      const wrongNode = openError(fs, { ...OPTIONS, nodeId: 'n2' });
      expect(wrongNode.code).toBe('wrong-node');
      expect(wrongNode.message).toContain('belongs to node "n1"');
      expect(openError(fs, { ...OPTIONS, clusterId: 'other' }).code).toBe('wrong-cluster');
    });
  });

  it('a snapshot brings a fresh replica to the same state, durably', () => {
    const source = ReplicaStore.open(new FaultyFileSystem(), sqlJs, DIR, OPTIONS);
    runWorkload(source, freshAcknowledged(), 7, 30);
    const fs = new FaultyFileSystem();
    const target = ReplicaStore.open(fs, sqlJs, '/data/n3', { ...OPTIONS, nodeId: 'n3' });
    const installed = target.installSnapshot(source.snapshot());
    expect(installed?.slot).toBe(source.appliedIndex);
    expect(target.app.digest()).toBe(source.app.digest());
    expect(target.installSnapshot(source.snapshot())).toBeNull(); // not newer: ignored
    expect(target.checkpointDue()).toBe(true); // the runtime takes it at once; then the install is durable
    target.checkpoint();
    fs.crash();
    const reopened = ReplicaStore.open(fs, sqlJs, '/data/n3', { ...OPTIONS, nodeId: 'n3' });
    expect(reopened.app.digest()).toBe(source.app.digest());
    expect(reopened.takeDurableState()).toMatchObject({ appliedIndex: source.appliedIndex, compactedThrough: source.appliedIndex });
    expect(() => reopened.installSnapshot(new TextEncoder().encode('{"format":"nope"}'))).toThrow(/not a valid Synod snapshot/);
  });
});

describe('ReplicaStore and a poisoned log', () => {
  it('applies a chosen addMember with an invalid id as a rejection, and recovers the same way after a restart', () => {
    const fs = new FaultyFileSystem();
    const store = ReplicaStore.open(fs, sqlJs, DIR, OPTIONS);
    store.takeDurableState();
    // The review's poison pill: one member forwarded it, a leader proposed it, a quorum chose it.
    const poison: Command = { origin: 'n2', seq: 1, payload: JSON.stringify(['addMember', 'bad id!', '127.0.0.1:9']) };
    const tweet: Command = { origin: 'n1', seq: 1, payload: encodeCommand({ type: 'tweet', text: 'after the poison', at: 1 }) };
    store.stage({ promised: null, accepted: [], chosen: [{ slot: 1, value: [poison] }, { slot: 2, value: [tweet] }], proposals: [] });
    store.sync();
    const applied = store.apply([
      { slot: 1, value: [poison] },
      { slot: 2, value: [tweet] },
    ]);
    expect(applied[0]?.membership).toMatchObject({ status: 'rejected', reason: 'invalid-change' });
    expect(store.membership?.epochs.at(-1)?.members.map((m) => m.id)).toEqual(['n1']);
    store.close();
    const reopened = ReplicaStore.open(fs, sqlJs, DIR, OPTIONS);
    const durable = reopened.takeDurableState();
    expect(durable.appliedIndex).toBe(2);
    expect(durable.membership?.epochs.at(-1)?.members.map((m) => m.id)).toEqual(['n1']);
    reopened.close();
  });
});
