import { describe, expect, it } from 'vitest';
import { bootstrapMembership } from '../core/membership';
import type { BuiltCheckpoint } from '../storage/checkpoint-builder';
import type { CheckpointBuildRequest } from '../storage/checkpoint-worker';
import type { InstalledSnapshot, WrittenCheckpoint } from '../storage/replica-store';
import type { SnapshotImage } from '../storage/snapshot-image';
import type { LogFields } from './logger';
import type { PeerState } from './node-state';
import { COMPACTION_STEP_SLOTS, compactionSlot, INSTALL_CHECKPOINT_DEFER_MS, peerMayNeedSnapshot, SNAPSHOT_PREPARE_INTERVAL_MS, StoreMaintenance, type MaintainedStore, type StoreMaintenanceContext } from './store-maintenance';
import { deferred } from '../../test/support/deferred';

const INSTALLED: InstalledSnapshot = { slot: 900, ledger: [], membership: bootstrapMembership([{ id: 'n1', address: '' }]) };

function peer(id: string, reachable: boolean, commitIndex: number | null): PeerState {
  return { id, address: `${id}:7400`, lastHeardMs: reachable ? 10 : null, reachable, commitIndex };
}


const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Maintenance over fakes: the store records what was asked of it (`calls`), checkpoints are due while
 * `world.checkpointDue`, builds and exported writes end when the test settles them.
 */
function maintenance({ withBuilder = false }: { withBuilder?: boolean } = {}) {
  const world = {
    now: 1_000_000,
    applied: 500,
    compacted: 0,
    commitIndex: 500,
    checkpointDue: false,
    nextCheckpointIsExport: false,
    peers: [peer('n2', true, 500)],
    install: (): InstalledSnapshot | null => INSTALLED,
    calls: [] as string[],
    events: [] as { name: string; fields: LogFields | undefined }[],
    requests: [] as CheckpointBuildRequest[],
    builds: [] as { done: ReturnType<typeof deferred<BuiltCheckpoint>>; onSnapshot: (snapshot: SnapshotImage) => void }[],
    writes: [] as ReturnType<typeof deferred<undefined>>[],
    installed: [] as InstalledSnapshot[],
    offers: [] as SnapshotImage[],
    offThreadFailures: 0,
    prepared: [] as { peerMayNeedOne: boolean; quietMs: number }[],
    schedules: 0,
    builderClosed: false,
  };
  const pending = { dir: '/data/n1', image: new Uint8Array(4), imageBytes: 4, segment: 3, exportMs: 1, slot: 500 };
  const store: MaintainedStore = {
    get appliedIndex() {
      return world.applied;
    },
    get nextCheckpointIsExport() {
      return world.nextCheckpointIsExport;
    },
    checkpointDue: () => world.checkpointDue,
    planCheckpoint: () => {
      world.calls.push('planCheckpoint');
      return world.nextCheckpointIsExport ? null : { endSegment: 3, compactThrough: world.compacted };
    },
    beginCheckpoint: () => {
      world.calls.push('beginCheckpoint');
      return pending;
    },
    finishCheckpoint: (written: WrittenCheckpoint) => void world.calls.push(`finishCheckpoint ${written.slot}`),
    installSnapshot: () => world.install(),
    compact: (slot) => void world.calls.push(`store.compact ${slot}`),
  };
  const ctx: StoreMaintenanceContext = {
    store,
    core: {
      status: () => ({ appliedIndex: world.applied, compactedThrough: world.compacted, commitIndex: world.commitIndex }),
      installSnapshot: (slot) => void world.calls.push(`core.installSnapshot ${slot}`),
      compact: (slot) => void world.calls.push(`core.compact ${slot}`),
    },
    builder: withBuilder
      ? {
          build: (request, onSnapshot = () => undefined) => {
            world.requests.push(request);
            const done = deferred<BuiltCheckpoint>();
            world.builds.push({ done, onSnapshot });
            return done.promise;
          },
          close: () => {
            world.builderClosed = true;
            return Promise.resolve();
          },
        }
      : null,
    checkpointFor: { dir: '/data/n1', nodeId: 'n1', clusterId: 'c1' },
    snapshotSource: {
      offer: (built) => {
        world.offers.push(built);
        return Promise.resolve();
      },
      offThreadBuildFailed: () => void world.offThreadFailures++,
      prepareWhenQuiet: (peerMayNeedOne, quietMs) => void world.prepared.push({ peerMayNeedOne: peerMayNeedOne(), quietMs }),
    },
    peers: () => world.peers,
    snapshotCatchupSlots: 512,
    retainSlots: 100,
    now: () => world.now,
    schedule: () => void world.schedules++,
    onSnapshotInstalled: (installed) => void world.installed.push(installed),
    logger: { event: (name, fields) => world.events.push({ name, fields }) },
    writeExportedCheckpoint: () => {
      const done = deferred<undefined>();
      world.writes.push(done);
      return done.promise;
    },
  };
  return { maintenance: new StoreMaintenance(ctx), world };
}

