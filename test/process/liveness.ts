/**
 * Liveness under stress on real processes (issue 10), shared by the tests in this folder and by
 * bench/failover-under-load.ts:
 *  - LeadershipWatch: every leadership change any member saw in a time window (from the members'
 *    own time-stamped election records, so a flap shorter than a poll is not missed);
 *  - unexpectedExits: members that exited although nobody killed them; lastWords and
 *    convergeOrExplain: where a stuck run stands, in the failure message;
 *  - firstAppliedWrite: how long until a write through given members is applied;
 *  - runLaggingFailover: the measured scenario of the issue (a follower >= N slots of full-size tweets behind, the
 *    leader SIGKILLed under load, who campaigns first chosen on purpose), returning what happened
 *    instead of asserting, so that the benchmark can print it and the test can assert it.
 */
import type { BallotView, NodeStatus } from '../../shared/api';
import { ApiCallError, sleep, type ProcessCluster, type ProcessNode } from './harness';
import { newLoadResult, tweetLoad, type LoadResult } from './load';

/** A full-size tweet: 280 graphemes of a 4-byte emoji (1,120 UTF-8 bytes), so batches fill up by bytes. */
export const FULL_TWEET = '😀'.repeat(280);

const POLL_INTERVAL_MS = 200;

function ballotText(ballot: BallotView): string {
  return `${ballot.round}.${ballot.node}`;
}

/**
 * Polls members' statuses and collects every leadership change recorded in [sinceMs, untilMs): each
 * member remembers its changes with a wall-clock time (NodeStatus.elections, bounded), so polling
 * only has to be frequent enough that none is evicted before it is read. It also notes when the
 * designated leader stops being leader or changes ballot. A SIGSTOPped member simply does not answer
 * its polls; its records are read once it resumes.
 */
export class LeadershipWatch {
  /** Wall-clock ms -> what happened then. */
  private readonly seen = new Map<number, Set<string>>();
  private readonly loops: Promise<void>[];
  private stopped = false;

  private constructor(
    private readonly nodes: readonly ProcessNode[],
    private readonly leaderId: string,
    private readonly leaderBallot: BallotView,
    readonly sinceMs: number,
  ) {
    this.loops = nodes.map((node) => this.poll(node));
  }

  /** Starts watching now; `leader` must be the leader at this moment. */
  static async start(nodes: readonly ProcessNode[], leader: ProcessNode): Promise<LeadershipWatch> {
    const status = await leader.status();
    if (status.role !== 'leader') throw new Error(`${leader.spec.id} is not the leader (${status.role})`);
    return new LeadershipWatch(nodes, status.id, status.ballot, Date.now());
  }

