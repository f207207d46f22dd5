/**
 * Prepared statements, prepared once per SQL text and reused (apply runs for every command).
 *
 * Invariant: a statement is always reset after use, even when stepping throws, so none is left holding
 * a read lock (which would make a later COMMIT or db.export() by the storage layer fail).
 *
 * sql.js 1.16's db.export() uses SQLite's backup API and keeps the connection and its statements open
 * (older releases closed and reopened the database, invalidating every statement), so the cache needs
 * no invalidation on export. db.close() frees the statements; call dispose() before closing instead.
 */
import type { BindParams, Database, SqlValue, Statement } from 'sql.js';

export type Row = readonly SqlValue[];

export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a statement that returns no rows. Returns the number of rows it changed. */
  run(sql: string, params: BindParams): number {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      statement.step();
      return this.db.getRowsModified();
    } finally {
      statement.reset();
    }
  }

  /** The first row, read by `read`, or undefined when there is none. */
  first<T>(sql: string, params: BindParams, read: (row: Row) => T): T | undefined {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      return statement.step() ? read(statement.get()) : undefined;
    } finally {
      statement.reset();
    }
  }

  /** Calls `visit` for every row, in the statement's order. */
  each(sql: string, params: BindParams, visit: (row: Row) => void): void {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      while (statement.step()) visit(statement.get());
    } finally {
      statement.reset();
    }
  }

  all<T>(sql: string, params: BindParams, read: (row: Row) => T): T[] {
    const rows: T[] = [];
    this.each(sql, params, (row) => rows.push(read(row)));
    return rows;
  }

  /** Frees every statement. The cache prepares them again if used afterwards. */
  dispose(): void {
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
  }
}

/** Typed column readers: a wrong type means the tables were written by something else. */
export function textAt(row: Row, index: number): string {
  const value = row[index];
  if (typeof value !== 'string') throw new TypeError(`expected TEXT in column ${index}, got ${describe(value)}`);
  return value;
}

export function integerAt(row: Row, index: number): number {
  const value = row[index];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`expected INTEGER in column ${index}, got ${describe(value)}`);
  return value;
}

export function textOrNullAt(row: Row, index: number): string | null {
  const value = row[index];
  return value === null ? null : textAt(row, index);
}

function describe(value: SqlValue | undefined): string {
  if (value === undefined) return 'no column';
  if (value instanceof Uint8Array) return 'a BLOB';
  return JSON.stringify(value);
}
