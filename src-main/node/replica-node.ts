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
 *
 * The node's other jobs live beside it, each in its own module: store-maintenance.ts (snapshot install,
 * compaction, checkpoints), node-status.ts (what the node reports and logs about itself), faults-in-force.ts,
 * transport-members.ts, membership-admin.ts, cluster-trace.ts, cluster-control.ts and the snapshot transfers.
 */
import { randomInt } from 'node:crypto';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import type { ClusterTrace as ClusterTraceView, CommandReceipt, Faults } from '../../shared/domain';
import { encodeCommand, type AppCommand } from '../app/commands';
import type { MicroBlog } from '../app/microblog';
import type { ProtocolConfig } from '../core/config';
import { seededRandom } from '../core/random';
import { Replica } from '../core/replica';
import { commandKey, isEmptyReady, mayPrecedePersist, needsFsync, parseCommandKey, type NodeId, type Ready, type ReplicaStatus } from '../core/types';
import { nextTransportEpoch } from '../net/epoch';
import { deriveClusterKeys } from '../net/keys';
import { PeerEpochs } from '../net/peer-epochs';
import { formatAddress } from '../net/address';
import { UdpTransport, type TraceEvent } from '../net/udp-transport';
import { isControlTraffic, isTraceTraffic, type WireMessage } from '../net/wire';
import { CheckpointBuilder } from '../storage/checkpoint-builder';
import { NodeFileSystem } from '../storage/node-file-system';
import type { ReplicaStore } from '../storage/replica-store';
import { RecoveryTracker } from './recovery-tracker';
import type { LogRow } from '../storage/store-tables';
import { ClientRequests } from './client-requests';
import { admitInbound } from './inbound-check';
import { ClusterControl, CONTROL_TICK_MS, type CrashRequest } from './cluster-control';
import { FaultsInForce } from './faults-in-force';
import { LoopMonitor } from './loop-monitor';
import { MembershipAdmin } from './membership-admin';
import { NodeError } from './node-error';
import { drawnElectionTimeoutMaxMs, longestElectionTimeoutMs, protocolConfigOf, reportFatal, tickMsOf, type NodeOptions } from './node-options';
import type { NodeEvent, NodeState, PeerState } from './node-state';
import { NodeStatus } from './node-status';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import { silentLogger, type Logger } from './logger';
import { BulkSender, type BulkMessage } from './bulk-sender';
import { SnapshotSource } from './snapshot-source';
import { SnapshotFetcher, SnapshotServer } from './snapshot-transfer';
import { openStore } from './store-opening';
import { DEFAULT_RETAIN_SLOTS, StoreMaintenance } from './store-maintenance';
import { TraceBuffer, traceOf } from './trace-buffer';
import { TickClock } from './tick-clock';
import { CLUSTER_TRACE_TICK_MS, ClusterTrace, type ClusterTraceQuery } from './cluster-trace';
import { TransportMembers } from './transport-members';
import { LatencyProbe, noteArrival } from './latency-probe';

export type { NodeOptions } from './node-options';

/** A snapshot download re-asks its missing blocks after this long without a chunk. */
const SNAPSHOT_RETRY_MS = 200;
/** The event-loop delay figures in status cover this many status intervals. */
const LOOP_DELAY_WINDOW_INTERVALS = 10;
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
/** Every node pings every peer this often, so reachability is known between followers too. */
const PING_INTERVAL_MS = 500;

