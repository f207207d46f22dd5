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
import initSqlJs from 'sql.js';
import type { NodeStatus, ElectionRecord, Faults, CommandReceipt, SynodEvent } from '../../shared/api';
import { ApiError } from '../../shared/api';
import { encodeCommand, type AppCommand } from '../app/commands';
import type { MicroBlog } from '../app/microblog';
import { ballotsEqual } from '../core/ballot';
import type { ProtocolConfig } from '../core/config';
import { seededRandom } from '../core/random';
import { Replica } from '../core/replica';
import { commandKey, mayPrecedePersist, type NodeId, type PersistBatch, type Ready, type ReplicaStatus } from '../core/types';
import { nextTransportEpoch } from '../net/epoch';
import { deriveClusterKeys } from '../net/keys';
import { UdpTransport } from '../net/udp-transport';
import type { WireMessage } from '../net/wire';
import { writeCheckpointInBackground } from '../storage/checkpoint-writer';
import { NodeFileSystem } from '../storage/node-file-system';
import { ReplicaStore } from '../storage/replica-store';
import type { LogRow } from '../storage/store-tables';
import { ClientRequests } from './client-requests';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import { silentLogger, type Logger } from './logger';
import { SnapshotFetcher, SnapshotServer } from './snapshot-transfer';
import { TraceBuffer } from './trace-buffer';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface NodeOptions {
  readonly id: NodeId;
  /** Display name of this node's user (default: the id). */
  readonly name?: string;
  readonly dataDir: string;
  readonly listen: HostPort;
  /** The other members and their UDP addresses. */
  readonly peers: ReadonlyMap<NodeId, HostPort>;
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
}

