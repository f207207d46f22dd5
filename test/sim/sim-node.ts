/**
 * One simulated replica process: the real core driven by the same loop the real runtime uses.
 *
 *   take inputs -> ready() -> send what may precede the persist -> write -> [fsync takes virtual time]
 *   -> send the rest -> apply -> advance()
 *
 * While an fsync is in flight, arriving messages and ticks wait in the inbox (group commit: the next
 * Ready carries all of them). A crash discards the replica, the inbox and every unsynced write; a
 * restart builds a new replica from what the disk kept. A paused node (SIGSTOP) neither ticks nor
 * processes, but its inbox (the socket's receive buffer, bounded in datagrams and bytes) keeps filling,
 * so it resumes with stale messages and a stale view, and has to fetch what the full buffer dropped.
 *
 * Every message is measured with messageSizeBound on its way out: one larger than the protocol's
 * maxMessageBytes would not fit the transport (a real send would fail), so the checker reports it as a
 * violation instead of the network silently dropping it.
 *
 * Every message read from the inbox passes the core's semantic validation boundary (checkMessage) as the
 * runtime applies it (node/inbound-check.ts), so a simulated node drops what a real one drops; `dropped`
 * counts the drops by the runtime's reasons. Left out: the application's check of forwarded payloads,
 * which would drop the simulator's payloads (plain text, not micro-blog commands).
 */
import { Replica } from '../../src-main/core/replica';
import { DEFAULT_PROTOCOL_CONFIG, type ProtocolConfig } from '../../src-main/core/config';
import { checkMessage } from '../../src-main/core/message-check';
import type { InboundDropReason } from '../../src-main/node/inbound-check';
import { messageSizeBound } from '../../src-main/core/message-size';
import type { RandomSource } from '../../src-main/core/random';
import { isEmptyReady, mayPrecedePersist, type Command, type Message, type NodeId, type Ready } from '../../src-main/core/types';
import type { InvariantChecker } from './checker';
import type { EventQueue } from './event-queue';
import type { NodeDisk } from './node-disk';
import { plantedDecisions, type PlantedBug } from './planted-bugs';

export interface SimNodeSettings {
  readonly protocol: Partial<ProtocolConfig>;
  readonly tickMs: number;
  readonly fsyncMinMs: number;
  readonly fsyncMaxMs: number;
  /** Datagrams that arrive while the inbox holds this many, or that would take it over inboxLimitBytes, are dropped (a full socket buffer). */
  readonly inboxLimit: number;
  readonly inboxLimitBytes: number;
  readonly plantedBug: PlantedBug | null;
  /** Compact the log once more than this many applied slots are retained (null: never compact). */
  readonly retainSlots: number | null;
}

/** How the simulated runtime fetches a peer's snapshot: `done` gets its bytes, or null when the transfer failed. */
export type SnapshotFetch = (from: NodeId, to: NodeId, done: (snapshot: Uint8Array | null) => void) => void;

/** Sends one message of `bytes` (its messageSizeBound) into the network. */
export type SendMessage = (message: Message, bytes: number) => void;

type InboxItem = Message | 'tick' | { readonly snapshot: Uint8Array };

export class SimNode {
  private replica: Replica | null = null;
  private inbox: InboxItem[] = [];
  private inboxBytes = 0;
  private syncing = false;
  private paused = false;
  /** Bumped on every crash so that callbacks of an earlier life are ignored. */
  private life = 0;
  private fetchingSnapshot = false;
  /** The whole protocol configuration (the core's defaults under the simulation's overrides). */
  private readonly protocol: ProtocolConfig;
  restarts = 0;
  snapshotsInstalled = 0;
  /** Messages the validation boundary dropped, by the runtime's reason (status().dropped in a real node), over all lives. */
  readonly dropped = new Map<InboundDropReason, number>();
  /** Own commands numbered at or past Number.MAX_SAFE_INTEGER (see SimulationResult.stats). */
  exhaustedSeqCommands = 0;

