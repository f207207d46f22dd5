/**
 * A replica as a running node: the pure protocol core driven by real time, real storage and real UDP.
 * The same class runs inside the desktop app's main process and inside the headless `synod-node`.
 *
 * One turn at a time (never interleaved):
 *   1. install a fetched snapshot, if one is complete (between Readys, as the core requires);
 *   2. feed the core every datagram that arrived and every tick that passed;
 *   3. ready(): send the messages that may precede the persist (a leader's accepts: see mayPrecedePersist),
 *      stage the turn's durable changes in the journal and fsync ONCE (group commit); a turn whose only
 *      changes are chosen values skips the fsync (they can be learned again; the next fsync covers them);
 *   4. send the rest (promises, accepted replies, forwards: only once durable);
 *   5. apply the committed slots to the micro-blog and answer the clients waiting for them;
 *   6. advance(); then compact the log and start a checkpoint when due. The sql.js log tables catch up
 *      with the journal a little later, in one transaction for many turns (TABLES_FLUSH_INTERVAL_MS).
 * The leader's fsync runs while the followers fsync, and no sql.js work precedes an answer but the
 * application of the command itself.
 */
import { randomInt } from 'node:crypto';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import type { ClusterTrace as ClusterTraceView, CommandReceipt, Faults } from '../../shared/domain';
import { formatBallot } from '../../shared/ballot-text';
import { encodeCommand, type AppCommand } from '../app/commands';
import type { MicroBlog } from '../app/microblog';
import { ballotsEqual } from '../core/ballot';
import { DEFAULT_PROTOCOL_CONFIG, type ProtocolConfig } from '../core/config';
import { bootstrapMembership, latestEpoch, relevantMembers, type MembershipState } from '../core/membership';
import { MAX_FACTOR } from '../core/election-timer';
import { seededRandom } from '../core/random';
import { Replica } from '../core/replica';
import { commandKey, isEmptyReady, mayPrecedePersist, needsFsync, parseCommandKey, type DurableState, type NodeId, type Ready, type ReplicaStatus } from '../core/types';
import { nextTransportEpoch } from '../net/epoch';
import { deriveClusterKeys } from '../net/keys';
import { PeerEpochs } from '../net/peer-epochs';
import { formatAddress, parseHostPort, type HostPort } from '../net/address';
import { NO_FAULTS, UdpTransport, UNKNOWN_ADDRESS, type TraceEvent } from '../net/udp-transport';
import { isControlTraffic, isTraceTraffic, type WireMessage } from '../net/wire';
import { CheckpointBuilder, type CheckpointWorkerScript } from '../storage/checkpoint-builder';
import { writeCheckpointInBackground } from '../storage/checkpoint-writer';
import { NodeFileSystem } from '../storage/node-file-system';
import { ReplicaStore, type StoreRecovery, type WrittenCheckpoint } from '../storage/replica-store';
import { RecoveryTracker } from './recovery-tracker';
import type { LogRow } from '../storage/store-tables';
import { StorageError } from '../storage/errors';
import { ClientRequests } from './client-requests';
import { admitInbound } from './inbound-check';
import { ClusterControl, combineFaults, CONTROL_TICK_MS } from './cluster-control';
import { LoopMonitor } from './loop-monitor';
import { MembershipAdmin } from './membership-admin';
import { NodeError } from './node-error';
import type { LeaderChange, NodeEvent, NodeState, PeerState } from './node-state';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import { silentLogger, type Logger } from './logger';
import { BulkSender, type BulkMessage } from './bulk-sender';
import { SnapshotSource } from './snapshot-source';
import { SnapshotFetcher, SnapshotServer } from './snapshot-transfer';
import { TraceBuffer, traceOf } from './trace-buffer';
import { TickClock } from './tick-clock';
import { CLUSTER_TRACE_TICK_MS, ClusterTrace, type ClusterTraceQuery } from './cluster-trace';

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
  /** Length of a protocol tick (default 10 ms: election timeouts of 100..200 ms). */
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
}

const DEFAULT_TICK_MS = 10;
/** The checkpoint builder prepares a snapshot for lagging peers at most this often (SnapshotSource's export interval). */
const SNAPSHOT_PREPARE_INTERVAL_MS = 10_000;
/**
 * With a peer away, a snapshot is prepared once nothing was applied for this long: a pause in the load,
 * not a gap between two batches (under load a batch is applied every few ms).
 */
const SNAPSHOT_QUIET_MS = 300;
/** A snapshot download re-asks its missing blocks after this long without a chunk. */
const SNAPSHOT_RETRY_MS = 200;
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
/** Stalls of the event loop longer than this fraction of the minimum election timeout are logged. */
const STALL_WARNING_FRACTION = 0.5;
/** The event-loop delay figures in status cover this many status intervals. */
const LOOP_DELAY_WINDOW_INTERVALS = 10;
const DEFAULT_RETAIN_SLOTS = 10_000;
/** Compaction runs in steps of this many slots rather than every turn. */
const COMPACTION_STEP_SLOTS = 1_000;
const STATUS_EVENT_INTERVAL_MS = 1_000;
/**
 * Messages queued for the next turn at most. A turn's fsync takes milliseconds, during which a busy
 * 64-member cluster sends a few hundred; a hundred times that is a flood, and dropping it (Paxos
 * retransmits) beats growing memory without bound.
 */
const MAX_INBOX_MESSAGES = 20_000;
/**
 * The sql.js log tables catch up with the journal this often rather than every turn: a transaction
 * costs about 0.1 ms whatever its size, and under light load a turn holds one command. Everything that
 * reads or exports the tables flushes them first, so nobody sees them behind.
 */
