/**
 * The micro-blog state machine: applies chosen commands, in log order, to the app tables of a sql.js
 * database it shares with the storage layer, and answers the queries the UI needs.
 *
 * Invariants:
 *  - Deterministic: the tables after applying a log depend only on that log (no clock, no randomness,
 *    no ICU-dependent rule; timestamps come from the commands). Replicas applying the same log have
 *    equal digest().
 *  - Idempotent: each command id (origin, seq) takes effect at most once; applying it again is a
 *    'duplicate' that changes nothing.
 *  - Every non-duplicate command is recorded in app_applied, rejected ones with a stable reason code,
 *    so a rejection is never retried and every replica agrees on it.
 *  - Log order is enforced: a new command must come strictly after the last recorded (slot, position).
 *  - apply() opens no transaction (the storage layer may already be inside one and SQLite does not nest
 *    BEGIN): the caller should wrap each batch, with its own bookkeeping, in one transaction.
 *
 * Visibility: a user's tweets are hidden from everyone that user currently blocks, old tweets included;
 * unblocking shows them again. Everything else is public, and a viewer always sees their own tweets.
 */
import type { Database } from 'sql.js';
import { isMembershipPayload } from '../core/membership';
import { commandKey, type Command, type NodeId, type Slot } from '../core/types';
import { decodeCommand, type AppCommand } from './commands';
import { describeRejectReason, isRejectReason, judgeCommand, PROPOSER_TEXT_RULES, REPLICATED_TEXT_RULES, type AppView, type RejectReason, type Verdict } from './rules';
import { APP_SCHEMA_SQL } from './schema';
import { digestTables } from './digest';
import { integerAt, StatementCache, textAt, textOrNullAt, type Row } from './statements';

export type ApplyOutcome =
  | { readonly status: 'applied' }
  | { readonly status: 'duplicate' }
  | { readonly status: 'rejected'; readonly reason: RejectReason; readonly message: string };

/** Where a command sits in the log: its slot and its index within that slot's batch. */
export interface LogPosition {
  readonly slot: Slot;
  readonly position: number;
}

export interface TimelineEntry {
  /** The command id, `${origin}/${seq}`. */
  readonly id: string;
  readonly author: NodeId;
  /** The author's display name, or null if the author never registered. */
  readonly authorName: string | null;
  readonly text: string;
  readonly slot: Slot;
  readonly position: number;
  /** The author's clock when writing, in ms since the epoch (not comparable across authors). */
  readonly at: number;
}

export interface TimelineOptions {
  /** Default 50; values above 500 are clamped to 500. */
  readonly limit?: number;
  /** Only entries strictly older: before this position, or (a bare slot) before that slot. */
  readonly before?: LogPosition | Slot;
}

export interface User {
  readonly id: NodeId;
  readonly name: string;
  readonly registeredSlot: Slot;
  /** Whom this user blocks, sorted. */
  readonly blocks: readonly NodeId[];
  /** Who blocks this user, sorted. */
  readonly blockedBy: readonly NodeId[];
}

export const DEFAULT_TIMELINE_LIMIT = 50;
export const MAX_TIMELINE_LIMIT = 500;

const APPLIED: ApplyOutcome = Object.freeze({ status: 'applied' });
const DUPLICATE: ApplyOutcome = Object.freeze({ status: 'duplicate' });

const SQL = {
  recordApplied: 'INSERT OR IGNORE INTO app_applied (origin, seq, slot, position, rejected) VALUES (?, ?, ?, ?, NULL)',
  markRejected: 'UPDATE app_applied SET rejected = ? WHERE origin = ? AND seq = ?',
  appliedOutcome: 'SELECT rejected, slot FROM app_applied WHERE origin = ? AND seq = ?',
  appliedInSlots: 'SELECT origin, seq FROM app_applied WHERE slot >= ? AND slot <= ?',
  lastApplied: 'SELECT slot, position FROM app_applied ORDER BY slot DESC, position DESC LIMIT 1',
  isRegistered: 'SELECT 1 FROM app_users WHERE id = ?',
  // A re-register renames; registered_slot keeps the first registration.
  register: 'INSERT INTO app_users (id, name, registered_slot) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name',
  tweet: 'INSERT INTO app_tweets (slot, position, author, seq, text, at) VALUES (?, ?, ?, ?, ?, ?)',
  // Blocking twice keeps the first since_slot.
  block: 'INSERT OR IGNORE INTO app_blocks (blocker, target, since_slot) VALUES (?, ?, ?)',
  unblock: 'DELETE FROM app_blocks WHERE blocker = ? AND target = ?',
  isBlocking: 'SELECT 1 FROM app_blocks WHERE blocker = ? AND target = ?',
  timeline: `SELECT t.slot, t.position, t.author, t.seq, t.text, t.at, u.name
    FROM app_tweets t LEFT JOIN app_users u ON u.id = t.author
    WHERE (t.slot, t.position) < (?1, ?2) AND t.author NOT IN (SELECT blocker FROM app_blocks WHERE target = ?3)
    ORDER BY t.slot DESC, t.position DESC LIMIT ?4`,
  users: 'SELECT id, name, registered_slot FROM app_users ORDER BY id',
  user: 'SELECT id, name, registered_slot FROM app_users WHERE id = ?',
  allBlocks: 'SELECT blocker, target FROM app_blocks ORDER BY blocker, target',
  blocksOf: 'SELECT target FROM app_blocks WHERE blocker = ? ORDER BY target',
  blockersOf: 'SELECT blocker FROM app_blocks WHERE target = ? ORDER BY blocker',
} as const;

