/**
 * One seeded run of a whole cluster in virtual time, in two phases (Paxos Made Live, section 6.3):
 *
 *  - safety phase: clients submit commands while faults rain down (loss, duplication, delay and
 *    reordering, symmetric partitions, deaf nodes, crashes that lose unsynced writes, restarts, pauses
 *    that resume with stale state) and the membership changes (a fresh node joins, a member is removed,
 *    a crashed member is replaced). Progress is not required; every invariant is checked at every step.
 *  - liveness phase: faults stop, crashed nodes restart, partitions heal. Every command durably
 *    submitted at a final member must then be chosen and every final member must apply the whole log
 *    within a bound (removed nodes keep running as non-members; see liveness-bound.ts).
 *
 * Each seed also draws the stress of issue 10 (stress.ts): the links' bandwidth, full-size batches, and
 * a sleeping laptop. Every message must fit maxMessageBytes (SimNode checks it). A share of the seeds
 * also draws a hostile member that injects the peer fuzzer's messages during the safety phase
 * (hostile-member.ts).
 *
 * Everything random derives from the seed, so `runSimulation({ seed })` replays a run exactly.
 */
import type { ProtocolConfig } from '../../src-main/core/config';
import { hasPendingChange, type MembershipChange } from '../../src-main/core/membership';
import { seededRandom } from '../../src-main/core/random';
import type { NodeId } from '../../src-main/core/types';
import { InvariantViolation } from './checker';
import { SimCluster, TICK_MS, type ClusterOptions } from './cluster';
import { DEFAULT_HOSTILE_GAP_MS, drawHostile, HostileMember, ROGUE_HOST } from './hostile-member';
import { livenessBoundMs } from './liveness-bound';
import type { PlantedBug } from './planted-bugs';
import { SimRandom } from './sim-random';
import { drawStress, scheduleStress, type StressOptions, type Workload } from './stress';

export type FaultKind = 'loss' | 'duplication' | 'delay' | 'partition' | 'deaf' | 'crash' | 'pause' | 'membership';
export const ALL_FAULTS: readonly FaultKind[] = ['loss', 'duplication', 'delay', 'partition', 'deaf', 'crash', 'pause', 'membership'];

/** Membership changes keep the configuration between 1 and this many members... */
export const MAX_MEMBERS = 9;
/** ...and stop adding nodes once this many exist (removed nodes keep running). */
const MAX_NODES = 16;

/** Journal bytes between checkpoints in real-storage runs: small, so crashes find every state. */
export const REAL_STORAGE_CHECKPOINT_BYTES = 16 * 1024;

