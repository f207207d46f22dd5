/**
 * A simulated cluster: replicas (the real core), their disks, the network and the invariant checker,
 * all in one process on one virtual clock. Both the randomized runs and the scripted scenarios drive it.
 */
import type { SqlJsStatic } from 'sql.js';
import { encodeCommand } from '../../src-main/app/commands';
import { DEFAULT_PROTOCOL_CONFIG, type ProtocolConfig } from '../../src-main/core/config';
import { commandSizeBound } from '../../src-main/core/message-size';
import { seededRandom } from '../../src-main/core/random';
import { bootstrapMembership, encodeMembershipChange, type MembershipChange } from '../../src-main/core/membership';
import type { Command, Message, NodeId, ReplicaStatus } from '../../src-main/core/types';
import { InvariantChecker } from './checker';
import { EventQueue } from './event-queue';
import { CALM_NETWORK, SimNetwork, type LinkCapacity } from './network';
import { MemoryDisk } from './memory-disk';
import type { NodeDisk } from './node-disk';
import type { PlantedBug } from './planted-bugs';
import { SimNode, type SimNodeSettings, type SnapshotFetch } from './sim-node';
import { SnapshotDownload } from './snapshot-download';
import { FULL_TWEET_TEXT, SIM_PROTOCOL_CONFIG } from './sim-protocol';
import { StoreDisk } from './store-disk';
import { SimRandom } from './sim-random';

export const TICK_MS = 10;
const TRACE_LENGTH = 60;

export interface ClusterOptions {
  readonly seed: number;
  readonly replicas: number;
  /** Overrides of SIM_PROTOCOL_CONFIG. */
  readonly protocol?: Partial<ProtocolConfig>;
  /** Bandwidth of every directed link (absent or null: infinitely fast links). */
  readonly linkCapacity?: LinkCapacity | null;
  readonly plantedBug?: PlantedBug | null;
  /** Compact logs beyond this many applied slots (null or absent: never). */
  readonly retainSlots?: number | null;
  /** Run the real storage code on fault-injecting file systems (default: the fast in-memory disk). */
  readonly realStorage?: { readonly sqlJs: SqlJsStatic; readonly checkpointJournalBytes: number };
}

export class SimCluster {
  readonly events = new EventQueue();
  readonly random: SimRandom;
  /** The initial configuration (the bootstrap members); nodes added later are not in it. */
  readonly members: readonly NodeId[];
  readonly checker: InvariantChecker;
  readonly network: SimNetwork;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly traceLines: string[] = [];
  private readonly settings: SimNodeSettings;
  private readonly realStorage: ClusterOptions['realStorage'];
  private readonly snapshotRetryMs: number;
  /** The nodes' protocol configuration (over the core's defaults). */
  readonly protocol: Partial<ProtocolConfig>;
  submitted = 0;
  /** Encoded bytes (commandSizeBound) of the commands submitted: what the state machine may come to hold. */
  submittedBytes = 0;
  crashes = 0;
  nodesAdded = 0;

  constructor(options: ClusterOptions) {
    this.random = new SimRandom(seededRandom(options.seed));
    this.members = Array.from({ length: options.replicas }, (_, i) => `n${i + 1}`);
    this.checker = new InvariantChecker(this.members);
    this.checker.onMembershipOutcome = (text) => this.note(text);
    this.network = new SimNetwork(this.events, this.random, options.linkCapacity ?? null);
    this.realStorage = options.realStorage;
    const protocol = { ...SIM_PROTOCOL_CONFIG, ...options.protocol };
    this.protocol = protocol;
    // The real fetcher asks again after one election timeout of silence (replica-node.ts).
    this.snapshotRetryMs = 2 * (protocol.electionTicks ?? DEFAULT_PROTOCOL_CONFIG.electionTicks) * TICK_MS;
    this.settings = {
      protocol,
      tickMs: TICK_MS,
      fsyncMinMs: 0.2,
      fsyncMaxMs: 3,
      inboxLimit: 4096,
      // The transport asks for a 4 MiB receive buffer; scaled down like the byte limits (sim-protocol.ts).
      inboxLimitBytes: 512 * 1024,
      plantedBug: options.plantedBug ?? null,
      retainSlots: options.retainSlots ?? null,
    };
    for (const id of this.members) this.createNode(id, this.members);
  }

  /** A node with its own disk and random stream; `bootstrap` null makes it a newcomer that joins later. */
  private createNode(id: NodeId, bootstrap: readonly NodeId[] | null): SimNode {
    const rng = seededRandom(this.random.int(2 ** 31));
    const real = this.realStorage;
    const initial = bootstrap === null ? null : bootstrapMembership(bootstrap.map((member) => ({ id: member, address: '' })));
    const disk: NodeDisk = real === undefined ? new MemoryDisk(initial) : new StoreDisk(id, real.sqlJs, seededRandom(this.random.int(2 ** 31)), real.checkpointJournalBytes, initial);
    const node = new SimNode(id, disk, this.settings, this.events, rng, this.checker, this.sendMessage, this.fetchSnapshot, bootstrap);
    this.nodes.set(id, node);
    return node;
  }

  /**
   * Starts a fresh node that knows no membership (it joins once some member submits addMember for it
   * and a snapshot reaches it). Returns its id.
   */
  addNode(): NodeId {
    const id = `n${this.nodes.size + 1}`;
    this.nodesAdded++;
    this.createNode(id, null).start();
    this.note(`${id} starts as a newcomer`);
    return id;
  }

  /** Every node ever created, members or not. */
  nodeIds(): NodeId[] {
    return [...this.nodes.keys()];
  }