const TABLES_FLUSH_INTERVAL_MS = 100;
const TRACE_FLUSH_INTERVAL_MS = 100;
const TRACE_BATCH_MAX = 400;
const ELECTIONS_KEPT = 50;
/** Every node pings every peer this often, so reachability is known between followers too. */
const PING_INTERVAL_MS = 500;

export class ReplicaNode {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  private readonly inbox: WireMessage[] = [];
  private ticksOwed = 0;
  private turnScheduled = false;
  private turnRunning: Promise<void> | null = null;
  private stopping = false;
  private checkpointInFlight: Promise<void> | null = null;
  private readonly checkpointBuilder: CheckpointBuilder | null;
  private snapshotToInstall: { bytes: Uint8Array; from: NodeId } | null = null;
  private readonly listeners = new Set<(event: NodeEvent) => void>();
  private readonly elections: LeaderChange[] = [];
  private lastStatus: ReplicaStatus;
  private reachablePeers = new Set<NodeId>();
  /** The latest commit index each peer reported (pings, heartbeats). */
  private readonly peerCommit = new Map<NodeId, number>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly startedAt = Date.now();
  private readonly requests: ClientRequests;
  private readonly trace = new TraceBuffer(TRACE_BATCH_MAX);
  /** The whole cluster's messages for a watching dashboard, and this node's own for the members watching it. */
  private readonly clusterTrace: ClusterTrace;
  /** Faults and campaigns members ask of each other (the Scenarios panel), and this node's own requests. */
  private readonly clusterControl: ClusterControl;
  /** Faults this node's own dashboard set (setFaults): in force together with the members' (cluster-control.ts). */
  private localFaults: Faults = NO_FAULTS;
  /** A member asked this node to campaign: the core's campaignNow() runs at the next turn. */
  private campaignAsked = false;
  private readonly snapshotServer: SnapshotServer;
  private readonly snapshotFetcher: SnapshotFetcher;
  private transport!: UdpTransport;
  private checkpoints = 0;
  /** When the checkpoint builder last prepared a snapshot (wall-clock ms). */
  private snapshotPreparedAt = -Infinity;
  /** A lagging peer needs a snapshot and the source asked the checkpoint builder for one (see checkpointIfDue). */
  private snapshotWanted = false;
  private lastCheckpointStallMs = 0;
  private commandsApplied = 0;
  /** Exponentially weighted average of own commands' submit-to-applied time. */
  private commitLatencyMs: number | null = null;
  /** Joining, answering joins, removing members: the membership commands this node proposes. */
  private readonly admin: MembershipAdmin;
  /** What the transport's peers were last derived from (epochs, or the members a join contact named). */
  private transportMembersSource: unknown = null;
  /** Messages (and forwarded commands) this runtime dropped, by reason: the validation boundary (`invalid-*`), a full inbox. */
  private readonly droppedByRuntime: Record<string, number> = {};
  private readonly protocolConfig: ProtocolConfig;
  private readonly loopMonitor = new LoopMonitor(LOOP_DELAY_WINDOW_INTERVALS);
  /** Catch-up replies and snapshot chunks: paced per peer, after each turn's protocol messages. */
  private readonly bulk: BulkSender;
  private bulkTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly snapshotSource: SnapshotSource;

  private constructor(
    private readonly options: NodeOptions,
    private readonly store: ReplicaStore,
    private readonly replica: Replica,
    private readonly lock: DataDirLock,
    clusterId: string,
    private readonly logger: Logger,
    sqlJs: SqlJsStatic,
    private readonly recovery: RecoveryTracker,
  ) {
    this.id = options.id;
    this.name = options.name ?? options.id;
    this.checkpointBuilder = options.checkpointWorker === undefined ? null : new CheckpointBuilder(options.checkpointWorker);
    this.clusterId = clusterId;
    this.requests = new ClientRequests(options.requestTimeoutMs ?? 5_000);
    this.lastStatus = replica.status();
    this.protocolConfig = protocolConfigOf(options);
    this.bulk = new BulkSender({
      send: (messages) => this.transport.sendAll(messages),
      now: Date.now,
      wake: (delayMs) => {
        if (this.bulkTimer !== null) clearTimeout(this.bulkTimer);
        this.bulkTimer = setTimeout(() => {
          this.bulkTimer = null;
          if (!this.stopping) this.bulk.drain();
        }, delayMs);
      },
    });
    this.snapshotSource = SnapshotSource.forStore(store, sqlJs, {
      now: Date.now,
      maxStaleSlots: Math.floor(this.protocolConfig.snapshotCatchupSlots / 2),
      onError: (error) => logger.event('snapshot-build-failed', { reason: String(error) }),
      onFrozen: ({ slot, bytes, imageFrom, ms }) => logger.event('snapshot-ready', { slot, bytes, from: imageFrom, ms }),
      buildOffThread: () => {
        if (this.checkpointBuilder === null || this.store.nextCheckpointIsExport) return false;
        // Asked during a turn (a snapshot request): that turn's end starts the checkpoint, or the end of
        // the checkpoint in flight schedules the turn that does.
        this.snapshotWanted = true;
        return true;
      },
    });
    this.admin = new MembershipAdmin({
      id: this.id,
      membership: () => this.replica.membership(),
      isMember: () => this.isMember(),
      propose: (payload) => this.replica.propose(payload),
      wait: (key) => this.requests.wait(key),
      reachablePeers: () => this.reachablePeerIds(),
      send: (message) => this.transport.send(message),
      setJoinContact: (address) => this.transport.setJoinContact(address),
      strangerAddress: (id) => this.transport.strangerAddress(id),
      onContactMembers: () => this.syncTransportMembers(),
      logger,
    });
    this.clusterTrace = new ClusterTrace({
      self: this.id,
      members: () => this.replica.status().members?.map((member) => member.id) ?? [],
      send: (message) => this.transport.send(message),
      push: (batch) => this.bulk.push(batch),
      now: Date.now,
    });
    this.clusterControl = new ClusterControl({
      self: this.id,
      members: () => this.replica.status().members?.map((member) => member.id) ?? [],
      send: (message) => this.transport.send(message),
      now: Date.now,
      onFaultsChanged: () => this.applyFaults(),
      campaign: () => {
        if (!this.isMember()) return false;
        this.campaignAsked = true;
        this.schedule();
        return true;
      },
    });
    this.snapshotServer = new SnapshotServer({ self: this.id, source: this.snapshotSource, push: (chunk, key) => this.bulk.push(chunk, key), now: Date.now });
    this.snapshotFetcher = new SnapshotFetcher({
      self: this.id,
      send: (requests) => this.transport.sendAll(requests),
      now: Date.now,
      retryMs: SNAPSHOT_RETRY_MS,
      onComplete: (bytes, from, slot, timing) => {
        this.logger.event('snapshot-fetched', { from, slot, bytes: timing.transferredBytes, waitMs: timing.waitMs, transferMs: timing.transferMs, decodeMs: timing.decodeMs });
        this.snapshotToInstall = { bytes, from };
        this.schedule();
      },
    });
  }

