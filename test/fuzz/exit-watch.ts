/**
 * Notices every node process that exits without being told to, records why (exit code or signal and
 * the lines it logged about it), and starts it again so that one crash does not end the hunt for
 * others. A node that cannot be started again (it exits during recovery, say) is tried twice more,
 * then left down; that is recorded too. Restarts of one node never overlap: two processes on one data
 * directory would only measure the directory lock.
 */
import type { ProcessNode } from '../process/harness';

const RESTART_ATTEMPTS = 3;
/** A clean shutdown (final checkpoint included) takes well under this. */
const STOP_TIMEOUT_MS = 15_000;
/** Log lines looked at for why a process ended (the harness keeps the last 400, across process lives). */
const RECENT_LINES = 20;
/** Log lines that say why a process ended (the node's own fatal line, an uncaught error, a refusal). */
const TELLING_LINE = /fatal|error|refused|exception|synod-node:/i;

export interface ExitRecord {
  readonly node: string;
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** The lines that tell why it exited (its error, usually). */
  readonly why: readonly string[];
  /** What became of the restart: 'restarted', or why not. */
  restart: string;
}

export interface ExitWatchHooks {
  /** The node is down, or about to be stopped or started: stop probing it. */
  readonly down: (id: string) => void;
  /** The node answers again. */
  readonly up: (id: string) => void;
}

export class ExitWatch {
  private readonly records: ExitRecord[] = [];
  /** Nodes being stopped or started on purpose: their exits are expected. */
  private readonly intended = new Set<string>();
  /** The restart (or stop) under way per node; the next one waits for it. */
  private readonly busy = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(private readonly hooks: ExitWatchHooks) {}

  /** Watches the node's current process (called again after every start). */
  watch(node: ProcessNode): void {
    const child = node.child;
    if (child === null) return;
    child.once('exit', (code, signal) => {
      if (this.intended.has(node.spec.id) || this.closed) return;
      const record: ExitRecord = { node: node.spec.id, atMs: Date.now(), code, signal, why: tellingLines(node.logs.slice(-RECENT_LINES)), restart: 'pending' };
      this.records.push(record);
      this.hooks.down(node.spec.id);
      void this.serialize(node.spec.id, () => this.restart(node, record));
    });
  }

  /**
   * Stops (SIGTERM) and starts a node on purpose, after any restart of it under way. Resolves with what
   * went wrong with the stop (null when it exited with code 0), or 'not running' for a node left down.
   * Throws when the node does not start again.
   */
  restartOnPurpose(node: ProcessNode): Promise<string | null> {
    return this.serialize(node.spec.id, async () => {
      if (!node.running) return 'it was not running (left down after failed restarts)';
      this.intended.add(node.spec.id);
      this.hooks.down(node.spec.id);
      let problem: string | null;
      try {
        problem = await stopCleanly(node);
        await node.start();
      } finally {
        this.intended.delete(node.spec.id);
      }
      this.watch(node);
      this.hooks.up(node.spec.id);
      return problem;
    });
  }

  exits(): readonly ExitRecord[] {
    return this.records;
  }

  /** No more restarts; waits for those under way. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.busy.values());
  }

  private serialize<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.busy.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.busy.set(id, settled);
    void settled.then(() => {
      if (this.busy.get(id) === settled) this.busy.delete(id);
    });
    return next;
  }

  private async restart(node: ProcessNode, record: ExitRecord): Promise<void> {
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !this.closed; attempt++) {
      this.intended.add(node.spec.id);
      try {
        await node.start();
        this.intended.delete(node.spec.id);
        this.watch(node);
        this.hooks.up(node.spec.id);
        record.restart = attempt === 1 ? 'restarted' : `restarted after ${attempt} attempts`;
        return;
      } catch (error) {
        this.intended.delete(node.spec.id);
        record.restart = `restart ${attempt} failed: ${tellingLines(String(error instanceof Error ? error.message : error).split('\n')).join(' | ')}`;
        await new Promise((done) => setTimeout(done, 1_000));
      }
    }
  }
}

/** SIGTERM, then waits for the exit (SIGKILL after STOP_TIMEOUT_MS); null if it exited with code 0. */
async function stopCleanly(node: ProcessNode): Promise<string | null> {
  const child = node.child;
  if (child === null || !node.running) return 'it was not running';
  const exited = new Promise<string | null>((done) => child.once('exit', (code, signal) => done(code === 0 ? null : `it exited with ${signal ?? `code ${code}`}`)));
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  child.kill('SIGTERM');
  const problem = await exited;
  clearTimeout(timer);
  return problem === null ? null : `${problem}: ${tellingLines(node.logs.slice(-RECENT_LINES)).join(' | ')}`;
}

/** The lines among `lines` that say why a process ended, else the last few; at most 6, each shortened. */
function tellingLines(lines: readonly string[]): string[] {
  const telling = lines.filter((line) => TELLING_LINE.test(line));
  return (telling.length > 0 ? telling : lines).slice(-6).map((line) => line.trim().slice(0, 400));
}
