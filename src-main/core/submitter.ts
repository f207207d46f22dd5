/**
 * The client side of a replica: commands submitted here, kept until they are chosen.
 *
 * Invariants:
 *  - Sequence numbers are 1, 2, 3... without gaps: a command is recorded for persistence in the same
 *    turn it is numbered, and nothing about it is sent before that turn is persisted, so a crash can
 *    only forget numbers that nobody ever saw (they are then reused).
 *  - A pending command is routed to the leader (forwarded, or queued locally when leading) until it is
 *    learned chosen, so it is never lost; the leader's dedupe makes the retries harmless.
 *  - Without a known leader, commands wait here (bounded by maxQueuedCommands) rather than being dropped.
 */
import type { CommandLedger } from './command-ledger';
import type { ProtocolConfig } from './config';
import { Fifo } from './fifo';
import type { Outbox } from './outbox';
import { commandSizeBound } from './message-size';
import { commandKey, type Command, type NodeId } from './types';
import { utf8ByteLength } from './utf8';

export type SubmitResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly reason: 'too-large' | 'overloaded'; readonly message: string };

interface PendingCommand {
  readonly command: Command;
  sentAtTick: number;
}

export class Submitter {
  /** Pending commands by key, ordered by last send time (re-sent ones move to the end). */
  private pending = new Map<string, PendingCommand>();
  /** Pending commands not sent to the current leader yet. */
  private unsent = new Fifo<Command>();
  private lastSeq: number;

  constructor(
    private readonly self: NodeId,
    private readonly config: ProtocolConfig,
    private readonly outbox: Outbox,
    private readonly ledger: CommandLedger,
    recovered: readonly Command[],
  ) {
    this.lastSeq = ledger.highestSeq(self);
    for (const command of [...recovered].sort((a, b) => a.seq - b.seq)) {
      if (command.origin !== self) continue;
      this.lastSeq = Math.max(this.lastSeq, command.seq);
      if (!ledger.hasCommand(command)) this.track(command);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  isPending(command: Command): boolean {
    return this.pending.has(commandKey(command.origin, command.seq));
  }

  submit(payload: string): SubmitResult {
    const bytes = utf8ByteLength(payload);
    if (bytes > this.config.maxCommandBytes) {
      return { ok: false, reason: 'too-large', message: `command is ${bytes} bytes; the limit is ${this.config.maxCommandBytes}` };
    }
    if (this.pending.size >= this.config.maxQueuedCommands) {
      return { ok: false, reason: 'overloaded', message: `${this.pending.size} commands are already waiting to be chosen; retry later` };
    }
    const command: Command = { origin: this.self, seq: ++this.lastSeq, payload };
    this.outbox.recordProposal(command);
    this.track(command);
    return { ok: true, command };
  }

  /** A command of ours was chosen: stop routing it. */
  chosen(command: Command): void {
    this.pending.delete(commandKey(command.origin, command.seq));
  }

  /** The leader changed: everything pending must be routed to the new one. */
  resendAll(): void {
    this.unsent.drain();
    for (const entry of this.pending.values()) this.unsent.push(entry.command);
  }

  /**
   * Routes unsent commands, and commands unanswered for `retryTicks`, to the leader: `deliver` is
   * called with batches (the replica forwards them or enqueues them locally). Without a leader, waits.
   */
  route(leader: NodeId | null, now: number, retryTicks: number, deliver: (commands: Command[]) => void): void {
    if (leader === null) return;
    const batch: Command[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      deliver(batch.splice(0));
      bytes = 0;
    };
    const add = (entry: PendingCommand): void => {
      const size = commandSizeBound(entry.command);
      if (batch.length >= this.config.maxBatchCommands || (batch.length > 0 && bytes + size > this.config.maxBatchBytes)) flush();
      batch.push(entry.command);
      bytes += size;
      entry.sentAtTick = now;
      // Re-insert so the map stays ordered by send time.
      const key = commandKey(entry.command.origin, entry.command.seq);
      this.pending.delete(key);
      this.pending.set(key, entry);
    };
    for (let command = this.unsent.shift(); command !== undefined; command = this.unsent.shift()) {
      const entry = this.pending.get(commandKey(command.origin, command.seq));
      if (entry !== undefined && !this.ledger.hasCommand(command)) add(entry);
    }
    // Re-sent entries move to the end with sentAtTick = now, so iteration stops when it reaches them.
    for (const entry of this.pending.values()) {
      if (now - entry.sentAtTick < retryTicks) break;
      if (this.ledger.hasCommand(entry.command)) this.chosen(entry.command);
      else add(entry);
    }
    flush();
  }

  private track(command: Command): void {
    this.pending.set(commandKey(command.origin, command.seq), { command, sentAtTick: -Infinity });
    this.unsent.push(command);
  }
}
