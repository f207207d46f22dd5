/**
 * Accumulates one turn's output (what to persist, what to send, what was committed) until the runtime
 * takes it as a Ready. Components write here instead of doing I/O.
 */
import { compareBallots, type Ballot } from './ballot';
import type { AcceptedEntry, ChosenEntry, Command, Message, NodeId, Ready, Unaddressed } from './types';

export class Outbox {
  private promised: Ballot | null = null;
  private accepted = new Map<number, AcceptedEntry>();
  private chosen: ChosenEntry[] = [];
  private proposals: Command[] = [];
  private messages: Message[] = [];
  private committed: ChosenEntry[] = [];
  private snapshotFrom: NodeId | null = null;
  /** Messages a replica sends itself (its own acceptor, its own leader) never leave the core. */
  private readonly local: Message[] = [];

  constructor(private readonly self: NodeId) {}

  recordPromise(ballot: Ballot): void {
    if (this.promised === null || compareBallots(ballot, this.promised) > 0) this.promised = ballot;
  }

  /** A later accept of the same slot in the same turn supersedes the earlier one. */
  recordAccepted(entry: AcceptedEntry): void {
    this.accepted.set(entry.slot, entry);
  }

  recordChosen(entry: ChosenEntry): void {
    this.chosen.push(entry);
  }

  recordProposal(command: Command): void {
    this.proposals.push(command);
  }

  send(to: NodeId, body: Unaddressed<Message>): void {
    const message = { ...body, from: this.self, to } as Message;
    if (to === this.self) this.local.push(message);
    else this.messages.push(message);
  }

  /** The next message to self, in send order. */
  nextLocal(): Message | undefined {
    return this.local.shift();
  }

  commit(entry: ChosenEntry): void {
    this.committed.push(entry);
  }

  /** A snapshot through `slot` was installed: committed entries it covers must not be applied again. */
  dropCommittedThrough(slot: number): void {
    this.committed = this.committed.filter((entry) => entry.slot > slot);
  }

  requestSnapshot(from: NodeId): void {
    this.snapshotFrom = from;
  }

  isEmpty(): boolean {
    return (
      this.promised === null &&
      this.accepted.size === 0 &&
      this.chosen.length === 0 &&
      this.proposals.length === 0 &&
      this.messages.length === 0 &&
      this.committed.length === 0 &&
      this.snapshotFrom === null
    );
  }

  take(): Ready {
    const ready: Ready = {
      persist: {
        promised: this.promised,
        accepted: [...this.accepted.values()],
        chosen: this.chosen,
        proposals: this.proposals,
      },
      messages: this.messages,
      committed: this.committed,
      snapshotFrom: this.snapshotFrom,
    };
    this.snapshotFrom = null;
    this.promised = null;
    this.accepted = new Map();
    this.chosen = [];
    this.proposals = [];
    this.messages = [];
    this.committed = [];
    return ready;
  }
}
