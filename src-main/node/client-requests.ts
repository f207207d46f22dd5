/**
 * Client calls waiting for their command to be chosen and applied here. Each resolves with the slot,
 * rejects with the state machine's reason, or, when no quorum answers within the timeout, rejects
 * with `pending` and the command id: the command itself stays queued in the replica (and on disk) and
 * will be chosen exactly once when a quorum returns. Nothing here affects the command's fate.
 */
import type { CommandReceipt } from '../../shared/domain';
import { NodeError } from './node-error';

interface Waiter {
  readonly resolve: (receipt: CommandReceipt) => void;
  readonly reject: (error: NodeError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly startedAt: number;
}

export type Outcome = { readonly status: 'applied'; readonly slot: number } | { readonly status: 'rejected'; readonly slot: number; readonly message: string };

export class ClientRequests {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.waiters.size;
  }

  /** Waits for command `id` (`origin/seq`). */
  wait(id: string): Promise<CommandReceipt> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new NodeError('pending', `No quorum answered within ${this.timeoutMs / 1000} s. Command ${id} stays queued and will be chosen exactly once when enough peers are reachable.`, id));
      }, this.timeoutMs);
      this.waiters.set(id, { resolve, reject, timer, startedAt: performance.now() });
    });
  }

  /** The command was applied (or rejected by the state machine) in `slot`; returns how long it took (ms), if someone waited. */
  settle(id: string, outcome: Outcome): number | undefined {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return undefined;
    this.waiters.delete(id);
    clearTimeout(waiter.timer);
    if (outcome.status === 'applied') waiter.resolve({ id, slot: outcome.slot });
    else waiter.reject(new NodeError('rejected', outcome.message, id));
    return performance.now() - waiter.startedAt;
  }

  /** Ids still waiting (to look them up after a snapshot install skipped their slots). */
  ids(): string[] {
    return [...this.waiters.keys()];
  }

  /** The node is stopping: everyone gets `unavailable` (their commands stay queued on disk). */
  failAll(message: string): void {
    for (const [id, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new NodeError('unavailable', message, id));
    }
    this.waiters.clear();
  }
}
