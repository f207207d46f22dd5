/**
 * Snapshot transfer between runtimes, for a replica that is behind another's compaction point (or too
 * far behind to replay the log).
 *
 * Pull-based, windowed and resumable. A snapshot is cut in chunks of SNAPSHOT_CHUNK_BYTES, grouped in
 * blocks of CHUNKS_PER_BLOCK. A request (transferId, offset) asks for the chunks from `offset` (a chunk
 * boundary) to the end of its block: one request makes the server send at most one block. The fetcher
 * keeps up to `windowBytes` of blocks asked for and not yet complete, asks for the next block as each
 * completes, and re-asks a block from its first missing chunk at once when a block it asked for later
 * is already complete (chunks of one peer arrive in the order they were sent, so the earlier block, or
 * its request, was lost), and every incomplete block when nothing at all arrived for `retryMs` (a lost
 * tail, or a lost answer). Only what is missing is asked again. The timer looks at the whole transfer,
 * not at each block: on a slow or paced link a block may wait in the server's queue far longer than
 * `retryMs`, and asking for it again would only duplicate it. The last block is asked for first: its
 * gzip trailer states the decompressed size, and the fetcher decompresses the contiguous prefix as it
 * grows (gunzip-into.ts), so little is left to do when the last chunk arrives.
 *
 * A transfer is one frozen snapshot (snapshot-source.ts) that the server holds for a while; a request
 * for a transfer it no longer has (or transferId 0) starts the newest one at offset 0, and the fetcher
 * starts over with it. The server pushes chunks into the bulk sender (bulk-sender.ts), which paces them
 * behind protocol traffic.
 *
 * Every input is distrusted: chunks of another peer or transfer, sizes beyond MAX_SNAPSHOT_BYTES,
 * offsets and lengths that do not fit the transfer, and requests for offsets outside it are dropped and
 * counted by reason (see dropped()); nothing here throws on any message.
 *
 * Compatibility with the previous design (8 chunks from the offset asked, plain JSON): this fetcher
 * fetches from such a server (its block-aligned requests get exactly a block, and plain JSON is handed over
 * as it came), but a fetcher of that design cannot install this server's gzipped snapshots.
 */
import type { NodeId } from '../core/types';
import type { SnapshotChunkMessage, SnapshotRequestMessage } from '../net/wire';
import { GunzipInto, gzipTrailerSize, isGzip } from './gunzip-into';
import type { FrozenSnapshot, SnapshotProvider } from './snapshot-source';

export const SNAPSHOT_CHUNK_BYTES = 16 * 1024;
export const CHUNKS_PER_BLOCK = 8;
export const SNAPSHOT_BLOCK_BYTES = SNAPSHOT_CHUNK_BYTES * CHUNKS_PER_BLOCK;
/**
 * The largest snapshot transferred, and the largest it may decompress to: 1 GiB. A micro-blog of a few
 * million tweets; beyond it a peer's claim is taken for nonsense rather than a reason to allocate.
 */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;
/** Bytes of blocks a fetcher asks for before the first of them is complete. */
export const DEFAULT_SNAPSHOT_WINDOW_BYTES = 1024 * 1024;
export const DEFAULT_SNAPSHOT_RETRY_MS = 200;
/** Requesters waiting for a snapshot to be prepared (one entry per peer). */
const MAX_WAITING_REQUESTERS = 64;
/** A requester waiting longer than this asked again long ago if it still cares. */
const WAITING_EXPIRY_MS = 30_000;

export type SnapshotServerDropReason = 'snapshot-request-bad-offset' | 'snapshot-request-too-many-waiting';
export type SnapshotFetchDropReason =
  | 'snapshot-chunk-unexpected'
  | 'snapshot-chunk-wrong-peer'
  | 'snapshot-chunk-bad-size'
  | 'snapshot-chunk-bad-range'
  | 'snapshot-chunk-other-transfer'
  | 'snapshot-chunk-inconsistent'
  | 'snapshot-chunk-duplicate'
  | 'snapshot-undecodable'
  | 'snapshot-stalled';

export interface SnapshotServerOptions {
  readonly self: NodeId;
  readonly source: SnapshotProvider;
  /** Queues a chunk for its peer (BulkSender.push); `key` names the chunk so a re-ask does not queue it twice. */
  readonly push: (chunk: SnapshotChunkMessage, key: string) => void;
  readonly now: () => number;
}

