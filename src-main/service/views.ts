/**
 * Turns stored data into the API's views (shared/api.ts): log rows into LogEntryView, command payloads
 * into CommandView (membership commands with the member's id as `target`). A payload nobody can read is
 * shown as type 'unknown' rather than hidden.
 */
import type { BallotView, CommandView, LogEntryView } from '../../shared/api';
import { decodeCommand } from '../app/commands';
import type { Ballot } from '../core/ballot';
import { decodeMembershipChange } from '../core/membership';
import { commandKey, type Command } from '../core/types';
import type { LogRow } from '../storage/store-tables';

export function ballotView(ballot: Ballot): BallotView {
  return { round: ballot.round, node: ballot.node };
}

export function commandView(command: Command): CommandView {
  const base = { id: commandKey(command.origin, command.seq), author: command.origin };
  const change = decodeMembershipChange(command.payload);
  if (change !== null) {
    return change.type === 'addMember' ? { ...base, type: change.type, target: change.id, address: change.address, at: null } : { ...base, type: change.type, target: change.id, at: null };
  }
  const decoded = decodeCommand(command.payload);
  if (decoded === null) return { ...base, type: 'unknown', at: null };
  switch (decoded.type) {
    case 'register':
      return { ...base, type: 'register', name: decoded.name, at: decoded.at };
    case 'tweet':
      return { ...base, type: 'tweet', text: decoded.text, at: decoded.at };
    case 'block':
    case 'unblock':
      return { ...base, type: decoded.type, target: decoded.target, at: decoded.at };
  }
}

/** A slot of the log page: chosen, accepted (not known chosen yet), or empty (nothing known here). */
export function logEntryView(slot: number, row: LogRow | undefined): LogEntryView {
  if (row === undefined) return { slot, status: 'empty', ballot: null, commands: [] };
  const value = row.chosen ?? row.accepted?.value ?? [];
  return {
    slot,
    status: row.chosen !== null ? 'chosen' : 'accepted',
    ballot: row.accepted === null ? null : ballotView(row.accepted.ballot),
    commands: value.map(commandView),
  };
}