  /** One more look at `nodes` now (e.g. at the leader just before it is killed). */
  async look(nodes: readonly ProcessNode[] = this.nodes): Promise<void> {
    await Promise.all(nodes.map(async (node) => this.note(await node.status().catch(() => null))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Every change seen before `untilMs`, oldest first, as `+ms id: what`. */
  changesBefore(untilMs: number): string[] {
    const changes = [...this.seen.entries()].filter(([at]) => at < untilMs).sort(([a], [b]) => a - b);
    return changes.flatMap(([at, notes]) => [...notes].map((note) => `+${at - this.sinceMs} ms ${note}`));
  }

  private async poll(node: ProcessNode): Promise<void> {
    while (!this.stopped) {
      this.note(await node.status().catch(() => null));
      await sleep(POLL_INTERVAL_MS);
    }
  }

  private note(status: NodeStatus | null): void {
    if (status === null) return;
    for (const record of status.elections) {
      if (record.at >= this.sinceMs) this.add(record.at, `${status.id}: leader ${record.leader ?? 'none'} at ballot ${ballotText(record.ballot)}`);
    }
    if (status.id !== this.leaderId) return;
    // A change of the watched leader's own state, timed when polled (it happened no later).
    let sighting: string | null = null;
    if (status.role !== 'leader') sighting = `${status.id} (the watched leader) is ${status.role} at ballot ${ballotText(status.ballot)}`;
    else if (ballotText(status.ballot) !== ballotText(this.leaderBallot)) sighting = `${status.id} (the watched leader) went from ballot ${ballotText(this.leaderBallot)} to ${ballotText(status.ballot)}`;
    // A state seen in several polls is one change: keep its first sighting.
    if (sighting !== null && ![...this.seen.values()].some((notes) => notes.has(sighting))) this.add(Date.now(), sighting);
  }

  private add(atMs: number, note: string): void {
    const notes = this.seen.get(atMs) ?? new Set<string>();
    notes.add(note);
    this.seen.set(atMs, notes);
  }
}

/** Members of `nodes` that are no longer running (none of them was killed on purpose), with why and their last words. */
export function unexpectedExits(nodes: readonly ProcessNode[]): string[] {
  return nodes
    .filter((node) => !node.running && node.child !== null)
    .map((node) => `${node.spec.id} exited (code ${node.child?.exitCode ?? 'none'}, signal ${node.child?.signalCode ?? 'none'}), ${lastWords([node], 8)}`);
}

/** The last `lines` log lines of each of `nodes`, to say where a run got stuck. */
export function lastWords(nodes: readonly ProcessNode[], lines = 6): string {
  return nodes.map((node) => `${node.spec.id}:\n    ${node.logs.slice(-lines).join('\n    ')}`).join('\n  ');
}

/** What a stressed member logged about leadership, stalls and catching up: to explain a flap in a failure message. */
const STRESS_EVENTS = /^\S+ \S+ (event-loop-stall|following|lost-leadership|campaigning|elected|campaign-asked|snapshot-[a-z]+|caught-up|peer-down|peer-up) /;

/** Every line of `nodes` about leadership, stalls and catching up (STRESS_EVENTS), each member's oldest first. */
export function stressLines(nodes: readonly ProcessNode[]): string {
  return nodes.map((node) => `${node.spec.id}:\n    ${node.logs.filter((line) => STRESS_EVENTS.test(line)).join('\n    ')}`).join('\n  ');
}

/**
 * When each of `nodes` first logged `event` at or after `sinceWallMs` (ms after it), from the ISO
 * timestamps that start the log lines: e.g. how long after a leader's death a survivor campaigned.
 */
export function firstEventAfter(nodes: readonly ProcessNode[], event: string, sinceWallMs: number): Map<string, number> {
  const firsts = new Map<string, number>();
  for (const node of nodes) {
    for (const line of node.logs) {
      const [stamp, , name] = line.split(' ');
      const at = Date.parse(stamp ?? '');
      if (name === event && at >= sinceWallMs) {
        firsts.set(node.spec.id, at - sinceWallMs);
        break;
      }
    }
  }
  return firsts;
}

/** cluster.waitForConvergence, failing with where each running member stands and its last log lines. */
export async function convergeOrExplain(cluster: ProcessCluster, timeoutMs: number): Promise<void> {
  try {
    await cluster.waitForConvergence(timeoutMs);
  } catch (error) {
    const nodes = cluster.running();
    const standings = await Promise.all(
      nodes.map(async (node) => {
        const s = await node.status().catch(() => null);
        return s === null ? `${node.spec.id}: no answer` : `${s.id}: ${s.role}, leader ${s.leader ?? 'none'} at ${ballotText(s.ballot)}, commit ${s.commitIndex}, applied ${s.appliedIndex}, pending ${s.pendingCommands}`;
      }),
    );
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${standings.join('; ')}\n  ${lastWords(nodes)}`, { cause: error });
  }
}

/**
 * Keeps writing through `targets` (a new tweet to each every `everyMs`, so a write that got stuck
 * does not hide a later one that goes through) until one is applied or `deadlineMs` (performance.now())
 * passes. Resolves with when the first write was applied, or null; waits for every write it started,
 * recording each in `result`.
 */
export async function firstAppliedWrite(targets: readonly ProcessNode[], deadlineMs: number, result: LoadResult, everyMs = 100): Promise<number | null> {
  let appliedAt: number | null = null;
  const writes: Promise<void>[] = [];
  let count = 0;
  const write = async (target: ProcessNode): Promise<void> => {
    try {
      const receipt = await target.call('tweet', { text: `failover probe ${count++} through ${target.spec.id}` }, 30_000);
      appliedAt ??= performance.now();
      result.acknowledged.set(receipt.id, receipt.slot);
    } catch (error) {
      if (error instanceof ApiCallError && error.code === 'pending' && error.id !== undefined) result.pending.add(error.id);
      else result.failed++;
    }
  };
  while (appliedAt === null && performance.now() < deadlineMs) {
    for (const target of targets) writes.push(write(target));
    await sleep(everyMs);
  }
  await Promise.all(writes);
  return appliedAt;
}

/**
 * Who campaigns first once the leader is dead:
 *  - 'laggard-first': the up-to-date survivor is SIGSTOPped for `pauseMs` around the leader's death,
 *    so the laggard, resumed at once, campaigns alone (its promise request reaches a survivor that
 *    holds >= lagSlots chosen slots it lacks);
 *  - 'survivor-first': the laggard is resumed only `pauseMs` after the leader's death, so the
 *    survivor has long timed out and campaigns first (it needs the laggard's promise for a majority).
 * Either way the pause counts against the failover time.
 */
export type CampaignOrder = 'laggard-first' | 'survivor-first';

/** The laggard could not be put far enough behind: the cluster was too slow or a member exited. */
export class LagNotReachedError extends Error {
  constructor(
    readonly slots: number,
    readonly elapsedMs: number,
    readonly exits: readonly string[],
    readonly leadershipChanges: readonly string[],
    detail: string,
  ) {
    const changes = leadershipChanges.length === 0 ? 'none' : `${leadershipChanges.length} (first ${Math.min(10, leadershipChanges.length)}: ${leadershipChanges.slice(0, 10).join('; ')})`;
    super(`${detail}: ${slots} slots in ${elapsedMs.toFixed(0)} ms (${((slots / elapsedMs) * 1_000).toFixed(1)} slots/s); exits: ${exits.join('; ') || 'none'}; leadership changes: ${changes}`);
  }
}

export interface LaggingFailoverOptions {
  readonly order: CampaignOrder;
  /** Concurrent clients tweeting FULL_TWEETs to the leader. */
  readonly clients: number;
  /** How far behind (slots) the SIGSTOPped follower must be when the leader is killed. */
  readonly lagSlots: number;
  /** Give up building the lag after this long (the cluster is then too slow or unstable to test). */
  readonly lagTimeoutMs: number;
  /** Start no more writes through the survivors this long after the leader's death (those started may still be applied later). */
  readonly failoverTimeoutMs: number;
  readonly pauseMs: number;
}

export const DEFAULT_FAILOVER_OPTIONS: Omit<LaggingFailoverOptions, 'order'> = {
  clients: 64,
  lagSlots: 1_000,
  lagTimeoutMs: 45_000,
  failoverTimeoutMs: 10_000,
  pauseMs: 300,
};

export interface FailoverRun {
  readonly order: CampaignOrder;
  /** The member SIGKILLed: the leader at that moment. */
  readonly leader: ProcessNode;
  readonly laggard: ProcessNode;
  /** The up-to-date survivor. */
  readonly survivor: ProcessNode;
  /** The awake members' commit index when the leader was killed minus theirs when the laggard was stopped (a lower bound on the lag). */
  readonly lagSlots: number;
  /** How long the load ran with the laggard stopped, and what it achieved. */
  readonly loadMs: number;
  readonly slotsPerSecond: number;
  /** Tweets acknowledged per slot meanwhile (about 28 FULL_TWEETs fill a 32 KiB batch). */
  readonly tweetsPerSlot: number;
  /** Date.now() when the leader was SIGKILLed (to place the survivors' log lines). */
  readonly killedAtWallMs: number;
  /** From the leader's SIGKILL to the first write through a survivor being applied; null if none of those started within failoverTimeoutMs ever was. */
  readonly failoverMs: number | null;
  /** Survivors that exited. */
  readonly exits: string[];
  /** Leadership changes while the leader was alive (from the load's start to its SIGKILL). */
  readonly leadershipChanges: string[];
  /** Everything acknowledged (the load and the probes). */
  readonly acknowledged: ReadonlyMap<string, number>;
  /** Probes through survivors that answered `pending`: queued at a live node, so they must be chosen. */
  readonly pendingAtSurvivors: ReadonlySet<string>;
}

/**
 * The scenario of issue 10 on a started 3-node cluster: `clients` clients tweet full-size tweets to
 * the leader; one follower (the laggard) is SIGSTOPped until the awake members' commit index is
 * `lagSlots` above what the laggard can have; then the leader is SIGKILLed and the laggard resumed in
 * the given campaign order, and writes go through both survivors until one is applied. Throws
 * LagNotReachedError if the lag cannot be built (a member exited, or the lag timeout passed).
 */
export async function runLaggingFailover(cluster: ProcessCluster, options: LaggingFailoverOptions): Promise<FailoverRun> {
  await cluster.waitForConvergence();
  const firstLeader = await cluster.waitForLeader();
  const [laggard, other] = cluster.nodes.filter((node) => node !== firstLeader) as [ProcessNode, ProcessNode];
  const watch = await LeadershipWatch.start(cluster.nodes, firstLeader);
  const load = newLoadResult();
  let loading = true;
  const loadDone = tweetLoad(() => [firstLeader], options.clients, () => !loading, load, 'lag', () => FULL_TWEET);
  const awakeCommit = async (): Promise<number> => Math.max(...(await Promise.all([firstLeader, other].map(async (node) => (await node.status().catch(() => null))?.commitIndex ?? 0))));
  try {
    await sleep(1_000); // the whole cluster under load first: no flapping with everyone awake either
    laggard.signal('SIGSTOP');
    // The laggard cannot have learned more than the awake members had chosen when it stopped.
    const stoppedAtCommit = await awakeCommit();
    const stoppedAt = performance.now();
    const acknowledgedAtStop = load.acknowledged.size;
    let commit = stoppedAtCommit;
    while (commit < stoppedAtCommit + options.lagSlots) {
      const exits = unexpectedExits(cluster.nodes);
      const elapsedMs = performance.now() - stoppedAt;
      if (exits.length > 0 || elapsedMs > options.lagTimeoutMs) {
        const detail = `could not put ${laggard.spec.id} ${options.lagSlots} slots behind (${load.acknowledged.size} tweets acknowledged)`;
        throw new LagNotReachedError(commit - stoppedAtCommit, elapsedMs, exits, watch.changesBefore(Date.now()), detail);
      }
      await sleep(POLL_INTERVAL_MS);
      commit = Math.max(commit, await awakeCommit());
    }
    const loadMs = performance.now() - stoppedAt;
    const tweetsPerSlot = (load.acknowledged.size - acknowledgedAtStop) / Math.max(1, commit - stoppedAtCommit);
    await watch.look([firstLeader, other]);
    // Kill whoever leads now: if leadership moved under load (reported as a change), the first leader is a mere follower.
    const [leader, survivor] = (await other.status().catch(() => null))?.role === 'leader' ? [other, firstLeader] : [firstLeader, other];
    const killedAtWallMs = Date.now();
    if (options.order === 'laggard-first') survivor.signal('SIGSTOP');
    loading = false;
    const killedAt = performance.now();
    await leader.kill();
    if (options.order === 'laggard-first') laggard.signal('SIGCONT');
    const survivors = [laggard, survivor];
    const probes = newLoadResult();
    const firstWrite = firstAppliedWrite(survivors, killedAt + options.failoverTimeoutMs, probes);
    await sleep(options.pauseMs);
    (options.order === 'laggard-first' ? survivor : laggard).signal('SIGCONT');
    const appliedAt = await firstWrite;
    await loadDone;
    await watch.look(survivors);
    await watch.stop();
    return {
      order: options.order,
      leader,
      laggard,
      survivor,
      lagSlots: commit - stoppedAtCommit,
      loadMs,
      slotsPerSecond: ((commit - stoppedAtCommit) / loadMs) * 1_000,
      tweetsPerSlot,
      killedAtWallMs,
      failoverMs: appliedAt === null ? null : appliedAt - killedAt,
      exits: unexpectedExits(survivors),
      leadershipChanges: watch.changesBefore(killedAtWallMs),
      acknowledged: new Map([...load.acknowledged, ...probes.acknowledged]),
      pendingAtSurvivors: probes.pending,
    };
  } finally {
    loading = false;
    for (const node of cluster.nodes) if (node.running) node.signal('SIGCONT');
    await loadDone;
    await watch.stop();
  }
}