/** Serves this replica's snapshot to lagging peers. */
export class SnapshotServer {
  /** Peers that asked for a new transfer while none was ready, and when. */
  private readonly waiting = new Map<NodeId, number>();
  private readonly drops: Record<SnapshotServerDropReason, number> = { 'snapshot-request-bad-offset': 0, 'snapshot-request-too-many-waiting': 0 };
  /** One function for the source to call back (it keeps each distinct one). */
  private readonly onReady = (snapshot: FrozenSnapshot): void => {
    this.expireWaiting();
    const peers = [...this.waiting.keys()];
    this.waiting.clear();
    for (const peer of peers) this.sendBlock(peer, snapshot, 0);
  };

  constructor(private readonly options: SnapshotServerOptions) {}

  onRequest(request: SnapshotRequestMessage): void {
    const known = request.transferId === 0 ? undefined : this.options.source.transfer(request.transferId);
    if (known !== undefined) {
      if (!isChunkOffset(request.offset, known.bytes.length)) {
        this.drops['snapshot-request-bad-offset']++;
        return;
      }
      this.sendBlock(request.from, known, request.offset);
      return;
    }
    const snapshot = this.options.source.forNewTransfer(this.onReady);
    if (snapshot !== null) {
      this.waiting.delete(request.from);
      this.sendBlock(request.from, snapshot, 0);
      return;
    }
    this.expireWaiting();
    if (!this.waiting.has(request.from) && this.waiting.size >= MAX_WAITING_REQUESTERS) {
      this.drops['snapshot-request-too-many-waiting']++;
      return;
    }
    this.waiting.set(request.from, this.options.now());
  }

  /** Requests dropped, by reason. */
  dropped(): Readonly<Record<SnapshotServerDropReason, number>> {
    return { ...this.drops };
  }

  /** Peers waiting for a snapshot to be prepared. */
  waitingPeers(): NodeId[] {
    return [...this.waiting.keys()];
  }

  private expireWaiting(): void {
    const now = this.options.now();
    for (const [peer, since] of this.waiting) if (now - since > WAITING_EXPIRY_MS) this.waiting.delete(peer);
  }

  /** The chunks from `offset` to the end of its block: the most one request makes this server send. */
  private sendBlock(to: NodeId, snapshot: FrozenSnapshot, offset: number): void {
    const totalBytes = snapshot.bytes.length;
    const blockEnd = Math.min(totalBytes, (Math.floor(offset / SNAPSHOT_BLOCK_BYTES) + 1) * SNAPSHOT_BLOCK_BYTES);
    for (let at = offset; at < blockEnd; at += SNAPSHOT_CHUNK_BYTES) {
      const chunk: SnapshotChunkMessage = {
        type: 'snapshotChunk',
        from: this.options.self,
        to,
        transferId: snapshot.transferId,
        slot: snapshot.slot,
        totalBytes,
        offset: at,
        data: snapshot.bytes.subarray(at, Math.min(at + SNAPSHOT_CHUNK_BYTES, totalBytes)),
      };
      // A chunk still queued from an earlier ask is not queued twice; the bulk sender counts its refusals.
      this.options.push(chunk, `snapshot/${snapshot.transferId}/${at}`);
    }
  }
}

export interface SnapshotFetcherOptions {
  readonly self: NodeId;
  /** Sends requests (small; they go with protocol traffic, not through the bulk sender). */
  readonly send: (requests: readonly SnapshotRequestMessage[]) => void;
  readonly now: () => number;
  /** A block that made no progress for this long is asked for again. Default 200 ms. */
  readonly retryMs?: number;
  /** Bytes of blocks asked for and not yet complete. Default 1 MiB. */
  readonly windowBytes?: number;
  /** A download that made no progress for this long is given up (the core asks again). Default 10 s. */
  readonly stallMs?: number;
  /** Called once per complete, decoded snapshot. */
  readonly onComplete: (bytes: Uint8Array, from: NodeId, slot: number, timing: FetchTiming) => void;
}

interface Block {
  /** Order of the last ask: a complete block makes every incomplete block asked before it lost. */
  askSeq: number;
}