const DEFAULT_TICK_MS = 10;
const DEFAULT_RETAIN_SLOTS = 10_000;
/** Compaction runs in steps of this many slots rather than every turn. */
const COMPACTION_STEP_SLOTS = 1_000;
const STATUS_EVENT_INTERVAL_MS = 1_000;
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
  private snapshotToInstall: { bytes: Uint8Array; from: NodeId } | null = null;
  private readonly listeners = new Set<(event: SynodEvent) => void>();
  private readonly elections: ElectionRecord[] = [];
  private lastStatus: ReplicaStatus;
  private reachablePeers = new Set<NodeId>();
  /** The latest commit index each peer reported (pings, heartbeats). */
  private readonly peerCommit = new Map<NodeId, number>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly startedAt = Date.now();
  private readonly requests: ClientRequests;
  private readonly trace = new TraceBuffer(TRACE_BATCH_MAX, Date.now);
  private readonly snapshotServer: SnapshotServer;
  private readonly snapshotFetcher: SnapshotFetcher;
  private transport!: UdpTransport;
  private checkpoints = 0;
  private lastCheckpointStallMs = 0;
  private commandsApplied = 0;
  /** Exponentially weighted average of own commands' submit-to-applied time. */
  private commitLatencyMs: number | null = null;

  private constructor(
    private readonly options: NodeOptions,
    private readonly store: ReplicaStore,
    private readonly replica: Replica,
    private readonly lock: DataDirLock,
    clusterId: string,
    private readonly logger: Logger,
  ) {
    this.id = options.id;
    this.name = options.name ?? options.id;
    this.clusterId = clusterId;
    this.requests = new ClientRequests(options.requestTimeoutMs ?? 5_000);
    this.lastStatus = replica.status();
    const send = (message: WireMessage): void => this.transport.send(message);
    this.snapshotServer = new SnapshotServer(this.id, () => ({ bytes: store.snapshot(), slot: store.appliedIndex }), send, Date.now);
    this.snapshotFetcher = new SnapshotFetcher(this.id, send, Date.now, this.electionTimeoutMs(), (bytes, from) => {
      this.snapshotToInstall = { bytes, from };
      this.schedule();
    });
  }

  /** Opens the data directory (recovery), binds the UDP socket and starts the loop. */
  static async start(options: NodeOptions): Promise<ReplicaNode> {
    const logger = options.logger ?? silentLogger;
    const lock = lockDataDir(options.dataDir);
    try {
      const fs = new NodeFileSystem();
      const { clusterIdHex } = deriveClusterKeys(options.secret);
      const sqlJs = await initSqlJs();
      const recoveryStart = performance.now();
      const store = ReplicaStore.open(fs, sqlJs, options.dataDir, {
        nodeId: options.id,
        clusterId: clusterIdHex,
        onWarning: (message) => logger.event('recovery-warning', { message }),
      });
      const durable = store.takeDurableState();
      logger.event('recovered', { applied: durable.appliedIndex, compacted: durable.compactedThrough, retained: durable.chosen.length, ms: Math.round(performance.now() - recoveryStart) });
      const members = [options.id, ...options.peers.keys()];
      const replica = new Replica({ id: options.id, members, rng: seededRandom(randomInt(2 ** 31)), config: options.protocol ?? {}, durable });
      const node = new ReplicaNode(options, store, replica, lock, clusterIdHex, logger);
      node.transport = await UdpTransport.open({
        self: options.id,
        listenHost: options.listen.host,
        listenPort: options.listen.port,
        secret: options.secret,
        epoch: nextTransportEpoch(fs, options.dataDir),
        members: options.peers,
        ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
        onMessage: (message) => node.receive(message),
        onTrace: ({ direction, message, dropped }) => node.trace.record(direction, message, dropped),
      });
      node.startTimers();
      node.registerUser();
      const address = node.transport.address();
      logger.event('started', { listen: `${address.host}:${address.port}`, members: members.join(','), cluster: clusterIdHex });
      return node;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  get app(): MicroBlog {
    return this.store.app;
  }

  /** Proposes a command as this node's user; resolves once it is chosen and applied here. */
  submit(command: AppCommand): Promise<CommandReceipt> {
    if (this.stopping) return Promise.reject(new ApiError({ code: 'unavailable', message: 'The node is shutting down.' }));
    const verdict = this.store.app.prepareCommand(this.id, command);
    if (!verdict.ok) return Promise.reject(new ApiError({ code: 'invalid-argument', message: verdict.message }));
    const result = this.replica.propose(encodeCommand(verdict.command));
    if (!result.ok) return Promise.reject(new ApiError({ code: result.reason === 'overloaded' ? 'unavailable' : 'invalid-argument', message: result.message }));
    const waiting = this.requests.wait(commandKey(result.command.origin, result.command.seq));
    this.schedule();
    return waiting;
  }

  status(): NodeStatus {
    const core = this.replica.status();
    const address = this.transport.address();
    const stats = this.transport.stats();
    const now = Date.now();
    const reachableMs = this.reachableWindowMs();
    return {
      id: this.id,
      name: this.name,
      clusterId: this.clusterId,
      address: `${address.host}:${address.port}`,
      version: this.options.version ?? 'dev',
      role: core.role,
      leader: core.leader,
      ballot: core.ballot,
      promised: core.promised,
      commitIndex: core.commitIndex,
      appliedIndex: core.appliedIndex,
      compactedThrough: core.compactedThrough,
      pendingCommands: core.pendingCommands,
      peers: this.transport.peers().map((peer) => {
        const lastHeardMs = peer.lastHeardAt === null ? null : now - peer.lastHeardAt;
        return { id: peer.id, address: peer.address, reachable: lastHeardMs !== null && lastHeardMs <= reachableMs, lastHeardMs, commitIndex: this.peerCommit.get(peer.id) ?? null };
      }),
      dropped: stats.dropped,
      warnings: stats.memberMismatch.map(
        ({ peer }) => `Peer ${peer} is configured with a different member list than this node. Give every node the same set of --peer entries (ids and members).`,
      ),
      elections: [...this.elections],
      startedAt: this.startedAt,
      metrics: {
        fsyncs: this.store.journalStats.syncs,
        journalBytes: this.store.journalStats.bytes,
        datagramsIn: stats.receivedDatagrams,
        datagramsOut: stats.sentDatagrams,
        bytesIn: stats.receivedBytes,
        bytesOut: stats.sentBytes,
        checkpoints: this.checkpoints,
        lastCheckpointStallMs: this.lastCheckpointStallMs,
        commandsApplied: this.commandsApplied,
        recentCommitLatencyMs: this.commitLatencyMs,
      },
    };
  }

  /** This node's current members and addresses (for the Peers page). */
  configuredPeers(): { id: NodeId; address: string }[] {
    return this.transport.peers().map((peer) => ({ id: peer.id, address: peer.address }));
  }

  /** Retained log rows (the service turns them into views). */
  logRows(fromSlot: number, toSlot: number, limit: number): LogRow[] {
    return this.store.logRows(fromSlot, toSlot, limit);
  }

  faults(): Faults {
    return this.transport.faults();
  }

  setFaults(faults: Partial<Faults>): Faults {
    this.transport.setFaults({ ...this.transport.faults(), ...faults });
    this.logger.event('faults', { ...this.transport.faults(), isolate: this.transport.faults().isolate.join(',') });
    return this.transport.faults();
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Clean shutdown: stop the loop, finish the running checkpoint, take a final one, close everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.turnRunning;
    this.requests.failAll('The node is shutting down. Queued commands are on disk and will be proposed again when it restarts.');
    await this.transport.close();
    await this.checkpointInFlight;
    this.store.close();
    this.lock.release();
    this.logger.event('stopped');
  }

  private receive(message: WireMessage): void {
    this.inbox.push(message);
    this.schedule();
  }

  /** Runs a turn soon, unless one is queued or running (a running turn re-schedules when it ends). */
  private schedule(): void {
    if (this.turnScheduled || this.turnRunning !== null || this.stopping) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      if (this.stopping) return;
      this.turnRunning = this.turn()
        .catch((error: unknown) => this.fatal(error))
        .finally(() => {
          this.turnRunning = null;
          if (this.inbox.length > 0 || this.ticksOwed > 0 || this.snapshotToInstall !== null || this.replica.hasReady()) this.schedule();
        });
    });
  }

  /**
   * One turn. While it waits for its fsync, datagrams and ticks only queue up; the next turn takes
   * them all at once (group commit), and the core never sees an input before its last turn is durable.
   */
  private async turn(): Promise<void> {
    this.installSnapshotIfReady();
    const inbox = this.inbox.splice(0);
    for (const message of inbox) this.dispatch(message);
    for (; this.ticksOwed > 0; this.ticksOwed--) this.replica.tick();
    this.snapshotFetcher.tick();
    while (this.replica.hasReady()) await this.process(this.replica.ready());
    this.noteStatusChanges();
  }

  /** The journal failed (disk full, I/O error): continuing could break promises, so the node stops. */
  private fatal(error: unknown): void {
    this.logger.event('fatal', { reason: String(error) });
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.requests.failAll(`The node stopped after a storage failure: ${String(error)}`);
    (this.options.onFatal ?? ((e: unknown) => setImmediate(() => { throw e; })))(error);
  }

  private dispatch(message: WireMessage): void {
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
      default:
        this.replica.step(message);
    }
  }

  private async process(ready: Ready): Promise<void> {
    // Messages that reveal nothing this turn makes durable leave first, so the followers' fsyncs overlap ours.
    this.transport.sendAll(ready.messages.filter(mayPrecedePersist));
    this.store.stage(ready.persist);
    if (needsFsync(ready.persist)) await this.store.syncAsync();
    else this.store.writeStaged();
    this.transport.sendAll(ready.messages.filter((message) => !mayPrecedePersist(message)));
    this.applyCommitted(ready);
    this.replica.advance(ready);
    if (ready.snapshotFrom !== null) this.snapshotFetcher.start(ready.snapshotFrom);
    this.compactIfDue();
    this.checkpointIfDue();
  }

  private applyCommitted(ready: Ready): void {
    if (ready.committed.length === 0) return;
    for (const { slot, command, outcome } of this.store.apply(ready.committed)) {
      this.commandsApplied++;
      if (command.origin !== this.id || outcome.status === 'duplicate') continue;
      const tookMs = this.requests.settle(commandKey(command.origin, command.seq), outcome.status === 'applied' ? { status: 'applied', slot } : { status: 'rejected', slot, message: outcome.message });
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
    try {
      installed = this.store.installSnapshot(pending.bytes);
    } catch (error) {
      this.logger.event('snapshot-rejected', { from: pending.from, reason: String(error) });
      return;
    }
    if (installed === null) return;
    this.replica.installSnapshot(installed.slot, installed.ledger);
    this.logger.event('snapshot-installed', { from: pending.from, slot: installed.slot, bytes: pending.bytes.length });
    // Our own commands inside the snapshot were never applied one by one here: answer their callers.
    for (const id of this.requests.ids()) {
      const [origin, seq] = id.split('/');
      const outcome = this.store.app.commandOutcome(origin as string, Number(seq));
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

  private checkpointIfDue(): void {
    if (this.checkpointInFlight !== null || !this.store.checkpointDue()) return;
    const pending = this.store.beginCheckpoint();
    this.checkpoints++;
    this.lastCheckpointStallMs = pending.exportMs;
    this.checkpointInFlight = writeCheckpointInBackground(pending)
      .then(() => this.store.finishCheckpoint(pending))
      .catch((error: unknown) => this.logger.event('checkpoint-failed', { reason: String(error), note: 'the journal keeps everything; retrying later' }))
      .finally(() => {
        this.checkpointInFlight = null;
        this.schedule();
      });
  }

  /** Logs and publishes leadership changes; remembers them for the inspector. */
  private noteStatusChanges(): void {
    const now = this.replica.status();
    const before = this.lastStatus;
    this.lastStatus = now;
    if (now.leader === before.leader && ballotsEqual(now.ballot, before.ballot) && now.role === before.role) return;
    if (now.role === 'leader' && before.role !== 'leader') this.logger.event('elected', { ballot: `${now.ballot.round}.${now.ballot.node}` });
    if (before.role === 'leader' && now.role !== 'leader') this.logger.event('lost-leadership', { ballot: `${before.ballot.round}.${before.ballot.node}` });
    if (now.leader !== before.leader) {
      this.elections.push({ at: Date.now(), leader: now.leader, ballot: now.ballot });
      if (this.elections.length > ELECTIONS_KEPT) this.elections.shift();
      if (now.leader !== null && now.leader !== this.id) this.logger.event('following', { leader: now.leader, ballot: `${now.ballot.round}.${now.ballot.node}` });
    }
    this.emit({ type: 'status', status: this.status() });
  }

  private startTimers(): void {
    const tickMs = this.options.tickMs ?? DEFAULT_TICK_MS;
    this.timers.push(
      setInterval(() => {
        this.ticksOwed++;
        this.schedule();
      }, tickMs),
      setInterval(() => this.publishStatus(), STATUS_EVENT_INTERVAL_MS),
      setInterval(() => {
        if (this.turnRunning === null) this.store.flushTables();
      }, TABLES_FLUSH_INTERVAL_MS),
      setInterval(() => {
        const commitIndex = this.replica.status().commitIndex;
        for (const peer of this.options.peers.keys()) this.transport.send({ type: 'ping', from: this.id, to: peer, commitIndex });
      }, PING_INTERVAL_MS),
      setInterval(() => {
        const { messages } = this.trace.take();
        if (messages.length > 0) this.emit({ type: 'trace', messages });
      }, TRACE_FLUSH_INTERVAL_MS),
    );
  }

  /** Periodic status (last-heard times move on) and peer up/down log lines. */
  private publishStatus(): void {
    const status = this.status();
    const reachable = new Set(status.peers.filter((p) => p.reachable).map((p) => p.id));
    for (const peer of status.peers) {
      if (reachable.has(peer.id) && !this.reachablePeers.has(peer.id)) this.logger.event('peer-up', { peer: peer.id, address: peer.address });
      if (!reachable.has(peer.id) && this.reachablePeers.has(peer.id)) this.logger.event('peer-down', { peer: peer.id, address: peer.address });
    }
    this.reachablePeers = reachable;
    this.emit({ type: 'status', status });
  }

  /** The user hosted here is registered with its display name (once; renames re-register). */
  private registerUser(): void {
    if (this.store.app.user(this.id)?.name === this.name) return;
    this.submit({ type: 'register', name: this.name, at: Date.now() }).catch((error: unknown) => {
      if (!(error instanceof ApiError && error.code === 'pending')) this.logger.event('register-failed', { reason: String(error) });
    });
  }

  private emit(event: SynodEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private electionTimeoutMs(): number {
    return (this.options.protocol?.electionTicks ?? 10) * (this.options.tickMs ?? DEFAULT_TICK_MS) * 2;
  }

  /** A peer counts as reachable if heard from within this window. */
  private reachableWindowMs(): number {
    return Math.max(1_500, 3 * this.electionTimeoutMs());
  }
}

/** Promises, accepts and own proposals must be on disk before any message of the turn leaves. */
function needsFsync(batch: PersistBatch): boolean {
  return batch.promised !== null || batch.accepted.length > 0 || batch.proposals.length > 0;
}
