import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FrozenSnapshot } from './snapshot-source';
import { SnapshotSource, type SnapshotSourceOptions } from './snapshot-source';

/**
 * A source over a fake store: `applied`, `compacted` and `checkpoint` are the store's positions; an
 * image is just the slot it holds, and building it yields the slot's bytes.
 */
function fakeStore(overrides: Partial<SnapshotSourceOptions> = {}) {
  const state = { now: 0, applied: 1_000, compacted: 0, checkpoint: 990, reads: 0, exports: 0, builds: 0, errors: [] as unknown[], failNextBuild: false };
  const source = new SnapshotSource({
    now: () => state.now,
    appliedIndex: () => state.applied,
    compactedThrough: () => state.compacted,
    checkpointSlot: () => state.checkpoint,
    readCheckpoint: () => {
      state.reads++;
      return Promise.resolve(new TextEncoder().encode(String(state.checkpoint)));
    },
    exportImage: () => {
      state.exports++;
      return new TextEncoder().encode(String(state.applied));
    },
    build: (image) => {
      state.builds++;
      if (state.failNextBuild) {
        state.failNextBuild = false;
        return Promise.reject(new Error('damaged checkpoint'));
      }
      const slot = Number(new TextDecoder().decode(image));
      return Promise.resolve({ bytes: new TextEncoder().encode(`snapshot at ${slot}`), slot });
    },
    maxStaleSlots: 100,
    firstTransferId: 1,
    onError: (error) => state.errors.push(error),
    ...overrides,
  });
  /** Waits for the build under way (if any) to end. */
  const settle = async (): Promise<void> => {
    for (const deadline = Date.now() + 10_000; source.busy && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 2));
  };
  return { source, state, settle };
}