  /** Opens the data directory (recovery), binds the UDP socket and starts the loop. */
  static async start(options: NodeOptions): Promise<ReplicaNode> {
    const logger = options.logger ?? silentLogger;
    const lock = lockDataDir(options.dataDir);
    let store: ReplicaStore | null = null;
    try {
      const fs = new NodeFileSystem();
      const { clusterIdHex } = deriveClusterKeys(options.secret);
      const sqlJs = await initSqlJs();
      const contact = options.join ?? null;
      const joining = contact !== null;
      // Addresses in the membership are hints for reaching a member first; the traffic corrects them.
      const ownAddress = options.listen.port === 0 ? '' : formatAddress(options.listen.host, options.listen.port);
      const bootstrap = joining ? null : bootstrapMembership([{ id: options.id, address: ownAddress }, ...[...options.peers].map(([id, address]) => ({ id, address: formatAddress(address.host, address.port) }))]);
      store = ReplicaStore.open(fs, sqlJs, options.dataDir, {
        nodeId: options.id,
        clusterId: clusterIdHex,
        onWarning: (message) => logger.event('recovery-warning', { message }),
        bootstrapMembership: bootstrap,
      });
      const durable = store.takeDurableState();
      logRecovery(logger, store.recovery, durable);
      const recovered = durable.membership ?? null;
      if (joining && recovered !== null) refuseToDiscard(options.id, options.dataDir, recovered, store);
      const replica = new Replica({ id: options.id, rng: seededRandom(randomInt(2 ** 31)), config: protocolConfigOf(options), durable });
      const node = new ReplicaNode(options, store, replica, lock, clusterIdHex, logger, sqlJs, new RecoveryTracker(store.recovery, Date.now(), durable.appliedIndex));
      node.transport = await UdpTransport.open({
        self: options.id,
        listenHost: options.listen.host,
        listenPort: options.listen.port,
        secret: options.secret,
        epoch: nextTransportEpoch(fs, options.dataDir),
        peerEpochs: PeerEpochs.open(fs, options.dataDir, { onError: (error) => logger.event('peer-epochs-write-failed', { reason: String(error) }) }),
        members: node.transportMembers(),
        ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
        // Twice the longest election timeout: a datagram older than that tells nothing about its sender now.
        staleAfterMs: 2 * longestElectionTimeoutMs(options),
        onMessage: (message) => node.receive(message),
        onTrace: (event) => node.observe(event),
        onSendError: (message, reason, detail) => logger.event('send-failed', { type: message.type, to: message.to, reason, detail }),
      });
      if (contact !== null && recovered === null) node.admin.startJoining(contact);
      node.startTimers();
      node.registerUser();
      const address = node.transport.address();
      const members = replica.status().members?.map((m) => m.id).join(',') ?? '(joining)';
      logger.event('started', { listen: `${address.host}:${address.port}`, members, cluster: clusterIdHex });
      return node;
    } catch (error) {
      // Whatever opened must close, so a caller can retry or move the directory (Windows refuses to rename open files).
      store?.close();
      lock.release();
      throw error;
    }
  }

  get app(): MicroBlog {
    return this.store.app;
  }

  /** Proposes a command as this node's user; resolves once it is chosen and applied here. */
  submit(command: AppCommand): Promise<CommandReceipt> {
    if (this.stopping) return Promise.reject(new NodeError('unavailable', 'The node is shutting down.'));
    const verdict = this.store.app.prepareCommand(this.id, command);
    if (!verdict.ok) return Promise.reject(new NodeError('invalid', verdict.message));
    const result = this.replica.propose(encodeCommand(verdict.command));
    if (!result.ok) return Promise.reject(new NodeError(result.reason === 'overloaded' ? 'unavailable' : 'invalid', result.message));
    const waiting = this.requests.wait(commandKey(result.command.origin, result.command.seq));
    this.schedule();
    return waiting;
  }