export interface SimulationOptions extends StressOptions {
  readonly seed: number;
  /** Cluster size; when absent the seed picks 3, 5 or 7. */
  readonly replicas?: number;
  readonly plantedBug?: PlantedBug | null;
  /** Virtual duration of the fault phase. */
  readonly safetyMs?: number;
  readonly faults?: readonly FaultKind[];
  readonly protocol?: Partial<ProtocolConfig>;
  /** Log retention (null: never compact); when absent the seed decides. */
  readonly retainSlots?: number | null;
  /** Run on the real storage code over fault-injecting file systems. */
  readonly realStorage?: ClusterOptions['realStorage'];
  /**
   * Weight of 'membership' among the fault kinds (default 1, like every other kind): how often the
   * configuration changes relative to the other faults.
   */
  readonly membershipWeight?: number;
  /** Whether a hostile member injects messages during the safety phase; when absent the seed decides (HOSTILE_SEED_SHARE). */
  readonly hostile?: boolean;
  /** Mean virtual time between two hostile messages (default DEFAULT_HOSTILE_GAP_MS). */
  readonly hostileGapMs?: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly replicas: number;
  /** The stress the seed drew (bandwidth null: infinitely fast links). */
  readonly bandwidthBytesPerMs: number | null;
  readonly workload: Workload;
  readonly sleepingLaptop: boolean;
  readonly hostile: boolean;
  readonly violation: string | null;
  /** The last events before the end (or the violation), oldest first. */
  readonly trace: readonly string[];
  readonly stats: {
    readonly commandsSubmitted: number;
    readonly commandsAcknowledged: number;
    readonly slotsChosen: number;
    readonly messagesSent: number;
    readonly bytesSent: number;
    /** Datagrams dropped by full link queues. */
    readonly linkOverflows: number;
    readonly crashes: number;
    readonly snapshotsInstalled: number;
    /** Membership changes the ground truth applied (accepted addMember/removeMember), and fresh nodes started. */
    readonly membershipChanges: number;
    readonly nodesAdded: number;
    /** Messages the hostile member sent into the network (0 without one). */
    readonly hostileMessages: number;
    /** Messages the nodes' validation boundary dropped, by reason (any drop without a hostile member is a bug). */
    readonly droppedByReason: Readonly<Record<string, number>>;
    /**
     * Own commands the replicas numbered at or past Number.MAX_SAFE_INTEGER, where ids collide and the
     * codec refuses them: a forged command with a member's origin and that seq, once chosen, moves the
     * member's counter there at its next restart (a known hole, see docs/simulator.md). Not a violation.
     */
    readonly exhaustedSeqCommands: number;
    /** Ticks from the start of the liveness phase until convergence (-1 if it did not converge). */
    readonly convergeTicks: number;
    /** The bound convergeTicks had to meet (liveness-bound.ts). */
    readonly boundTicks: number;
  };
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  const random = new SimRandom(seededRandom(options.seed ^ 0x5eed));
  const replicas = options.replicas ?? random.pick([3, 5, 7]);
  const safetyMs = options.safetyMs ?? 6_000;
  const kinds = options.faults ?? ALL_FAULTS;
  const weight = options.membershipWeight ?? 1;
  const faults = kinds.flatMap((kind) => (kind === 'membership' ? Array<FaultKind>(weight).fill(kind) : [kind]));
  const stress = drawStress(options.seed, options);
  // Half the runs compact their logs aggressively, so lagging replicas must install snapshots (a sleeping
  // laptop's peers keep a real retention instead: see Stress.retainSlots).
  let retainSlots = options.retainSlots;
  if (retainSlots === undefined) {
    const drawn = random.chance(0.5) ? random.pick([3, 10, 40]) : null;
    retainSlots = stress.retainSlots !== undefined ? stress.retainSlots : drawn;
  }
  const stressRandom = new SimRandom(seededRandom(options.seed ^ 0x1a9709));
  const cluster = new SimCluster({
    seed: options.seed,
    replicas,
    protocol: options.protocol ?? {},
    plantedBug: options.plantedBug ?? null,
    retainSlots,
    linkCapacity: stress.linkCapacity,
    ...(options.realStorage === undefined ? {} : { realStorage: scaleCheckpoints(options.realStorage, stress.workload) }),
  });
  const hostileDrawn = drawHostile(options.seed, options.hostile);
  let hostile: HostileMember | null = null;
  let violation: string | null = null;
  let convergeTicks = -1;
  let boundTicks = -1;
  try {
    cluster.start();
    const heldDown = new Set<NodeId>();
    repeat(cluster, random, 25, safetyMs, () => submitBurst(cluster, random, random.chance(0.1) ? random.between(5, 40) : 1));
    const laptop = scheduleStress(cluster, stressRandom, stress, safetyMs, heldDown);
    if (hostileDrawn) {
      hostile = new HostileMember(cluster, options.seed, options.hostileGapMs ?? DEFAULT_HOSTILE_GAP_MS, safetyMs, () => laptop?.owns(cluster.now) ?? false);
      hostile.start();
    }
    repeat(cluster, random, 250, safetyMs, () => {
      if (laptop === null || !laptop.owns(cluster.now)) injectFault(cluster, random, faults, safetyMs, heldDown);
    });
    cluster.runFor(safetyMs);

    cluster.healEverything(laptop?.keptDown ?? new Set());
    // The sleeping laptop's progress check may still run, with the leader that crashed as it woke kept down.
    if (laptop !== null) cluster.runUntil(() => laptop.keptDown.size === 0, Infinity);
    const livenessStart = cluster.now;
    boundTicks = Math.ceil(livenessBoundMs(cluster.submittedBytes, stress.linkCapacity, cluster.protocol, TICK_MS) / TICK_MS);
    repeat(cluster, random, 50, livenessStart + 500, () => submitBurst(cluster, random, 1));
    cluster.runFor(500);
    const converged = cluster.runUntil(() => cluster.convergenceGaps().length === 0, boundTicks * TICK_MS - 500);
    if (!converged) {
      throw new InvariantViolation(`liveness: not converged ${boundTicks} ticks after faults stopped: ${cluster.convergenceGaps().join('; ')}`);
    }
    convergeTicks = Math.ceil((cluster.now - livenessStart) / TICK_MS);
    cluster.checker.checkAcknowledgedSurvive();
    const mismatch = cluster.stateMachineMismatch();
    if (mismatch !== null) throw new InvariantViolation(mismatch);
  } catch (error) {
    if (!(error instanceof InvariantViolation)) throw error;
    violation = error.message;
    cluster.note(`VIOLATION: ${error.message}`);
  }
  return {
    seed: options.seed,
    replicas,
    bandwidthBytesPerMs: stress.linkCapacity?.bandwidthBytesPerMs ?? null,
    workload: stress.workload,
    sleepingLaptop: stress.sleepingLaptop,
    hostile: hostileDrawn,
    violation,
    trace: cluster.trace,
    stats: {
      commandsSubmitted: cluster.submitted,
      commandsAcknowledged: cluster.checker.acknowledgedCount,
      slotsChosen: cluster.checker.chosenSlots,
      messagesSent: cluster.network.sent,
      bytesSent: cluster.network.bytesSent,
      linkOverflows: cluster.network.overflowed,
      crashes: cluster.crashes,
      snapshotsInstalled: cluster.allNodes().reduce((n, node) => n + node.snapshotsInstalled, 0),
      membershipChanges: cluster.checker.membershipChanges,
      nodesAdded: cluster.nodesAdded,
      hostileMessages: hostile?.injected ?? 0,
      droppedByReason: droppedByReason(cluster),
      exhaustedSeqCommands: cluster.allNodes().reduce((n, node) => n + node.exhaustedSeqCommands, 0),
      convergeTicks,
      boundTicks,
    },
  };
}

