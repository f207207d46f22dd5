/**
 * Cluster control: the faults and "campaign now" requests members send each other so that one member's
 * dashboard can play the classic scenarios (duelling proposers, lossy rounds, a dying leader, a minority)
 * on the whole live cluster, not only on itself. Both sides live in every node.
 *
 * Serving side. Invariants and rules:
 *  - Members only: a request from anyone else (a removed member, a node still joining) is refused,
 *    acked with applied false, and counted ('control-not-member'). The transport already admits only
 *    authenticated members and joins; this is the membership as of now.
 *  - One fault set per requester, replaced by its next request; ttlMs 0 clears it. Each set ends on its
 *    own at `expiresAt` = arrival + ttlMs (ttlMs <= MAX_REMOTE_FAULT_TTL_MS, checked at the boundary by
 *    control-check.ts), and when its requester leaves the membership: a member whose requester crashed
 *    or went away heals itself within two minutes. Expiry is checked every tick (CONTROL_TICK_MS).
 *  - The faults in force are this node's own (setFaults, no expiry) combined with every held set: the
 *    highest drop rate, the longest delay, every isolated peer (`combineFaults`).
 *  - "Campaign now" never touches the core from here: it is handed to the runtime (`campaign`), which
 *    feeds the core's pure campaignNow() input at its next turn. A repeated requestId from the same
 *    requester (a retransmission whose ack was lost) is acked again without campaigning again.
 *  - "Crash now" is handed to the runtime as well (`crash`), which acks first and then drops the replica
 *    and starts it again from disk after `downMs`. The runtime's host deduplicates it, not this class:
 *    its memory survives the crash, this class's does not, and a copy replayed after the restart (the
 *    transport's replay window starts afresh then) must not crash the member again. The requester's
 *    own retransmissions end before: downMs >= MIN_CRASH_DOWN_MS > CONTROL_TIMEOUT_MS.
 *  - Control traffic is exempt from injected faults (udp-transport.ts) and never traced.
 *
 * Requesting side: a request is retransmitted every CONTROL_RETRY_MS until acked, and fails after
 * CONTROL_TIMEOUT_MS; at most MAX_PENDING_CONTROL_REQUESTS wait at once. Requests to this node itself
 * take the same path without the network.
 *
 * Time is passed in (now()); the class owns no timers: the runtime calls tick() every CONTROL_TICK_MS.
 */
import type { Faults, RemoteFaultView } from '../../shared/domain';
import type { NodeId } from '../core/types';
import { assert } from '../core/assert';
import type { CampaignRequestMessage, ControlWireMessage, CrashRequestMessage, FaultRequestMessage } from '../net/wire';
import { MIN_CRASH_DOWN_MS, PPM } from './control-check';
import { NodeError } from './node-error';

export const CONTROL_TICK_MS = 100;
export const CONTROL_RETRY_MS = 250;
export const CONTROL_TIMEOUT_MS = 2_500;
assert(MIN_CRASH_DOWN_MS > CONTROL_TIMEOUT_MS, 'a crashed member stays down longer than its requester retransmits');
/** Far more than a dashboard playing a scenario has in flight (a handful of members, one request each). */
export const MAX_PENDING_CONTROL_REQUESTS = 64;

export type ControlDropReason = 'control-not-member' | 'control-stale-ack';

export interface ClusterControlOptions {
  readonly self: NodeId;
  /** The members of the current configuration. */
  readonly members: () => readonly NodeId[];
  readonly send: (message: ControlWireMessage) => void;
  readonly now: () => number;
  /** The held fault sets changed (a request, a clear, an expiry): the runtime recombines the transport's faults. */
  readonly onFaultsChanged: () => void;
  /** Campaign at the next turn (the core's campaignNow()); false when this node is not a member. */
  readonly campaign: () => boolean;
  /**
   * Crash once this request's ack is on its way, and start again from disk after `downMs` (unless the
   * same request was served already); why it cannot (no host to restart it, a restart already under
   * way), or null.
   */
  readonly crash: (request: CrashRequest) => string | null;
}