  /** What this node knows about itself now (the service shows it as the API's NodeStatus). */
  state(): NodeState {
    const core = this.replica.status();
    const membership = this.replica.membership();
    const stats = this.transport.stats();
    const journal = this.store.journalStats;
    const now = Date.now();
    return {
      id: this.id,
      name: this.name,
      clusterId: this.clusterId,
      address: this.address(),
      version: this.options.version ?? 'dev',
      startedAt: this.startedAt,
      takenAt: now,
      core,
      isMember: this.isMember(),
      latestEpoch: membership === null ? null : latestEpoch(membership),
      joining: this.admin.joining(),
      peers: this.peers(now),
      dropped: {
        ...stats.dropped,
        ...this.droppedByRuntime,
        ...this.snapshotServer.dropped(),
        ...this.snapshotFetcher.dropped(),
        ...this.clusterTrace.dropped(),
        ...this.clusterControl.dropped(),
        ...Object.fromEntries(Object.entries(this.bulk.stats().dropped).map(([reason, count]) => [`bulk-${reason}`, count])),
      },
      memberMismatch: stats.memberMismatch.map(({ peer, since }) => ({ peer, since })),
      leaderChanges: [...this.elections],
      recovery: this.recovery.report(),
      remoteFaults: this.clusterControl.heldFaults(),
      counters: {
        journal: { syncs: journal.syncs, bytes: journal.bytes },
        datagrams: { received: stats.receivedDatagrams, sent: stats.sentDatagrams, receivedBytes: stats.receivedBytes, sentBytes: stats.sentBytes },
        checkpoints: { started: this.checkpoints, lastStallMs: this.lastCheckpointStallMs },
        commandsApplied: this.commandsApplied,
        commitLatencyMs: this.commitLatencyMs,
        loopDelay: this.loopMonitor.delay(),
      },
    };
  }

  /** The protocol core's status alone (cheaper than state()). */
  coreStatus(): ReplicaStatus {
    return this.replica.status();
  }

  /** This node's UDP address, `host:port`. */
  address(): string {
    const address = this.transport.address();
    return `${address.host}:${address.port}`;
  }

  /** The transport's peers as of `now` (wall-clock ms), with whether each is reachable (heard within the window). */
  peers(now = Date.now()): PeerState[] {
    return this.transport.peers().map((peer) => {
      const lastHeardMs = peer.lastHeardAt === null ? null : now - peer.lastHeardAt;
      return { id: peer.id, address: peer.address, lastHeardMs, reachable: this.isReachable(lastHeardMs), commitIndex: this.peerCommit.get(peer.id) ?? null };
    });
  }

  /** The other members a brand-new cluster started from (the bootstrap list of the configuration). */
  bootstrapPeers(): { id: NodeId; address: string }[] {
    return [...this.options.peers].map(([id, address]) => ({ id, address: formatAddress(address.host, address.port) }));
  }

  /** Retained log rows (the service turns them into views). */
  logRows(fromSlot: number, toSlot: number, limit: number): LogRow[] {
    return this.store.logRows(fromSlot, toSlot, limit);
  }

  /** The faults this node's own dashboard set (those members asked for are in state().remoteFaults). */
  faults(): Faults {
    return this.localFaults;
  }

  setFaults(faults: Partial<Faults>): Faults {
    const next = { ...this.localFaults, ...faults };
    this.transport.setFaults(combineFaults([next, ...this.clusterControl.heldFaultSets()]));
    this.localFaults = { dropRate: next.dropRate, delayMs: next.delayMs, isolate: [...new Set(next.isolate)] };
    this.logFaults();
    return this.localFaults;
  }

  /** Asks `member` (this node too) to hold `faults` for `ttlMs` (0: clear); resolves once it acknowledged. */
  clusterFaults(member: NodeId, faults: Faults, ttlMs: number): Promise<void> {
    if (this.stopping) return Promise.reject(new NodeError('unavailable', 'The node is shutting down.'));
    return this.clusterControl.requestFaults(member, faults, ttlMs);
  }

  /** Asks `member` (this node too) to campaign for leadership now; resolves once it acknowledged. */
  campaignNow(member: NodeId): Promise<void> {
    if (this.stopping) return Promise.reject(new NodeError('unavailable', 'The node is shutting down.'));
    return this.clusterControl.requestCampaign(member);
  }

  /** The transport's faults: this node's own with every set members asked for. */
  private applyFaults(): void {
    this.transport.setFaults(combineFaults([this.localFaults, ...this.clusterControl.heldFaultSets()]));
    this.logFaults();
  }

  private logFaults(): void {
    const inForce = this.transport.faults();
    this.logger.event('faults', { ...inForce, isolate: inForce.isolate.join(','), remote: this.clusterControl.heldFaults().map((held) => held.from).join(',') });
  }

  /** The whole cluster's recent messages on this node's clock; unless query.watch is false, asking is what keeps this node watching. */
  clusterTraceView(query: ClusterTraceQuery): ClusterTraceView {
    return this.clusterTrace.view(query);
  }

  subscribe(listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Clean shutdown: stop the loop, finish the running checkpoint, take a final one, close everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopTimers();
    await this.turnRunning;
    this.requests.failAll('The node is shutting down. Queued commands are on disk and will be proposed again when it restarts.');
    this.clusterControl.failAll('The node is shutting down.');
    await this.transport.close();
    // Wait for a running checkpoint instead of abandoning it: its file must not be renamed into place
    // after the final one below.
    await this.checkpointInFlight;
    await this.checkpointBuilder?.close();
    this.store.close();
    this.lock.release();
    this.logger.event('stopped');
  }

  private receive(message: WireMessage): void {
    // The cluster trace never reaches the core: handled on arrival, its clock stamps are not held up by a turn's fsync.
    if (isTraceTraffic(message)) {
      const admitted = admitInbound(message, { commitIndex: this.replica.commitIndex, config: this.protocolConfig }, (reason) => this.countDrop(reason));
      if (admitted !== null && isTraceTraffic(admitted)) this.clusterTrace.onMessage(admitted);
      return;
    }
    // Cluster control neither: handled on arrival (a campaign it asks for reaches the core at the next turn).
    if (isControlTraffic(message)) {
      const admitted = admitInbound(message, { commitIndex: this.replica.commitIndex, config: this.protocolConfig }, (reason) => this.countDrop(reason));
      if (admitted !== null && isControlTraffic(admitted)) this.clusterControl.onMessage(admitted);
      return;
    }
    // While a turn waits for its fsync, datagrams queue here. A flood (or a long fsync) must not grow it
    // without bound: past the cap they are dropped like a full socket buffer would, and counted.
    if (this.inbox.length >= MAX_INBOX_MESSAGES) {
      this.droppedByRuntime['inbox-full'] = (this.droppedByRuntime['inbox-full'] ?? 0) + 1;
      return;
    }
    this.inbox.push(message);
    this.schedule();
  }

