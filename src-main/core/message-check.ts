/**
 * The semantic validation boundary between the codec and the core. The codec checks syntax (types,
 * ids, safe integers); this checks meaning against the protocol's bounds, before the core sees a message.
 * A peer holding the cluster secret can still be buggy, old or hostile: a message that no correct
 * replica could have sent is dropped whole and counted by reason, so the core never loops over a range,
 * stores an entry or learns a slot that a correct replica could not have produced.
 *
 * What is checked (every bound below is one a correct sender always meets):
 *  - ballots: a real ballot has a round in [1, MAX_BALLOT_ROUND] (so nextBallotAbove never leaves the safe
 *    integers); only a nack's `promised` may be ZERO_BALLOT (nothing promised yet); a candidate's or a
 *    leader's message (prevote, prepare, accept, commit, takeover) carries its sender's own ballot (a
 *    replica follows the sender of an accept or commit: one at its own ballot in another's name would
 *    make a leader follow someone else and route its own commands away);
 *  - slots are >= 1; ranges are ordered; an accept lies within the pipeline a leader may have in flight
 *    above the commit index it announces;
 *  - a promise's entries are in strictly increasing slot order, at or above fromSlot and within the span
 *    a correct acceptor can report (promiseSpanSlots);
 *  - a catch-up reply's entries are strictly increasing and within what this replica can have asked for;
 *  - commands: seq >= 1, payload within maxCommandBytes, no command twice in one value, at most
 *    maxBatchCommands per slot; a forward carries only its sender's own commands.
 * The application checks what a forward's payloads mean (the runtime does, see node/), and applying a
 * chosen value never throws whatever it holds (membership.ts and the app reject nonsense deterministically).
 */
import { MAX_BALLOT_ROUND, type Ballot } from './ballot';
import { type ProtocolConfig } from './config';
import { MEMBERSHIP_DELAY_SLOTS } from './membership';
import type { Command, Message, Slot, SlotValue } from './types';
import { commandKey } from './types';
import { utf8ByteLength } from './utf8';

export type MessageRejection = 'bad-ballot' | 'foreign-ballot' | 'bad-slot' | 'far-slot' | 'bad-range' | 'unordered-entries' | 'bad-command' | 'foreign-command';

/** What the receiving replica knows that bounds what it may be sent. */
export interface CheckView {
  readonly commitIndex: Slot;
  readonly config: ProtocolConfig;
}

/** A proposer's ballot: round 1 .. MAX_BALLOT_ROUND. */
function isRealBallot(ballot: Ballot): boolean {
  return ballot.round >= 1 && ballot.round <= MAX_BALLOT_ROUND && ballot.node !== '';
}

/** Candidates and leaders use ballots of their own (nextBallotAbove(..., self)): anything else is not from one. */
function checkOwnBallot(message: Message & { readonly ballot: Ballot }): MessageRejection | null {
  if (!isRealBallot(message.ballot)) return 'bad-ballot';
  return message.ballot.node === message.from ? null : 'foreign-ballot';
}

/** ZERO_BALLOT (nothing promised) or a real one. */
function isBallotOrZero(ballot: Ballot): boolean {
  return (ballot.round === 0 && ballot.node === '') || isRealBallot(ballot);
}

/**
 * How far above a prepare's fromSlot a correct acceptor's promise can report: it refuses candidates
 * more than maxPromiseLagSlots behind its commit index, its accepted slots lie within an accept window
 * above that, and chosen slots it learned out of order lie within the catch-up requests it had in flight.
 */
export function promiseSpanSlots(config: ProtocolConfig): number {
  return config.maxPromiseLagSlots + config.acceptWindowSlots + config.maxCatchupSlots * config.maxCatchupRequests;
}

function checkValue(value: SlotValue, config: ProtocolConfig, maxCommands: number): MessageRejection | null {
  if (value.length > maxCommands) return 'bad-command';
  const seen = new Set<string>();
  for (const command of value) {
    const problem = checkCommand(command, config);
    if (problem !== null) return problem;
    const key = commandKey(command.origin, command.seq);
    if (seen.has(key)) return 'bad-command';
    seen.add(key);
  }
  return null;
}