/** A member's request to crash, as the runtime serves it. */
export interface CrashRequest {
  readonly from: NodeId;
  readonly requestId: number;
  readonly downMs: number;
}

interface HeldFaults {
  readonly faults: Faults;
  readonly expiresAt: number;
}

interface PendingRequest {
  readonly message: FaultRequestMessage | CampaignRequestMessage | CrashRequestMessage;
  readonly deadline: number;
  nextSendAt: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export const NONE: Faults = Object.freeze({ dropRate: 0, delayMs: 0, isolate: Object.freeze([]) as readonly string[] });

/** The faults in force: the highest drop rate, the longest delay, every isolated peer. */
export function combineFaults(sets: readonly Faults[]): Faults {
  let dropRate = 0;
  let delayMs = 0;
  const isolate = new Set<string>();
  for (const faults of sets) {
    dropRate = Math.max(dropRate, faults.dropRate);
    delayMs = Math.max(delayMs, faults.delayMs);
    for (const id of faults.isolate) isolate.add(id);
  }
  return { dropRate, delayMs, isolate: [...isolate].sort() };
}

export class ClusterControl {
  private readonly held = new Map<NodeId, HeldFaults>();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly lastCampaignRequest = new Map<NodeId, number>();
  private nextRequestId = 1;
  private readonly drops: Record<ControlDropReason, number> = { 'control-not-member': 0, 'control-stale-ack': 0 };

  constructor(private readonly options: ClusterControlOptions) {}

  /** The fault sets held for members now, with the time each has left. */
  heldFaults(): RemoteFaultView[] {
    const now = this.options.now();
    return [...this.held].map(([from, { faults, expiresAt }]) => ({ from, faults, expiresInMs: Math.max(0, expiresAt - now) }));
  }

  /** Every held set, for combining with this node's own faults. */
  heldFaultSets(): Faults[] {
    return [...this.held.values()].map((held) => held.faults);
  }

  /** A control message, checked at the validation boundary (control-check.ts). */
  onMessage(message: ControlWireMessage): void {
    switch (message.type) {
      case 'faultRequest':
      case 'campaignRequest':
      case 'crashRequest': {
        const refusal = this.serve(message);
        if (refusal === 'control-not-member') this.drops[refusal]++;
        this.options.send({ type: 'controlAck', from: this.options.self, to: message.from, requestId: message.requestId, applied: refusal === null, reason: refusal === null ? '' : refusalText(refusal) });
        return;
      }
      case 'controlAck': {
        const request = this.pending.get(message.requestId);
        if (request === undefined || request.message.to !== message.from) {
          this.drops['control-stale-ack']++;
          return;
        }
        this.pending.delete(message.requestId);
        if (message.applied) request.resolve();
        else request.reject(new NodeError('invalid', `${message.from} refused: ${message.reason}`));
        return;
      }
    }
  }

  /** Asks `member` to hold `faults` for `ttlMs` (0: clear). Resolves once it acknowledged. */
  requestFaults(member: NodeId, faults: Faults, ttlMs: number): Promise<void> {
    const dropPpm = Math.round(faults.dropRate * PPM);
    return this.request(member, (requestId) => ({ type: 'faultRequest', from: this.options.self, to: member, requestId, ttlMs, dropPpm, delayMs: Math.round(faults.delayMs), isolate: [...faults.isolate] }));
  }

  /** Asks `member` to campaign now. Resolves once it acknowledged (it campaigns at its next turn). */
  requestCampaign(member: NodeId): Promise<void> {
    return this.request(member, (requestId) => ({ type: 'campaignRequest', from: this.options.self, to: member, requestId }));
  }

