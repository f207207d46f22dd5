/**
 * The sleeping laptop (issue 10): a member paused (SIGSTOP, a closed lid) long enough, under full load, to
 * fall hundreds of slots behind, which wakes up in the middle of an election.
 *
 * Between 0.3 and 1.5 s into the run it falls asleep for 1 to 1.6 s. A quarter of the time it is a
 * follower; otherwise it dozes off in the middle of an election: the leader crashes, and the first member
 * to start campaigning falls asleep right after its pre-vote requests went out (the grants wait in its
 * inbox, hundreds of slots stale by the time it reads them). At about the moment it wakes (within 3 ticks
 * either way) the leader of the day crashes and stays down, so it resumes, with its stale inbox, in the
 * middle of another election.
 *
 * Then the cluster must make progress: if the members still up are a majority, a command submitted at the
 * most advanced of them (not the laptop) must be chosen within livenessBoundMs (liveness-bound.ts), else
 * the run fails. From a little before the sleep until that check ends, the laptop owns the cluster: the
 * network is calm and the other faults stay away, so the rest of the cluster really is busy (and the
 * laptop really falls behind) and nothing but the laptop's own story stands in the way of progress.
 * Crashed leaders restart like other crashed nodes, 20 to 1,500 ms later (the one that crashed as the
 * laptop woke, once the check is over).
 */
import { majority } from '../../src-main/core/quorum';
import type { NodeId } from '../../src-main/core/types';
import { InvariantViolation } from './checker';
import { TICK_MS, type SimCluster } from './cluster';
import { livenessBoundMs } from './liveness-bound';
import { CALM_NETWORK, type LinkCapacity } from './network';
import type { SimNode } from './sim-node';
import type { SimRandom } from './sim-random';

/** The full load starts this long before the laptop falls asleep and ends this long after it wakes. */
const LOAD_LEAD_MS = 100;
/** Polls for a campaigning member at most this many ticks before settling for any member. */
const CAMPAIGN_WAIT_TICKS = 50;

export class SleepingLaptop {
  readonly loadFromMs: number;
  /** Moves to the wake-up (plus LOAD_LEAD_MS) once the laptop falls asleep. */
  loadUntilMs: number;
  private readonly ownedFromMs: number;
  /** Moves to the end of the progress check. */
  private ownedUntilMs: number;
  /** The leader that crashed as the laptop woke, while the progress check keeps it down. */
  readonly keptDown = new Set<NodeId>();
  private readonly startMs: number;
  private readonly sleepMs: number;
  private readonly crashOffsetMs: number;

  constructor(
    private readonly cluster: SimCluster,
    private readonly random: SimRandom,
    private readonly safetyMs: number,
    private readonly heldDown: ReadonlySet<NodeId>,
    private readonly capacity: LinkCapacity | null,
  ) {
    this.startMs = random.between(300, 1500);
    this.sleepMs = random.between(800, 1300);
    this.crashOffsetMs = random.between(-3 * TICK_MS, 3 * TICK_MS);
    const whileCampaigning = random.chance(0.75);
    this.loadFromMs = this.startMs - LOAD_LEAD_MS;
    this.loadUntilMs = safetyMs;
    this.ownedFromMs = this.loadFromMs;
    this.ownedUntilMs = safetyMs;
    cluster.events.schedule(this.ownedFromMs, () => {
      cluster.network.heal();
      cluster.network.conditions = { ...CALM_NETWORK };
      cluster.note('the network calms down for a sleeping laptop');
    });
    cluster.events.schedule(this.startMs, () => {
      if (whileCampaigning) {
        const crashed = this.crashLeader('as a laptop is about to doze off');
        if (crashed !== null) this.restartLater(crashed);
        this.fallAsleepOnceCampaigning(CAMPAIGN_WAIT_TICKS);
      } else {
        const leader = cluster.leader();
        const followers = this.awake().filter((n) => n.id !== leader);
        if (followers.length > 0) this.fallAsleep(random.pick(followers));
        else this.giveUp();
      }
    });
  }

  /** Whether the laptop's story runs at virtual time `now` (the other faults must stay away). */
  owns(now: number): boolean {
    return now >= this.ownedFromMs && now < this.ownedUntilMs;
  }