interface Transfer {
  readonly id: number;
  readonly slot: number;
  readonly totalBytes: number;
  readonly chunks: (Uint8Array | undefined)[];
  receivedChunks: number;
  receivedBytes: number;
  /** The first block never asked for. */
  nextBlock: number;
  /** Blocks asked for and not complete. */
  readonly outstanding: Map<number, Block>;
  askSeq: number;
  /** The last block was asked for (it is asked first: its gzip trailer sizes the decompression). */
  lastBlockAsked: boolean;
  /** Decompression while the chunks arrive (see feed()); null until the first and last chunks are here, or for plain bytes. */
  decoder: GunzipInto | null;
  /** Chunks handed to the decoder: the transfer's contiguous prefix. */
  fedChunks: number;
}

/** How a download went, for the log: where catch-up time goes. */
export interface FetchTiming {
  /** Bytes transferred (the encoded snapshot). */
  readonly transferredBytes: number;
  /** From the first request to the first chunk: the server preparing its snapshot. */
  readonly waitMs: number;
  /** From the first chunk to the last. */
  readonly transferMs: number;
  /** Decompressing what was left after the last chunk (the rest was decompressed while chunks arrived). */
  readonly decodeMs: number;
}

interface Download {
  readonly peer: NodeId;
  readonly startedAt: number;
  /** When the first chunk of the transfer arrived. */
  firstChunkAt: number | null;
  transfer: Transfer | null;
  /** Last time anything useful happened (start, a new chunk). */
  progressAt: number;
  /** Last time a chunk arrived (even a duplicate) or a request went out: the link's last sign of life. */
  activeAt: number;
}

/** Fetches a peer's snapshot with a window of blocks in flight, resuming after losses; hands over the complete snapshot once. */
export class SnapshotFetcher {
  private download: Download | null = null;
  /** A complete transfer being decoded (off the thread): still "active", so no new download starts. */
  private decoding = false;
  private readonly retryMs: number;
  private readonly windowBlocks: number;
  private readonly stallMs: number;
  private readonly drops: Record<SnapshotFetchDropReason, number> = {
    'snapshot-chunk-unexpected': 0,
    'snapshot-chunk-wrong-peer': 0,
    'snapshot-chunk-bad-size': 0,
    'snapshot-chunk-bad-range': 0,
    'snapshot-chunk-other-transfer': 0,
    'snapshot-chunk-inconsistent': 0,
    'snapshot-chunk-duplicate': 0,
    'snapshot-undecodable': 0,
    'snapshot-stalled': 0,
  };

  constructor(private readonly options: SnapshotFetcherOptions) {
    this.retryMs = options.retryMs ?? DEFAULT_SNAPSHOT_RETRY_MS;
    this.windowBlocks = Math.max(1, Math.floor((options.windowBytes ?? DEFAULT_SNAPSHOT_WINDOW_BYTES) / SNAPSHOT_BLOCK_BYTES));
    this.stallMs = options.stallMs ?? 10_000;
  }

  get active(): boolean {
    return this.download !== null || this.decoding;
  }

  /** Bytes received of the current transfer (null: none under way, or its size is not known yet). */
  progress(): { peer: NodeId; receivedBytes: number; totalBytes: number } | null {
    const transfer = this.download?.transfer;
    if (this.download === null || transfer === null || transfer === undefined) return null;
    return { peer: this.download.peer, receivedBytes: transfer.receivedBytes, totalBytes: transfer.totalBytes };
  }

  /**
   * Starts fetching from `peer` unless a download is under way. A download from another peer that made
   * no progress for two retry intervals gives way (its peer may be gone).
   */
  start(peer: NodeId): void {
    if (this.decoding) return;
    const now = this.options.now();
    if (this.download !== null && (this.download.peer === peer || now - this.download.progressAt < 2 * this.retryMs)) return;
    this.abandon();
    this.download = { peer, startedAt: now, firstChunkAt: null, transfer: null, progressAt: now, activeAt: now };
    this.options.send([this.request(peer, 0, 0)]);
  }