  /** Asks `member` to crash and start again from its disk after `downMs`. Resolves once it acknowledged (it crashes then). */
  requestCrash(member: NodeId, downMs: number): Promise<void> {
    return this.request(member, (requestId) => ({ type: 'crashRequest', from: this.options.self, to: member, requestId, downMs }));
  }

  /** Every CONTROL_TICK_MS: expiry of held faults, retransmission and timeout of own requests. */
  tick(): void {
    const now = this.options.now();
    const members = this.options.members();
    let changed = false;
    for (const [from, held] of [...this.held]) {
      if (now >= held.expiresAt || !members.includes(from)) {
        this.held.delete(from);
        changed = true;
      }
    }
    if (changed) this.options.onFaultsChanged();
    for (const [requestId, request] of [...this.pending]) {
      if (now >= request.deadline) {
        this.pending.delete(requestId);
        request.reject(new NodeError('unavailable', `${request.message.to} did not answer within ${CONTROL_TIMEOUT_MS / 1000} s (is it running and reachable?)`));
      } else if (now >= request.nextSendAt) {
        request.nextSendAt = now + CONTROL_RETRY_MS;
        this.options.send(request.message);
      }
    }
  }

  /** Requests waiting for an ack fail (the node is stopping). */
  failAll(reason: string): void {
    for (const request of this.pending.values()) request.reject(new NodeError('unavailable', reason));
    this.pending.clear();
  }

  dropped(): Readonly<Record<ControlDropReason, number>> {
    return { ...this.drops };
  }

  private request(member: NodeId, make: (requestId: number) => FaultRequestMessage | CampaignRequestMessage | CrashRequestMessage): Promise<void> {
    const message = make(this.nextRequestId++);
    if (member === this.options.self) {
      const refusal = this.serve(message);
      return refusal === null ? Promise.resolve() : Promise.reject(new NodeError('invalid', `${member} refused: ${refusalText(refusal)}`));
    }
    if (!this.options.members().includes(member)) return Promise.reject(new NodeError('invalid', `${member} is not a member of this cluster`));
    if (this.pending.size >= MAX_PENDING_CONTROL_REQUESTS) return Promise.reject(new NodeError('unavailable', 'Too many cluster-control requests are waiting for an answer; try again in a moment.'));
    const now = this.options.now();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(message.requestId, { message, deadline: now + CONTROL_TIMEOUT_MS, nextSendAt: now + CONTROL_RETRY_MS, resolve, reject });
      this.options.send(message);
    });
  }

  /** Applies a request (from a peer, or from this node to itself); returns why it was refused, or null. */
  private serve(message: FaultRequestMessage | CampaignRequestMessage | CrashRequestMessage): Refusal | null {
    if (!this.options.members().includes(message.from)) return 'control-not-member';
    if (message.type === 'campaignRequest') {
      if (this.lastCampaignRequest.get(message.from) === message.requestId) return null;
      this.lastCampaignRequest.set(message.from, message.requestId);
      return this.options.campaign() ? null : 'campaign-not-member';
    }
    if (message.type === 'crashRequest') {
      const cannot = this.options.crash({ from: message.from, requestId: message.requestId, downMs: message.downMs });
      return cannot === null ? null : { cannotCrash: cannot };
    }
    if (message.ttlMs === 0) {
      if (this.held.delete(message.from)) this.options.onFaultsChanged();
      return null;
    }
    const faults: Faults = { dropRate: message.dropPpm / PPM, delayMs: message.delayMs, isolate: [...message.isolate].sort() };
    this.held.set(message.from, { faults, expiresAt: this.options.now() + message.ttlMs });
    this.options.onFaultsChanged();
    return null;
  }
}

type Refusal = 'control-not-member' | 'campaign-not-member' | { readonly cannotCrash: string };

function refusalText(refusal: Refusal): string {
  if (refusal === 'control-not-member') return 'only members may ask for faults, campaigns or crashes';
  if (refusal === 'campaign-not-member') return 'it is not a member of the configuration it would lead';
  return refusal.cannotCrash;
}