/** The validation boundary's drops over every node, by reason. */
function droppedByReason(cluster: SimCluster): Record<string, number> {
  const total: Record<string, number> = {};
  for (const node of cluster.allNodes()) for (const [reason, count] of node.dropped) total[reason] = (total[reason] ?? 0) + count;
  return total;
}

/**
 * Full-size tweets fill a journal about twenty times faster than the light workload's: checkpoints that
 * often would cost more than the rest of the run and find no more states, so they come twenty times
 * further apart.
 */
function scaleCheckpoints(realStorage: NonNullable<ClusterOptions['realStorage']>, workload: Workload): NonNullable<ClusterOptions['realStorage']> {
  return workload === 'full' ? { ...realStorage, checkpointJournalBytes: 20 * realStorage.checkpointJournalBytes } : realStorage;
}

/** Runs `action` at random intervals averaging `meanGapMs` until virtual time `until`. */
function repeat(cluster: SimCluster, random: SimRandom, meanGapMs: number, until: number, action: () => void): void {
  const next = (): void => {
    if (cluster.now >= until) return;
    action();
    cluster.events.schedule(random.between(1, meanGapMs * 2), next);
  };
  cluster.events.schedule(random.between(1, meanGapMs * 2), next);
}

function submitBurst(cluster: SimCluster, random: SimRandom, count: number): void {
  const candidates = cluster.allNodes().filter((n) => n.isUp && !n.isPaused);
  if (candidates.length === 0) return;
  const node = random.pick(candidates);
  for (let i = 0; i < count; i++) cluster.submit(node.id);
  cluster.note(`client submits ${count} at ${node.id}`);
}