describe('SnapshotSource', () => {
  it('freezes a snapshot the checkpoint builder offers, so a requester finds it ready without a build', async () => {
    const { source, state } = fakeStore();
    await source.offer({ slot: 995, bytes: new TextEncoder().encode('snapshot at 995') });
    const ready: FrozenSnapshot[] = [];
    const snapshot = source.forNewTransfer((s) => ready.push(s));
    expect(snapshot).toMatchObject({ slot: 995 });
    expect(new TextDecoder().decode(gunzipSync(snapshot?.bytes as Uint8Array))).toBe('snapshot at 995');
    expect(state).toMatchObject({ reads: 0, exports: 0, builds: 0 });
    // An older offer, or one behind the compaction point, changes nothing.
    await source.offer({ slot: 990, bytes: new TextEncoder().encode('older') });
    state.compacted = 999;
    await source.offer({ slot: 998, bytes: new TextEncoder().encode('compacted') });
    state.compacted = 0;
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(995);
  });

  it('hands an offered snapshot to the requesters waiting for a build', async () => {
    const { source } = fakeStore({ build: () => new Promise(() => undefined) }); // a build that never ends
    const ready: FrozenSnapshot[] = [];
    expect(source.forNewTransfer((s) => ready.push(s))).toBeNull();
    await source.offer({ slot: 999, bytes: new TextEncoder().encode('snapshot at 999') });
    expect(ready.map((s) => s.slot)).toEqual([999]);
  });

  it('asks the checkpoint builder thread, never this thread, when it can; one ask at a time, again after a failure', async () => {
    let asks = 0;
    let threadCan = true;
    const { source, state } = fakeStore({ minBuildIntervalMs: 0, buildOffThread: () => (threadCan ? ++asks > 0 : false) });
    state.checkpoint = 500; // too old: the old way would export here
    const ready: FrozenSnapshot[] = [];
    const onReady = (s: FrozenSnapshot): number => ready.push(s);
    for (let i = 0; i < 100; i++) expect(source.forNewTransfer(onReady)).toBeNull();
    expect(asks).toBe(1);
    expect(source.busy).toBe(true);
    expect(state).toMatchObject({ reads: 0, exports: 0, builds: 0 });
    await source.offer({ slot: 1_000, bytes: new TextEncoder().encode('snapshot at 1000') });
    expect(ready.map((s) => s.slot)).toEqual([1_000]);
    expect(source.busy).toBe(false);
    // Stale again; the checkpoint that was to bring the next one fails: the next request asks again.
    state.applied = 2_000;
    expect(source.forNewTransfer(() => undefined)).toBeNull(); // a fresher one is on its way
    expect(asks).toBe(2);
    source.offThreadBuildFailed();
    expect(source.busy).toBe(false);
    source.forNewTransfer(() => undefined);
    expect(asks).toBe(3);
    source.offThreadBuildFailed();
    // The thread cannot (a snapshot was just installed): this thread builds as before.
    threadCan = false;
    source.forNewTransfer(() => undefined);
    expect(state.exports).toBe(1);
  });

  it('serves every requester one shared snapshot, built once from a recent checkpoint without an export', async () => {
    const { source, state, settle } = fakeStore();
    const ready: FrozenSnapshot[] = [];
    const onReady = (s: FrozenSnapshot): number => ready.push(s);
    // A hostile or impatient requester: unknown transfer ids, again and again.
    for (let i = 0; i < 1_000; i++) expect(source.forNewTransfer(onReady)).toBeNull();
    await settle();
    expect(state).toMatchObject({ reads: 1, exports: 0, builds: 1 });
    expect(ready).toHaveLength(1);
    const snapshot = ready[0] as FrozenSnapshot;
    expect(snapshot).toMatchObject({ transferId: 1, slot: 990 });
    expect(new TextDecoder().decode(gunzipSync(snapshot.bytes))).toBe('snapshot at 990');
    for (let i = 0; i < 1_000; i++) expect(source.forNewTransfer(() => undefined)).toBe(snapshot);
    expect(source.transfer(1)).toBe(snapshot);
    expect(state.builds).toBe(1);
  });

  it('exports when the checkpoint is too old, at most once per export interval', async () => {
    const { source, state, settle } = fakeStore({ minBuildIntervalMs: 1_000, minExportIntervalMs: 10_000 });
    state.checkpoint = 500; // 500 slots behind: a requester would land too far behind to replay the log
    expect(source.forNewTransfer(() => undefined)).toBeNull();
    await settle();
    expect(state).toMatchObject({ reads: 0, exports: 1 });
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(1_000);
    // The cluster moves on: the snapshot goes stale, but the next export waits for its interval.
    state.applied = 1_500;
    state.now = 2_000;
    const stale = source.forNewTransfer(() => undefined);
    await settle();
    expect(state.exports).toBe(1);
    expect(state.reads).toBe(0); // the checkpoint (500) is older than what is frozen (1000): no use
    expect(stale?.slot).toBe(1_000); // stale but installable: better than nothing
    state.now = 10_000;
    expect(source.forNewTransfer(() => undefined)).toBeNull();
    await settle();
    expect(state.exports).toBe(2);
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(1_500);
  });

  it('falls back to an older checkpoint when an export was made lately, as long as it is installable', async () => {
    const { source, state, settle } = fakeStore({ minBuildIntervalMs: 0 });
    state.checkpoint = 500;
    source.forNewTransfer(() => undefined);
    await settle(); // export at 1000
    state.applied = 2_000;
    state.checkpoint = 1_800; // stale (200 > 100) but newer than the frozen 1000
    state.now = 1;
    source.forNewTransfer(() => undefined);
    await settle();
    expect(state).toMatchObject({ exports: 1, reads: 1 });
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(1_800);
  });

  it('never serves a snapshot at or below the compaction point (the requester could not continue from the log)', async () => {
    const { source, state, settle } = fakeStore({ minExportIntervalMs: 60_000 });
    source.forNewTransfer(() => undefined);
    await settle();
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(990);
    state.compacted = 995;
    state.applied = 1_050;
    state.now = 2_000;
    state.checkpoint = 990;
    // Export used lately? No: the first build read the checkpoint. So this one exports.
    expect(source.forNewTransfer(() => undefined)).toBeNull();
    await settle();
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(1_050);
    state.compacted = 1_050;
    state.now = 4_000;
    expect(source.forNewTransfer(() => undefined)).toBeNull(); // nothing installable, and no export allowed yet
    await settle();
    expect(state.exports).toBe(1);
  });

  it('drops frozen snapshots after maxAgeMs and keeps the previous one for transfers under way', async () => {
    const { source, state, settle } = fakeStore({ maxAgeMs: 5_000, minBuildIntervalMs: 0, minExportIntervalMs: 0 });
    source.forNewTransfer(() => undefined);
    await settle();
    state.applied = 1_200;
    state.checkpoint = 1_150;
    state.now = 1_000;
    source.forNewTransfer(() => undefined);
    await settle();
    expect(source.transfer(1)?.slot).toBe(990);
    expect(source.transfer(2)?.slot).toBe(1_150);
    state.now = 5_500;
    expect(source.transfer(1)).toBeUndefined();
    expect(source.transfer(2)).toBeDefined();
  });

  it('prepares a snapshot ahead of the first request, once', async () => {
    const { source, state, settle } = fakeStore();
    expect(source.prepare()).toBeNull();
    expect(source.prepare()).toBeNull();
    await settle();
    expect(state.builds).toBe(1);
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(990);
  });

  it('prepares a fresh snapshot when the load pauses while a peer is away, and not while commands are applied', async () => {
    let asks = 0;
    const { source, state } = fakeStore({ minBuildIntervalMs: 0, buildOffThread: () => ++asks > 0 });
    await source.offer({ slot: 995, bytes: new TextEncoder().encode('snapshot at 995') });
    // Under load the applied index moves every turn: no build, however stale the snapshot becomes.
    for (let turn = 0; turn < 100; turn++) {
      state.applied += 10;
      state.now += 10;
      source.prepareWhenQuiet(() => true, 300);
    }
    expect(asks).toBe(0);
    // The load pauses: nothing applied for 300 ms, so the builder thread is asked, once.
    for (let turn = 0; turn < 40; turn++) {
      state.now += 10;
      source.prepareWhenQuiet(() => true, 300);
    }
    expect(asks).toBe(1);
    await source.offer({ slot: state.applied, bytes: new TextEncoder().encode('fresh') });
    // Fresh now: nothing more to build.
    for (let turn = 0; turn < 40; turn++) {
      state.now += 10;
      source.prepareWhenQuiet(() => true, 300);
    }
    expect(asks).toBe(1);
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(state.applied);
  });

  it('prepares nothing when no peer may need a snapshot', () => {
    let asks = 0;
    const { source, state } = fakeStore({ minBuildIntervalMs: 0, buildOffThread: () => ++asks > 0 });
    for (let turn = 0; turn < 100; turn++) {
      state.now += 10;
      source.prepareWhenQuiet(() => false, 300);
    }
    expect(asks).toBe(0);
  });

  it('reports a failed build and tries again on a later request', async () => {
    const { source, state, settle } = fakeStore({ minBuildIntervalMs: 1_000 });
    state.failNextBuild = true;
    source.forNewTransfer(() => undefined);
    await settle();
    expect(state.errors).toHaveLength(1);
    expect(source.busy).toBe(false);
    state.now = 1_000;
    source.forNewTransfer(() => undefined);
    await settle();
    expect(source.forNewTransfer(() => undefined)?.slot).toBe(990);
  });
});
