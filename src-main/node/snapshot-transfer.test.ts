import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random';
import type { SnapshotChunkMessage, SnapshotRequestMessage } from '../net/wire';
import { BulkSender } from './bulk-sender';
import type { FrozenSnapshot, SnapshotProvider } from './snapshot-source';
import {
  CHUNKS_PER_BLOCK,
  MAX_SNAPSHOT_BYTES,
  SNAPSHOT_BLOCK_BYTES,
  SNAPSHOT_CHUNK_BYTES,
  SnapshotFetcher,
  SnapshotServer,
  type FetchTiming,
  type SnapshotFetcherOptions,
} from './snapshot-transfer';

const WINDOW_BYTES = 1024 * 1024;

/** Bytes that do not look like gzip (so they are delivered as they are), deterministic per seed. */
function snapshotBytes(length: number, seed = 1): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random.next() * 256);
  bytes[0] = 0x7b; // '{'
  return bytes;
}

function frozen(bytes: Uint8Array, transferId = 41, slot = 1_000): FrozenSnapshot {
  return { transferId, bytes, slot, frozenAt: 0 };
}

/** A provider that always has `current` (and keeps the transfers it was asked about). */
function provider(initial: FrozenSnapshot): SnapshotProvider & { current: FrozenSnapshot; transfers: Map<number, FrozenSnapshot> } {
  const transfers = new Map([[initial.transferId, initial]]);
  return {
    current: initial,
    transfers,
    transfer: (id) => transfers.get(id),
    forNewTransfer() {
      transfers.set(this.current.transferId, this.current);
      return this.current;
    },
  };
}

interface PipeOptions {
  readonly lossRate?: number;
  readonly seed?: number;
  readonly fetcher?: Partial<SnapshotFetcherOptions>;
}

/**
 * A server (with its bulk sender) and a fetcher joined by a lossy in-order link, on a manual clock:
 * every step delivers the requests, drains the bulk sender, delivers (or loses) the chunks, then
 * advances the clock by 1 ms and ticks the fetcher.
 */
function pipe(source: SnapshotProvider, options: PipeOptions = {}) {
  let now = 0;
  const random = seededRandom(options.seed ?? 7);
  const toServer: SnapshotRequestMessage[] = [];
  const toFetcher: SnapshotChunkMessage[] = [];
  const completed: { bytes: Uint8Array; from: string; slot: number; timing: FetchTiming }[] = [];
  const counts = { requests: 0, chunksSent: 0, chunksLost: 0, maxInFlightBytes: 0, lastChunkAtMs: 0 };
  const bulk = new BulkSender({
    send: (messages) => {
      for (const message of messages) if (message.type === 'snapshotChunk') toFetcher.push(message);
      counts.chunksSent += messages.length;
    },
    now: () => now,
    wake: () => undefined,
    peerBurstBytes: 512 * 1024,
    peerBytesPerMs: 256 * 1024,
  });
  const server = new SnapshotServer({ self: 'n1', source, push: (chunk, key) => bulk.push(chunk, key), now: () => now });
  const fetcher = new SnapshotFetcher({
    self: 'n2',
    send: (requests) => {
      toServer.push(...requests);
      counts.requests += requests.length;
    },
    now: () => now,
    retryMs: 20,
    windowBytes: WINDOW_BYTES,
    onComplete: (bytes, from, slot, timing) => completed.push({ bytes, from, slot, timing }),
    ...options.fetcher,
  });
  const step = (): void => {
    for (const request of toServer.splice(0)) server.onRequest(request);
    bulk.drain();
    counts.maxInFlightBytes = Math.max(counts.maxInFlightBytes, bulk.queued('n2') + toFetcher.reduce((sum, chunk) => sum + chunk.data.length, 0));
    for (const chunk of toFetcher.splice(0)) {
      if (random.next() < (options.lossRate ?? 0)) counts.chunksLost++;
      else {
        fetcher.onChunk(chunk);
        counts.lastChunkAtMs = now;
      }
    }
    now += 1;
    fetcher.tick();
  };
  return {
    server,
    fetcher,
    bulk,
    completed,
    counts,
    toFetcher,
    step,
    get now() {
      return now;
    },
    /** Steps until the fetcher handed over a snapshot (decoding is asynchronous) or `maxSteps` passed. */
    async runToCompletion(maxSteps = 100_000): Promise<void> {
      for (let i = 0; i < maxSteps && completed.length === 0; i++) {
        step();
        await new Promise((resolve) => setImmediate(resolve)); // lets decoding finish
      }
    },
  };
}