  constructor(
    readonly id: NodeId,
    readonly disk: NodeDisk,
    private readonly settings: SimNodeSettings,
    private readonly events: EventQueue,
    private readonly rng: RandomSource,
    private readonly checker: InvariantChecker,
    private readonly send: SendMessage,
    private readonly fetchSnapshot: SnapshotFetch,
    /** The cluster's first configuration (member ids), or null for a node that joins later (a newcomer). */
    private readonly bootstrap: readonly NodeId[] | null,
  ) {
    this.protocol = { ...DEFAULT_PROTOCOL_CONFIG, ...settings.protocol };
  }

  get isUp(): boolean {
    return this.replica !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Which life of this node is running (bumped by every crash), or null while it is down. */
  get incarnation(): number | null {
    return this.replica === null ? null : this.life;
  }

  /** The live replica, for inspection by the simulation (never to bypass the loop). */
  get core(): Replica | null {
    return this.replica;
  }

  start(): void {
    const { durable, appliedBase, applied } = this.disk.open();
    // Whatever survived the crash is durable now, even if its fsync never returned.
    for (const entry of durable.accepted) this.checker.durablyAccepted(this.id, entry);
    this.checker.restarted(this.id, durable.promised, appliedBase, applied);
    this.replica = new Replica({
      id: this.id,
      ...(this.bootstrap === null ? {} : { members: this.bootstrap }),
      rng: this.rng,
      config: this.settings.protocol,
      durable,
      decisions: plantedDecisions(this.settings.plantedBug),
    });
    this.scheduleTick(this.life, this.rngInt(this.settings.tickMs));
    this.pump();
  }

  crash(): void {
    this.replica = null;
    this.inbox = [];
    this.inboxBytes = 0;
    this.syncing = false;
    this.paused = false;
    this.fetchingSnapshot = false;
    this.life++;
    this.disk.crash();
  }

  restart(): void {
    this.restarts++;
    this.start();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** A datagram of `bytes` arrives. */
  deliver(message: Message, bytes: number): void {
    if (this.replica === null) return;
    if (this.inbox.length >= this.settings.inboxLimit || this.inboxBytes + bytes > this.settings.inboxLimitBytes) return;
    this.inbox.push(message);
    this.inboxBytes += bytes;
    this.pump();
  }

  /** A client submits a command here; returns it once numbered (it is durable only after the next sync). */
  submit(payload: string): Command | null {
    if (this.replica === null || this.paused) return null;
    const result = this.replica.propose(payload);
    if (!result.ok) return null;
    this.checker.proposed(result.command);
    if (result.command.seq >= Number.MAX_SAFE_INTEGER) this.exhaustedSeqCommands++;
    this.pump();
    return result.command;
  }

  private scheduleTick(life: number, delay: number): void {
    this.events.schedule(delay, () => {
      if (life !== this.life || this.replica === null) return;
      if (!this.paused) {
        this.inbox.push('tick');
        this.pump();
      }
      this.scheduleTick(life, this.settings.tickMs);
    });
  }

  /** Processes waiting inputs and starts the next write unless one is in flight or the node is paused. */
  private pump(): void {
    const replica = this.replica;
    if (replica === null || this.syncing || this.paused) return;
    const inputs = this.inbox;
    this.inbox = [];
    this.inboxBytes = 0;
    for (const item of inputs) {
      if (item === 'tick') replica.tick();
      else if ('snapshot' in item) this.install(replica, item.snapshot);
      else {
        const admitted = this.admit(replica, item);
        if (admitted !== null) replica.step(admitted);
      }
    }
    const ready = replica.ready();
    if (isEmptyReady(ready)) {
      replica.advance(ready);
      return;
    }
    this.disk.write(ready.persist);
    this.syncing = true;
    // As the real runtime: what may precede the persist leaves now, the rest after the fsync.
    const early: Message[] = [];
    const late: Message[] = [];
    for (const message of ready.messages) (this.settings.plantedBug === 'no-persist' || mayPrecedePersist(message) ? early : late).push(message);
    this.transmit(early);
    const life = this.life;
    this.events.schedule(this.settings.fsyncMinMs + this.rng.next() * (this.settings.fsyncMaxMs - this.settings.fsyncMinMs), () => {
      if (life !== this.life) return;
      this.synced(replica, ready, late);
    });
  }

  /** The fsync of `ready` returned: `late` are its messages that had to wait for it. */
  private synced(replica: Replica, ready: Ready, late: readonly Message[]): void {
    for (const batch of this.disk.sync()) {
      for (const entry of batch.accepted) this.checker.durablyAccepted(this.id, entry);
      for (const command of batch.proposals) this.checker.durablySubmitted(command);
    }
    this.transmit(late);
    for (const entry of ready.persist.chosen) this.checker.learned(this.id, entry.slot, entry.value);
    this.disk.apply(ready.committed);
    for (const entry of ready.committed) {
      this.checker.applied(this.id, entry.slot, entry.value);
      for (const command of entry.value) if (command.origin === this.id) this.checker.acknowledgedToClient(command, entry.slot);
    }
    replica.advance(ready);
    this.checker.checkPromise(this.id, replica.status().promised);
    this.compactIfDue(replica);
    if (ready.snapshotFrom !== null) this.requestSnapshot(ready.snapshotFrom);
    this.syncing = false;
    this.pump();
  }

  private compactIfDue(replica: Replica): void {
    const retain = this.settings.retainSlots;
    if (retain === null) return;
    const { appliedIndex, compactedThrough } = replica.status();
    if (appliedIndex - compactedThrough <= 2 * retain) return;
    this.disk.compact(appliedIndex - retain);
    replica.compact(appliedIndex - retain);
  }

  /** One transfer at a time; when it ends (installed or failed), the core's next request starts another. */
  private requestSnapshot(from: NodeId): void {
    if (this.fetchingSnapshot) return;
    this.fetchingSnapshot = true;
    const life = this.life;
    this.fetchSnapshot(from, this.id, (snapshot) => {
      if (life !== this.life || this.replica === null) return;
      if (snapshot === null) {
        this.fetchingSnapshot = false;
        return;
      }
      this.inbox.push({ snapshot });
      this.pump();
    });
  }

  /**
   * The validation boundary as the runtime applies it to core messages (admitInbound): the view is the
   * core's commit index when it steps the message and the whole protocol configuration, and a rejected
   * message is dropped whole and counted as invalid-<rejection>. Checked as the message leaves the inbox,
   * as the runtime checks what it reads from its socket buffer.
   */
  private admit(replica: Replica, message: Message): Message | null {
    const rejection = checkMessage(message, { commitIndex: replica.commitIndex, config: this.protocol });
    if (rejection === null) return message;
    const reason: InboundDropReason = `invalid-${rejection}`;
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    return null;
  }

  /** Between Readys (never while a write is in flight), as the core's contract requires. */
  private install(replica: Replica, bytes: Uint8Array): void {
    this.fetchingSnapshot = false;
    // The disk installs only a snapshot newer than its applied index, which is the core's applied index.
    const installed = this.disk.installSnapshot(bytes);
    if (installed === null) return;
    replica.installSnapshot(installed.slot, installed.ledger, installed.membership);
    this.checker.snapshotInstalled(this.id, installed.slot);
    this.snapshotsInstalled++;
  }

  private transmit(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.type === 'promise') this.checker.promiseWasSent(this.id, message.ballot);
      const bytes = messageSizeBound(message);
      this.checker.messageFits(message, bytes, this.protocol.maxMessageBytes);
      this.send(message, bytes);
    }
  }

  private rngInt(maxExclusive: number): number {
    return Math.floor(this.rng.next() * maxExclusive);
  }
}
