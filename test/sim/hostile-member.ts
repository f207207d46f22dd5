/**
 * The hostile member in the simulator: the peer fuzzer's generator (test/fuzz/hostile-messages.ts,
 * hostileCoreMessages) run in process against the real core, under the checker.
 *
 * During the safety phase a rogue host injects one hostile core message every `meanGapMs` on average,
 * each impersonating a real member (the simulator has no authentication to get past) and addressed to
 * a running member. It goes through the simulated network from a host of its own, so it is lost,
 * duplicated, delayed and reordered like any datagram, and competes for the receiver's inbox; the
 * receiver's validation boundary (SimNode.admit) drops what a real node's check of core messages drops.
 * Every command a message
 * introduces is registered with the checker as proposed, as the generator's contract demands: the checker
 * then still fails a run on any chosen command nobody proposed.
 *
 * Injection stops with the safety phase: a member holding the secret can always hold up progress (a
 * prepare at a higher ballot in a real member's name makes that acceptor refuse the leader, as a
 * dueling proposer would), so the liveness bound (liveness-bound.ts) is not meant to hold while one
 * keeps sending, and it needs no allowance for what is left: the last hostile messages arrive within
 * the first second of the liveness phase (the longest delay plus a full link queue), like the real
 * members' stale messages, and the runs converge well within the bound (the slowest of 200 hostile
 * seeds used 19 % of it, the slowest of 300 ordinary ones 17 %). Like the other faults, the
 * rogue also stays away while a sleeping laptop owns the cluster: that progress check is about the
 * laptop's own story (sleeping-laptop.ts). (It is not needed to pass: with the rogue injecting through
 * the laptop's check too, 200 hostile seeds passed it.)
 */
import { compareBallots, ZERO_BALLOT, type Ballot } from '../../src-main/core/ballot';
import { messageSizeBound } from '../../src-main/core/message-size';
import { seededRandom } from '../../src-main/core/random';
import type { Message } from '../../src-main/core/types';
import { hostileCoreMessages, type HostileInjection, type HostileView } from '../fuzz/hostile-messages';
import type { SimCluster } from './cluster';
import { SimRandom } from './sim-random';

/**
 * The rogue's own host on the simulated network: its links are its own, not shared with the member it
 * impersonates, and partitions between members leave them alone (a deaf member hears it no more than
 * anyone else).
 */
export const ROGUE_HOST = 'rogue';

/** Share of seeds that draw a hostile member when the options do not say. */
export const HOSTILE_SEED_SHARE = 1 / 8;

/**
 * One injection every 10 ms on average: about 600 hostile messages in a 6 s safety phase, beside the
 * real members' 7,000 or so, enough to reach every branch of the check many times per seed.
 */
export const DEFAULT_HOSTILE_GAP_MS = 10;

/**
 * The highest of the generator's stale ballots (hostile-fields.ts, staleBallot): it offers values at
 * plausible slots at these ballots, fair only toward an acceptor that promised more (see arrive).
 */
const STALEST_BALLOT: Ballot = { round: 1, node: 'A' };

/** Whether `seed` runs with a hostile member (`pinned`: what the options say, if anything). */
export function drawHostile(seed: number, pinned: boolean | undefined): boolean {
  // A stream of its own: seeds without a hostile member replay exactly as before it existed.
  return pinned ?? new SimRandom(seededRandom(seed ^ 0x4057113)).chance(HOSTILE_SEED_SHARE);
}

export class HostileMember {
  /** Messages sent into the network. */
  injected = 0;
  private readonly random: SimRandom;
  private readonly messages: Generator<HostileInjection, never, undefined>;
  /** What the generator is told about the cluster: refreshed before each message. */
  private view: HostileView | null = null;

  constructor(
    private readonly cluster: SimCluster,
    seed: number,
    private readonly meanGapMs: number,
    private readonly untilMs: number,
    /** While this holds, nothing is injected (a liveness check is under way). */
    private readonly standsBack: () => boolean,
  ) {
    this.random = new SimRandom(seededRandom(seed ^ 0x0bad1dea));
    this.messages = hostileCoreMessages(seed ^ 0x7e57ab1e, () => {
      if (this.view === null) throw new Error('the hostile generator ran without a view');
      return this.view;
    });
  }

  start(): void {
    this.cluster.note(`a hostile member injects a core message every ${this.meanGapMs}ms on average until ${this.untilMs}ms`);
    this.scheduleNext();
  }

  private scheduleNext(): void {
    this.cluster.events.schedule(this.random.between(1, 2 * this.meanGapMs), () => {
      if (this.cluster.now >= this.untilMs) return;
      if (!this.standsBack()) this.inject();
      this.scheduleNext();
    });
  }

  private inject(): void {
    this.view = viewOf(this.cluster);
    if (this.view === null) return;
    const { message, introduces } = this.messages.next().value;
    for (const command of introduces) this.cluster.checker.proposed(command);
    const bytes = messageSizeBound(message);
    this.injected++;
    this.cluster.network.send(ROGUE_HOST, message.to, bytes, () => this.arrive(message, bytes));
  }

  /**
   * The generator's fairness contract allows an accept at a plausible slot only at a stale ballot that
   * every acceptor has out-promised: otherwise it is a lie no Paxos survives (two values accepted in one
   * slot at one ballot). A member that has promised nothing yet (before the first election, or a
   * newcomer) could still take it, so such an accept is held back from it. Checked at arrival: within
   * one life a promise only grows, and the inbox dies with the life. (The check now drops these accepts
   * anyway, their sender not owning the ballot; this keeps the contract whatever the check does.)
   */
  private arrive(message: Message, bytes: number): void {
    const node = this.cluster.node(message.to);
    if (message.type === 'accept' && compareBallots(message.ballot, STALEST_BALLOT) <= 0) {
      const promised = node.core?.status().promised ?? ZERO_BALLOT;
      if (compareBallots(promised, STALEST_BALLOT) <= 0) return;
    }
    node.deliver(message, bytes);
  }
}

/**
 * The cluster as the rogue sees it, from the real replicas (a member of the cluster learns all of this
 * from the messages it receives): the targets are the running members of the latest configuration; the
 * leader's ballot and commit index are read together from the same replica, as the contract requires
 * (a commit index it sends at that ballot is then one that leader would send itself). Null when no
 * member runs.
 *
 * A race the generator cannot see: its addMember of a current member (rejected as already-member when
 * chosen) re-adds that member if the simulation's own membership changes remove it first. Re-adding a
 * removed member with its durable state intact is a change an operator may make, so the checker judges
 * it like any other.
 */
function viewOf(cluster: SimCluster): HostileView | null {
  const members = cluster.checker.finalMembers();
  const running = members.filter((id) => cluster.node(id).isUp);
  if (running.length === 0) return null;
  const leader = cluster.leader();
  const status = leader === null ? null : cluster.status(leader);
  const commitIndex = Math.max(0, ...cluster.allNodes().map((node) => node.core?.commitIndex ?? 0));
  return {
    self: null,
    realMembers: running,
    members,
    leader,
    leaderBallot: status?.ballot ?? ZERO_BALLOT,
    leaderCommitIndex: status?.commitIndex ?? 0,
    commitIndex,
  };
}
