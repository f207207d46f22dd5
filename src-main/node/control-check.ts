/**
 * The validation boundary for cluster-control messages (net/wire.ts): what no correct member could have
 * sent is dropped whole, counted as `invalid-<rejection>` (inbound-check.ts), before cluster-control.ts
 * looks at it. The codec already checked syntax (safe integers, valid ids, at most MAX_CONTROL_ISOLATE
 * isolated peers, a short reason); this checks meaning:
 *  - every request and ack names a request (requestId >= 1);
 *  - a fault request lasts at most MAX_REMOTE_FAULT_TTL_MS (0 clears), drops at most every message
 *    (dropPpm <= 1,000,000), delays by at most MAX_REMOTE_DELAY_MS, isolates each peer once, never the
 *    member it is sent to (a node does not isolate itself from itself);
 *  - a crash request keeps its member down between MIN_CRASH_DOWN_MS and MAX_CRASH_DOWN_MS.
 * Who may send them (members only) is decided by cluster-control.ts, which knows the membership.
 */
import type { ControlWireMessage } from '../net/wire';

export type ControlRejection = 'fault-request' | 'campaign-request' | 'crash-request' | 'control-ack';

/** The longest a remote fault lasts without renewal: a member whose requester vanished heals itself within this. */
export const MAX_REMOTE_FAULT_TTL_MS = 120_000;
/** More delay than this is no longer a slow network but a dead one: isolate says that better. */
export const MAX_REMOTE_DELAY_MS = 5_000;
/**
 * The shortest a member stays down after a crash request: longer than its requester retransmits the
 * request (cluster-control.ts's CONTROL_TIMEOUT_MS, asserted there), so its copies reach a closed socket,
 * not the restarted member. (A copy replayed later is refused by the host, which remembers it: node-host.ts.)
 */
export const MIN_CRASH_DOWN_MS = 3_000;
/** The longest: a crash asked for on a live cluster is a demonstration, and the member comes back on its own. */
export const MAX_CRASH_DOWN_MS = 60_000;
/** The drop rate's unit on the wire: parts per million. */
export const PPM = 1_000_000;

export function checkControlMessage(message: ControlWireMessage): ControlRejection | null {
  switch (message.type) {
    case 'faultRequest': {
      const ok =
        message.requestId >= 1 &&
        message.ttlMs <= MAX_REMOTE_FAULT_TTL_MS &&
        message.dropPpm <= PPM &&
        message.delayMs <= MAX_REMOTE_DELAY_MS &&
        new Set(message.isolate).size === message.isolate.length &&
        !message.isolate.includes(message.to);
      return ok ? null : 'fault-request';
    }
    case 'campaignRequest':
      return message.requestId >= 1 ? null : 'campaign-request';
    case 'crashRequest':
      return message.requestId >= 1 && message.downMs >= MIN_CRASH_DOWN_MS && message.downMs <= MAX_CRASH_DOWN_MS ? null : 'crash-request';
    case 'controlAck':
      return message.requestId >= 1 ? null : 'control-ack';
  }
}