  /** Submits a membership change at `at` (as a client would); returns the command or null if refused. */
  submitMembershipChange(at: NodeId, change: MembershipChange): Command | null {
    const command = this.submit(at, encodeMembershipChange(change));
    this.note(`${at} submits ${change.type} ${change.id}${command === null ? ' (refused)' : ''}`);
    return command;
  }

  private readonly sendMessage = (message: Message, bytes: number): void => {
    this.network.send(message.from, message.to, bytes, () => this.nodes.get(message.to)?.deliver(message, bytes));
  };

  /** Snapshot transfer between simulated runtimes: chunk windows over the network (see SnapshotDownload). */
  private readonly fetchSnapshot: SnapshotFetch = (from, to, done) => {
    const peer = this.nodes.get(from);
    const fetcher = this.nodes.get(to);
    if (peer === undefined || fetcher === undefined) return done(null);
    const life = fetcher.incarnation;
    // A node that does not know the membership yet (a newcomer before its first snapshot) has no state to serve.
    const server = { get incarnation() { return peer.incarnation; }, snapshot: () => (peer.core?.status().members === null ? null : peer.disk.snapshot()) };
    new SnapshotDownload(this.network, this.events, to, from, server, () => fetcher.incarnation === life, this.snapshotRetryMs, (snapshot) => {
      if (snapshot !== null) this.note(`${to} fetched a snapshot of ${snapshot.length} bytes from ${from}`);
      done(snapshot);
    });
  };

  get now(): number {
    return this.events.now;
  }

  get trace(): readonly string[] {
    return this.traceLines;
  }

  note(text: string): void {
    this.traceLines.push(`${this.events.now.toFixed(1).padStart(8)}ms ${text}`);
    if (this.traceLines.length > TRACE_LENGTH) this.traceLines.shift();
  }

  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  allNodes(): SimNode[] {
    return [...this.nodes.values()];
  }

  start(): void {
    for (const node of this.nodes.values()) node.start();
  }

  /** Submits a command at `id`; by default a real micro-blog tweet. */
  submit(id: NodeId, payload: string = encodeCommand({ type: 'tweet', text: `tweet ${this.submitted}`, at: Math.floor(this.now) })): Command | null {
    const command = this.node(id).submit(payload);
    if (command !== null) {
      this.submitted++;
      this.submittedBytes += commandSizeBound(command);
    }
    return command;
  }

  /** Submits the largest tweet the app takes (280 four-byte emoji, near maxCommandBytes) at `id`. */
  submitFullTweet(id: NodeId): Command | null {
    return this.submit(id, encodeCommand({ type: 'tweet', text: FULL_TWEET_TEXT, at: Math.floor(this.now) }));
  }

  crash(id: NodeId): void {
    this.node(id).crash();
    this.crashes++;
    this.note(`${id} crashes`);
  }

  restart(id: NodeId): void {
    this.node(id).restart();
    this.note(`${id} restarts`);
  }

  /** Runs every event up to `now + ms`; invariant violations are thrown from inside the events. */
  runFor(ms: number): void {
    const until = this.events.now + ms;
    while (this.events.runNext(until)) {
      /* each event checks its invariants */
    }
    this.events.schedule(until - this.events.now, () => undefined);
    this.events.runNext(until);
  }

  /** Runs until `done()` holds (checked every tick) or `maxMs` passes; returns whether it held. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const deadline = this.events.now + maxMs;
    while (this.events.now < deadline) {
      if (done()) return true;
      this.runFor(Math.min(TICK_MS, deadline - this.events.now));
    }
    return done();
  }

  status(id: NodeId): ReplicaStatus | null {
    return this.node(id).core?.status() ?? null;
  }

  /** The up replica that leads with the highest ballot, if any. */
  leader(): NodeId | null {
    const leaders = this.nodeIds().map((id) => this.status(id)).filter((s): s is ReplicaStatus => s?.role === 'leader');
    leaders.sort((a, b) => b.ballot.round - a.ballot.round || (a.ballot.node < b.ballot.node ? 1 : -1));
    return leaders[0]?.id ?? null;
  }

  appliedIndex(id: NodeId): number {
    return this.status(id)?.appliedIndex ?? 0;
  }

  /** What still keeps the cluster from having converged (empty when converged). */
  convergenceGaps(): string[] {
    const gaps = this.checker.convergenceGaps((id) => this.appliedIndex(id));
    // Nodes that are not members at the end may keep commands pending: none of them was acknowledged.
    for (const id of this.checker.finalMembers()) {
      const pending = this.status(id)?.pendingCommands ?? 0;
      if (pending > 0) gaps.push(`${id} still has ${pending} own commands pending`);
    }
    return gaps;
  }

  /**
   * The final members' state machines must be identical once they applied the same slots (removed
   * nodes stop somewhere behind). Returns a description of the mismatch, or null (also when the disks
   * have no real state machine).
   */
  stateMachineMismatch(): string | null {
    const digests = this.checker.finalMembers().map((id) => `${id}:${this.node(id).disk.digest() ?? '-'}`);
    const distinct = new Set(digests.map((d) => d.split(':')[1]));
    return distinct.size > 1 ? `state machines differ after convergence: ${digests.join(' ')}` : null;
  }

  /** Stops all faults: links heal, the network calms down, every node is up and running (but those in `keepDown`). */
  healEverything(keepDown: ReadonlySet<NodeId> = new Set()): void {
    this.network.heal();
    this.network.conditions = { ...CALM_NETWORK };
    for (const node of this.nodes.values()) {
      if (!node.isUp && !keepDown.has(node.id)) node.restart();
      if (node.isPaused) node.resume();
    }
    this.note(keepDown.size === 0 ? 'faults stop, every node up' : `faults stop, every node up but ${[...keepDown].join(', ')}`);
  }
}
