/** Simulated snapshot transfer: takes time in proportion to the snapshot's size, survives losses and server restarts. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-main/core/random';
import { SNAPSHOT_CHUNK_BYTES } from '../../src-main/node/snapshot-transfer';
import { EventQueue } from './event-queue';
import { SimNetwork } from './network';
import type { SnapshotImage } from './node-disk';
import { SimRandom } from './sim-random';
import { SNAPSHOT_BLOCK_CHUNKS, SnapshotDownload, type SnapshotServer } from './snapshot-download';

const RETRY_MS = 200;

function setup(bandwidthBytesPerMs: number): { net: SimNetwork; events: EventQueue } {
  const events = new EventQueue();
  const net = new SimNetwork(events, new SimRandom(seededRandom(7)), { bandwidthBytesPerMs, queueLimitMs: 10_000 });
  net.conditions = { lossRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 1 };
  return { net, events };
}

function image(transferBytes: number, tag: number): SnapshotImage {
  return { bytes: new Uint8Array([tag]), transferBytes };
}

function download(net: SimNetwork, events: EventQueue, server: SnapshotServer, alive = (): boolean => true): { result: () => { at: number; bytes: Uint8Array | null } | null } {
  let result: { at: number; bytes: Uint8Array | null } | null = null;
  new SnapshotDownload(net, events, 'laptop', 'peer', server, alive, RETRY_MS, (bytes) => {
    expect(result).toBeNull();
    result = { at: events.now, bytes };
  });
  while (events.runNext(Infinity)) {
    /* run the transfer to its end */
  }
  return { result: () => result };
}

describe('simulated snapshot transfer', () => {
  it('takes size / bandwidth, plus a round trip per window of blocks', () => {
    for (const bandwidth of [1_000, 10_000]) {
      const { net, events } = setup(bandwidth);
      const size = 40 * SNAPSHOT_CHUNK_BYTES;
      const { result } = download(net, events, { incarnation: 1, snapshot: () => image(size, 1) });
      const done = result();
      expect(done?.bytes).toEqual(new Uint8Array([1]));
      const transferMs = size / bandwidth;
      expect(done?.at).toBeGreaterThanOrEqual(transferMs);
      // Five blocks, two in flight at a time: at most one idle round trip (2 ms here) per block, plus headers.
      expect(done?.at).toBeLessThanOrEqual(1.01 * transferMs + 5 * 2 + 1);
    }
  });

  it('sends every chunk once when nothing is lost', () => {
    const { net, events } = setup(10_000);
    const size = 40 * SNAPSHOT_CHUNK_BYTES;
    download(net, events, { incarnation: 1, snapshot: () => image(size, 1) });
    const requests = 5;
    expect(net.bytesSent).toBe(size + 40 * 64 + requests * 64);
  });

  it('asks again for what was lost, after a silence', () => {
    const { net, events } = setup(10_000);
    const send = net.send.bind(net);
    let chunks = 0;
    // The fifth chunk is lost once: after a silence its block is asked for again from that chunk on.
    net.send = (from, to, bytes, arrive) => (from === 'peer' && ++chunks === 5 ? false : send(from, to, bytes, arrive));
    const { result } = download(net, events, { incarnation: 1, snapshot: () => image(12 * SNAPSHOT_CHUNK_BYTES, 1) });
    expect(result()?.bytes).toEqual(new Uint8Array([1]));
    expect(result()?.at).toBeGreaterThan(RETRY_MS);
    expect(chunks).toBe(12 + (SNAPSHOT_BLOCK_CHUNKS - 4));
  });

  it('freezes one snapshot per transfer, even when the first answer is slower than a silence', () => {
    // 50 bytes/ms: a chunk takes 330 ms, so the fetcher asks again before anything arrived.
    const { net, events } = setup(50);
    let frozen = 0;
    const { result } = download(net, events, {
      incarnation: 1,
      snapshot: () => {
        frozen++;
        return image(3 * SNAPSHOT_CHUNK_BYTES, frozen);
      },
    });
    expect(result()?.bytes).toEqual(new Uint8Array([1]));
    expect(frozen).toBe(1);
  });

  it('starts over with a fresh snapshot when the server restarted in the middle', () => {
    const { net, events } = setup(1_000);
    const server = { incarnation: 1, snapshot: (): SnapshotImage => image(20 * SNAPSHOT_CHUNK_BYTES, server.incarnation) };
    events.schedule(100, () => (server.incarnation = 2));
    const { result } = download(net, events, server);
    expect(result()?.bytes).toEqual(new Uint8Array([2]));
  });

  it('gives up (null) when the server stays unreachable, so the runtime may pick another source', () => {
    const { net, events } = setup(1_000);
    net.cutLink('laptop', 'peer');
    const { result } = download(net, events, { incarnation: 1, snapshot: () => image(1_000, 1) });
    expect(result()?.bytes).toBeNull();
  });

  it('a fetcher that crashed neither asks nor hears anything more', () => {
    const { net, events } = setup(1_000);
    let alive = true;
    events.schedule(50, () => (alive = false));
    const { result } = download(net, events, { incarnation: 1, snapshot: () => image(20 * SNAPSHOT_CHUNK_BYTES, 1) }, () => alive);
    expect(result()).toBeNull();
  });
});
