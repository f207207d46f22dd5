/**
 * The stress of issue 10, drawn per seed: how fast the links are, whether clients send full-size batches,
 * and the "sleeping laptop" (a member paused long enough under load to fall hundreds of slots behind,
 * which wakes up in the middle of an election).
 *
 * Drawn from a random stream of its own, so that pinning any of it (StressOptions) leaves the seed's other
 * choices (cluster size, faults, workload) as they are.
 */
import { seededRandom } from '../../src-main/core/random';
import type { NodeId } from '../../src-main/core/types';
import { TICK_MS, type SimCluster } from './cluster';
import type { LinkCapacity } from './network';
import { SimRandom } from './sim-random';
import { SleepingLaptop } from './sleeping-laptop';

export type Workload = 'light' | 'full';

export interface Stress {
  /** Null: infinitely fast links. */
  readonly linkCapacity: LinkCapacity | null;
  /** 'full': for a stretch of the run, clients also send full-size tweets (runFullLoad). */
  readonly workload: Workload;
  readonly sleepingLaptop: boolean;
  /**
   * Log retention this stress requires (undefined: the simulation's own draw). A sleeping laptop meets a
   * real retention: real nodes keep 10,000 slots, which the scaled-down simulation keeps as 1,000 (or
   * never compacts), so the laptop's peers still hold every slot it missed.
   */
  readonly retainSlots?: number | null;
}

export interface StressOptions {
  readonly bandwidthBytesPerMs?: number | null;
  readonly workload?: Workload;
  readonly sleepingLaptop?: boolean;
}

/**
 * Link speeds, in bytes per virtual millisecond. The simulated byte limits are about an eighth of the real
 * ones (sim-protocol.ts), so these stand for links eight times faster: 1 Gbit/s, 100 Mbit/s, 20 Mbit/s and a
 * poor 8 Mbit/s. The slowest one is about as fast as the full workload's accepts to each follower.
 */
export const BANDWIDTHS_BYTES_PER_MS: readonly number[] = [125_000, 12_500, 2_500, 1_000];

/** A link queue longer than this drops (a socket buffer, a router queue): bounds how late a datagram arrives; it holds two snapshot blocks even on the slowest link. */
export const LINK_QUEUE_LIMIT_MS = 300;

export function drawStress(seed: number, options: StressOptions): Stress {
  const random = new SimRandom(seededRandom(seed ^ 0x5a7e55));
  const bandwidth = options.bandwidthBytesPerMs !== undefined ? options.bandwidthBytesPerMs : random.pick(BANDWIDTHS_BYTES_PER_MS);
  const sleepingLaptop = options.sleepingLaptop ?? random.chance(0.25);
  const workload = options.workload ?? (sleepingLaptop || random.chance(0.1) ? 'full' : 'light');
  return {
    linkCapacity: bandwidth === null ? null : { bandwidthBytesPerMs: bandwidth, queueLimitMs: LINK_QUEUE_LIMIT_MS },
    workload,
    sleepingLaptop,
    ...(sleepingLaptop ? { retainSlots: random.pick([1_000, null]) } : {}),
  };
}

/**
 * Clients of the full workload. Each keeps one full-size tweet outstanding, like a user waiting to see it
 * posted: it submits at a random running node and sends the next one once that one is chosen, or once it
 * gives up (its node crashed or paused, or CLIENT_PATIENCE_MS passed; the command stays pending in the
 * cluster). A closed loop: the load follows what the cluster sustains (when healthy, several commands
 * per tick, filling batches of three), instead of piling up thousands of pending commands while a link
 * or a quorum is down.
 */
const FULL_LOAD_CLIENTS = 12;
const CLIENT_PATIENCE_MS = 2_000;
/** Between two tweets of one client (typing, reading). */
const CLIENT_THINK_MAX_MS = 10;

/** Runs the full-size clients from virtual time `fromMs` until `untilMs()` (asked as they go: it may move). */
export function runFullLoad(cluster: SimCluster, random: SimRandom, fromMs: number, untilMs: () => number): void {
  const client = (): void => {
    if (cluster.now >= untilMs()) return;
    const running = cluster.allNodes().filter((n) => n.isUp && !n.isPaused);
    if (running.length === 0) {
      cluster.events.schedule(random.between(1, CLIENT_THINK_MAX_MS), client);
      return;
    }
    const node = random.pick(running);
    const command = cluster.submitFullTweet(node.id);
    const sentAtMs = cluster.now;
    const wait = (): void => {
      const core = node.core;
      const waiting = command !== null && core !== null && !node.isPaused && core.isPending(command) && cluster.now - sentAtMs < CLIENT_PATIENCE_MS;
      cluster.events.schedule(waiting ? TICK_MS : random.between(1, CLIENT_THINK_MAX_MS), waiting ? wait : client);
    };
    wait();
  };
  for (let i = 0; i < FULL_LOAD_CLIENTS; i++) cluster.events.schedule(fromMs - cluster.now + random.between(0, TICK_MS), client);
}

/** How long clients send full-size tweets in a 'full' run without a sleeping laptop. */
const FULL_LOAD_MS = 1_000;

/**
 * Schedules the seed's stress for a safety phase of `safetyMs`. Returns the sleeping laptop, if any: while
 * it owns the cluster (laptop.owns), the other faults stay away.
 */
export function scheduleStress(cluster: SimCluster, random: SimRandom, stress: Stress, safetyMs: number, heldDown: ReadonlySet<NodeId>): SleepingLaptop | null {
  if (stress.sleepingLaptop) {
    const laptop = new SleepingLaptop(cluster, random, safetyMs, heldDown, stress.linkCapacity);
    runFullLoad(cluster, random, laptop.loadFromMs, () => laptop.loadUntilMs);
    return laptop;
  }
  if (stress.workload === 'full') {
    const fromMs = random.between(200, safetyMs - FULL_LOAD_MS - 200);
    runFullLoad(cluster, random, fromMs, () => fromMs + FULL_LOAD_MS);
  }
  return null;
}
