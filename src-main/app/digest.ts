/**
 * The digest of the app tables: a SHA-256 over every app row, tables and rows in a fixed order
 * (APP_TABLES, then primary key), streamed from the database. Replicas that applied the same log have
 * equal digests (microblog.ts's invariant); the tests and the consistency checks compare them.
 *
 * Every row is checked against its column kinds on the way: a value of the wrong kind fails loudly
 * instead of hashing like some other value.
 */
import { createHash } from 'node:crypto';
import { isRejectReason } from './rules';
import { APP_TABLES, selectAllSql, type ColumnKind, type TableSpec } from './schema';
import type { Row, StatementCache } from './statements';

function fitsKind(value: unknown, kind: ColumnKind): boolean {
  switch (kind) {
    case 'text':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'reason-or-null':
      return value === null || isRejectReason(value);
  }
}

function checkRow(table: TableSpec, row: Row): void {
  if (row.length !== table.columns.length) throw new TypeError(`${table.name}: expected ${table.columns.length} columns, got ${row.length}`);
  table.columns.forEach(([name, kind], index) => {
    const value = row[index];
    if (!fitsKind(value, kind)) throw new TypeError(`${table.name}.${name}: ${JSON.stringify(value) ?? 'undefined'} is not a valid ${kind}`);
  });
}

export function digestTables(statements: StatementCache): string {
  const hash = createHash('sha256');
  for (const table of APP_TABLES) {
    statements.each(selectAllSql(table), null, (row: Row) => {
      checkRow(table, row);
      // The table name keeps a row from hashing the same in two tables; JSON keeps values unambiguous.
      hash.update(`${table.name}\t${JSON.stringify(row)}\n`);
    });
  }
  return hash.digest('hex');
}
