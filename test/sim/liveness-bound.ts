/**
 * How long a simulated cluster may take to make progress once nothing stops it any more, derived from the
 * protocol's timeouts and the links' bandwidth. Both the liveness phase (every member applies the whole
 * log, every submitted command is chosen) and the sleeping laptop's failover (a command submitted at a
 * survivor is chosen) must finish within it.
 *
 * Timeouts. E = electionTicks; each election timer draws from [E, 2E). Once the faults stop:
 *  - a leader is elected within ELECTION_ROUNDS maximal timeouts: a follower notices a dead leader within
 *    2E, then pre-vote and phase 1 take a round trip each; a split vote, a nack from a higher ballot or a
 *    candidate too far behind to be granted costs one more timeout. Ten rounds are far more than the
 *    randomized timeouts need: in 2,000 seeds the slowest run converged within 30 % of its whole bound;
 *  - pending commands reach the leader within E (an origin re-forwards them every E) and are chosen
 *    within a few retransmissions of retransmitTicks; a membership change costs at most one more phase 1
 *    (crossing into the new configuration needs no timeout): COMMIT_ROUNDS timeouts cover both.
 *
 * So with instant links the bound is 250 ticks (2.5 s), against a fixed 2,000 ticks before issue 10.
 *
 * Bandwidth. The slowest link may have to carry, one after the other:
 *  - its queue as the faults stop (at most queueLimitMs of datagrams, plus one of maxMessageBytes);
 *  - a laggard's whole state: a snapshot (at most the bytes of every command submitted; real storage adds
 *    its pages, see SNAPSHOT_OVERHEAD_BYTES) and the log above it (at most as much again), at the link's
 *    bandwidth but no faster than the windows in flight allow per round trip: maxCatchupRequests replies
 *    of maxCatchupBytes, or WINDOW_BLOCKS snapshot blocks, per ROUND_TRIP_MS (two calm network delays of
 *    at most 4 ms, an fsync of at most 3 ms and a tick's wait for the next request).
 * For example: 375 ticks for a light run (50 kB of commands) on 125,000 bytes/ms links, 807 ticks for a
 * sleeping laptop's run (1.5 MB) on 1,000 bytes/ms links.
 */
import { DEFAULT_PROTOCOL_CONFIG, type ProtocolConfig } from '../../src-main/core/config';
import { SNAPSHOT_CHUNK_BYTES } from '../../src-main/node/snapshot-transfer';
import type { LinkCapacity } from './network';
import { SNAPSHOT_BLOCK_CHUNKS, WINDOW_BLOCKS } from './snapshot-download';

const ELECTION_ROUNDS = 10;
const COMMIT_ROUNDS = 5;
const ROUND_TRIP_MS = 2 * 4 + 3 + 10;
/** A real-storage snapshot (an SQLite file) weighs its pages besides the tweets: generously, this much. */
const SNAPSHOT_OVERHEAD_BYTES = 1024 * 1024;

/** The bound, in ms, for a cluster whose state is at most `stateBytes` (the bytes of every command submitted). */
export function livenessBoundMs(stateBytes: number, capacity: LinkCapacity | null, protocol: Partial<ProtocolConfig>, tickMs: number): number {
  const config = { ...DEFAULT_PROTOCOL_CONFIG, ...protocol };
  const timeoutsMs = (ELECTION_ROUNDS * 2 * config.electionTicks + COMMIT_ROUNDS * config.electionTicks) * tickMs;
  const windowBytes = Math.min(config.maxCatchupRequests * config.maxCatchupBytes, WINDOW_BLOCKS * SNAPSHOT_BLOCK_CHUNKS * SNAPSHOT_CHUNK_BYTES);
  const rateBytesPerMs = Math.min(capacity?.bandwidthBytesPerMs ?? Infinity, windowBytes / ROUND_TRIP_MS);
  const queueMs = capacity === null ? 0 : capacity.queueLimitMs + config.maxMessageBytes / capacity.bandwidthBytesPerMs;
  const stateMs = (2 * (stateBytes + SNAPSHOT_OVERHEAD_BYTES)) / rateBytesPerMs;
  return timeoutsMs + queueMs + stateMs;
}