  onChunk(chunk: SnapshotChunkMessage): void {
    const download = this.download;
    if (download === null) return this.drop('snapshot-chunk-unexpected');
    if (chunk.from !== download.peer) return this.drop('snapshot-chunk-wrong-peer');
    if (!isValidSize(chunk.totalBytes) || !isPositiveInteger(chunk.transferId) || !isPositiveInteger(chunk.slot)) return this.drop('snapshot-chunk-bad-size');
    if (!isChunkOffset(chunk.offset, chunk.totalBytes) || chunk.data.length !== Math.min(SNAPSHOT_CHUNK_BYTES, chunk.totalBytes - chunk.offset)) {
      return this.drop('snapshot-chunk-bad-range');
    }
    let transfer = download.transfer;
    if (transfer === null || chunk.transferId !== transfer.id) {
      // The answer to our first request, or the server started over (it no longer had our transfer: it
      // answers with the start of its newest). Anything else is a stale chunk of an older transfer.
      if (transfer !== null && (chunk.offset !== 0 || chunk.slot < transfer.slot)) return this.drop('snapshot-chunk-other-transfer');
      transfer = this.adopt(download, chunk);
    } else if (chunk.slot !== transfer.slot || chunk.totalBytes !== transfer.totalBytes) {
      return this.drop('snapshot-chunk-inconsistent');
    }
    const index = chunk.offset / SNAPSHOT_CHUNK_BYTES;
    const now = this.options.now();
    download.activeAt = now;
    if (transfer.chunks[index] !== undefined) return this.drop('snapshot-chunk-duplicate');
    transfer.chunks[index] = chunk.data;
    download.firstChunkAt ??= now;
    transfer.receivedChunks++;
    transfer.receivedBytes += chunk.data.length;
    download.progressAt = now;
    this.feed(transfer);
    if (transfer.receivedChunks === transfer.chunks.length) return this.complete(download, transfer);
    const requests: SnapshotRequestMessage[] = [];
    const blockIndex = Math.floor(index / CHUNKS_PER_BLOCK);
    const block = transfer.outstanding.get(blockIndex);
    if (block !== undefined && this.firstMissing(transfer, blockIndex) === null) {
      transfer.outstanding.delete(blockIndex);
      // Blocks asked for before this one and still incomplete lost chunks on the way: ask again now.
      for (const [earlier, other] of transfer.outstanding) if (other.askSeq < block.askSeq) this.ask(download, transfer, earlier, requests);
    }
    this.fillWindow(download, transfer, requests);
    if (requests.length > 0) this.options.send(requests);
  }

  /** Asks again for what made no progress lately; gives up a download that stalled. Call on every turn. */
  tick(): void {
    const download = this.download;
    if (download === null) return;
    const now = this.options.now();
    if (now - download.progressAt >= this.stallMs) {
      this.drop('snapshot-stalled');
      this.abandon();
      return;
    }
    if (now - download.activeAt < this.retryMs) return;
    download.activeAt = now;
    const transfer = download.transfer;
    if (transfer === null) return this.options.send([this.request(download.peer, 0, 0)]);
    const requests: SnapshotRequestMessage[] = [];
    for (const blockIndex of transfer.outstanding.keys()) this.ask(download, transfer, blockIndex, requests);
    if (requests.length > 0) this.options.send(requests);
  }

  /** Gives up on the current download (its peer is gone). */
  cancel(): void {
    this.abandon();
  }

  /** Chunks dropped (and downloads given up), by reason. */
  dropped(): Readonly<Record<SnapshotFetchDropReason, number>> {
    return { ...this.drops };
  }

  /** Drops the current download and stops decompressing its transfer. */
  private abandon(): void {
    this.download?.transfer?.decoder?.destroy();
    this.download = null;
  }

  private adopt(download: Download, chunk: SnapshotChunkMessage): Transfer {
    download.transfer?.decoder?.destroy();
    const transfer: Transfer = {
      id: chunk.transferId,
      slot: chunk.slot,
      totalBytes: chunk.totalBytes,
      // Chunks are kept as they come: memory follows what arrived, not what a peer claims.
      chunks: new Array<Uint8Array | undefined>(Math.ceil(chunk.totalBytes / SNAPSHOT_CHUNK_BYTES)).fill(undefined),
      receivedChunks: 0,
      receivedBytes: 0,
      nextBlock: 1,
      // The server sends the first block unasked-for (it answers the request for a new transfer).
      outstanding: new Map([[0, { askSeq: 0 }]]),
      askSeq: 0,
      lastBlockAsked: false,
      decoder: null,
      fedChunks: 0,
    };
    download.transfer = transfer;
    return transfer;
  }

