/**
 * The renderer's live view of its node, shared by every page: the API client, the latest status, the
 * recent protocol messages (for the cluster picture) and samples of the commit index over time (for
 * the charts). Pages read it; only the event subscription writes it.
 *
 * Invariants: `trace` and `history` are bounded (the dashboard may stay open for days); `chosenVersion`
 * rises whenever slots were applied, so pages that show applied state know when to reload.
 */
import type { NodeStatus, SynodApi, SynodEvent, TraceMessage } from '../../shared/api';
import { ApiError } from '../../shared/api';

export const TRACE_KEPT = 300;
export const HISTORY_KEPT = 120;

export interface HistorySample {
  /** Wall-clock ms. */
  readonly at: number;
  readonly commitIndex: number;
  readonly commandsApplied: number;
  readonly commitLatencyMs: number | null;
}

/** An API failure in words for the user (never swallowed, never a stack trace). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message !== '') return error.message;
  return 'Something went wrong talking to the node.';
}

export class Session {
  status = $state<NodeStatus | null>(null);
  /** Why the node cannot be reached right now, or null. */
  connectionError = $state<string | null>(null);
  chosenVersion = $state(0);
  trace = $state.raw<readonly TraceMessage[]>([]);
  history = $state.raw<readonly HistorySample[]>([]);

  constructor(readonly api: SynodApi) {}

  /** Fetches the status once and follows the node's events; returns the function that stops it. */
  start(): () => void {
    void this.refreshStatus();
    return this.api.subscribe((event) => this.receive(event));
  }

  async refreshStatus(): Promise<void> {
    try {
      this.setStatus(await this.api.status());
      this.connectionError = null;
    } catch (error) {
      this.connectionError = describeError(error);
    }
  }

  receive(event: SynodEvent): void {
    switch (event.type) {
      case 'chosen':
        this.chosenVersion++;
        return;
      case 'status':
        this.connectionError = null;
        this.setStatus(event.status);
        return;
      case 'trace':
        this.trace = [...this.trace, ...event.messages].slice(-TRACE_KEPT);
        return;
      case 'down':
        // Cleared by the first status of the replica that starts again.
        this.connectionError = event.message;
        return;
    }
  }

  private setStatus(status: NodeStatus): void {
    this.status = status;
    const sample: HistorySample = {
      at: Date.now(),
      commitIndex: status.commitIndex,
      commandsApplied: status.metrics.commandsApplied,
      commitLatencyMs: status.metrics.recentCommitLatencyMs,
    };
    this.history = [...this.history, sample].slice(-HISTORY_KEPT);
  }
}
