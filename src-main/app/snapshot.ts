/**
 * Snapshots and digests of the app tables.
 *
 * A snapshot is plain JSON: every app row as a tuple, tables and rows in a fixed order (APP_TABLES, then
 * primary key), so two replicas with the same state produce the same JSON text. The digest is a SHA-256
 * over exactly that sequence of rows, streamed from the database without building the snapshot; it is
 * equal for a database and for any snapshot exported from it, and differs as soon as one value does.
 *
 * Snapshots read from outside (disk, network) go through parseAppSnapshot, which checks every value
 * against the column kinds before anything touches the database.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Database } from 'sql.js';
import { isRejectReason, type RejectReason } from './rules';
import { APP_TABLES, insertSql, selectAllSql, type ColumnKind, type TableSpec } from './schema';
import type { Row, StatementCache } from './statements';

export const APP_SNAPSHOT_FORMAT = 'synod-app/1';

export type UserRow = readonly [id: string, name: string, registeredSlot: number];
export type TweetRow = readonly [slot: number, position: number, author: string, seq: number, text: string, at: number];
export type BlockRow = readonly [blocker: string, target: string, sinceSlot: number];
/** `rejected` is null for a command that took effect. */
export type AppliedRow = readonly [origin: string, seq: number, slot: number, position: number, rejected: RejectReason | null];

export interface AppSnapshot {
  readonly format: typeof APP_SNAPSHOT_FORMAT;
  readonly users: readonly UserRow[];
  readonly tweets: readonly TweetRow[];
  readonly blocks: readonly BlockRow[];
  readonly applied: readonly AppliedRow[];
}

type SnapshotValue = string | number | null;
type SnapshotTables = Record<TableSpec['key'], SnapshotValue[][]>;

function fitsKind(value: unknown, kind: ColumnKind): value is SnapshotValue {
  switch (kind) {
    case 'text':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'reason-or-null':
      return value === null || isRejectReason(value);
  }
}

/** The row as snapshot values; throws if a column holds a value of the wrong kind. */
function checkedRow(table: TableSpec, row: readonly unknown[]): SnapshotValue[] {
  if (row.length !== table.columns.length) throw new TypeError(`${table.name}: expected ${table.columns.length} columns, got ${row.length}`);
  return table.columns.map(([name, kind], index) => {
    const value = row[index];
    if (!fitsKind(value, kind)) throw new TypeError(`${table.name}.${name}: ${JSON.stringify(value) ?? 'undefined'} is not a valid ${kind}`);
    return value;
  });
}

/** Validated tables are exactly the tuple shapes AppSnapshot declares. */
function asSnapshot(tables: SnapshotTables): AppSnapshot {
  return { format: APP_SNAPSHOT_FORMAT, ...tables } as unknown as AppSnapshot;
}

function visitRows(statements: StatementCache, visit: (table: TableSpec, row: SnapshotValue[]) => void): void {
  for (const table of APP_TABLES) {
    statements.each(selectAllSql(table), null, (row: Row) => visit(table, checkedRow(table, row)));
  }
}

export function readAppSnapshot(statements: StatementCache): AppSnapshot {
  const tables: SnapshotTables = { users: [], tweets: [], blocks: [], applied: [] };
  visitRows(statements, (table, row) => tables[table.key].push(row));
  return asSnapshot(tables);
}

/** Checks an untrusted value (e.g. JSON.parse output) and returns it as a snapshot, or throws a TypeError. */
export function parseAppSnapshot(value: unknown): AppSnapshot {
  if (typeof value !== 'object' || value === null) throw new TypeError('app snapshot must be an object');
  const record = value as Record<string, unknown>;
  if (record['format'] !== APP_SNAPSHOT_FORMAT) throw new TypeError(`unsupported app snapshot format ${JSON.stringify(record['format']) ?? 'undefined'}`);
  const tables: SnapshotTables = { users: [], tweets: [], blocks: [], applied: [] };
  for (const table of APP_TABLES) {
    const rows = record[table.key];
    if (!Array.isArray(rows)) throw new TypeError(`app snapshot: ${table.key} must be an array`);
    for (const row of rows as unknown[]) {
      if (!Array.isArray(row)) throw new TypeError(`app snapshot: every row of ${table.key} must be an array`);
      tables[table.key].push(checkedRow(table, row as unknown[]));
    }
  }
  return asSnapshot(tables);
}

/** Inserts every row of a validated snapshot. The caller empties the tables and owns the transaction. */
export function writeAppSnapshot(db: Database, snapshot: AppSnapshot): void {
  for (const table of APP_TABLES) {
    const insert = db.prepare(insertSql(table));
    try {
      for (const row of snapshot[table.key]) insert.run(row);
    } finally {
      insert.free();
    }
  }
}

function hashRow(hash: Hash, table: TableSpec, row: readonly SnapshotValue[]): void {
  // The table name keeps a row from hashing the same in two tables; JSON keeps values unambiguous.
  hash.update(`${table.name}\t${JSON.stringify(row)}\n`);
}

export function digestTables(statements: StatementCache): string {
  const hash = createHash('sha256');
  visitRows(statements, (table, row) => hashRow(hash, table, row));
  return hash.digest('hex');
}

export function digestAppSnapshot(snapshot: AppSnapshot): string {
  const hash = createHash('sha256');
  for (const table of APP_TABLES) for (const row of snapshot[table.key]) hashRow(hash, table, row);
  return hash.digest('hex');
}