  /**
   * Asks for the next blocks until the window is full, the last block first: its gzip trailer states
   * the decompressed size, so decompression starts with the first chunks, into one buffer (feed()).
   */
  private fillWindow(download: Download, transfer: Transfer, requests: SnapshotRequestMessage[]): void {
    const blocks = Math.ceil(transfer.chunks.length / CHUNKS_PER_BLOCK);
    if (!transfer.lastBlockAsked && transfer.outstanding.size < this.windowBlocks) {
      transfer.lastBlockAsked = true;
      const lastBlock = blocks - 1;
      if (lastBlock >= transfer.nextBlock && this.firstMissing(transfer, lastBlock) !== null) this.ask(download, transfer, lastBlock, requests);
    }
    while (transfer.outstanding.size < this.windowBlocks && transfer.nextBlock < blocks) {
      const blockIndex = transfer.nextBlock++;
      if (transfer.outstanding.has(blockIndex)) continue; // the last block, asked first
      if (this.firstMissing(transfer, blockIndex) !== null) this.ask(download, transfer, blockIndex, requests);
    }
  }

  /**
   * Hands the transfer's contiguous prefix to the decompressor as it grows, so decompression (0.2 s of
   * a core for 37 MB on the 2-core machine, most of it the first touch of the output's memory) overlaps
   * the transfer instead of following it. The decompressor starts once the first chunk (gzip or plain?)
   * and the trailer (the decompressed size) are here; plain bytes are only joined at the end.
   */
  private feed(transfer: Transfer): void {
    if (transfer.decoder === null) {
      const first = transfer.chunks[0];
      if (first === undefined || !isGzip(first)) return;
      const sizeBytes = gzipTrailerSize(transfer.chunks);
      if (sizeBytes === undefined) return;
      transfer.decoder = new GunzipInto(sizeBytes, { compressedBytes: transfer.totalBytes, maxBytes: MAX_SNAPSHOT_BYTES });
    }
    for (let chunk = transfer.chunks[transfer.fedChunks]; chunk !== undefined; chunk = transfer.chunks[transfer.fedChunks]) {
      transfer.decoder.write(chunk);
      transfer.fedChunks++;
    }
  }

  /** Asks for a block from its first missing chunk (the server sends from there to the block's end). */
  private ask(download: Download, transfer: Transfer, blockIndex: number, requests: SnapshotRequestMessage[]): void {
    const missing = this.firstMissing(transfer, blockIndex);
    if (missing === null) {
      transfer.outstanding.delete(blockIndex);
      return;
    }
    transfer.outstanding.set(blockIndex, { askSeq: ++transfer.askSeq });
    requests.push(this.request(download.peer, transfer.id, missing * SNAPSHOT_CHUNK_BYTES));
  }

  private firstMissing(transfer: Transfer, blockIndex: number): number | null {
    const end = Math.min(transfer.chunks.length, (blockIndex + 1) * CHUNKS_PER_BLOCK);
    for (let i = blockIndex * CHUNKS_PER_BLOCK; i < end; i++) if (transfer.chunks[i] === undefined) return i;
    return null;
  }

  private request(to: NodeId, transferId: number, offset: number): SnapshotRequestMessage {
    return { type: 'snapshotRequest', from: this.options.self, to, transferId, offset };
  }

  private complete(download: Download, transfer: Transfer): void {
    this.download = null;
    this.decoding = true;
    const completedAt = this.options.now();
    const firstChunkAt = download.firstChunkAt ?? completedAt;
    // Bad bytes are the peer's fault and only counted; an exception from onComplete would be the
    // runtime's own bug and is left to surface. Gzip was decompressed while it arrived (feed()).
    // (Every chunk is here, so a gzip transfer has its decoder: feed() made it from the first chunk and the trailer.)
    const decoded = transfer.decoder?.end() ?? Promise.resolve(Buffer.concat(transfer.chunks as Uint8Array[]));
    void decoded.then(
      (snapshot) => {
        this.decoding = false;
        this.options.onComplete(snapshot, download.peer, transfer.slot, {
          transferredBytes: transfer.totalBytes,
          waitMs: firstChunkAt - download.startedAt,
          transferMs: completedAt - firstChunkAt,
          decodeMs: this.options.now() - completedAt,
        });
      },
      () => {
        this.decoding = false;
        this.drop('snapshot-undecodable');
      },
    );
  }

  private drop(reason: SnapshotFetchDropReason): void {
    this.drops[reason]++;
  }
}

function isPositiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}

function isValidSize(totalBytes: number): boolean {
  return isPositiveInteger(totalBytes) && totalBytes <= MAX_SNAPSHOT_BYTES;
}

/** A chunk boundary inside a snapshot of `totalBytes`. */
function isChunkOffset(offset: number, totalBytes: number): boolean {
  return Number.isSafeInteger(offset) && offset >= 0 && offset < totalBytes && offset % SNAPSHOT_CHUNK_BYTES === 0;
}
