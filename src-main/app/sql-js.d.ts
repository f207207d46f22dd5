/**
 * Minimal typings for sql.js 1.16, which ships no .d.ts (and @types/sql.js is not a dependency).
 * Covers only what the app and storage use; extend it here rather than casting at call sites.
 * Checked against node_modules/sql.js/dist/sql-wasm-debug.js (the readable build of the same code).
 */
declare module 'sql.js' {
  /** A value SQLite hands back or accepts. INTEGER and REAL both arrive as JS numbers. */
  export type SqlValue = number | string | Uint8Array | null;

  /** Positional (`?`, `?NNN`) or named (`:name`, `$name`, `@name`, key includes the prefix) parameters. */
  export type BindParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>> | null;

  export interface QueryExecResult {
    readonly columns: string[];
    readonly values: SqlValue[][];
  }

  export interface Statement {
    /** Resets the statement, then binds `values`. */
    bind(values?: BindParams): boolean;
    /** Runs to the next row: true when a row is available through get()/getAsObject(). */
    step(): boolean;
    /** The current row (or, given params, binds them and steps first). */
    get(params?: BindParams): SqlValue[];
    getAsObject(params?: BindParams): Record<string, SqlValue>;
    /** bind + step + reset, ignoring rows. */
    run(values?: BindParams): void;
    /** Clears bindings and rewinds, releasing any read lock the statement held. */
    reset(): boolean;
    /** Finalizes the statement; it cannot be used afterwards. */
    free(): boolean;
  }

  export interface Database {
    /** Executes SQL (several statements allowed when `params` is absent), ignoring rows. */
    run(sql: string, params?: BindParams): Database;
    exec(sql: string, params?: BindParams): QueryExecResult[];
    prepare(sql: string, params?: BindParams): Statement;
    /**
     * A copy of the database file. In 1.16 this uses the backup API: the connection stays open and
     * prepared statements stay valid, but it throws while a write transaction is open.
     */
    export(): Uint8Array;
    /** Closes the database and frees every statement prepared on it. */
    close(): void;
    /** Rows changed by the most recent INSERT, UPDATE or DELETE. */
    getRowsModified(): number;
  }

  export interface SqlJsStatic {
    readonly Database: new (data?: ArrayLike<number> | null) => Database;
  }

  export interface SqlJsConfig {
    /** Where to fetch the wasm file from; in Node the default (next to sql-wasm.js) works. */
    locateFile?: (file: string, prefix: string) => string;
    wasmBinary?: ArrayBuffer | Uint8Array;
  }

  export default function initSqlJs(config?: SqlJsConfig): Promise<SqlJsStatic>;
}
