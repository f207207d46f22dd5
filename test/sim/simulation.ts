/**
 * One seeded run of a whole cluster in virtual time, in two phases (Paxos Made Live, section 6.3):
 *
 *  - safety phase: clients submit commands while faults rain down (loss, duplication, delay and
 *    reordering, symmetric partitions, deaf nodes, crashes that lose unsynced writes, restarts, pauses
 *    that resume with stale state). Progress is not required; every invariant is checked at every step.
 *  - liveness phase: faults stop, crashed nodes restart, partitions heal. Every durably submitted
 *    command must then be chosen and every replica must apply the whole log within a bound.
 *
 * Everything random derives from the seed, so `runSimulation({ seed })` replays a run exactly.
 */
import type { ProtocolConfig } from '../../src-main/core/config';
import { seededRandom } from '../../src-main/core/random';
import { InvariantViolation } from './checker';
import { SimCluster, TICK_MS, type ClusterOptions } from './cluster';
import type { PlantedBug } from './sim-node';
import { SimRandom } from './sim-random';

export type FaultKind = 'loss' | 'duplication' | 'delay' | 'partition' | 'deaf' | 'crash' | 'pause';
export const ALL_FAULTS: readonly FaultKind[] = ['loss', 'duplication', 'delay', 'partition', 'deaf', 'crash', 'pause'];

/** Journal bytes between checkpoints in real-storage runs: small, so crashes find every state. */
export const REAL_STORAGE_CHECKPOINT_BYTES = 16 * 1024;

/** The liveness phase must converge within this many ticks (stated in README). */
export const LIVENESS_BOUND_TICKS = 2_000;

export interface SimulationOptions {
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
}

export interface SimulationResult {
  readonly seed: number;
  readonly replicas: number;
  readonly violation: string | null;
  /** The last events before the end (or the violation), oldest first. */
  readonly trace: readonly string[];
  readonly stats: {
    readonly commandsSubmitted: number;
    readonly commandsAcknowledged: number;
    readonly slotsChosen: number;
    readonly messagesSent: number;
    readonly crashes: number;
    readonly snapshotsInstalled: number;
    /** Ticks from the start of the liveness phase until convergence (-1 if it did not converge). */
    readonly convergeTicks: number;
  };
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  const random = new SimRandom(seededRandom(options.seed ^ 0x5eed));
  const replicas = options.replicas ?? random.pick([3, 5, 7]);
  const safetyMs = options.safetyMs ?? 6_000;
  const faults = options.faults ?? ALL_FAULTS;
  // Half the runs compact their logs aggressively, so lagging replicas must install snapshots.
  const retainSlots = options.retainSlots !== undefined ? options.retainSlots : random.chance(0.5) ? random.pick([3, 10, 40]) : null;
  const cluster = new SimCluster({
    seed: options.seed,
    replicas,
    protocol: options.protocol ?? {},
    plantedBug: options.plantedBug ?? null,
    retainSlots,
    ...(options.realStorage === undefined ? {} : { realStorage: options.realStorage }),
  });
  let violation: string | null = null;
  let convergeTicks = -1;
  try {
    cluster.start();
    repeat(cluster, random, 25, safetyMs, () => submitBurst(cluster, random, random.chance(0.1) ? random.between(5, 40) : 1));
    repeat(cluster, random, 250, safetyMs, () => injectFault(cluster, random, faults, safetyMs));
    cluster.runFor(safetyMs);

    cluster.healEverything();
    const livenessStart = cluster.now;
    repeat(cluster, random, 50, livenessStart + 500, () => submitBurst(cluster, random, 1));
    cluster.runFor(500);
    const converged = cluster.runUntil(() => cluster.convergenceGaps().length === 0, LIVENESS_BOUND_TICKS * TICK_MS - 500);
    if (!converged) {
      throw new InvariantViolation(`liveness: not converged ${LIVENESS_BOUND_TICKS} ticks after faults stopped: ${cluster.convergenceGaps().join('; ')}`);
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
    violation,
    trace: cluster.trace,
    stats: {
      commandsSubmitted: cluster.submitted,
      commandsAcknowledged: cluster.checker.acknowledgedCount,
      slotsChosen: cluster.checker.chosenSlots,
      messagesSent: cluster.network.sent,
      crashes: cluster.crashes,
      snapshotsInstalled: cluster.allNodes().reduce((n, node) => n + node.snapshotsInstalled, 0),
      convergeTicks,
    },
  };
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

function injectFault(cluster: SimCluster, random: SimRandom, faults: readonly FaultKind[], safetyMs: number): void {
  const { network, members } = cluster;
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
      const sideA = random.subset(members);
      const sideB = members.filter((m) => !sideA.includes(m));
      network.partition(sideA, sideB);
      cluster.note(`partition {${sideA.join(',')}} | {${sideB.join(',')}}`);
      break;
    }
    case 'deaf': {
      const node = random.pick(members);
      network.deafen(node, members);
      cluster.note(`${node} goes deaf`);
      break;
    }
    case 'crash': {
      if (up.length === 0) break;
      const node = random.pick(up);
      cluster.crash(node.id);
      cluster.events.schedule(random.between(20, 1500), () => {
        if (!node.isUp && cluster.now < safetyMs) cluster.restart(node.id);
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
  }
  if (random.chance(0.3)) {
    network.heal();
    cluster.note('links heal');
  }
}
