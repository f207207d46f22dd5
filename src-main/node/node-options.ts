/**
 * What a node is started with (NodeOptions), and the timings that follow from it: the protocol
 * configuration a real node runs (its election timeout differs from the core's) and the tick length.
 */
import type { ProtocolConfig } from '../core/config';
import { DEFAULT_PROTOCOL_CONFIG } from '../core/config';
import { MAX_FACTOR } from '../core/election-timer';
import type { NodeId } from '../core/types';
import type { HostPort } from '../net/address';
import type { CheckpointWorkerScript } from '../storage/checkpoint-builder';
import type { Logger } from './logger';

export interface NodeOptions {
  readonly id: NodeId;
  /** Display name of this node's user (default: the id). */
  readonly name?: string;
  readonly dataDir: string;
  readonly listen: HostPort;
  /**
   * The other members a brand-new cluster starts with, and their UDP addresses. Used only while the
   * data directory holds no membership yet; afterwards membership comes from the replicated log.
   */
  readonly peers: ReadonlyMap<NodeId, HostPort>;
  /**
   * Join the cluster of the member at this UDP address (or of whichever of several answers) instead of
   * starting a new one. Ignored when the data directory already belongs to a cluster this node is a member of.
   */
  readonly join?: HostPort | readonly HostPort[] | null;
  readonly secret: string;
  /** Length of a protocol tick (default 10 ms: with the default 30 election ticks, election timeouts of 300..600 ms before adaptation). */
  readonly tickMs?: number;
  readonly protocol?: Partial<ProtocolConfig>;
  /** A command not chosen within this time fails with `pending` (it stays queued). Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** Chosen slots kept in the log before compaction (default 10,000). */
  readonly retainSlots?: number;
  readonly maxDatagramBytes?: number;
  readonly logger?: Logger;
  readonly version?: string;
  /** Called when the node had to stop on its own (a storage failure); by default the error is thrown. */
  readonly onFatal?: (error: unknown) => void;
  /**
   * Where the checkpoint builder thread's code is (checkpointWorkerScript). Without it, checkpoints
   * export this thread's database, which stalls the replica in proportion to the database (the
   * simulator and in-process tests, whose databases are small).
   */
  readonly checkpointWorker?: CheckpointWorkerScript;
  /** Log where sampled slots' time goes (latency-probe.ts); off by default: it costs a log line per sampled slot. */
  readonly latencyProbe?: boolean;
}

const DEFAULT_TICK_MS = 10;
/**
 * Minimum election timeout in ticks for real nodes: 30 ticks of 10 ms, so a follower waits at least
 * 300-600 ms without a heartbeat before it campaigns, and failover after a crash stays well under
 * etcd's 1.1 s here. Why not the core's 10: on a loaded 2-core machine (3 replicas, 64 clients, fsyncs)
 * the event-loop stalls measured (the API's status().metrics.eventLoopDelayMaxMs) reached 150-300 ms,
 * from a checkpoint's database export (built on another thread since, except right after a snapshot
 * install), applying a batch, garbage collection and CPU starvation; with 100-200 ms
 * such a stall of the leader deposed it. Longer stalls are absorbed by the adaptive timeout
 * (core/election-timer.ts: a follower learns its leader's gaps, up to 4 times this minimum).
 * (The simulator keeps the core's default: it has no stalls but the ones it injects.)
 */
const DEFAULT_ELECTION_TICKS = 30;

/** Tells the node's owner it stopped on its own (a storage failure): NodeOptions.onFatal, else the error is thrown. */
export function reportFatal(options: NodeOptions, error: unknown): void {
  (options.onFatal ?? ((e: unknown) => setImmediate(() => { throw e; })))(error);
}

/** The length of one protocol tick (ms). */
export function tickMsOf(options: NodeOptions): number {
  return options.tickMs ?? DEFAULT_TICK_MS;
}

/** The protocol configuration of a real node: the core's defaults with the runtime's election timeout. */
export function protocolConfigOf(options: NodeOptions): ProtocolConfig {
  return { ...DEFAULT_PROTOCOL_CONFIG, electionTicks: DEFAULT_ELECTION_TICKS, ...options.protocol };
}

/**
 * The longest election timeout of the random draw, before the adaptive part: the timeout is drawn from
 * [electionTicks, 2 * electionTicks) ticks. Half of it is the minimum election timeout.
 */
export function drawnElectionTimeoutMaxMs(options: NodeOptions): number {
  return protocolConfigOf(options).electionTicks * tickMsOf(options) * 2;
}

/**
 * The longest a follower waits for its leader before it campaigns: its adaptive threshold (at most
 * MAX_FACTOR times the minimum) plus the random part (up to the minimum). election-timer.ts.
 */
export function longestElectionTimeoutMs(options: NodeOptions): number {
  return (MAX_FACTOR + 1) * protocolConfigOf(options).electionTicks * tickMsOf(options);
}