const BUILT: BuiltCheckpoint = { kind: 'checkpoint', ok: true, buildMs: 1, writeMs: 1, segment: 3, slot: 500, imageBytes: 4 };

describe('store maintenance rules', () => {
  it('a peer may need a snapshot when it is not heard from or more than half the catch-up distance behind', () => {
    expect(peerMayNeedSnapshot(1_000, [peer('n2', true, 744)], 512)).toBe(false); // 256 behind: exactly half
    expect(peerMayNeedSnapshot(1_000, [peer('n2', true, 743)], 512)).toBe(true);
    expect(peerMayNeedSnapshot(1_000, [peer('n2', true, null)], 512)).toBe(false); // reachable, its position unknown
    expect(peerMayNeedSnapshot(1_000, [peer('n2', true, 1_000), peer('n3', false, null)], 512)).toBe(true);
    expect(peerMayNeedSnapshot(1_000, [], 512)).toBe(false);
    // Hearing no majority, this member is more likely the one away (resumed from a pause): it prepares nothing.
    expect(peerMayNeedSnapshot(1_000, [peer('n2', false, 1_000), peer('n3', false, 1_000)], 512)).toBe(false);
  });

  it('compacts in whole steps, keeping the retained slots', () => {
    expect(compactionSlot(100 + COMPACTION_STEP_SLOTS - 1, 0, 100)).toBeNull();
    expect(compactionSlot(100 + COMPACTION_STEP_SLOTS, 0, 100)).toBe(COMPACTION_STEP_SLOTS);
    expect(compactionSlot(5_000, 4_000, 100)).toBeNull();
    expect(compactionSlot(5_100, 4_000, 100)).toBe(5_000);
  });
});