// Megabytes through gzip and a simulated link on a machine that may be busy: generous timeouts.
describe('snapshot transfer', { timeout: 30_000 }, () => {
  it('moves a whole window of blocks at once and asks once per block on a clean link', async () => {
    const bytes = snapshotBytes(3 * 1024 * 1024 + 12_345);
    const p = pipe(provider(frozen(bytes)));
    p.fetcher.start('n1');
    await p.runToCompletion();
    expect(p.completed).toHaveLength(1);
    expect(Buffer.compare(p.completed[0]?.bytes as Uint8Array, bytes)).toBe(0);
    expect(p.completed[0]).toMatchObject({ from: 'n1', slot: 1_000 });
    // The log says where the time went: the transferred size and the simulated milliseconds.
    const timing = p.completed[0]?.timing;
    expect(timing?.transferredBytes).toBeGreaterThan(0);
    expect(timing?.transferredBytes).toBeLessThanOrEqual(bytes.length);
    expect((timing?.waitMs ?? -1) + (timing?.transferMs ?? -1)).toBeLessThanOrEqual(p.counts.lastChunkAtMs);
    const blocks = Math.ceil(bytes.length / SNAPSHOT_BLOCK_BYTES);
    expect(p.counts.requests).toBe(blocks); // one for the start (block 0), one per further block
    expect(p.counts.chunksSent).toBe(Math.ceil(bytes.length / SNAPSHOT_CHUNK_BYTES));
    // Many chunks in flight (the old fetcher had at most 8), but never more than the window.
    expect(p.counts.maxInFlightBytes).toBeGreaterThan(WINDOW_BYTES / 2);
    expect(p.counts.maxInFlightBytes).toBeLessThanOrEqual(WINDOW_BYTES + SNAPSHOT_BLOCK_BYTES);
    // 3 MiB in 3 ms of simulated time: the link, not request round trips, sets the pace.
    expect(p.counts.lastChunkAtMs).toBeLessThan(20);
    expect(p.fetcher.active).toBe(false);
  });

  it('completes on a lossy link, asking again only for the blocks that lost chunks, from their first missing chunk', async () => {
    const bytes = snapshotBytes(4 * 1024 * 1024);
    const p = pipe(provider(frozen(bytes)), { lossRate: 0.05, seed: 3 });
    p.fetcher.start('n1');
    await p.runToCompletion();
    expect(Buffer.compare(p.completed[0]?.bytes as Uint8Array, bytes)).toBe(0);
    const chunks = bytes.length / SNAPSHOT_CHUNK_BYTES;
    expect(p.counts.chunksLost).toBeGreaterThan(5);
    // Each loss costs at most the rest of its block again (the old design re-sent 8 chunks per ask after a 200 ms silence).
    expect(p.counts.chunksSent - chunks).toBeLessThanOrEqual(p.counts.chunksLost * CHUNKS_PER_BLOCK);
    expect(p.fetcher.dropped()['snapshot-chunk-duplicate']).toBeLessThanOrEqual(p.counts.chunksLost * CHUNKS_PER_BLOCK);
  });

  it('recovers a lost tail by the retry timer', async () => {
    const bytes = snapshotBytes(SNAPSHOT_BLOCK_BYTES * 2);
    const p = pipe(provider(frozen(bytes)));
    p.fetcher.start('n1');
    // Lose the last chunk of the transfer once.
    const realOnChunk = p.fetcher.onChunk.bind(p.fetcher);
    let lost = false;
    p.fetcher.onChunk = (chunk) => {
      if (!lost && chunk.offset === bytes.length - SNAPSHOT_CHUNK_BYTES) {
        lost = true;
        return;
      }
      realOnChunk(chunk);
    };
    await p.runToCompletion();
    expect(lost).toBe(true);
    expect(p.completed).toHaveLength(1);
    expect(p.counts.lastChunkAtMs).toBeGreaterThanOrEqual(20); // waited for the retry interval
  });

  it('decodes gzip end to end, and passes plain bytes from an older server through', async () => {
    const json = new TextEncoder().encode(JSON.stringify({ format: 'synod-snapshot/1', rows: Array.from({ length: 20_000 }, (_, i) => [i, `tweet ${i}`]) }));
    const p = pipe(provider(frozen(new Uint8Array(gzipSync(json)))));
    p.fetcher.start('n1');
    await p.runToCompletion();
    expect(Buffer.compare(p.completed[0]?.bytes as Uint8Array, json)).toBe(0);
    const older = pipe(provider(frozen(json)));
    older.fetcher.start('n1');
    await older.runToCompletion();
    expect(Buffer.compare(older.completed[0]?.bytes as Uint8Array, json)).toBe(0);
  });

  it('asks for the last block first and decompresses gzip while the chunks arrive, into one buffer', async () => {
    const plain = snapshotBytes(2 * 1024 * 1024 + 777, 5);
    const gzipped = new Uint8Array(gzipSync(plain, { level: 1 }));
    const p = pipe(provider(frozen(gzipped)));
    const asked: number[] = [];
    const realOnRequest = p.server.onRequest.bind(p.server);
    p.server.onRequest = (request) => {
      asked.push(request.offset);
      realOnRequest(request);
    };
    p.fetcher.start('n1');
    await p.runToCompletion();
    const blocks = Math.ceil(gzipped.length / SNAPSHOT_BLOCK_BYTES);
    // The start (block 0), then the last block (its trailer sizes the output), then the others in order; each once.
    expect(asked.slice(0, 3)).toEqual([0, (blocks - 1) * SNAPSHOT_BLOCK_BYTES, SNAPSHOT_BLOCK_BYTES]);
    expect(asked).toHaveLength(blocks);
    const out = p.completed[0]?.bytes as Uint8Array;
    expect(Buffer.compare(out, plain)).toBe(0);
    expect(out.buffer.byteLength).toBe(plain.length + 1); // zlib's one output buffer, not a joined copy
  });

  it('decompresses gzip that arrived out of order on a lossy link', async () => {
    const plain = snapshotBytes(2 * 1024 * 1024, 9);
    const p = pipe(provider(frozen(new Uint8Array(gzipSync(plain, { level: 1 })))), { lossRate: 0.05, seed: 11 });
    p.fetcher.start('n1');
    await p.runToCompletion();
    expect(p.counts.chunksLost).toBeGreaterThan(3);
    expect(Buffer.compare(p.completed[0]?.bytes as Uint8Array, plain)).toBe(0);
  });

  it('counts a transfer whose bytes do not decode, and lets the next start begin afresh', async () => {
    const corrupt = new Uint8Array(gzipSync(new Uint8Array(100_000)));
    corrupt[corrupt.length - 5] = (corrupt[corrupt.length - 5] as number) ^ 0xff; // the gzip CRC catches it
    const p = pipe(provider(frozen(corrupt)));
    p.fetcher.start('n1');
    await p.runToCompletion(50);
    for (const deadline = Date.now() + 10_000; p.fetcher.active && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(p.completed).toHaveLength(0);
    expect(p.fetcher.dropped()['snapshot-undecodable']).toBe(1);
    expect(p.fetcher.active).toBe(false);
  });

  it('starts over when the server answers with a new transfer (it no longer had ours)', async () => {
    const first = frozen(snapshotBytes(WINDOW_BYTES * 3, 1), 5, 100);
    const second = frozen(snapshotBytes(SNAPSHOT_BLOCK_BYTES * 3, 2), 6, 150);
    const source = provider(first);
    const p = pipe(source);
    p.fetcher.start('n1');
    p.step();
    p.step(); // block 0 of transfer 5 arrived, a window of blocks asked
    expect(p.fetcher.progress()?.receivedBytes).toBeLessThan(first.bytes.length);
    source.transfers.clear(); // the server restarted: it knows neither transfer 5 ...
    source.current = second; // ... and serves its newest instead
    await p.runToCompletion();
    expect(p.completed).toHaveLength(1);
    expect(Buffer.compare(p.completed[0]?.bytes as Uint8Array, second.bytes)).toBe(0);
    expect(p.completed[0]?.slot).toBe(150);
  });

  it('gives up a download that makes no progress, so the core can ask another peer', () => {
    let now = 0;
    const sent: SnapshotRequestMessage[] = [];
    const fetcher = new SnapshotFetcher({ self: 'n2', send: (r) => sent.push(...r), now: () => now, retryMs: 100, stallMs: 1_000, onComplete: () => undefined });
    fetcher.start('n1');
    for (; now <= 1_000; now += 10) fetcher.tick();
    expect(sent.length).toBeGreaterThanOrEqual(10); // asked again every retry interval meanwhile
    expect(fetcher.active).toBe(false);
    expect(fetcher.dropped()['snapshot-stalled']).toBe(1);
    fetcher.start('n3');
    expect(sent.at(-1)).toMatchObject({ to: 'n3', transferId: 0, offset: 0 });
  });

  it('switches to another peer only when the current download is stuck', () => {
    let now = 0;
    const sent: SnapshotRequestMessage[] = [];
    const fetcher = new SnapshotFetcher({ self: 'n2', send: (r) => sent.push(...r), now: () => now, retryMs: 100, onComplete: () => undefined });
    fetcher.start('n1');
    fetcher.start('n3');
    expect(sent.map((r) => r.to)).toEqual(['n1']);
    now = 250;
    fetcher.start('n3');
    expect(sent.map((r) => r.to)).toEqual(['n1', 'n3']);
  });

  describe('distrusts every chunk', () => {
    /** A fetcher that adopted transfer 9 (slot 50, 3 chunks) from n1 with the chunk at offset 0. */
    function downloading() {
      const sent: SnapshotRequestMessage[] = [];
      const fetcher = new SnapshotFetcher({ self: 'n2', send: (r) => sent.push(...r), now: () => 0, onComplete: () => undefined });
      fetcher.start('n1');
      const totalBytes = 2 * SNAPSHOT_CHUNK_BYTES + 100;
      const chunk = (overrides: Partial<SnapshotChunkMessage> = {}): SnapshotChunkMessage => ({
        type: 'snapshotChunk',
        from: 'n1',
        to: 'n2',
        transferId: 9,
        slot: 50,
        totalBytes,
        offset: SNAPSHOT_CHUNK_BYTES,
        data: new Uint8Array(SNAPSHOT_CHUNK_BYTES),
        ...overrides,
      });
      fetcher.onChunk(chunk({ offset: 0 }));
      return { fetcher, chunk, sent, totalBytes };
    }

    it('a chunk claiming 2^53 - 1 bytes (it used to throw into fatal) is dropped', () => {
      const sent: SnapshotRequestMessage[] = [];
      const fetcher = new SnapshotFetcher({ self: 'n2', send: (r) => sent.push(...r), now: () => 0, onComplete: () => undefined });
      fetcher.start('n1');
      for (const totalBytes of [Number.MAX_SAFE_INTEGER, MAX_SNAPSHOT_BYTES + 1, 0, -1, 1.5, Number.NaN]) {
        expect(() => fetcher.onChunk({ type: 'snapshotChunk', from: 'n1', to: 'n2', transferId: 1, slot: 1, totalBytes, offset: 0, data: new Uint8Array(16) })).not.toThrow();
      }
      expect(fetcher.dropped()['snapshot-chunk-bad-size']).toBe(6);
      expect(fetcher.progress()).toBeNull(); // nothing adopted, nothing allocated
    });

    it('offsets and lengths that do not fit the transfer are dropped', () => {
      const { fetcher, chunk, totalBytes } = downloading();
      fetcher.onChunk(chunk({ offset: 100 })); // not a chunk boundary
      fetcher.onChunk(chunk({ offset: totalBytes + SNAPSHOT_CHUNK_BYTES })); // beyond the end
      fetcher.onChunk(chunk({ offset: Number.MAX_SAFE_INTEGER }));
      fetcher.onChunk(chunk({ data: new Uint8Array(10) })); // too short for a middle chunk
      fetcher.onChunk(chunk({ offset: 2 * SNAPSHOT_CHUNK_BYTES, data: new Uint8Array(SNAPSHOT_CHUNK_BYTES) })); // the last one is 100 bytes
      expect(fetcher.dropped()['snapshot-chunk-bad-range']).toBe(5);
      expect(fetcher.progress()?.receivedBytes).toBe(SNAPSHOT_CHUNK_BYTES);
    });

    it('chunks of another peer, of another transfer, or contradicting the transfer are dropped', () => {
      const { fetcher, chunk } = downloading();
      fetcher.onChunk(chunk({ from: 'n3' }));
      fetcher.onChunk(chunk({ transferId: 8 })); // a stale chunk of an older transfer, mid-snapshot
      fetcher.onChunk(chunk({ transferId: 10, offset: 0, slot: 49 })); // a "new" transfer of an older snapshot
      fetcher.onChunk(chunk({ slot: 51 }));
      fetcher.onChunk(chunk({ totalBytes: 3 * SNAPSHOT_CHUNK_BYTES + 100 }));
      fetcher.onChunk(chunk({ offset: 0 })); // already have it
      expect(fetcher.dropped()).toMatchObject({
        'snapshot-chunk-wrong-peer': 1,
        'snapshot-chunk-other-transfer': 2,
        'snapshot-chunk-inconsistent': 2,
        'snapshot-chunk-duplicate': 1,
      });
      expect(fetcher.progress()).toEqual({ peer: 'n1', receivedBytes: SNAPSHOT_CHUNK_BYTES, totalBytes: 2 * SNAPSHOT_CHUNK_BYTES + 100 });
    });

    it('a chunk nobody asked for is dropped', () => {
      const fetcher = new SnapshotFetcher({ self: 'n2', send: () => undefined, now: () => 0, onComplete: () => undefined });
      fetcher.onChunk({ type: 'snapshotChunk', from: 'n1', to: 'n2', transferId: 1, slot: 1, totalBytes: 10, offset: 0, data: new Uint8Array(10) });
      expect(fetcher.dropped()['snapshot-chunk-unexpected']).toBe(1);
    });
  });

  describe('the server', () => {
    function serving(snapshot: FrozenSnapshot | null) {
      const pushed: { chunk: SnapshotChunkMessage; key: string }[] = [];
      let ready: ((s: FrozenSnapshot) => void) | null = null;
      let newTransfers = 0;
      const source: SnapshotProvider = {
        transfer: (id) => (snapshot !== null && id === snapshot.transferId ? snapshot : undefined),
        forNewTransfer: (whenReady) => {
          newTransfers++;
          ready = whenReady;
          return snapshot;
        },
      };
      const server = new SnapshotServer({ self: 'n1', source, push: (chunk, key) => pushed.push({ chunk, key }), now: () => 0 });
      const request = (from: string, transferId: number, offset: number): SnapshotRequestMessage => ({ type: 'snapshotRequest', from, to: 'n1', transferId, offset });
      return { server, pushed, request, newTransfers: () => newTransfers, ready: (s: FrozenSnapshot) => ready?.(s) };
    }

    it('answers a request with at most one block, from the offset asked', () => {
      const snapshot = frozen(snapshotBytes(SNAPSHOT_BLOCK_BYTES * 3 + 10), 7);
      const s = serving(snapshot);
      s.server.onRequest(s.request('n2', 7, SNAPSHOT_BLOCK_BYTES + 5 * SNAPSHOT_CHUNK_BYTES));
      expect(s.pushed.map((p) => p.chunk.offset)).toEqual([5, 6, 7].map((i) => SNAPSHOT_BLOCK_BYTES + i * SNAPSHOT_CHUNK_BYTES));
      expect(s.pushed[0]?.key).toBe(`snapshot/7/${SNAPSHOT_BLOCK_BYTES + 5 * SNAPSHOT_CHUNK_BYTES}`);
      s.pushed.length = 0;
      s.server.onRequest(s.request('n2', 7, 3 * SNAPSHOT_BLOCK_BYTES)); // the short last block
      expect(s.pushed).toHaveLength(1);
      expect(s.pushed[0]?.chunk.data).toHaveLength(10);
    });

    it('drops requests for offsets outside the transfer or off chunk boundaries', () => {
      const s = serving(frozen(snapshotBytes(SNAPSHOT_BLOCK_BYTES), 7));
      for (const offset of [SNAPSHOT_BLOCK_BYTES, 1, Number.MAX_SAFE_INTEGER - 1]) s.server.onRequest(s.request('n2', 7, offset));
      expect(s.pushed).toHaveLength(0);
      expect(s.server.dropped()['snapshot-request-bad-offset']).toBe(3);
    });

    it('starts an unknown transfer (or transferId 0) at the newest snapshot, block 0', () => {
      const s = serving(frozen(snapshotBytes(SNAPSHOT_BLOCK_BYTES * 2), 7));
      s.server.onRequest(s.request('n2', 123_456, SNAPSHOT_BLOCK_BYTES));
      expect(s.pushed.map((p) => [p.chunk.transferId, p.chunk.offset])).toEqual(Array.from({ length: CHUNKS_PER_BLOCK }, (_, i) => [7, i * SNAPSHOT_CHUNK_BYTES]));
    });

    it('answers requesters that waited for a snapshot to be prepared, and bounds how many wait', () => {
      const s = serving(null);
      for (let i = 0; i < 100; i++) s.server.onRequest(s.request(`p${i}`, 0, 0));
      s.server.onRequest(s.request('p0', 0, 0)); // asking again does not queue twice
      expect(s.pushed).toHaveLength(0);
      expect(s.server.waitingPeers()).toHaveLength(64);
      expect(s.server.dropped()['snapshot-request-too-many-waiting']).toBe(36);
      s.ready(frozen(snapshotBytes(100), 9));
      expect(s.pushed).toHaveLength(64);
      expect(new Set(s.pushed.map((p) => p.chunk.to)).size).toBe(64);
      expect(s.server.waitingPeers()).toEqual([]);
    });
  });
});