  /** Runs a turn soon, unless one is queued or running (a running turn re-schedules when it ends). */
  private schedule(): void {
    if (this.turnScheduled || this.turnRunning !== null || this.stopping) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      // schedule() called during a turn's first synchronous part (before turnRunning is set) lands here
      // while that turn awaits its fsync: two turns at once would take two Readys. The running turn
      // schedules the next one when it ends.
      if (this.stopping || this.turnRunning !== null) return;
      this.turnRunning = this.turn()
        .catch((error: unknown) => this.fatal(error))
        .finally(() => {
          this.turnRunning = null;
          if (this.inbox.length > 0 || this.ticksOwed > 0 || this.snapshotToInstall !== null || this.replica.hasPendingOutput()) this.schedule();
        });
    });
  }

  /**
   * One turn. While it waits for its fsync, datagrams and ticks only queue up; the next turn takes
   * them all at once (group commit), and the core never sees an input before its last turn is durable.
   */
  private async turn(): Promise<void> {
    this.installSnapshotIfReady();
    // Time first, then the messages read meanwhile: they were queued while that time passed (in the
    // socket during a stall of ours), so a stall of ours does not expire a timer that its peers'
    // queued messages reset. A timeout that does expire in the ticks (our stall outlasted it) ends in
    // this turn when the queued messages show the leader alive: it is learned as one of its gaps.
    for (; this.ticksOwed > 0; this.ticksOwed--) this.replica.tick();
    const inbox = this.inbox.splice(0);
    for (const message of inbox) this.dispatch(message);
    if (this.campaignAsked) {
      this.campaignAsked = false;
      this.logger.event('campaign-asked', { started: this.replica.campaignNow() });
    }
    this.snapshotFetcher.tick();
    // One Ready per turn: a Ready's work is bounded (maxCommittedCommandsPerReady), and the next turn
    // is scheduled after the event loop served timers and datagrams, so a replica with thousands of
    // slots to apply keeps heartbeating and answering meanwhile.
    const ready = this.replica.ready();
    if (isEmptyReady(ready)) this.replica.advance(ready);
    else await this.process(ready);
    this.snapshotSource.prepareWhenQuiet(this.peerMayNeedSnapshot(), SNAPSHOT_QUIET_MS);
    this.checkpointIfDue();
    this.syncTransportMembers();
    this.admin.tick(Date.now());
    this.noteStatusChanges();
  }

  /** Everyone who takes part in deciding the next slots (pending members too), with addresses: our peers. */
  private transportMembers(): Map<NodeId, HostPort> {
    const membership = this.replica.membership();
    const members = membership === null ? this.admin.contactMembers : relevantMembers(membership);
    const known = new Map(this.transport === undefined ? [] : this.transport.peers().map((peer) => [peer.id, peer.address]));
    const peers = new Map<NodeId, HostPort>();
    for (const member of members) {
      if (member.id === this.id) continue;
      // The transport follows a peer that moved; the recorded address is only the starting point
      // (and may be unknown: a wildcard or ephemeral listen address means nothing elsewhere).
      peers.set(member.id, parseHostPort(known.get(member.id) ?? member.address) ?? UNKNOWN_ADDRESS);
    }
    return peers;
  }

  /**
   * Keeps the transport's peers equal to the membership as it changes through the log. Runs after
   * every turn, so it does nothing unless the epochs (or a join contact's list) changed: applying a
   * slot without a membership change keeps the same epochs array.
   */
  private syncTransportMembers(): void {
    const source = this.replica.membership()?.epochs ?? this.admin.contactMembers;
    if (source === this.transportMembersSource) return;
    this.transportMembersSource = source;
    const next = this.transportMembers();
    const current = this.transport.peers();
    if (current.length === next.size && current.every((peer) => next.has(peer.id))) return;
    for (const peer of current) if (!next.has(peer.id)) this.bulk.forget(peer.id);
    this.transport.setMembers(next);
    this.logger.event('members', { peers: [...next.keys()].join(',') });
  }

  /** Whether this node is in the configuration of the first unchosen slot. */
  isMember(): boolean {
    return this.replica.status().members?.some((m) => m.id === this.id) ?? false;
  }

  /** Proposes removing `id` (MembershipAdmin.removeMember says when it is refused); resolves once chosen and applied here. */
  removeMember(id: NodeId, force: boolean): Promise<CommandReceipt> {
    if (this.stopping) return Promise.reject(new NodeError('unavailable', 'The node is shutting down.'));
    const waiting = this.admin.removeMember(id, force);
    this.schedule();
    return waiting;
  }

  /** Whether this node holds history of its own (tweets, other users) that joining another cluster would discard. */
  hasHistory(): boolean {
    return this.store.app.users().some((user) => user.id !== this.id) || this.store.app.timeline(this.id, { limit: 1 }).length > 0;
  }

  /** The journal failed (disk full, I/O error): continuing could break promises, so the node stops. */
  private fatal(error: unknown): void {
    this.logger.event('fatal', { reason: String(error) });
    this.stopping = true;
    this.stopTimers();
    this.requests.failAll(`The node stopped after a storage failure: ${String(error)}`);
    (this.options.onFatal ?? ((e: unknown) => setImmediate(() => { throw e; })))(error);
  }

  private dispatch(received: WireMessage): void {
    const message = admitInbound(received, { commitIndex: this.replica.commitIndex, config: this.protocolConfig }, (reason) => {
      this.droppedByRuntime[reason] = (this.droppedByRuntime[reason] ?? 0) + 1;
    });
    if (message === null) return;
    if (message.type === 'ping' || message.type === 'commit' || message.type === 'commitAck') this.peerCommit.set(message.from, message.commitIndex);
    switch (message.type) {
      case 'ping':
        return;
      case 'snapshotRequest':
        this.snapshotServer.onRequest(message);
        return;
      case 'snapshotChunk':
        this.snapshotFetcher.onChunk(message);
        return;
      case 'join':
        return this.admin.onJoin(message.from);
      case 'joinReply':
        this.admin.onJoinReply(message);
        return;
      case 'traceRequest':
      case 'traceClock':
      case 'traceBatch':
      case 'faultRequest':
      case 'campaignRequest':
      case 'controlAck':
        return; // handled on arrival (receive()), never queued
      default:
        this.replica.step(message);
    }
  }

  private async process(ready: Ready): Promise<void> {
    // Bulk traffic never delays protocol traffic: catch-up replies go out paced, after this turn's other messages.
    const protocol = ready.messages.filter((message) => message.type !== 'catchupReply');
    // Messages that reveal nothing this turn makes durable leave first, so the followers' fsyncs overlap ours.
    this.transport.sendAll(protocol.filter(mayPrecedePersist));
    this.store.stage(ready.persist);
    if (needsFsync(ready.persist)) await this.store.syncAsync();
    else this.store.writeStaged();
    this.transport.sendAll(protocol.filter((message) => !mayPrecedePersist(message)));
    for (const reply of ready.messages) {
      if (reply.type === 'catchupReply') this.bulk.push(reply as BulkMessage, `catchup/${reply.entries[0]?.slot ?? 0}-${reply.entries.at(-1)?.slot ?? 0}`);
    }
    this.bulk.drain();
    this.applyCommitted(ready);
    this.replica.advance(ready);
    if (ready.snapshotFrom !== null && this.snapshotToInstall === null) this.snapshotFetcher.start(ready.snapshotFrom);
    this.compactIfDue();
    this.noteRecoveryProgress();
  }

  /** Until it has caught up after its start, the slots this node applies were learned from its peers. */
  private noteRecoveryProgress(): void {
    const { appliedIndex, members } = this.replica.status();
    const reported = [...this.peerCommit.values()];
    const peersCommit = reported.length === 0 ? null : Math.max(...reported);
    const alone = members !== null && members.every((member) => member.id === this.id);
    if (!this.recovery.noteProgress(appliedIndex, peersCommit, alone)) return;
    const { learnedFromPeers, snapshotInstalled } = this.recovery.report();
    this.logger.event('caught-up', { learned: learnedFromPeers === null ? 'none' : `${learnedFromPeers[0]}-${learnedFromPeers[1]}`, snapshot: snapshotInstalled, ms: Date.now() - this.startedAt });
  }

  private applyCommitted(ready: Ready): void {
    if (ready.committed.length === 0) return;
    for (const { slot, command, outcome, membership } of this.store.apply(ready.committed)) {
      this.commandsApplied++;
      if (membership !== undefined) this.admin.noteChosen(slot, command, membership);
      if (command.origin !== this.id || outcome.status === 'duplicate') continue;
      const rejection = membership?.status === 'rejected' ? membership.message : outcome.status === 'rejected' ? outcome.message : null;
      const tookMs = this.requests.settle(commandKey(command.origin, command.seq), rejection === null ? { status: 'applied', slot } : { status: 'rejected', slot, message: rejection });
      if (tookMs !== undefined) this.commitLatencyMs = this.commitLatencyMs === null ? tookMs : 0.9 * this.commitLatencyMs + 0.1 * tookMs;
    }
    const first = ready.committed[0];
    const last = ready.committed.at(-1);
    if (first !== undefined && last !== undefined) this.emit({ type: 'chosen', fromSlot: first.slot, toSlot: last.slot });
  }

  private installSnapshotIfReady(): void {
    const pending = this.snapshotToInstall;
    if (pending === null || this.checkpointInFlight !== null) return; // installing checkpoints: one at a time
    this.snapshotToInstall = null;
    let installed: ReturnType<ReplicaStore['installSnapshot']>;
    const appliedBefore = this.store.appliedIndex;
    const installStart = performance.now();
    try {
      installed = this.store.installSnapshot(pending.bytes);
    } catch (error) {
      // Failing after the state was replaced (moving this replica's own rows in) leaves the store ahead
      // of the core: a storage failure, never carried on from. An invalid snapshot changed nothing.
      if (this.store.appliedIndex !== appliedBefore) throw new Error(`installing a snapshot failed after the state machine was replaced: ${String(error)}`, { cause: error });
      this.logger.event('snapshot-rejected', { from: pending.from, reason: String(error) });
      return;
    }
    if (installed === null) return;
    this.replica.installSnapshot(installed.slot, installed.ledger, installed.membership);
    this.recovery.noteSnapshotInstalled();
    this.logger.event('snapshot-installed', { from: pending.from, slot: installed.slot, bytes: pending.bytes.length, ms: Math.round(performance.now() - installStart) });
    // Our own commands inside the snapshot were never applied one by one here: answer their callers.
    for (const id of this.requests.ids()) {
      const { origin, seq } = parseCommandKey(id);
      const outcome = this.store.app.commandOutcome(origin, seq);
      if (outcome !== null) this.requests.settle(id, outcome.status === 'applied' ? { status: 'applied', slot: outcome.slot } : { status: 'rejected', slot: outcome.slot, message: outcome.message });
    }
    this.emit({ type: 'chosen', fromSlot: installed.slot, toSlot: installed.slot });
  }

  private compactIfDue(): void {
    const retain = this.options.retainSlots ?? DEFAULT_RETAIN_SLOTS;
    const { appliedIndex, compactedThrough } = this.replica.status();
    if (appliedIndex - compactedThrough < retain + COMPACTION_STEP_SLOTS) return;
    const slot = appliedIndex - retain;
    this.store.compact(slot);
    this.replica.compact(slot);
  }

  /**
   * Starts the next checkpoint when one is due. With a builder thread the replica only rolls its
   * journal (the stall is one fsync, whatever the database's size) and the builder writes the file;
   * otherwise, or right after a snapshot was installed (no journal record holds it), the database is
   * exported here and the file written off the turn.
   */
  private checkpointIfDue(): void {
    if (this.checkpointInFlight !== null) return;
    // A snapshot asked of the builder (SnapshotSource's buildOffThread) starts a checkpoint early.
    const snapshotAsked = this.snapshotWanted;
    if (!snapshotAsked && !this.store.checkpointDue()) return;
    this.snapshotWanted = false;
    this.checkpoints++;
    const stallStart = performance.now();
    const plan = this.checkpointBuilder === null ? null : this.store.planCheckpoint();
    let written: Promise<WrittenCheckpoint>;
    if (plan !== null && this.checkpointBuilder !== null) {
      let snapshotCame = false;
      const request = { dir: this.options.dataDir, nodeId: this.id, clusterId: this.clusterId, plan, snapshot: snapshotAsked || this.snapshotLikelyNeeded() };
      written = this.checkpointBuilder
        .build(request, (built) => {
          snapshotCame = true;
          void this.snapshotSource.offer(built);
        })
        .finally(() => {
          // A failed build, or none made: the next request asks again.
          if (snapshotAsked && !snapshotCame) this.snapshotSource.offThreadBuildFailed();
        });
    } else {
      const pending = this.store.beginCheckpoint();
      written = writeCheckpointInBackground(pending.dir, pending.image).then(() => pending);
      // A snapshot was installed since it was asked: this checkpoint is an export, without one.
      if (snapshotAsked) this.snapshotSource.offThreadBuildFailed();
    }
    this.lastCheckpointStallMs = performance.now() - stallStart;
    this.checkpointInFlight = written
      .then((checkpoint) => this.store.finishCheckpoint(checkpoint))
      .catch((error: unknown) => this.logger.event('checkpoint-failed', { reason: String(error), note: 'the journal keeps everything; retrying later' }))
      .finally(() => {
        this.checkpointInFlight = null;
        this.schedule();
      });
  }

  /**
   * A member far behind, or not heard from lately (asleep, restarting), will ask for a snapshot: the
   * checkpoint builder then makes one from the image it writes anyway, so it is ready when asked.
   */
  private snapshotLikelyNeeded(): boolean {
    // At most one every SNAPSHOT_PREPARE_INTERVAL_MS: under load checkpoints come every few seconds, and
    // preparing a snapshot at each costs CPU that a 2-core machine's leader needs for its heartbeats.
    const now = Date.now();
    if (now - this.snapshotPreparedAt < SNAPSHOT_PREPARE_INTERVAL_MS) return false;
    const needed = this.peerMayNeedSnapshot();
    if (needed) this.snapshotPreparedAt = now;
    return needed;
  }

  /** Some peer is not heard from lately (asleep, restarting) or far behind: it may ask for a snapshot. */
  private peerMayNeedSnapshot(): boolean {
    const { commitIndex } = this.replica.status();
    const far = this.protocolConfig.snapshotCatchupSlots / 2;
    return this.peers().some((peer) => !peer.reachable || (peer.commitIndex !== null && commitIndex - peer.commitIndex > far));
  }

  /** Logs and publishes leadership changes; remembers them for the inspector. */
  private noteStatusChanges(): void {
    const now = this.replica.status();
    const before = this.lastStatus;
    this.lastStatus = now;
    if (now.leader === before.leader && ballotsEqual(now.ballot, before.ballot) && now.role === before.role) return;
    if (now.role === 'candidate' && before.role !== 'candidate') this.logger.event('campaigning', { ballot: formatBallot(now.ballot), leader: now.leader ?? 'none' });
    if (now.role === 'leader' && before.role !== 'leader') this.logger.event('elected', { ballot: formatBallot(now.ballot) });
    if (before.role === 'leader' && now.role !== 'leader') this.logger.event('lost-leadership', { ballot: formatBallot(before.ballot) });
    if (now.leader !== before.leader) {
      this.elections.push({ at: Date.now(), leader: now.leader, ballot: now.ballot });
      if (this.elections.length > ELECTIONS_KEPT) this.elections.shift();
      if (now.leader !== null && now.leader !== this.id) this.logger.event('following', { leader: now.leader, ballot: formatBallot(now.ballot) });
    }
    this.emit({ type: 'state', state: this.state() });
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    if (this.bulkTimer !== null) clearTimeout(this.bulkTimer);
    this.loopMonitor.stop();
  }

  private startTimers(): void {
    const tickMs = this.options.tickMs ?? DEFAULT_TICK_MS;
    const clock = new TickClock(tickMs, Math.ceil(longestElectionTimeoutMs(this.options) / tickMs), performance.now());
    this.timers.push(
      setInterval(() => {
        // The ticks that passed, however late this callback runs: a busy replica's time must not run slow.
        this.ticksOwed += clock.due(performance.now());
        this.schedule();
      }, tickMs),
      setInterval(() => {
        const { maxMs } = this.loopMonitor.rotate();
        if (maxMs > (STALL_WARNING_FRACTION * this.electionTimeoutMs()) / 2) this.logger.event('event-loop-stall', { maxMs, electionTimeoutMs: this.electionTimeoutMs() / 2 });
        this.publishStatus();
      }, STATUS_EVENT_INTERVAL_MS),
      setInterval(() => {
        if (this.turnRunning === null) this.store.flushTables();
      }, TABLES_FLUSH_INTERVAL_MS),
      setInterval(() => {
        const commitIndex = this.replica.status().commitIndex;
        for (const peer of this.transport.peers()) this.transport.send({ type: 'ping', from: this.id, to: peer.id, commitIndex });
      }, PING_INTERVAL_MS),
      setInterval(() => {
        const { messages } = this.trace.take();
        if (messages.length > 0) this.emit({ type: 'trace', messages });
      }, TRACE_FLUSH_INTERVAL_MS),
      setInterval(() => this.clusterTrace.tick(), CLUSTER_TRACE_TICK_MS),
      setInterval(() => this.clusterControl.tick(), CONTROL_TICK_MS),
    );
  }

  /** Periodic state (last-heard times move on) and peer up/down log lines. */
  private publishStatus(): void {
    const state = this.state();
    const reachable = new Set(state.peers.filter((p) => p.reachable).map((p) => p.id));
    for (const peer of state.peers) {
      if (reachable.has(peer.id) && !this.reachablePeers.has(peer.id)) this.logger.event('peer-up', { peer: peer.id, address: peer.address });
      if (!reachable.has(peer.id) && this.reachablePeers.has(peer.id)) this.logger.event('peer-down', { peer: peer.id, address: peer.address });
    }
    this.reachablePeers = reachable;
    this.emit({ type: 'state', state });
  }

  /** The user hosted here is registered with its display name (once; renames re-register). */
  private registerUser(): void {
    if (this.store.app.user(this.id)?.name === this.name) return;
    this.submit({ type: 'register', name: this.name, at: Date.now() }).catch((error: unknown) => {
      if (!(error instanceof NodeError && error.kind === 'pending')) this.logger.event('register-failed', { reason: String(error) });
    });
  }

  /** Every message the transport sent or received: this node's trace, and its watchers' (only while someone watches). */
  private observe({ direction, message, dropped, bytes }: TraceEvent): void {
    const record = traceOf(message, direction, dropped, Date.now(), bytes);
    if (record === null) return;
    this.trace.record(record);
    this.clusterTrace.record(record);
  }

  private countDrop(reason: string): void {
    this.droppedByRuntime[reason] = (this.droppedByRuntime[reason] ?? 0) + 1;
  }

  private emit(event: NodeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The longest election timeout (the timeout is drawn from [electionTicks, 2 * electionTicks) ticks). */
  private electionTimeoutMs(): number {
    return protocolConfigOf(this.options).electionTicks * (this.options.tickMs ?? DEFAULT_TICK_MS) * 2;
  }

  /** A peer counts as reachable if heard from within this window. */
  /** Peers heard from within the reachability window (this node excluded). */
  private reachablePeerIds(): Set<NodeId> {
    const now = Date.now();
    return new Set(this.transport.peers().filter((peer) => this.isReachable(peer.lastHeardAt === null ? null : now - peer.lastHeardAt)).map((peer) => peer.id));
  }

  private isReachable(lastHeardMs: number | null): boolean {
    return lastHeardMs !== null && lastHeardMs <= this.reachableWindowMs();
  }

  private reachableWindowMs(): number {
    return Math.max(1_500, 3 * this.electionTimeoutMs());
  }
}

