/**
 * The runtime's side of the validation boundary: every message a peer sent is checked for meaning
 * before the core or the runtime acts on it (the transport already checked authenticity and syntax).
 * Core messages go through the core's own checkMessage; forwarded commands must also be commands the
 * API could have proposed (checkForwardedPayload), and a join reply may only name valid members.
 * Snapshot transfer messages are checked by the snapshot fetcher and server themselves, cluster-trace
 * messages by trace-check.ts, cluster-control messages by control-check.ts.
 *
 * Returns the message to act on (a forward without its invalid commands) or null, and tells `drop`
 * why each message or command was dropped, so status().dropped counts every one by reason.
 */
import { checkForwardedPayload } from '../app/payload-check';
import { checkMessage, type CheckView } from '../core/message-check';
import { isValidMemberAddress, MAX_MEMBERS } from '../core/membership';
import type { WireMessage } from '../net/wire';
import { checkControlMessage } from './control-check';
import { checkTraceMessage } from './trace-check';

export type InboundDropReason = `invalid-${string}`;

export function admitInbound(message: WireMessage, view: CheckView, drop: (reason: InboundDropReason) => void): WireMessage | null {
  switch (message.type) {
    case 'ping':
    case 'join':
    case 'snapshotRequest':
    case 'snapshotChunk':
      return message;
    case 'joinReply':
      if (message.members.length > MAX_MEMBERS || !message.members.every((m) => isValidMemberAddress(m.address))) {
        drop('invalid-join-reply');
        return null;
      }
      return message;
    case 'traceRequest':
    case 'traceClock':
    case 'traceBatch': {
      const rejection = checkTraceMessage(message);
      if (rejection === null) return message;
      drop(`invalid-${rejection}`);
      return null;
    }
    case 'faultRequest':
    case 'campaignRequest':
    case 'crashRequest':
    case 'controlAck': {
      const rejection = checkControlMessage(message);
      if (rejection === null) return message;
      drop(`invalid-${rejection}`);
      return null;
    }
    default: {
      const rejection = checkMessage(message, view);
      if (rejection !== null) {
        drop(`invalid-${rejection}`);
        return null;
      }
      if (message.type !== 'forward') return message;
      const commands = message.commands.filter((command) => {
        const problem = checkForwardedPayload(command.origin, command.payload);
        if (problem !== null) drop('invalid-command');
        return problem === null;
      });
      if (commands.length === message.commands.length) return message;
      return commands.length === 0 ? null : { ...message, commands };
    }
  }
}
