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
import { seededRandom } from '../../src-main/core/random';
import type { ProtocolConfig } from '../../src-main/core/config';
import type { Message, NodeId } from '../../src-main/core/types';
import { InvariantChecker, InvariantViolation } from './checker';
import { EventQueue } from './event-queue';
import { CALM_NETWORK, SimNetwork } from './network';
import { SimNode, type PlantedBug } from './sim-node';
import { SimRandom } from './sim-random';

export interface SimulationOptions {
  readonly seed: number;
  /** Cluster size; when absent the seed picks 3, 5 or 7. */
  readonly replicas?: number;
  readonly plantedBug?: PlantedBug | null;
  /** Virtual duration of the fault phase. */
  readonly safetyMs?: number;
  /** The liveness phase must converge within this much virtual time. */
  readonly livenessBoundMs?: number;
  /** Faults to use; all by default. */
  readonly faults?: readonly FaultKind[];
  readonly protocol?: Partial<ProtocolConfig>;
}

export type FaultKind = 'loss' | 'duplication' | 'delay' | 'partition' | 'deaf' | 'crash' | 'pause';
export const ALL_FAULTS: readonly FaultKind[] = ['loss', 'duplication', 'delay', 'partition', 'deaf', 'crash', 'pause'];

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
    /** Virtual ms from the start of the liveness phase until convergence. */
    readonly convergeMs: number;
    /** The same in election ticks of the replicas. */
    readonly convergeTicks: number;
  };
}

export const TICK_MS = 10;
const TRACE_LENGTH = 60;