/** The protocol configuration of a real node: the core's defaults with the runtime's election timeout. */
function protocolConfigOf(options: NodeOptions): ProtocolConfig {
  return { ...DEFAULT_PROTOCOL_CONFIG, electionTicks: DEFAULT_ELECTION_TICKS, ...options.protocol };
}

/**
 * The longest a follower waits for its leader before it campaigns: its adaptive threshold (at most
 * MAX_FACTOR times the minimum) plus the random part (up to the minimum). election-timer.ts.
 */
function longestElectionTimeoutMs(options: NodeOptions): number {
  return (MAX_FACTOR + 1) * protocolConfigOf(options).electionTicks * (options.tickMs ?? DEFAULT_TICK_MS);
}

/**
 * Joining discards whatever cluster this data directory belongs to; a one-node cluster's own history is
 * discarded only with consent (the caller moves the directory aside first). A directory of a cluster
 * this node is a member of with others just restarts it (the join already happened).
 */
function refuseToDiscard(id: NodeId, dataDir: string, membership: MembershipState, store: ReplicaStore): void {
  const members = latestEpoch(membership).members;
  if (members.length > 1 || members[0]?.id !== id) return;
  // The caller closes the store as it unwinds.
  throw new StorageError(
    'holds-own-history',
    `${dataDir} holds ${id}'s own one-node cluster (${store.appliedIndex} slots). Joining another cluster would discard that history: pass --discard-history to keep it aside (renamed) and join, or use another --data directory.`,
  );
}

/** One line for the log: how the data directory brought the node back (the dashboard's recovery banner says the same). */
function logRecovery(logger: Logger, recovery: StoreRecovery, durable: DurableState): void {
  const { ms, checkpointSlot, checkpointBytes, journalRecords, replayedSlots, tornTailTruncated } = recovery;
  logger.event('recovered', {
    ms: Math.round(ms),
    checkpoint: checkpointSlot,
    checkpointBytes,
    journalRecords,
    replayed: replayedSlots === null ? 'none' : `${replayedSlots[0]}-${replayedSlots[1]}`,
    ...(tornTailTruncated ? { tornTail: 'truncated' } : {}),
    applied: durable.appliedIndex,
    compacted: durable.compactedThrough,
    retained: durable.chosen.length,
  });
}
