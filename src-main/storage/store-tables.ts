/**
 * The storage layer's own tables in the sql.js database (the app tables belong to MicroBlog):
 *
 *  synod_meta       key/value: node and cluster identity, format, promised ballot, applied index,
 *                   compaction point, compacted ledger, first journal segment to replay.
 *  synod_log        the retained log: per slot the accepted (ballot, value) and the chosen value.
 *  synod_proposals  this node's own commands that are not applied yet (survive crashes, keep ids).
 *
 * Invariant: the tables reflect every journal record staged so far; the checkpoint image of them plus
 * the journal segments from `journal_segment` on is the durable state.
 */
import type { Database } from 'sql.js';
import { StatementCache, textAt, textOrNullAt, integerAt } from '../app/statements';
import { ZERO_BALLOT, type Ballot } from '../core/ballot';
import type { LedgerState } from '../core/command-ledger';
import type { MembershipEpoch } from '../core/membership';
import type { AcceptedEntry, ChosenEntry, Command, Slot, SlotValue } from '../core/types';
import { decodeBallot, decodeValue, encodeBallot, encodeValue, type StagedBatch } from './codec';

export const STORE_FORMAT = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS synod_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
-- chosen = 1 with chosen_value NULL means the chosen value is accepted_value (the common case).
CREATE TABLE IF NOT EXISTS synod_log (
  slot INTEGER PRIMARY KEY,
  accepted_ballot TEXT,
  accepted_value TEXT,
  chosen INTEGER NOT NULL DEFAULT 0,
  chosen_value TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS synod_proposals (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL) STRICT;
`;

export interface StoreMeta {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly format: number;
  readonly promised: Ballot;
  readonly appliedIndex: Slot;
  readonly compactedThrough: Slot;
  readonly ledger: LedgerState;
  readonly journalSegment: number;
  /** Membership epochs as of appliedIndex (null: not known yet, a node joining a cluster). */
  readonly membership: readonly MembershipEpoch[] | null;
}

export interface LogRow {
  readonly slot: Slot;
  readonly accepted: { readonly ballot: Ballot; readonly value: SlotValue } | null;
  readonly chosen: SlotValue | null;
}

const META_KEYS = ['nodeId', 'clusterId', 'format', 'promised', 'appliedIndex', 'compactedThrough', 'ledger', 'journalSegment', 'membership'] as const;

export class StoreTables {
  private readonly sql: StatementCache;

  constructor(db: Database) {
    // The database lives in memory; durability comes from our journal and checkpoints, so SQLite's own
    // rollback journal (written to sql.js's in-memory file system on every commit) is pure overhead.
    db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY;');
    db.run(SCHEMA);
    this.sql = new StatementCache(db);
  }

  /** Makes the meta table hold exactly `meta` (a fresh data directory, or an installed snapshot's database). */
  replaceMeta(meta: StoreMeta): void {
    this.sql.run('DELETE FROM synod_meta', null);
    for (const key of META_KEYS) this.setMeta(key, meta[key]);
  }

  readMeta(): StoreMeta {
    const values = new Map<string, string>();
    this.sql.each('SELECT key, value FROM synod_meta', null, (row) => values.set(textAt(row, 0), textAt(row, 1)));
    const field = (key: (typeof META_KEYS)[number]): unknown => {
      const text = values.get(key);
      if (text === undefined) throw new Error(`metadata field ${key} is missing`);
      return JSON.parse(text);
    };
    return {
      nodeId: field('nodeId') as string,
      clusterId: field('clusterId') as string,
      format: field('format') as number,
      promised: (field('promised') as Ballot | null) ?? ZERO_BALLOT,
      appliedIndex: field('appliedIndex') as number,
      compactedThrough: field('compactedThrough') as number,
      ledger: field('ledger') as LedgerState,
      journalSegment: field('journalSegment') as number,
      membership: values.has('membership') ? (field('membership') as MembershipEpoch[] | null) : null,
    };
  }

  setMeta<K extends (typeof META_KEYS)[number]>(key: K, value: StoreMeta[K]): void {
    this.sql.run('INSERT OR REPLACE INTO synod_meta (key, value) VALUES (?, ?)', [key, JSON.stringify(value)]);
  }

  /** Applies one journal record to the tables (also used when replaying the journal). */
  stage(batch: StagedBatch, compactedThrough: Slot): void {
    if (batch.promised !== null) this.setMeta('promised', batch.promised);
    for (const entry of batch.accepted) {
      if (entry.slot <= compactedThrough) continue;
      this.sql.run(
        'INSERT INTO synod_log (slot, accepted_ballot, accepted_value) VALUES (?, ?, ?) ON CONFLICT(slot) DO UPDATE SET accepted_ballot = excluded.accepted_ballot, accepted_value = excluded.accepted_value',
        [entry.slot, encodeBallot(entry.ballot), encodeValue(entry.value)],
      );
    }
    for (const entry of batch.chosen) {
      if (entry.slot <= compactedThrough) continue;
      this.sql.run('INSERT INTO synod_log (slot, chosen, chosen_value) VALUES (?, 1, ?) ON CONFLICT(slot) DO UPDATE SET chosen = 1, chosen_value = excluded.chosen_value', [
        entry.slot,
        entry.value === null ? null : encodeValue(entry.value),
      ]);
    }
    for (const command of batch.proposals) this.sql.run('INSERT OR IGNORE INTO synod_proposals (seq, payload) VALUES (?, ?)', [command.seq, command.payload]);
  }

  chosenAt(slot: Slot): SlotValue | null {
    const text = this.sql.first('SELECT coalesce(chosen_value, accepted_value) FROM synod_log WHERE slot = ? AND chosen = 1', [slot], (row) => textAt(row, 0));
    return text === undefined ? null : decodeValue(text);
  }

  /** Own commands are forgotten once applied: they can no longer be lost. */
  forgetProposal(seq: number): void {
    this.sql.run('DELETE FROM synod_proposals WHERE seq = ?', [seq]);
  }

  proposals(origin: string): Command[] {
    return this.sql.all('SELECT seq, payload FROM synod_proposals ORDER BY seq', null, (row) => ({ origin, seq: integerAt(row, 0), payload: textAt(row, 1) }));
  }

  /** Retained accepted and chosen entries above `afterSlot`, for the recovering core. */
  retained(afterSlot: Slot): { accepted: AcceptedEntry[]; chosen: ChosenEntry[] } {
    const accepted: AcceptedEntry[] = [];
    const chosen: ChosenEntry[] = [];
    for (const row of this.rows(afterSlot + 1, Number.MAX_SAFE_INTEGER)) {
      if (row.accepted !== null) accepted.push({ slot: row.slot, ...row.accepted });
      if (row.chosen !== null) chosen.push({ slot: row.slot, value: row.chosen });
    }
    return { accepted, chosen };
  }

  /** Log rows with fromSlot <= slot <= toSlot, in slot order, at most `limit`. */
  rows(fromSlot: Slot, toSlot: Slot, limit = Number.MAX_SAFE_INTEGER): LogRow[] {
    const sql = 'SELECT slot, accepted_ballot, accepted_value, chosen, chosen_value FROM synod_log WHERE slot >= ? AND slot <= ? ORDER BY slot LIMIT ?';
    return this.sql.all(sql, [fromSlot, toSlot, limit], (row) => {
      const ballot = textOrNullAt(row, 1);
      const acceptedText = textOrNullAt(row, 2);
      const accepted = ballot === null || acceptedText === null ? null : { ballot: decodeBallot(ballot), value: decodeValue(acceptedText) };
      const chosenText = textOrNullAt(row, 4);
      const chosen = integerAt(row, 3) === 0 ? null : chosenText !== null ? decodeValue(chosenText) : (accepted?.value ?? null);
      return { slot: integerAt(row, 0), accepted, chosen };
    });
  }

  /** Drops log rows through `slot`. */
  dropThrough(slot: Slot): void {
    this.sql.run('DELETE FROM synod_log WHERE slot <= ?', [slot]);
  }

  /** Prepared statements must be freed before the database closes. */
  dispose(): void {
    this.sql.dispose();
  }
}