function injectFault(cluster: SimCluster, random: SimRandom, faults: readonly FaultKind[], safetyMs: number, heldDown: Set<NodeId>): void {
  const { network } = cluster;
  const nodes = cluster.nodeIds();
  const up = cluster.allNodes().filter((n) => n.isUp);
  switch (random.pick(faults)) {
    case 'loss':
      network.conditions.lossRate = random.pick([0, 0.05, 0.2, 0.4]);
      cluster.note(`network loss ${network.conditions.lossRate}`);
      break;
    case 'duplication':
      network.conditions.duplicateRate = random.pick([0, 0.05, 0.3]);
      cluster.note(`network duplication ${network.conditions.duplicateRate}`);
      break;
    case 'delay':
      network.conditions.maxDelayMs = random.pick([4, 30, 150, 600]);
      cluster.note(`network delay up to ${network.conditions.maxDelayMs}ms`);
      break;
    case 'partition': {
      network.heal();
      const sideA = random.subset(nodes);
      const sideB = nodes.filter((m) => !sideA.includes(m));
      network.partition(sideA, sideB);
      cluster.note(`partition {${sideA.join(',')}} | {${sideB.join(',')}}`);
      break;
    }
    case 'deaf': {
      const node = random.pick(nodes);
      // Deaf to the hostile member too (if any): a deaf node's receiving side is broken, whoever sends.
      network.deafen(node, [...nodes, ROGUE_HOST]);
      cluster.note(`${node} goes deaf`);
      break;
    }
    case 'crash': {
      if (up.length === 0) break;
      const node = random.pick(up);
      cluster.crash(node.id);
      cluster.events.schedule(random.between(20, 1500), () => {
        if (!node.isUp && cluster.now < safetyMs && !heldDown.has(node.id)) cluster.restart(node.id);
      });
      break;
    }
    case 'pause': {
      const candidates = up.filter((n) => !n.isPaused);
      if (candidates.length === 0) break;
      const node = random.pick(candidates);
      node.pause();
      cluster.note(`${node.id} pauses`);
      cluster.events.schedule(random.between(50, 2000), () => {
        if (node.isPaused) {
          node.resume();
          cluster.note(`${node.id} resumes`);
        }
      });
      break;
    }
    case 'membership':
      changeMembership(cluster, random, safetyMs, heldDown);
      break;
  }
  if (random.chance(0.3)) {
    network.heal();
    cluster.note('links heal');
  }
}

/**
 * One membership operation, as operators and joining nodes do them: a fresh node starts and asks a
 * member to add it; a member is removed (possibly the leader: leadership is handed over); or a member
 * crashes for good and is replaced (the new node is added first, then the dead one removed).
 */
function changeMembership(cluster: SimCluster, random: SimRandom, safetyMs: number, heldDown: Set<NodeId>): void {
  const members = cluster.checker.finalMembers();
  const submitters = (among: readonly NodeId[]): NodeId[] => among.filter((id) => cluster.node(id).isUp && !cluster.node(id).isPaused);
  const canAdd = members.length < MAX_MEMBERS && cluster.nodeIds().length < MAX_NODES;
  switch (random.pick(['add', 'remove', 'replace'] as const)) {
    case 'add': {
      const at = submitters(members);
      if (!canAdd || at.length === 0) return;
      const id = cluster.addNode();
      cluster.submitMembershipChange(random.pick(at), { type: 'addMember', id, address: '' });
      return;
    }
    case 'remove': {
      const at = submitters(cluster.nodeIds());
      if (members.length <= 1 || at.length === 0) return;
      cluster.submitMembershipChange(random.pick(at), { type: 'removeMember', id: random.pick(members) });
      return;
    }
    case 'replace': {
      // One replacement at a time, in a configuration that keeps a majority without the dead member.
      if (!canAdd || members.length < 3 || members.some((id) => heldDown.has(id))) return;
      const dead = random.pick(members);
      if (cluster.node(dead).isUp) cluster.crash(dead);
      heldDown.add(dead);
      const fresh = cluster.addNode();
      const steps: MembershipChange[] = [
        { type: 'addMember', id: fresh, address: '' },
        { type: 'removeMember', id: dead },
      ];
      pursue(cluster, random, safetyMs, steps, (id) => submitters(cluster.checker.finalMembers().filter((m) => m !== dead)).includes(id));
      return;
    }
  }
}

/**
 * Submits `steps` one after the other, each once the previous one is in the truth's latest
 * configuration and no change is pending (a change submitted earlier would be rejected), resubmitting a
 * step that was lost or rejected. Gives up when the safety phase ends.
 */
function pursue(cluster: SimCluster, random: SimRandom, safetyMs: number, steps: readonly MembershipChange[], mayAsk: (id: NodeId) => boolean): void {
  let step = 0;
  let submittedAt = -Infinity;
  const done = (change: MembershipChange): boolean => cluster.checker.finalMembers().includes(change.id) === (change.type === 'addMember');
  const poll = (): void => {
    if (cluster.now >= safetyMs) return;
    while (step < steps.length && done(steps[step] as MembershipChange)) {
      step++;
      submittedAt = -Infinity;
    }
    if (step >= steps.length) return;
    const truth = cluster.checker.membership;
    if (!hasPendingChange(truth) && cluster.now - submittedAt >= 300) {
      const at = cluster.nodeIds().filter(mayAsk);
      if (at.length > 0 && cluster.submitMembershipChange(random.pick(at), steps[step] as MembershipChange) !== null) submittedAt = cluster.now;
    }
    cluster.events.schedule(random.between(20, 100), poll);
  };
  poll();
}