describe('StoreMaintenance', () => {
  it('compacts the store, then the core, when a step is due', () => {
    const { maintenance: m, world } = maintenance();
    m.compactIfDue();
    expect(world.calls).toEqual([]);
    world.applied = 1_100;
    m.compactIfDue();
    expect(world.calls).toEqual(['store.compact 1000', 'core.compact 1000']);
  });

  it('without a builder, exports a due checkpoint and writes it off the turn, one at a time; the end asks for a turn', async () => {
    const { maintenance: m, world } = maintenance();
    m.checkpointIfDue();
    expect(world.calls).toEqual([]);
    world.checkpointDue = true;
    m.checkpointIfDue();
    m.checkpointIfDue(); // one in flight: nothing more
    expect(world.calls).toEqual(['beginCheckpoint']);
    expect(m.checkpointCounters().started).toBe(1);
    world.writes[0]?.resolve(undefined);
    await settled();
    expect(world.calls).toEqual(['beginCheckpoint', 'finishCheckpoint 500']);
    expect(world.schedules).toBe(1);
    m.checkpointIfDue();
    expect(m.checkpointCounters().started).toBe(2);
  });

  it('a checkpoint that fails is logged and retried at a later turn', async () => {
    const { maintenance: m, world } = maintenance();
    world.checkpointDue = true;
    m.checkpointIfDue();
    world.writes[0]?.reject(new Error('disk full'));
    await settled();
    expect(world.events).toEqual([{ name: 'checkpoint-failed', fields: { reason: 'Error: disk full', note: 'the journal keeps everything; retrying later' } }]);
    expect(world.schedules).toBe(1);
    m.checkpointIfDue();
    expect(world.writes).toHaveLength(2);
  });

  it('asks the builder for a snapshot only when one can come from it, and a snapshot asked starts a checkpoint early', async () => {
    expect(maintenance().maintenance.askSnapshotOffThread()).toBe(false); // no builder
    const { maintenance: m, world } = maintenance({ withBuilder: true });
    world.nextCheckpointIsExport = true;
    expect(m.askSnapshotOffThread()).toBe(false); // a snapshot was installed: the next checkpoint is an export
    world.nextCheckpointIsExport = false;
    expect(m.askSnapshotOffThread()).toBe(true);
    m.checkpointIfDue(); // not due, but asked
    expect(world.requests).toEqual([{ dir: '/data/n1', nodeId: 'n1', clusterId: 'c1', plan: { endSegment: 3, compactThrough: 0 }, snapshot: true }]);
    const snapshot = { slot: 500, bytes: new Uint8Array(2) };
    world.builds[0]?.onSnapshot(snapshot);
    world.builds[0]?.done.resolve(BUILT);
    await settled();
    expect(world.offers).toEqual([snapshot]);
    expect(world.offThreadFailures).toBe(0);
    expect(world.calls).toEqual(['planCheckpoint', 'finishCheckpoint 500']);
  });

  it('tells the source when a snapshot asked of the builder does not come', async () => {
    const { maintenance: m, world } = maintenance({ withBuilder: true });
    m.askSnapshotOffThread();
    m.checkpointIfDue();
    world.builds[0]?.done.reject(new Error('worker died'));
    await settled();
    expect(world.offThreadFailures).toBe(1);
    // Asked, then a snapshot was installed: the checkpoint is an export, which brings none.
    m.askSnapshotOffThread();
    world.nextCheckpointIsExport = true;
    m.checkpointIfDue();
    expect(world.calls.at(-1)).toBe('beginCheckpoint');
    expect(world.offThreadFailures).toBe(2);
  });

  it('has the builder prepare a snapshot with a checkpoint while a peer may need one, at most every SNAPSHOT_PREPARE_INTERVAL_MS', async () => {
    const { maintenance: m, world } = maintenance({ withBuilder: true });
    world.checkpointDue = true;
    const checkpoint = async (): Promise<boolean | undefined> => {
      m.checkpointIfDue();
      world.builds.at(-1)?.done.resolve(BUILT);
      await settled();
      return world.requests.at(-1)?.snapshot;
    };
    expect(await checkpoint()).toBe(false); // every peer close and heard from
    world.peers = [peer('n2', true, 1_000), peer('n3', false, null)]; // n3 away, while this member hears a majority
    expect(await checkpoint()).toBe(true);
    world.now += SNAPSHOT_PREPARE_INTERVAL_MS - 1;
    expect(await checkpoint()).toBe(false);
    world.now += 1;
    expect(await checkpoint()).toBe(true);
  });

  it('prepares a snapshot when quiet only while a peer may need one', () => {
    const { maintenance: m, world } = maintenance();
    m.prepareSnapshotWhenQuiet();
    world.commitIndex = 2_000; // n2 reported 500: far behind
    m.prepareSnapshotWhenQuiet();
    expect(world.prepared).toEqual([
      { peerMayNeedOne: false, quietMs: 300 },
      { peerMayNeedOne: true, quietMs: 300 },
    ]);
  });

  it('installs a fetched snapshot at the next turn, never while a checkpoint is in flight', async () => {
    const { maintenance: m, world } = maintenance();
    world.checkpointDue = true;
    m.checkpointIfDue();
    m.snapshotFetched(new Uint8Array(10), 'n2');
    expect(m.hasSnapshotToInstall).toBe(true);
    m.installSnapshotIfReady();
    expect(world.installed).toEqual([]);
    world.writes[0]?.resolve(undefined);
    await settled();
    m.installSnapshotIfReady();
    expect(m.hasSnapshotToInstall).toBe(false);
    expect(world.calls.slice(-1)).toEqual(['core.installSnapshot 900']);
    expect(world.installed).toEqual([INSTALLED]);
    expect(world.events.map((event) => event.name)).toEqual(['snapshot-installed']);
    expect(world.events[0]?.fields).toMatchObject({ from: 'n2', slot: 900, bytes: 10 });
  });

  it('after an install, exports the checkpoint once caught up, or after INSTALL_CHECKPOINT_DEFER_MS at the latest', () => {
    const { maintenance: m, world } = maintenance();
    m.snapshotFetched(new Uint8Array(10), 'n2');
    m.installSnapshotIfReady();
    // The store now wants an export; the member applied through 900 and its peer decided through 1,100.
    world.nextCheckpointIsExport = true;
    world.checkpointDue = true;
    world.applied = 900;
    world.commitIndex = 950;
    world.peers = [peer('n2', true, 1_100)];
    m.checkpointIfDue();
    expect(world.calls).not.toContain('beginCheckpoint');
    // One slot short of the most advanced commit index it knows of: still waiting. Applied it: the export goes.
    world.applied = 1_099;
    m.checkpointIfDue();
    expect(world.calls).not.toContain('beginCheckpoint');
    world.applied = 1_100;
    m.checkpointIfDue();
    expect(world.calls.filter((call) => call === 'beginCheckpoint')).toHaveLength(1);

    // A member that stays behind (a loaded cluster) waits no longer than the bound.
    const again = maintenance();
    again.maintenance.snapshotFetched(new Uint8Array(10), 'n2');
    again.maintenance.installSnapshotIfReady();
    Object.assign(again.world, { nextCheckpointIsExport: true, checkpointDue: true, applied: 900, peers: [peer('n2', true, 5_000)] });
    again.world.now += INSTALL_CHECKPOINT_DEFER_MS - 1;
    again.maintenance.checkpointIfDue();
    expect(again.world.calls).not.toContain('beginCheckpoint');
    again.world.now += 1;
    again.maintenance.checkpointIfDue();
    expect(again.world.calls).toContain('beginCheckpoint');
  });

  it('drops an invalid snapshot, but stops on a failure after the state machine was replaced', () => {
    const { maintenance: m, world } = maintenance();
    world.install = () => {
      throw new Error('not a valid Synod snapshot: bad header');
    };
    m.snapshotFetched(new Uint8Array(10), 'n2');
    m.installSnapshotIfReady();
    expect(world.events).toEqual([{ name: 'snapshot-rejected', fields: { from: 'n2', reason: 'Error: not a valid Synod snapshot: bad header' } }]);
    expect(m.hasSnapshotToInstall).toBe(false);
    world.install = () => {
      world.applied = 900;
      throw new Error('disk full');
    };
    m.snapshotFetched(new Uint8Array(10), 'n2');
    expect(() => m.installSnapshotIfReady()).toThrow(/after the state machine was replaced/);
    // A snapshot no newer than the state machine changes nothing.
    world.install = () => null;
    m.snapshotFetched(new Uint8Array(10), 'n3');
    m.installSnapshotIfReady();
    expect(world.installed).toEqual([]);
    expect(world.calls).toEqual([]);
  });

  it('stops after the checkpoint in flight, then closes the builder', async () => {
    const { maintenance: m, world } = maintenance({ withBuilder: true });
    world.checkpointDue = true;
    m.checkpointIfDue();
    let stopped = false;
    const stopping = m.stop().then(() => (stopped = true));
    await settled();
    expect(stopped).toBe(false);
    world.builds[0]?.done.resolve(BUILT);
    await stopping;
    expect(world.builderClosed).toBe(true);
    expect(world.calls).toEqual(['planCheckpoint', 'finishCheckpoint 500']);
  });
});
