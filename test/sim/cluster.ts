/**
 * A simulated cluster: replicas (the real core), their disks, the network and the invariant checker,
 * all in one process on one virtual clock. Both the randomized runs and the scripted scenarios drive it.
 */
import type { SqlJsStatic } from 'sql.js';
import { encodeCommand } from '../../src-main/app/commands';
import type { ProtocolConfig } from '../../src-main/core/config';
import { seededRandom } from '../../src-main/core/random';
import { bootstrapMembership, encodeMembershipChange, type MembershipChange } from '../../src-main/core/membership';
import type { Command, Message, NodeId, ReplicaStatus } from '../../src-main/core/types';
import { InvariantChecker } from './checker';
import { EventQueue } from './event-queue';
import { CALM_NETWORK, SimNetwork } from './network';
import { MemoryDisk } from './memory-disk';
import type { NodeDisk } from './node-disk';
import { SimNode, type PlantedBug, type SimNodeSettings, type SnapshotFetch } from './sim-node';
import { StoreDisk } from './store-disk';
import { SimRandom } from './sim-random';

export const TICK_MS = 10;
const TRACE_LENGTH = 60;

export interface ClusterOptions {
  readonly seed: number;
  readonly replicas: number;
  readonly protocol?: Partial<ProtocolConfig>;
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
  submitted = 0;
  crashes = 0;
  nodesAdded = 0;

  constructor(options: ClusterOptions) {
    this.random = new SimRandom(seededRandom(options.seed));
    this.members = Array.from({ length: options.replicas }, (_, i) => `n${i + 1}`);
    this.checker = new InvariantChecker(this.members);
    this.checker.onMembershipOutcome = (text) => this.note(text);
    this.network = new SimNetwork(this.events, this.random, (message: Message) => this.nodes.get(message.to)?.deliver(message));
    this.realStorage = options.realStorage;
    this.settings = {
      protocol: options.protocol ?? {},
      tickMs: TICK_MS,
      fsyncMinMs: 0.2,
      fsyncMaxMs: 3,
      inboxLimit: 4096,
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
    const node = new SimNode(id, disk, this.settings, this.events, rng, this.checker, (m) => this.network.send(m), this.fetchSnapshot, bootstrap);
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

  /**
   * Snapshot transfer between simulated runtimes: taken from the peer's disk when the request arrives,
   * delivered one network delay later; lost when either side is down or the link is cut.
   */
  private readonly fetchSnapshot: SnapshotFetch = (from, to, deliver) => {
    if (!this.network.canReach(to, from)) return;
    this.events.schedule(this.network.delayMs(), () => {
      const peer = this.nodes.get(from);
      if (peer === undefined || !peer.isUp || !this.network.canReach(from, to)) return;
      const snapshot = peer.disk.snapshot();
      this.events.schedule(this.network.delayMs(), () => deliver(snapshot));
      this.note(`${to} fetches a snapshot of ${snapshot.length} bytes from ${from}`);
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
    if (command !== null) this.submitted++;
    return command;
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

  /** Stops all faults: links heal, the network calms down, every node is up and running. */
  healEverything(): void {
    this.network.heal();
    this.network.conditions = { ...CALM_NETWORK };
    for (const node of this.nodes.values()) {
      if (!node.isUp) node.restart();
      if (node.isPaused) node.resume();
    }
    this.note('faults stop, every node up');
  }
}
