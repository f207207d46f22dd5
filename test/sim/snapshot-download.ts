/**
 * Snapshot transfer between simulated runtimes, shaped like the real one (src-main/node/snapshot-transfer.ts):
 * the snapshot is cut in chunks of SNAPSHOT_CHUNK_BYTES grouped in blocks of SNAPSHOT_BLOCK_CHUNKS; a
 * request asks for a block from a chunk on, and the server answers with those chunks, from a snapshot
 * frozen at the first request of the transfer. The fetcher keeps WINDOW_BLOCKS blocks asked for and not
 * yet complete, asks for the next block as each one completes, and when nothing at all arrived for
 * `retryMs` asks again for every incomplete block from its first missing chunk. Every request and chunk
 * is a datagram on the simulated network, so a transfer takes time in proportion to the snapshot's size
 * over the link's bandwidth, and its chunks queue with (and hold back) the protocol traffic on that link.
 *
 * Left out of the model: the real runtime's pacing of bulk traffic behind protocol traffic (chunks enter
 * the link's queue at once, as an unpaced sender's would), and its re-ask on seeing a later block complete
 * (simulated links reorder datagrams, so that inference would not hold here; the silence covers it).
 * Added, so that the simulated runtime can pick another source: after GIVE_UP_SILENCES silences in a row
 * the download ends unsuccessfully (the core asks again, maybe of another peer). A server that restarted
 * has lost the transfer: it answers with the first block of a fresh snapshot and the download starts over.
 */
import { SNAPSHOT_CHUNK_BYTES } from '../../src-main/node/snapshot-transfer';
import type { NodeId } from '../../src-main/core/types';
import type { EventQueue } from './event-queue';
import type { SimNetwork } from './network';
import type { SnapshotImage } from './node-disk';

export const SNAPSHOT_BLOCK_CHUNKS = 8;
const BLOCK_BYTES = SNAPSHOT_BLOCK_CHUNKS * SNAPSHOT_CHUNK_BYTES;
/** Blocks asked for and not yet complete (the real window is 1 MiB; the simulation's bytes are scaled down). */
export const WINDOW_BLOCKS = 2;
/** Header bytes of a request and of a chunk on the wire (ids, offsets, sizes; generous). */
const REQUEST_BYTES = 64;
const CHUNK_HEADER_BYTES = 64;
const GIVE_UP_SILENCES = 5;

/** What a download needs to know about the serving node. */
export interface SnapshotServer {
  /** Null while the node is down. */
  readonly incarnation: number | null;
  /**
   * Null when it has none to serve: a newcomer that has not installed its first snapshot, asked because a
   * hostile message in its name claimed it was far ahead. It answers nothing (a real newcomer has applied
   * nothing, and the real snapshot source builds none at slot 0), and the download gives up after its
   * silences.
   */
  snapshot(): SnapshotImage | null;
}

/** A frozen snapshot being transferred: `generation` grows with every transfer the server starts. */
interface Transfer {
  readonly image: SnapshotImage;
  readonly servedBy: number;
  readonly generation: number;
}

export class SnapshotDownload {
  /** The server side: the transfer it holds (lost when it restarts). */
  private served: Transfer | null = null;
  /** The fetcher side: the transfer it receives. */
  private transfer: Transfer | null = null;
  private readonly received = new Set<number>();
  /** Blocks asked for and not complete yet. */
  private readonly asked = new Set<number>();
  private nextBlock = 0;
  private lastArrivalAt: number;
  private silences = 0;
  private finished = false;

  constructor(
    private readonly network: SimNetwork,
    private readonly events: EventQueue,
    private readonly fetcher: NodeId,
    private readonly serverId: NodeId,
    private readonly server: SnapshotServer,
    /** False once the fetcher crashed: a dead process neither asks nor receives. */
    private readonly fetcherAlive: () => boolean,
    /** The real fetcher's silence before asking again. */
    private readonly retryMs: number,
    private readonly done: (snapshot: Uint8Array | null) => void,
  ) {
    this.lastArrivalAt = events.now;
    this.ask(0);
    this.watch();
  }