export class ReplicaNode {
  readonly id: NodeId;
  readonly name: string;
  readonly clusterId: string;
  /** Messages read since the last turn, with when they would have been read had this process not been busy. */
  private readonly inbox: { readonly message: WireMessage; readonly arrivedAtMs: number }[] = [];
  /** The transport's count of stale datagrams at the last turn (a growing count: a backlog is being read). */
  private staleDatagramsSeen = 0;
  /** Protocol time: ticks from a monotonic clock (tick-clock.ts); counts from startTimers(). */
  private tickClock: TickClock;
  private turnScheduled = false;
  private turnRunning: Promise<void> | null = null;
  private stopping = false;
  private readonly listeners = new Set<(event: NodeEvent) => void>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly requests: ClientRequests;
  private readonly trace = new TraceBuffer(TRACE_BATCH_MAX);
  /** The whole cluster's messages for a watching dashboard, and this node's own for the members watching it. */
  private readonly clusterTrace: ClusterTrace;
  /** Faults and campaigns members ask of each other (the Scenarios panel), and this node's own requests. */
  private readonly clusterControl: ClusterControl;
  /** Faults this node's own dashboard set (setFaults): in force together with the members' (cluster-control.ts). */
  private readonly faultsInForce: FaultsInForce;
  /** A member asked this node to campaign: the core's campaignNow() runs at the next turn. */
  private campaignAsked = false;
  /** Where sampled slots' time goes, when asked (NodeOptions.latencyProbe); null: nothing recorded. */
  private readonly probe: LatencyProbe | null;
  /** Who drops this replica and starts it again from disk when a member asks it to crash (node-host.ts); none: refused. */
  private crashHandler: ((request: CrashRequest) => string | null) | null = null;
  private readonly snapshotServer: SnapshotServer;
  private readonly snapshotFetcher: SnapshotFetcher;
  private transport!: UdpTransport;
  /** Joining, answering joins, removing members: the membership commands this node proposes. */
  private readonly admin: MembershipAdmin;
  private readonly transportMembers: TransportMembers;
  /** Snapshot install, compaction and checkpoints, between and after the turns. */
  private readonly maintenance: StoreMaintenance;
  /** What this node reports about itself (state(), the log's status lines), and the counters behind it. */
  private readonly status: NodeStatus;
  private readonly protocolConfig: ProtocolConfig;
  private readonly loopMonitor = new LoopMonitor(LOOP_DELAY_WINDOW_INTERVALS);
  /** Catch-up replies and snapshot chunks: paced per peer, after each turn's protocol messages. */
  private readonly bulk: BulkSender;
  private bulkTimer: ReturnType<typeof setTimeout> | null = null;

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
    this.clusterId = clusterId;
    this.requests = new ClientRequests(options.requestTimeoutMs ?? 5_000);
    this.probe = options.latencyProbe === true ? new LatencyProbe((fields) => logger.event('latency', fields)) : null;
    this.protocolConfig = protocolConfigOf(options);
    this.tickClock = this.newTickClock();
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
    this.status = new NodeStatus({
      id: this.id,
      name: this.name,
      clusterId,
      version: options.version ?? 'dev',
      electionTimeoutMaxMs: drawnElectionTimeoutMaxMs(options),
      now: Date.now,
      core: () => this.replica.status(),
      membership: () => this.replica.membership(),
      isMember: () => this.isMember(),
      address: () => this.address(),
      transportPeers: () => this.transport.peers(),
      transportStats: () => this.transport.stats(),
      journalStats: () => this.store.journalStats,
      joining: () => this.admin.joining(),
      droppedElsewhere: () => ({
        ...this.snapshotServer.dropped(),
        ...this.snapshotFetcher.dropped(),
        ...this.clusterTrace.dropped(),
        ...this.clusterControl.dropped(),
        ...Object.fromEntries(Object.entries(this.bulk.stats().dropped).map(([reason, count]) => [`bulk-${reason}`, count])),
      }),
      recovery,
      remoteFaults: () => this.clusterControl.heldFaults(),
      checkpoints: () => this.maintenance.checkpointCounters(),
      loopMonitor: this.loopMonitor,
      logger,
    });
    const snapshotSource = SnapshotSource.forStore(store, sqlJs, {
      now: Date.now,
      maxStaleSlots: Math.floor(this.protocolConfig.snapshotCatchupSlots / 2),
      onError: (error) => logger.event('snapshot-build-failed', { reason: String(error) }),
      onFrozen: ({ slot, bytes, imageFrom, ms }) => logger.event('snapshot-ready', { slot, bytes, from: imageFrom, ms }),
      buildOffThread: () => this.maintenance.askSnapshotOffThread(),
    });
    this.maintenance = new StoreMaintenance({
      store,
      core: replica,
      builder: options.checkpointWorker === undefined ? null : new CheckpointBuilder(options.checkpointWorker),
      checkpointFor: { dir: options.dataDir, nodeId: this.id, clusterId },
      snapshotSource,
      peers: () => this.status.peers(),
      snapshotCatchupSlots: this.protocolConfig.snapshotCatchupSlots,
      retainSlots: options.retainSlots ?? DEFAULT_RETAIN_SLOTS,
      now: Date.now,
      schedule: () => this.schedule(),
      onSnapshotInstalled: ({ slot }) => {
        this.recovery.noteSnapshotInstalled();
        this.settleCommandsInSnapshot();
        this.emit({ type: 'chosen', fromSlot: slot, toSlot: slot });
      },
      logger,
    });
    this.admin = new MembershipAdmin({
      id: this.id,
      membership: () => this.replica.membership(),
      isMember: () => this.isMember(),
      propose: (payload) => this.replica.propose(payload),
      wait: (key) => this.requests.wait(key),
      reachablePeers: () => this.status.reachablePeerIds(),
      send: (message) => this.transport.send(message),
      setJoinContact: (address) => this.transport.setJoinContact(address),
      strangerAddress: (id) => this.transport.strangerAddress(id),
      onContactMembers: () => this.transportMembers.sync(),
      logger,
    });
    this.transportMembers = new TransportMembers({
      self: this.id,
      membership: () => this.replica.membership(),
      contactMembers: () => this.admin.contactMembers,
      // Before the transport is open (its first members are derived from here), it follows no one yet.
      transportPeers: () => (this.transport === undefined ? [] : this.transport.peers()),
      setTransportMembers: (peers) => this.transport.setMembers(peers),
      forget: (peer) => this.bulk.forget(peer),
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
      onFaultsChanged: () => this.faultsInForce.recombine(),
      campaign: () => {
        if (!this.isMember()) return false;
        this.campaignAsked = true;
        this.schedule();
        return true;
      },
      crash: (request) => {
        if (this.stopping) return 'it is stopping already';
        if (this.crashHandler === null) return 'it runs without a host that could start it again';
        return this.crashHandler(request);
      },
    });
    this.faultsInForce = new FaultsInForce({
      heldFaultSets: () => this.clusterControl.heldFaultSets(),
      heldFaults: () => this.clusterControl.heldFaults(),
      setTransportFaults: (faults) => this.transport.setFaults(faults),
      transportFaults: () => this.transport.faults(),
      logger,
    });
    this.snapshotServer = new SnapshotServer({ self: this.id, source: snapshotSource, push: (chunk, key) => this.bulk.push(chunk, key), now: Date.now });
    this.snapshotFetcher = new SnapshotFetcher({
      self: this.id,
      send: (requests) => this.transport.sendAll(requests),
      now: Date.now,
      retryMs: SNAPSHOT_RETRY_MS,
      onComplete: (bytes, from, slot, timing) => {
        this.logger.event('snapshot-fetched', { from, slot, bytes: timing.transferredBytes, waitMs: timing.waitMs, transferMs: timing.transferMs, decodeMs: timing.decodeMs });
        this.maintenance.snapshotFetched(bytes, from);
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
      const opened = openStore(fs, sqlJs, options, clusterIdHex, logger);
      store = opened.store;
      const { durable, recovered } = opened;
      const replica = new Replica({ id: options.id, rng: seededRandom(randomInt(2 ** 31)), config: protocolConfigOf(options), durable });
      const node = new ReplicaNode(options, store, replica, lock, clusterIdHex, logger, sqlJs, new RecoveryTracker(store.recovery, Date.now(), durable.appliedIndex));
      node.transport = await UdpTransport.open({
        self: options.id,
        listenHost: options.listen.host,
        listenPort: options.listen.port,
        secret: options.secret,
        epoch: nextTransportEpoch(fs, options.dataDir),
        peerEpochs: PeerEpochs.open(fs, options.dataDir, { onError: (error) => logger.event('peer-epochs-write-failed', { reason: String(error) }) }),
        members: node.transportMembers.current(),
        ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
        // Twice the longest election timeout: a datagram older than that tells nothing about its sender now.
        staleAfterMs: 2 * longestElectionTimeoutMs(options),
        onMessage: (message, ageMs) => node.receive(message, ageMs),
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
    const submittedAtMs = performance.now();
    if (this.stopping) return Promise.reject(new NodeError('unavailable', 'The node is shutting down.'));
    const verdict = this.store.app.prepareCommand(this.id, command);
    if (!verdict.ok) return Promise.reject(new NodeError('invalid', verdict.message));
    const result = this.replica.propose(encodeCommand(verdict.command));
    if (!result.ok) return Promise.reject(new NodeError(result.reason === 'overloaded' ? 'unavailable' : 'invalid', result.message));
    const key = commandKey(result.command.origin, result.command.seq);
    this.probe?.noteSubmitted(key, submittedAtMs);
    const waiting = this.requests.wait(key);
    this.schedule();
    return waiting;
  }

  /** What this node knows about itself now (the service shows it as the API's NodeStatus). */
  state(): NodeState {
    return this.status.state();
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
    return this.status.peers(now);
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
    return this.faultsInForce.local;
  }

  setFaults(faults: Partial<Faults>): Faults {
    return this.faultsInForce.setLocal(faults);
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

  /** Asks `member` (this node too) to crash and start again from its disk after `downMs`; resolves once it acknowledged. */
  crashMember(member: NodeId, downMs: number): Promise<void> {
    if (this.stopping) return Promise.reject(new NodeError('unavailable', 'The node is shutting down.'));
    return this.clusterControl.requestCrash(member, downMs);
  }

  /** Who serves crash requests (the host that can start this replica again); null: they are refused. */
  onCrashAsked(handler: ((request: CrashRequest) => string | null) | null): void {
    this.crashHandler = handler;
  }

  /** The whole cluster's recent messages on this node's clock; unless query.watch is false, asking is what keeps this node watching. */
  clusterTraceView(query: ClusterTraceQuery): ClusterTraceView {
    return this.clusterTrace.view(query);
  }

  subscribe(listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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

  /** Clean shutdown: stop the loop, finish the running checkpoint, take a final one, close everything. */
  async stop(): Promise<void> {
    await this.shutDown('stopped');
  }

  /**
   * Stops as a crash would, for a member that asked (node-host.ts starts a new replica from the data
   * directory later): no checkpoint on the way out, everything in memory dropped. A checkpoint already
   * being written is waited for, as in stop(): the disk then holds either checkpoint, and recovery
   * from either is what the crash-at-every-write-point tests check.
   */
  async crash(): Promise<void> {
    await this.shutDown('crashed');
  }

  private async shutDown(how: 'stopped' | 'crashed'): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopTimers();
    await this.turnRunning;
    this.requests.failAll('The node is shutting down. Queued commands are on disk and will be proposed again when it restarts.');
    this.clusterControl.failAll('The node is shutting down.');
    await this.transport.close();
    // Wait for a running checkpoint instead of abandoning it: its file must not be renamed into place
    // after the final one below.
    await this.maintenance.stop();
    if (how === 'stopped') this.store.close();
    else this.store.abandon();
    this.lock.release();
    this.logger.event(how);
  }

  /** `ageMs`: how long the message waited for us (the transport's estimate from its send time). */
  private receive(message: WireMessage, ageMs: number): void {
    // The cluster trace never reaches the core: handled on arrival, its clock stamps are not held up by a turn's fsync.
    if (isTraceTraffic(message)) {
      const admitted = admitInbound(message, { commitIndex: this.replica.commitIndex, config: this.protocolConfig }, (reason) => this.status.countDrop(reason));
      if (admitted !== null && isTraceTraffic(admitted)) this.clusterTrace.onMessage(admitted);
      return;
    }
    // Cluster control neither: handled on arrival (a campaign it asks for reaches the core at the next turn).
    if (isControlTraffic(message)) {
      const admitted = admitInbound(message, { commitIndex: this.replica.commitIndex, config: this.protocolConfig }, (reason) => this.status.countDrop(reason));
      if (admitted !== null && isControlTraffic(admitted)) this.clusterControl.onMessage(admitted);
      return;
    }
    // While a turn waits for its fsync, datagrams queue here. A flood (or a long fsync) must not grow it
    // without bound: past the cap they are dropped like a full socket buffer would, and counted.
    if (this.inbox.length >= MAX_INBOX_MESSAGES) {
      this.status.countDrop('inbox-full');
      return;
    }
    this.inbox.push({ message, arrivedAtMs: performance.now() - ageMs });
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
          if (this.inbox.length > 0 || this.maintenance.hasSnapshotToInstall || this.replica.hasPendingOutput()) this.schedule();
        });
    });
  }

  /**
   * One turn. While it waits for its fsync, datagrams and ticks only queue up; the next turn takes
   * them all at once (group commit), and the core never sees an input before its last turn is durable.
   */
  private async turn(): Promise<void> {
    const startedAtMs = performance.now();
    const staleDatagrams = this.transport.staleDatagrams;
    const drainingBacklog = staleDatagrams !== this.staleDatagramsSeen;
    this.staleDatagramsSeen = staleDatagrams;
    this.maintenance.installSnapshotIfReady();
    // Time and messages in the order they happened: each message after the ticks that passed before it
    // arrived (its arrival as the transport estimates it from its send time), then the ticks up to this
    // turn's start (what arrived since is read after it). Messages queued while this process was busy
    // (a long turn, a stall, SIGSTOP) thus count where they came: a stall of ours neither expires a
    // timer that the leader's queued heartbeats reset, nor lets a candidate give up before the answers
    // queued for it were read. While a stale backlog is being dropped, the present is still queued
    // behind it, so no time passes beyond the last message read: our own lateness is not the leader's silence.
    for (const { message, arrivedAtMs } of this.inbox.splice(0)) {
      this.passTime(arrivedAtMs);
      if (this.probe !== null) noteArrival(this.probe, message, arrivedAtMs);
      this.dispatch(message);
    }
    if (!drainingBacklog) this.passTime(startedAtMs);
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
    this.maintenance.prepareSnapshotWhenQuiet();
    this.maintenance.checkpointIfDue();
    this.transportMembers.sync();
    this.admin.tick(Date.now());
    if (this.status.noteLeadershipChanges()) this.emit({ type: 'state', state: this.state() });
  }

  /** The journal failed (disk full, I/O error): continuing could break promises, so the node stops. */
  private fatal(error: unknown): void {
    this.logger.event('fatal', { reason: String(error) });
    this.stopping = true;
    this.stopTimers();
    this.requests.failAll(`The node stopped after a storage failure: ${String(error)}`);
    reportFatal(this.options, error);
  }

  private dispatch(received: WireMessage): void {
    const message = admitInbound(received, { commitIndex: this.replica.commitIndex, config: this.protocolConfig }, (reason) => this.status.countDrop(reason));
    if (message === null) return;
    if (message.type === 'ping' || message.type === 'commit' || message.type === 'commitAck') this.status.notePeerCommit(message.from, message.commitIndex);
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
      case 'crashRequest':
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
    if (this.probe !== null) for (const message of protocol) if (message.type === 'accept') this.probe.noteAcceptSent(message.slot, message.value, performance.now());
    this.store.stage(ready.persist);
    if (needsFsync(ready.persist)) await this.store.syncAsync();
    else this.store.writeStaged();
    this.probe?.notePersisted(ready.persist.accepted.map((entry) => entry.slot), performance.now());
    this.transport.sendAll(protocol.filter((message) => !mayPrecedePersist(message)));
    if (this.probe !== null) for (const message of protocol) if (message.type === 'accepted') this.probe.noteAcceptedSent(message.slot, performance.now());
    for (const reply of ready.messages) {
      if (reply.type === 'catchupReply') this.bulk.push(reply as BulkMessage, `catchup/${reply.entries[0]?.slot ?? 0}-${reply.entries.at(-1)?.slot ?? 0}`);
    }
    this.bulk.drain();
    this.applyCommitted(ready);
    this.replica.advance(ready);
    if (ready.snapshotFrom !== null && !this.maintenance.hasSnapshotToInstall) this.snapshotFetcher.start(ready.snapshotFrom);
    this.maintenance.compactIfDue();
    this.status.noteRecoveryProgress();
  }

  private applyCommitted(ready: Ready): void {
    if (ready.committed.length === 0) return;
    this.probe?.noteChosen(ready.committed.map((entry) => entry.slot), performance.now());
    for (const { slot, command, outcome, membership } of this.store.apply(ready.committed)) {
      this.status.noteCommandApplied();
      if (membership !== undefined) this.admin.noteChosen(slot, command, membership);
      if (command.origin !== this.id || outcome.status === 'duplicate') continue;
      const rejection = membership?.status === 'rejected' ? membership.message : outcome.status === 'rejected' ? outcome.message : null;
      const tookMs = this.requests.settle(commandKey(command.origin, command.seq), rejection === null ? { status: 'applied', slot } : { status: 'rejected', slot, message: rejection });
      if (tookMs !== undefined) this.status.noteCommitLatency(tookMs);
    }
    this.probe?.noteApplied(ready.committed.map((entry) => entry.slot), ready.committed.flatMap((entry) => entry.value), performance.now());
    const first = ready.committed[0];
    const last = ready.committed.at(-1);
    if (first !== undefined && last !== undefined) this.emit({ type: 'chosen', fromSlot: first.slot, toSlot: last.slot });
  }

  /** Our own commands inside an installed snapshot were never applied one by one here: answer their callers. */
  private settleCommandsInSnapshot(): void {
    for (const id of this.requests.ids()) {
      const { origin, seq } = parseCommandKey(id);
      const outcome = this.store.app.commandOutcome(origin, seq);
      if (outcome !== null) this.requests.settle(id, outcome.status === 'applied' ? { status: 'applied', slot: outcome.slot } : { status: 'rejected', slot: outcome.slot, message: outcome.message });
    }
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    if (this.bulkTimer !== null) clearTimeout(this.bulkTimer);
    this.loopMonitor.stop();
  }

  /**
   * Feeds the core the ticks that passed up to `atMs` (none if it is past already). A timeout that
   * expires in them starts a campaign whose pre-votes leave with this turn; the rest of these ticks are
   * the same silence, in which no answer could come: counted, they would expire the timeout again and
   * give up the leader before anyone was asked (a member woken from a long pause).
   */
  private passTime(atMs: number): void {
    const campaigningBefore = this.replica.isCampaigning;
    for (let ticks = this.tickClock.due(atMs); ticks > 0; ticks--) {
      this.replica.tick();
      if (!campaigningBefore && this.replica.isCampaigning) return;
    }
  }

  /** A clock from now whose ticks of one call stop where every timeout of the core has expired. */
  private newTickClock(): TickClock {
    const tickMs = tickMsOf(this.options);
    return new TickClock(tickMs, Math.ceil(longestElectionTimeoutMs(this.options) / tickMs), performance.now());
  }

  private startTimers(): void {
    // Time counts from here: start-up (opening the store and the socket) is not a silence of the leader.
    this.tickClock = this.newTickClock();
    this.timers.push(
      // Each tick's interval only asks for a turn: the turn counts the ticks that passed, however late
      // this callback runs (a busy replica's time must not run slow).
      setInterval(() => this.schedule(), tickMsOf(this.options)),
      setInterval(() => this.emit({ type: 'state', state: this.status.intervalState() }), STATUS_EVENT_INTERVAL_MS),
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

  private emit(event: NodeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
