/**
 * Watches every node's event loop from outside: a cheap status call every `intervalMs` per node, timed
 * minus whatever this process's own loop lost meanwhile. A reading above `stallMs` is a stall. It is
 * blamed on the node unless the machine explains it: the time the node's main thread waited for a CPU
 * during the call (run-queue.ts, Linux) is subtracted, and where the kernel does not tell, a slow
 * canary (an idle control process, canary.ts) at the same moment excuses it. Excused episodes are
 * recorded as the machine's. Consecutive slow readings of one node are one episode (worst one kept).
 *
 * It also keeps each node's latest status (the fuzzer's view of the cluster comes from here) and the
 * largest event-loop delay each node reported about itself (status.metrics.eventLoopDelayMaxMs), which
 * the summary shows: it cannot tell a starved machine from a stalled node, so it decides nothing.
 */
import type { NodeStatus } from '../../shared/api';
import type { ProcessNode } from '../process/harness';
import type { Canary } from './canary';
import type { OwnLagMonitor } from './own-lag';
import { runQueueWaitMs } from './run-queue';

/** A status call slower than this has surely stalled (and must not hold the probe up longer). */
const PROBE_TIMEOUT_MS = 2_000;
/**
 * The node's own loop-delay figure spans its last ~10 s, which right after a start include loading the
 * code and recovering: it is read only once a node has been up this long.
 */
const LOOP_METRIC_GRACE_MS = 12_000;

export interface StallEpisode {
  readonly node: string;
  /** Date.now() of the first slow reading. */
  readonly startedAt: number;
  /** 'node': the node was slow by itself; 'machine': a starved machine explains the delay. */
  blame: 'node' | 'machine';
  worstMs: number;
  /** Of the worst reading, how long the node waited for a CPU (null where the kernel does not tell). */
  starvedMs: number | null;
}

interface Watch {
  readonly node: ProcessNode;
  paused: boolean;
  upSinceMs: number;
  latest: NodeStatus | null;
  /** The largest eventLoopDelayMaxMs the node reported (after its start-up grace). */
  loopDelayMaxMs: number;
  open: StallEpisode | null;
}

export class StallProbe {
  private readonly watches: Watch[];
  private readonly episodes: StallEpisode[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    nodes: readonly ProcessNode[],
    private readonly ownLag: OwnLagMonitor,
    private readonly canary: Canary,
    private readonly stallMs: number,
    private readonly intervalMs: number,
  ) {
    this.watches = nodes.map((node) => ({ node, paused: false, upSinceMs: Date.now(), latest: null, loopDelayMaxMs: 0, open: null }));
  }

  start(): void {
    this.running = true;
    this.canary.watch(this.intervalMs);
    this.loops = this.watches.map((watch) => this.watch(watch));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Stops watching a node that is down, or being stopped or started. */
  pause(id: string): void {
    const watch = this.find(id);
    watch.paused = true;
    watch.open = null;
  }

  /** Watches it again (it was just started). */
  resume(id: string): void {
    const watch = this.find(id);
    watch.paused = false;
    watch.upSinceMs = Date.now();
  }

  latest(id: string): NodeStatus | null {
    return this.find(id).latest;
  }

  stalls(): readonly StallEpisode[] {
    return this.episodes;
  }

  /** The largest event-loop delay each node reported about itself, by node id. */
  loopDelayMaxMs(): Record<string, number> {
    return Object.fromEntries(this.watches.map((watch) => [watch.node.spec.id, watch.loopDelayMaxMs]));
  }

  private find(id: string): Watch {
    const watch = this.watches.find((w) => w.node.spec.id === id);
    if (watch === undefined) throw new Error(`no node ${id}`);
    return watch;
  }

  private async watch(watch: Watch): Promise<void> {
    while (this.running) {
      const startedMs = performance.now();
      if (!watch.paused && watch.node.running) await this.probe(watch, startedMs);
      const elapsedMs = performance.now() - startedMs;
      await new Promise((done) => setTimeout(done, Math.max(1, this.intervalMs - elapsedMs)));
    }
  }

  private async probe(watch: Watch, startedMs: number): Promise<void> {
    const pid = watch.node.child?.pid;
    const nodeWaitBefore = runQueueWaitMs(pid);
    const ownWaitBefore = runQueueWaitMs(process.pid);
    let status: NodeStatus | null = null;
    try {
      status = await watch.node.call('status', undefined, PROBE_TIMEOUT_MS);
    } catch {
      // A refused connection from a process that just died is an exit, not a stall: the exit watch reports it.
      if (!watch.node.running || watch.paused) return;
    }
    if (watch.paused) return;
    const endedMs = performance.now();
    const nodeWaitAfter = runQueueWaitMs(pid);
    const ownWaitAfter = runQueueWaitMs(process.pid);
    const ownMs = Math.max(this.ownLag.lagBetween(startedMs, endedMs), ownWaitBefore === null || ownWaitAfter === null ? 0 : ownWaitAfter - ownWaitBefore);
    const observedMs = endedMs - startedMs - ownMs;
    const starvedMs = nodeWaitBefore === null || nodeWaitAfter === null ? null : nodeWaitAfter - nodeWaitBefore;
    const excused = starvedMs === null ? this.canary.slowestBetween(startedMs, endedMs) > this.stallMs / 2 : observedMs - starvedMs <= this.stallMs;
    watch.open = this.note(watch, watch.open, observedMs, starvedMs, excused ? 'machine' : 'node');
    if (status === null) return;
    watch.latest = status;
    if (Date.now() - watch.upSinceMs >= LOOP_METRIC_GRACE_MS) watch.loopDelayMaxMs = Math.max(watch.loopDelayMaxMs, status.metrics.eventLoopDelayMaxMs);
  }

  /** Opens, extends or closes the node's episode for a reading of `ms`; returns the open one. */
  private note(watch: Watch, open: StallEpisode | null, ms: number, starvedMs: number | null, blame: StallEpisode['blame']): StallEpisode | null {
    if (ms <= this.stallMs) return null;
    const reading = { worstMs: Math.round(ms), starvedMs: starvedMs === null ? null : Math.round(starvedMs) };
    if (open === null) {
      const episode: StallEpisode = { node: watch.node.spec.id, startedAt: Date.now(), blame, ...reading };
      this.episodes.push(episode);
      return episode;
    }
    // One reading the machine does not explain is enough to blame the node.
    if (blame === 'node' && open.blame === 'machine') Object.assign(open, { blame, ...reading });
    else if (blame === open.blame && reading.worstMs > open.worstMs) Object.assign(open, reading);
    return open;
  }
}
