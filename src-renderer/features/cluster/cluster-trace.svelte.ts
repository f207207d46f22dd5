/**
 * The Cluster view's live messages: every member's, from the node's merged trace (the clusterTrace
 * API), asked for every POLL_MS while the view is shown. Asking is what keeps the node watching: it
 * holds a lease on the members' traces that lapses seconds after the view closes, and then they trace
 * nothing for it. Until another member's trace comes in (a one-node cluster, members out of reach, a
 * node without the method), the view shows this node's own messages (session.trace), and says so.
 *
 * Invariants: `messages` only grows at its end (bounded to KEPT), so the animator tells new messages
 * by identity; each message appears once: its sender's observation, or its receiver's when the sender's
 * trace is not coming in. (A copy dropped by a fault at the receiver is therefore not shown as dropped
 * here: pairing both sides is the recording's job, features/recording/pairing.ts.)
 */
import type { ClusterTraceMember, MergedTraceMessage, SynodApi, TraceMessage } from '../../../shared/api';

export const POLL_MS = 1_000;
/** As many as the session keeps of this node's own trace. */
export const KEPT = 300;

export interface ClusterTraceFeedOptions {
  /** Every message new in an answer, both sides of each (the recording pairs them itself). */
  readonly onMessages?: (messages: readonly MergedTraceMessage[]) => void;
}

export class ClusterTraceFeed {
  /** Each message once, in the order they came in (each answer ordered by time). */
  messages = $state.raw<readonly MergedTraceMessage[]>([]);
  /** The members as the last answer listed them, this node first; empty before an answer or after a failure. */
  members = $state.raw<readonly ClusterTraceMember[]>([]);
  /** Whether another member's trace is coming in: then `messages` is the whole cluster's. */
  readonly covers = $derived(this.members.slice(1).some((member) => member.leaseActive));
  /** What the view says about whose messages it shows, or null while it shows only this node's. */
  readonly coverage = $derived(this.covers ? describeCoverage(this.members) : null);

  #afterSeq: number | null = null;
  #polling = false;

  constructor(
    private readonly api: () => SynodApi,
    private readonly options: ClusterTraceFeedOptions = {},
  ) {}

  /** What the view draws: the whole cluster's messages when they come in, else this node's own. */
  trace(local: readonly TraceMessage[]): readonly TraceMessage[] {
    return this.covers ? this.messages : local;
  }

  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const answer = await this.api().clusterTrace(this.#afterSeq === null ? { limit: KEPT } : { afterSeq: this.#afterSeq });
      this.#afterSeq = answer.lastSeq;
      this.members = answer.members;
      if (answer.messages.length > 0) this.options.onMessages?.(answer.messages);
      const shown = onePerMessage(answer.messages, answer.members);
      if (shown.length > 0) this.messages = [...this.messages, ...shown].slice(-KEPT);
    } catch {
      // The node cannot say (gone, or without the method): show its own messages until it can.
      this.members = [];
    } finally {
      this.#polling = false;
    }
  }

  /** Polls until the returned function is called (the view unmounts). */
  start(): () => void {
    void this.poll();
    const timer = setInterval(() => void this.poll(), POLL_MS);
    return () => clearInterval(timer);
  }
}

/** The sender's observation of each message; the receiver's only when the sender's trace is not coming in. */
function onePerMessage(messages: readonly MergedTraceMessage[], members: readonly ClusterTraceMember[]): MergedTraceMessage[] {
  const traced = new Set(members.filter((member) => member.leaseActive).map((member) => member.id));
  return messages.filter((message) => message.direction === 'out' || !traced.has(message.from));
}

/** "Messages of all 3 members (clocks aligned within ±2 ms)." Whole milliseconds, rounded up: never more precise than measured. */
export function describeCoverage(members: readonly ClusterTraceMember[]): string {
  const traced = members.filter((member) => member.leaseActive);
  const uncertainties = traced.slice(1).flatMap((member) => (member.uncertaintyMs === null ? [] : [member.uncertaintyMs]));
  const within = Math.max(1, Math.ceil(Math.max(0, ...uncertainties)));
  const clocks = `clocks aligned within ±${within} ms`;
  if (traced.length === members.length) return `Messages of all ${members.length} members (${clocks}).`;
  const missing = members.filter((member) => !member.leaseActive).map((member) => member.id);
  return `Messages of ${traced.length} of ${members.length} members (${clocks}); ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not answering.`;
}