function checkCommand(command: Command, config: ProtocolConfig): MessageRejection | null {
  if (command.seq < 1) return 'bad-command';
  // Cheap test first: a UTF-8 byte takes at least a third of a UTF-16 unit.
  if (command.payload.length > config.maxCommandBytes && utf8ByteLength(command.payload) > config.maxCommandBytes) return 'bad-command';
  return null;
}

/** Entries in strictly increasing slot order within [low, high]. */
function checkEntrySlots(entries: readonly { readonly slot: Slot }[], low: Slot, high: Slot): MessageRejection | null {
  let previous = low - 1;
  for (const { slot } of entries) {
    if (slot <= previous) return 'unordered-entries';
    if (slot > high) return 'far-slot';
    previous = slot;
  }
  return null;
}

/** Null when `message` is one a correct peer could have sent this replica, else why it is dropped. */
export function checkMessage(message: Message, view: CheckView): MessageRejection | null {
  const { config } = view;
  switch (message.type) {
    case 'prevote':
    case 'commit':
    case 'takeover':
      return checkOwnBallot(message);
    case 'prevoteReply':
    case 'commitAck':
      return isRealBallot(message.ballot) ? null : 'bad-ballot';
    case 'nack':
      return isRealBallot(message.ballot) && isBallotOrZero(message.promised) ? null : 'bad-ballot';
    case 'prepare':
      return checkOwnBallot(message) ?? (message.fromSlot >= 1 ? null : 'bad-slot');
    case 'promise': {
      if (!isRealBallot(message.ballot)) return 'bad-ballot';
      if (message.fromSlot < 1) return 'bad-slot';
      const high = message.fromSlot + promiseSpanSlots(config) - 1;
      const slots = checkEntrySlots(message.accepted, message.fromSlot, high) ?? checkEntrySlots(message.chosen, message.fromSlot, high);
      if (slots !== null) return slots;
      for (const entry of message.accepted) {
        if (!isRealBallot(entry.ballot)) return 'bad-ballot';
        const problem = checkValue(entry.value, config, config.maxBatchCommands);
        if (problem !== null) return problem;
      }
      for (const entry of message.chosen) {
        const problem = checkValue(entry.value, config, config.maxBatchCommands);
        if (problem !== null) return problem;
      }
      return null;
    }
    case 'accept': {
      const ballot = checkOwnBallot(message);
      if (ballot !== null) return ballot;
      if (message.slot < 1) return 'bad-slot';
      // A correct leader proposes at most its pipeline (<= W) above the commit index it announces.
      if (message.slot > message.commitIndex + MEMBERSHIP_DELAY_SLOTS) return 'far-slot';
      return checkValue(message.value, config, config.maxBatchCommands);
    }
    case 'accepted':
      if (!isRealBallot(message.ballot)) return 'bad-ballot';
      return message.slot >= 1 ? null : 'bad-slot';
    case 'forward':
      if (message.commands.some((command) => command.origin !== message.from)) return 'foreign-command';
      return checkValue(message.commands, config, config.maxQueuedCommands);
    case 'catchupRequest':
      if (message.fromSlot < 1) return 'bad-slot';
      return message.toSlot >= message.fromSlot ? null : 'bad-range';
    case 'catchupReply': {
      if (message.compactedThrough > message.commitIndex) return 'bad-range';
      // We ask for at most maxCatchupRequests ranges of maxCatchupSlots above our commit index.
      const high = view.commitIndex + config.maxCatchupSlots * config.maxCatchupRequests;
      const slots = checkEntrySlots(message.entries, 1, high);
      if (slots !== null) return slots;
      for (const entry of message.entries) {
        const problem = checkValue(entry.value, config, config.maxBatchCommands);
        if (problem !== null) return problem;
      }
      return null;
    }
  }
}
