/**
 * Snapshot transfer between runtimes, for a replica that is behind another's compaction point.
 *
 * Pull-based and resumable: the lagging replica asks for the bytes of a transfer from an offset; the
 * serving replica answers with up to CHUNKS_PER_REQUEST chunks from there. Lost chunks are simply asked
 * for again after a silence (the fetcher always asks for its first missing byte). A transfer is one
 * frozen snapshot (cached by the server for a while); if the server no longer has it (restart, expiry)
 * it starts a new transfer and the fetcher starts over with it.
 */
import type { NodeId } from '../core/types';
import type { SnapshotChunkMessage, SnapshotRequestMessage } from '../net/wire';

export const SNAPSHOT_CHUNK_BYTES = 16 * 1024;
const CHUNKS_PER_REQUEST = 8;
const SERVED_TRANSFERS_MAX = 4;
const SERVED_TRANSFER_TTL_MS = 60_000;

type Send = (message: SnapshotRequestMessage | SnapshotChunkMessage) => void;

interface ServedTransfer {
  readonly bytes: Uint8Array;
  readonly slot: number;
  readonly createdAt: number;
}

/** Serves this replica's snapshot to lagging peers. */
export class SnapshotServer {
  private readonly transfers = new Map<number, ServedTransfer>();
  private nextTransferId = 1;

  constructor(
    private readonly self: NodeId,
    /** The current snapshot: the state machine at the applied index. */
    private readonly takeSnapshot: () => { bytes: Uint8Array; slot: number },
    private readonly send: Send,
    private readonly now: () => number,
  ) {}

  onRequest(request: SnapshotRequestMessage): void {
    this.expire();
    let transferId = request.transferId;
    let transfer = this.transfers.get(transferId);
    let offset = request.offset;
    if (transfer === undefined) {
      transferId = this.nextTransferId++;
      transfer = { ...this.takeSnapshot(), createdAt: this.now() };
      this.transfers.set(transferId, transfer);
      offset = 0;
      while (this.transfers.size > SERVED_TRANSFERS_MAX) this.transfers.delete(this.transfers.keys().next().value as number);
    }
    for (let i = 0; i < CHUNKS_PER_REQUEST && offset < transfer.bytes.length; i++, offset += SNAPSHOT_CHUNK_BYTES) {
      this.send({
        type: 'snapshotChunk',
        from: this.self,
        to: request.from,
        transferId,
        slot: transfer.slot,
        totalBytes: transfer.bytes.length,
        offset,
        data: transfer.bytes.subarray(offset, Math.min(offset + SNAPSHOT_CHUNK_BYTES, transfer.bytes.length)),
      });
    }
  }

  private expire(): void {
    for (const [id, transfer] of this.transfers) if (this.now() - transfer.createdAt > SERVED_TRANSFER_TTL_MS) this.transfers.delete(id);
  }
}

interface Download {
  readonly peer: NodeId;
  transferId: number;
  bytes: Uint8Array | null;
  received: Set<number>;
  /** Every chunk below this offset has arrived (it only grows within a transfer). */
  prefix: number;
  /** The first missing offset was asked for at this time. */
  askedAt: number;
  askedOffset: number;
}

/** Fetches a peer's snapshot, resuming after losses, and hands over the complete bytes once. */
export class SnapshotFetcher {
  private download: Download | null = null;

  constructor(
    private readonly self: NodeId,
    private readonly send: Send,
    private readonly now: () => number,
    private readonly retryMs: number,
    private readonly onComplete: (bytes: Uint8Array, from: NodeId) => void,
  ) {}

  get active(): boolean {
    return this.download !== null;
  }

  /** Starts fetching from `peer` unless a download is already under way. */
  start(peer: NodeId): void {
    if (this.download !== null) return;
    this.download = { peer, transferId: 0, bytes: null, received: new Set(), prefix: 0, askedAt: this.now(), askedOffset: 0 };
    this.ask(0);
  }

  onChunk(chunk: SnapshotChunkMessage): void {
    const download = this.download;
    if (download === null || chunk.from !== download.peer) return;
    if (chunk.transferId !== download.transferId) {
      // A new transfer (first answer, or the server started over): adopt it from scratch.
      download.transferId = chunk.transferId;
      download.bytes = new Uint8Array(chunk.totalBytes);
      download.received = new Set();
      download.prefix = 0;
    }
    const bytes = download.bytes;
    if (bytes === null || chunk.offset + chunk.data.length > bytes.length || chunk.offset % SNAPSHOT_CHUNK_BYTES !== 0) return;
    bytes.set(chunk.data, chunk.offset);
    download.received.add(chunk.offset);
    const missing = this.firstMissing(download);
    if (missing === null) {
      this.download = null;
      this.onComplete(bytes, download.peer);
    } else if (missing >= download.askedOffset + (CHUNKS_PER_REQUEST / 2) * SNAPSHOT_CHUNK_BYTES) {
      // Keep the pipe full: ask for the next window before this one is drained.
      this.ask(missing);
    }
  }

  /** Asks again after a silence (lost request or chunks). */
  tick(): void {
    const download = this.download;
    if (download === null || this.now() - download.askedAt < this.retryMs) return;
    this.ask(this.firstMissing(download) ?? 0);
  }

  /** Gives up on the current download (its peer is gone). */
  cancel(): void {
    this.download = null;
  }

  private ask(offset: number): void {
    const download = this.download;
    if (download === null) return;
    download.askedAt = this.now();
    download.askedOffset = offset;
    this.send({ type: 'snapshotRequest', from: this.self, to: download.peer, transferId: download.transferId, offset });
  }

  private firstMissing(download: Download): number | null {
    if (download.bytes === null) return 0;
    while (download.prefix < download.bytes.length && download.received.has(download.prefix)) download.prefix += SNAPSHOT_CHUNK_BYTES;
    return download.prefix < download.bytes.length ? download.prefix : null;
  }
}