export function runSimulation(options: SimulationOptions): SimulationResult {
  const random = new SimRandom(seededRandom(options.seed));
  const replicas = options.replicas ?? random.pick([3, 5, 7]);
  const members: NodeId[] = Array.from({ length: replicas }, (_, i) => `n${i + 1}`);
  const safetyMs = options.safetyMs ?? 6_000;
  const livenessBoundMs = options.livenessBoundMs ?? 20_000;
  const faults = new Set(options.faults ?? ALL_FAULTS);
  const events = new EventQueue();
  const checker = new InvariantChecker(members);
  const trace: string[] = [];
  const note = (text: string): void => {
    trace.push(`${String(events.now).padStart(6)}ms ${text}`);
    if (trace.length > TRACE_LENGTH) trace.shift();
  };

  const nodes = new Map<NodeId, SimNode>();
  const network = new SimNetwork(events, random, (message: Message) => nodes.get(message.to)?.deliver(message));
  const settings = {
    members,
    protocol: options.protocol ?? {},
    tickMs: TICK_MS,
    fsyncMinMs: 0.2,
    fsyncMaxMs: 3,
    inboxLimit: 4096,
    plantedBug: options.plantedBug ?? null,
  };
  for (const id of members) {
    nodes.set(id, new SimNode(id, settings, events, seededRandom(random.int(2 ** 31)), checker, (m) => network.send(m)));
  }
  const nodeList = [...nodes.values()];
  let submitted = 0;
  let crashes = 0;

  const submitSome = (count: number): void => {
    const candidates = nodeList.filter((n) => n.isUp && !n.isPaused);
    if (candidates.length === 0) return;
    const node = random.pick(candidates);
    for (let i = 0; i < count; i++) {
      const command = node.submit(`cmd-${submitted}`);
      if (command !== null) submitted++;
    }
    note(`client submits ${count} at ${node.id}`);
  };

  const injectFault = (): void => {
    const kind = random.pick([...faults]);
    const up = nodeList.filter((n) => n.isUp);
    switch (kind) {
      case 'loss':
        network.conditions.lossRate = random.pick([0, 0.05, 0.2, 0.4]);
        note(`network loss ${network.conditions.lossRate}`);
        break;
      case 'duplication':
        network.conditions.duplicateRate = random.pick([0, 0.05, 0.3]);
        note(`network duplication ${network.conditions.duplicateRate}`);
        break;
      case 'delay':
        network.conditions.maxDelayMs = random.pick([4, 30, 150, 600]);
        note(`network delay up to ${network.conditions.maxDelayMs}ms`);
        break;
      case 'partition': {
        network.heal();
        const sideA = random.subset(members);
        const sideB = members.filter((m) => !sideA.includes(m));
        network.partition(sideA, sideB);
        note(`partition {${sideA.join(',')}} | {${sideB.join(',')}}`);
        break;
      }
      case 'deaf': {
        const node = random.pick(members);
        network.deafen(node, members);
        note(`${node} goes deaf`);
        break;
      }
      case 'crash': {
        if (up.length === 0) break;
        const node = random.pick(up);
        node.crash();
        crashes++;
        note(`${node.id} crashes`);
        events.schedule(random.between(20, 1500), () => {
          if (!node.isUp && events.now < safetyMs) {
            node.restart();
            note(`${node.id} restarts`);
          }
        });
        break;
      }
      case 'pause': {
        const candidates = up.filter((n) => !n.isPaused);
        if (candidates.length === 0) break;
        const node = random.pick(candidates);
        node.pause();
        note(`${node.id} pauses`);
        events.schedule(random.between(50, 2000), () => {
          if (node.isPaused) {
            node.resume();
            note(`${node.id} resumes`);
          }
        });
        break;
      }
    }
    if (random.chance(0.3)) {
      network.heal();
      note('links heal');
    }
  };

  const scheduleRepeating = (meanGapMs: number, until: number, action: () => void): void => {
    const next = (): void => {
      if (events.now >= until) return;
      action();
      events.schedule(random.between(1, meanGapMs * 2), next);
    };
    events.schedule(random.between(1, meanGapMs * 2), next);
  };

  let violation: string | null = null;
  let convergeMs = -1;
  try {
    for (const node of nodeList) node.start();
    scheduleRepeating(25, safetyMs, () => submitSome(random.chance(0.1) ? random.between(5, 40) : 1));
    scheduleRepeating(250, safetyMs, injectFault);
    while (events.runNext(safetyMs)) {
      /* every hook checks its invariants as the event runs */
    }

    // Liveness phase: all faults stop.
    network.heal();
    network.conditions = { ...CALM_NETWORK };
    for (const node of nodeList) {
      if (!node.isUp) node.restart();
      if (node.isPaused) node.resume();
    }
    note('liveness phase: faults stop, every node up');
    const livenessStart = events.now;
    scheduleRepeating(50, livenessStart + 500, () => submitSome(1));
    const deadline = livenessStart + livenessBoundMs;
    const appliedIndexOf = (id: NodeId): number => nodes.get(id)?.core?.status().appliedIndex ?? 0;
    const checkConvergence = (): void => {
      if (events.now > livenessStart + 500 && checker.convergenceGaps(appliedIndexOf).length === 0) convergeMs = events.now - livenessStart;
      else events.schedule(TICK_MS, checkConvergence);
    };
    events.schedule(TICK_MS, checkConvergence);
    while (convergeMs < 0 && events.runNext(deadline)) {
      /* nodes keep ticking, so events never run out before the deadline */
    }
    if (convergeMs < 0) {
      const gaps = checker.convergenceGaps(appliedIndexOf);
      throw new InvariantViolation(`liveness: no convergence within ${livenessBoundMs}ms after faults stopped: ${gaps.join('; ')}`);
    }
    checker.checkAcknowledgedSurvive();
  } catch (error) {
    if (!(error instanceof InvariantViolation)) throw error;
    violation = error.message;
    note(`VIOLATION: ${error.message}`);
  }

  return {
    seed: options.seed,
    replicas,
    violation,
    trace,
    stats: {
      commandsSubmitted: submitted,
      commandsAcknowledged: checker.acknowledgedCount,
      slotsChosen: checker.chosenSlots,
      messagesSent: network.sent,
      crashes,
      convergeMs,
      convergeTicks: convergeMs < 0 ? -1 : Math.ceil(convergeMs / TICK_MS),
    },
  };
}