  private awake(): SimNode[] {
    return this.cluster.checker
      .finalMembers()
      .map((id) => this.cluster.node(id))
      .filter((n) => !this.heldDown.has(n.id) && n.isUp && !n.isPaused);
  }

  private giveUp(): void {
    this.loadUntilMs = this.cluster.now;
    this.ownedUntilMs = this.cluster.now;
  }

  private fallAsleepOnceCampaigning(ticksLeft: number): void {
    const awake = this.awake();
    const candidate = awake.find((n) => n.core?.status().role === 'candidate');
    if (candidate !== undefined) this.fallAsleep(candidate);
    else if (ticksLeft > 0) this.cluster.events.schedule(TICK_MS, () => this.fallAsleepOnceCampaigning(ticksLeft - 1));
    else if (awake.length > 0) this.fallAsleep(this.random.pick(awake));
    else this.giveUp();
  }

  private fallAsleep(laptop: SimNode): void {
    const { cluster } = this;
    this.loadUntilMs = cluster.now + this.sleepMs + LOAD_LEAD_MS;
    laptop.pause();
    cluster.note(`${laptop.id} falls asleep for ${this.sleepMs}ms (a sleeping laptop${laptop.core?.status().role === 'candidate' ? ', campaigning' : ''})`);
    let crashed: NodeId | null = null;
    cluster.events.schedule(this.sleepMs + this.crashOffsetMs, () => {
      crashed = this.crashLeader(`as ${laptop.id} wakes`);
      if (crashed !== null) this.keptDown.add(crashed);
    });
    cluster.events.schedule(this.sleepMs, () => {
      if (!laptop.isPaused) return;
      laptop.resume();
      cluster.note(`${laptop.id} wakes up (a sleeping laptop)`);
    });
    cluster.events.schedule(this.sleepMs + Math.max(0, this.crashOffsetMs) + 1, () => this.checkProgress(laptop, crashed));
  }

  /** Crashes the leader, if there is one, and returns it. */
  private crashLeader(why: string): NodeId | null {
    const leader = this.cluster.leader();
    if (leader === null) return null;
    this.cluster.crash(leader);
    this.cluster.note(`(the leader crashed ${why})`);
    return leader;
  }

  /** As crash faults do: restarts `id` 20 to 1,500 ms later, unless the safety phase is over by then. */
  private restartLater(id: NodeId): void {
    this.cluster.events.schedule(this.random.between(20, 1500), () => {
      if (!this.cluster.node(id).isUp && this.cluster.now < this.safetyMs && !this.heldDown.has(id)) this.cluster.restart(id);
    });
  }

  /** A command submitted at the most advanced survivor must be chosen within the bound. */
  private checkProgress(laptop: SimNode, crashed: NodeId | null): void {
    const { cluster } = this;
    const end = (): void => {
      this.ownedUntilMs = cluster.now;
      this.keptDown.clear();
      if (crashed === null) return;
      // In the liveness phase every node must come back at once.
      if (cluster.now >= this.safetyMs) cluster.restart(crashed);
      else this.restartLater(crashed);
    };
    const members = cluster.checker.finalMembers();
    const up = members.filter((id) => cluster.node(id).isUp && !cluster.node(id).isPaused);
    const survivors = up.filter((id) => id !== laptop.id).sort((a, b) => cluster.appliedIndex(b) - cluster.appliedIndex(a));
    const at = survivors[0];
    const probe = at === undefined || up.length < majority(members.length) ? null : cluster.submit(at, 'failover probe');
    if (probe === null) {
      end();
      return;
    }
    const boundMs = livenessBoundMs(cluster.submittedBytes, this.capacity, cluster.protocol, TICK_MS);
    const wokeAt = cluster.now;
    const poll = (): void => {
      if (cluster.checker.isChosen(probe)) {
        cluster.note(`progress: a command submitted at ${at} was chosen ${Math.round(cluster.now - wokeAt)}ms after ${laptop.id} woke`);
        end();
      } else if (cluster.now - wokeAt > boundMs) {
        throw new InvariantViolation(
          `liveness: ${laptop.id} woke up ${crashed === null ? 'with no leader about' : `as the leader ${crashed} crashed`}; a command submitted then at ${at} (of the ${up.length} members up) was not chosen within ${Math.round(boundMs)}ms`,
        );
      } else cluster.events.schedule(TICK_MS, poll);
    };
    poll();
  }
}
