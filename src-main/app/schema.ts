/**
 * The app-owned tables (all prefixed `app_`; the storage layer owns the rest of the same database) and
 * the description of their columns used by snapshots and the digest.
 *
 * All tables are STRICT, so a value of the wrong type fails loudly instead of being coerced (coercion
 * could differ between a replica that applied a command and one that imported a snapshot). TEXT keys
 * sort with the BINARY collation (UTF-8 bytes), which is the same everywhere.
 */

/** Idempotent: safe to run on every start and on a database that already holds the tables. */
export const APP_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS app_users (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  registered_slot INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A rowid table: tweets can reach a few KB, and WITHOUT ROWID only pays off for small rows.
-- The primary key index serves the timeline (log order, newest first).
CREATE TABLE IF NOT EXISTS app_tweets (
  slot INTEGER NOT NULL,
  position INTEGER NOT NULL,
  author TEXT NOT NULL,
  seq INTEGER NOT NULL,
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (slot, position)
) STRICT;

CREATE TABLE IF NOT EXISTS app_blocks (
  blocker TEXT NOT NULL,
  target TEXT NOT NULL,
  since_slot INTEGER NOT NULL,
  PRIMARY KEY (blocker, target)
) STRICT, WITHOUT ROWID;

-- The timeline asks "who blocks this viewer?".
CREATE INDEX IF NOT EXISTS app_blocks_by_target ON app_blocks (target, blocker);

-- One row per command ever applied, accepted (rejected IS NULL) or not (a reject reason code):
-- makes apply idempotent and records rejections so every replica agrees on them.
CREATE TABLE IF NOT EXISTS app_applied (
  origin TEXT NOT NULL,
  seq INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  position INTEGER NOT NULL,
  rejected TEXT,
  PRIMARY KEY (origin, seq)
) STRICT, WITHOUT ROWID;
-- Log compaction asks which commands were applied in a range of slots.
CREATE INDEX IF NOT EXISTS app_applied_by_slot ON app_applied (slot);
`;

/** `reason-or-null`: NULL, or a RejectReason code (rules.ts). */
export type ColumnKind = 'text' | 'integer' | 'reason-or-null';

export interface TableSpec {
  readonly name: string;
  readonly columns: readonly (readonly [name: string, kind: ColumnKind])[];
  /** The primary key: rows are hashed in this order. */
  readonly orderBy: string;
}

export const USERS_TABLE: TableSpec = {
  name: 'app_users',
  columns: [['id', 'text'], ['name', 'text'], ['registered_slot', 'integer']],
  orderBy: 'id',
};

export const TWEETS_TABLE: TableSpec = {
  name: 'app_tweets',
  columns: [['slot', 'integer'], ['position', 'integer'], ['author', 'text'], ['seq', 'integer'], ['text', 'text'], ['at', 'integer']],
  orderBy: 'slot, position',
};

export const BLOCKS_TABLE: TableSpec = {
  name: 'app_blocks',
  columns: [['blocker', 'text'], ['target', 'text'], ['since_slot', 'integer']],
  orderBy: 'blocker, target',
};

export const APPLIED_TABLE: TableSpec = {
  name: 'app_applied',
  columns: [['origin', 'text'], ['seq', 'integer'], ['slot', 'integer'], ['position', 'integer'], ['rejected', 'reason-or-null']],
  orderBy: 'origin, seq',
};

/** Every app table, in the fixed order the digest uses; snapshot-image.ts checks every column's kind. */
export const APP_TABLES: readonly TableSpec[] = [USERS_TABLE, TWEETS_TABLE, BLOCKS_TABLE, APPLIED_TABLE];

export function selectAllSql(table: TableSpec): string {
  return `SELECT ${table.columns.map(([name]) => name).join(', ')} FROM ${table.name} ORDER BY ${table.orderBy}`;
}