  private ask(offset: number): void {
    this.asked.add(Math.floor(offset / BLOCK_BYTES));
    const transfer = this.transfer;
    this.network.send(this.fetcher, this.serverId, REQUEST_BYTES, () => this.serve(transfer, offset));
  }

  /** Every retryMs: after a silence, asks again for every incomplete block (or gives up). */
  private watch(): void {
    this.events.schedule(this.retryMs, () => {
      if (this.finished) return;
      if (!this.fetcherAlive()) {
        this.finished = true;
        return;
      }
      if (this.events.now - this.lastArrivalAt >= this.retryMs) {
        if (++this.silences >= GIVE_UP_SILENCES) {
          this.finish(null);
          return;
        }
        if (this.transfer === null) this.ask(0);
        for (const block of [...this.asked]) {
          const missing = this.firstMissingOf(block);
          if (missing !== null) this.ask(missing);
        }
      }
      this.watch();
    });
  }

  /**
   * At the server: the chunks of one block of `asked` from `offset` on; for a transfer it does not hold (the
   * first request, or it restarted since), the first block of the one it holds, or of a fresh snapshot.
   */
  private serve(asked: Transfer | null, offset: number): void {
    const server = this.server;
    if (this.finished || server.incarnation === null) return;
    if (this.served === null || this.served.servedBy !== server.incarnation) {
      const image = server.snapshot();
      if (image === null) return;
      this.served = { image, servedBy: server.incarnation, generation: (this.served?.generation ?? 0) + 1 };
    }
    const transfer = this.served;
    const from = asked === transfer ? offset : 0;
    const total = transfer.image.transferBytes;
    const blockEnd = Math.min(total, (Math.floor(from / BLOCK_BYTES) + 1) * BLOCK_BYTES);
    for (let chunk = from; chunk < blockEnd; chunk += SNAPSHOT_CHUNK_BYTES) {
      const bytes = Math.min(SNAPSHOT_CHUNK_BYTES, total - chunk) + CHUNK_HEADER_BYTES;
      this.network.send(this.serverId, this.fetcher, bytes, () => this.onChunk(transfer, chunk));
    }
  }

  private onChunk(transfer: Transfer, offset: number): void {
    if (this.finished || !this.fetcherAlive()) return;
    // A chunk of a transfer older than the one adopted (links reorder) is of no use.
    if (this.transfer !== null && transfer.generation < this.transfer.generation) return;
    if (this.transfer !== transfer) {
      // The first answer, or the server started over: adopt the transfer from scratch.
      this.transfer = transfer;
      this.received.clear();
      this.asked.clear();
      this.asked.add(0);
      this.nextBlock = 1;
    }
    this.lastArrivalAt = this.events.now;
    this.silences = 0;
    this.received.add(offset);
    const block = Math.floor(offset / BLOCK_BYTES);
    if (this.asked.has(block) && this.firstMissingOf(block) === null) this.asked.delete(block);
    const blocks = Math.ceil(transfer.image.transferBytes / BLOCK_BYTES);
    while (this.asked.size < WINDOW_BLOCKS && this.nextBlock < blocks) this.ask(this.nextBlock++ * BLOCK_BYTES);
    if (this.asked.size === 0 && this.nextBlock >= blocks) this.finish(transfer.image.bytes);
  }

  /** The first chunk of `block` not received yet, or null when the block is complete. */
  private firstMissingOf(block: number): number | null {
    const total = this.transfer?.image.transferBytes ?? 0;
    const end = Math.min(total, (block + 1) * BLOCK_BYTES);
    for (let chunk = block * BLOCK_BYTES; chunk < end; chunk += SNAPSHOT_CHUNK_BYTES) if (!this.received.has(chunk)) return chunk;
    return null;
  }

  private finish(snapshot: Uint8Array | null): void {
    this.finished = true;
    this.done(snapshot);
  }
}