function isLogIndex(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function assertLogPosition(slot: Slot, position: number): void {
  if (!isLogIndex(slot, 1)) throw new RangeError(`slot must be a positive integer (got ${String(slot)})`);
  if (!isLogIndex(position, 0)) throw new RangeError(`position must be a non-negative integer (got ${String(position)})`);
}

function isAfter(a: LogPosition, b: LogPosition): boolean {
  return a.slot > b.slot || (a.slot === b.slot && a.position > b.position);
}

export class MicroBlog implements AppView {
  private readonly statements: StatementCache;
  /** The last recorded (slot, position), or null before the first command. */
  private last: LogPosition | null = null;

  constructor(private readonly db: Database) {
    db.run(APP_SCHEMA_SQL);
    this.statements = new StatementCache(db);
    this.loadLast();
  }

  static schema(): string {
    return APP_SCHEMA_SQL;
  }

  private loadLast(): void {
    this.last = this.statements.first(SQL.lastApplied, null, (row) => ({ slot: integerAt(row, 0), position: integerAt(row, 1) })) ?? null;
  }

  /**
   * Applies the command at `position` in the batch chosen for `slot`. Throws (a caller bug) when the slot
   * or position is not a valid index, or when a command not yet applied comes at or before the last
   * recorded position: that would mean the log is being applied out of order.
   */
  apply(slot: Slot, position: number, command: Command): ApplyOutcome {
    assertLogPosition(slot, position);
    if (!isLogIndex(command.seq, 1)) throw new RangeError(`command seq must be a positive integer (got ${String(command.seq)})`);
    const here: LogPosition = { slot, position };
    if (this.last !== null && !isAfter(here, this.last)) {
      if (this.hasApplied(command.origin, command.seq)) return DUPLICATE;
      throw new Error(`command ${command.origin}/${command.seq} applied at ${slot}:${position}, not after the last applied ${this.last.slot}:${this.last.position}`);
    }
    // Recording first doubles as the duplicate check: one statement on the common path.
    if (this.statements.run(SQL.recordApplied, [command.origin, command.seq, slot, position]) === 0) return DUPLICATE;
    this.last = here;
    // Membership commands belong to the storage layer (membership.ts); here they only take their id.
    if (isMembershipPayload(command.payload)) return APPLIED;

    const decoded = decodeCommand(command.payload);
    const verdict: Verdict =
      decoded === null
        ? { ok: false, reason: 'malformed-payload', message: 'The command could not be read.' }
        : judgeCommand(this, command.origin, decoded, REPLICATED_TEXT_RULES);
    if (!verdict.ok) {
      this.statements.run(SQL.markRejected, [verdict.reason, command.origin, command.seq]);
      return { status: 'rejected', reason: verdict.reason, message: verdict.message };
    }
    this.effect(slot, position, command, verdict.command);
    return APPLIED;
  }

  /** Applies a whole chosen batch; outcomes are in batch order. */
  applyBatch(slot: Slot, batch: readonly Command[]): ApplyOutcome[] {
    return batch.map((command, position) => this.apply(slot, position, command));
  }

  private effect(slot: Slot, position: number, command: Command, app: AppCommand): void {
    const author = command.origin;
    switch (app.type) {
      case 'register':
        this.statements.run(SQL.register, [author, app.name, slot]);
        return;
      case 'tweet':
        this.statements.run(SQL.tweet, [slot, position, author, command.seq, app.text, app.at]);
        return;
      case 'block':
        this.statements.run(SQL.block, [author, app.target, slot]);
        return;
      case 'unblock':
        this.statements.run(SQL.unblock, [author, app.target]);
        return;
    }
  }

  private hasApplied(origin: NodeId, seq: number): boolean {
    return this.statements.first(SQL.appliedOutcome, [origin, seq], () => true) ?? false;
  }

  /** What became of command (origin, seq), and in which slot: null if it has not been applied here (yet). */
  commandOutcome(origin: NodeId, seq: number): (Exclude<ApplyOutcome, { status: 'duplicate' }> & { readonly slot: Slot }) | null {
    const found = this.statements.first(SQL.appliedOutcome, [origin, seq], (row) => ({ rejected: textOrNullAt(row, 0), slot: integerAt(row, 1) }));
    if (found === undefined) return null;
    if (found.rejected === null) return { status: 'applied', slot: found.slot };
    const reason = found.rejected;
    if (!isRejectReason(reason)) throw new TypeError(`app_applied holds an unknown reject reason ${JSON.stringify(reason)}`);
    return { status: 'rejected', reason, message: describeRejectReason(reason), slot: found.slot };
  }

  /** Calls `visit` with the id of every command applied in slots fromSlot..toSlot (any order). */
  forEachAppliedIn(fromSlot: Slot, toSlot: Slot, visit: (origin: NodeId, seq: number) => void): void {
    this.statements.each(SQL.appliedInSlots, [fromSlot, toSlot], (row) => visit(textAt(row, 0), integerAt(row, 1)));
  }

  /**
   * The check a node runs before proposing `command` as `author`: a human-readable message, or null if
   * it may be proposed. Same rules as apply (plus the proposer's stricter text rules).
   */
  checkCommand(author: NodeId, command: AppCommand): string | null {
    const verdict = this.prepareCommand(author, command);
    return verdict.ok ? null : verdict.message;
  }

  /** Like checkCommand, but on success returns the command to propose (text NFC-normalized and trimmed). */
  prepareCommand(author: NodeId, command: AppCommand): Verdict {
    return judgeCommand(this, author, command, PROPOSER_TEXT_RULES);
  }

  isRegistered(id: NodeId): boolean {
    return this.statements.first(SQL.isRegistered, [id], () => true) ?? false;
  }

  isBlocking(blocker: NodeId, target: NodeId): boolean {
    return this.statements.first(SQL.isBlocking, [blocker, target], () => true) ?? false;
  }

  /** Tweets `viewer` may see, newest first in log order (slot, then position, descending). */
  timeline(viewer: NodeId, options: TimelineOptions = {}): TimelineEntry[] {
    const limit = options.limit ?? DEFAULT_TIMELINE_LIMIT;
    if (!isLogIndex(limit, 1)) throw new RangeError(`limit must be a positive integer (got ${String(limit)})`);
    const before = options.before ?? Number.MAX_SAFE_INTEGER;
    // A bare slot S means "slots < S", i.e. before (S, 0), since positions start at 0.
    const bound: LogPosition = typeof before === 'number' ? { slot: before, position: 0 } : before;
    if (!isLogIndex(bound.slot, 0) || !isLogIndex(bound.position, 0)) throw new RangeError('before must be a slot or a {slot, position} of non-negative integers');
    return this.statements.all(SQL.timeline, [bound.slot, bound.position, viewer, Math.min(limit, MAX_TIMELINE_LIMIT)], readTimelineEntry);
  }

  /** Every registered user, sorted by id. */
  users(): User[] {
    const blocks = new Map<NodeId, NodeId[]>();
    const blockedBy = new Map<NodeId, NodeId[]>();
    this.statements.each(SQL.allBlocks, null, (row) => {
      const blocker = textAt(row, 0);
      const target = textAt(row, 1);
      pushTo(blocks, blocker, target);
      pushTo(blockedBy, target, blocker);
    });
    // Rows arrive sorted by (blocker, target), so each list is sorted: blocks by target within a
    // blocker, blockedBy by blocker.
    return this.statements.all(SQL.users, null, (row) => {
      const id = textAt(row, 0);
      return { id, name: textAt(row, 1), registeredSlot: integerAt(row, 2), blocks: blocks.get(id) ?? [], blockedBy: blockedBy.get(id) ?? [] };
    });
  }

  user(id: NodeId): User | null {
    const found = this.statements.first(SQL.user, [id], (row) => ({ id: textAt(row, 0), name: textAt(row, 1), registeredSlot: integerAt(row, 2) }));
    if (found === undefined) return null;
    return {
      ...found,
      blocks: this.statements.all(SQL.blocksOf, [id], (row) => textAt(row, 0)),
      blockedBy: this.statements.all(SQL.blockersOf, [id], (row) => textAt(row, 0)),
    };
  }

  /** SHA-256 (hex) of every app row in deterministic order: equal on replicas with equal state. */
  digest(): string {
    return digestTables(this.statements);
  }

  /** Frees the prepared statements; call before closing the database or discarding this object. */
  dispose(): void {
    this.statements.dispose();
  }
}

function pushTo(map: Map<NodeId, NodeId[]>, key: NodeId, value: NodeId): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function readTimelineEntry(row: Row): TimelineEntry {
  const author = textAt(row, 2);
  return {
    id: commandKey(author, integerAt(row, 3)),
    author,
    authorName: textOrNullAt(row, 6),
    text: textAt(row, 4),
    slot: integerAt(row, 0),
    position: integerAt(row, 1),
    at: integerAt(row, 5),
  };
}
