/**
 * Snapshots as SQLite database images: what a replica far behind installs instead of replaying the log.
 *
 * A snapshot at slot S is the database of a replica that applied exactly the slots up to S, with
 * everything private to that replica taken out: the log tables are empty and synod_meta holds only
 * SNAPSHOT_META_KEYS (store format, cluster, applied index, membership, and the snapshot format).
 *
 * Why an image and not rows: installing a snapshot used to mean parsing JSON and inserting every row
 * (200,000 rows for 100,000 tweets: 1.5 s during which the installing replica answered nobody, measured
 * with .scratch-style timing of ReplicaStore.installSnapshot). An image is adopted as the database as
 * it is; the installing replica only validates it and moves its own few private rows in.
 *
 * Serving side (stripSteps/snapshotFromImage): the image comes from the checkpoint file (or an export),
 * opened as a private sql.js database that nothing else writes; the private rows are deleted a chunk at a
 * time so that the work can be sliced between turns of the event loop. secure_delete zeroes what was
 * deleted, so the free pages left behind cost next to nothing once gzipped for the transfer (and the
 * installing replica's log reuses them).
 *
 * Installing side (openSnapshotImage): the bytes come from a peer, so nothing in them is trusted. Before
 * anything reads the app tables: SQLite's own structural check, the exact schema of this build (no
 * extra tables, views or triggers), empty log tables, the exact meta keys with valid values, and every
 * app column of the declared kind. A snapshot that fails any of them is refused with the reason.
 */
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { APP_SCHEMA_SQL, APP_TABLES, type ColumnKind } from '../app/schema';
import { REJECT_REASON_CODES } from '../app/rules';
import { CommandLedger, type LedgerState } from '../core/command-ledger';
import { parseMembershipState, type MembershipState } from '../core/membership';
import type { Slot } from '../core/types';
import { STORE_FORMAT, StoreTables } from './store-tables';

export const SNAPSHOT_FORMAT = 'synod-snapshot/2';

/** The meta keys a snapshot image holds, no more, no fewer. */
const SNAPSHOT_META_KEYS = ['format', 'clusterId', 'appliedIndex', 'membership', 'snapshot'] as const;

/** Log rows deleted per step of stripSteps (a row holds one slot's value: up to a batch, 32 KiB). */
const LOG_ROWS_PER_STEP = 256;

/** The snapshot built from an image: its bytes and the slot it summarizes. */
export interface SnapshotImage {
  readonly bytes: Uint8Array;
  readonly slot: Slot;
}

/**
 * Turns `db` (a private copy of a replica's database) into a snapshot, one bounded step per iteration.
 * Returns the slot the snapshot summarizes. Throws if the database has no membership yet (a joining
 * node that installed nothing has no state to offer).
 */
export function* stripSteps(db: Database): Generator<void, Slot, undefined> {
  const tables = new StoreTables(db);
  const meta = tables.readMeta();
  tables.dispose();
  if (meta.membership === null) throw new Error('the image predates the membership (a joining node): it holds no snapshot');
  db.run('PRAGMA secure_delete = ON');
  for (;;) {
    db.run(`DELETE FROM synod_log WHERE slot IN (SELECT slot FROM synod_log ORDER BY slot LIMIT ${LOG_ROWS_PER_STEP})`);
    if (db.getRowsModified() === 0) break;
    yield;
  }
  db.run('DELETE FROM synod_proposals');
  db.run(`DELETE FROM synod_meta WHERE key NOT IN (${SNAPSHOT_META_KEYS.map(() => '?').join(', ')})`, [...SNAPSHOT_META_KEYS]);
  db.run("INSERT OR REPLACE INTO synod_meta (key, value) VALUES ('snapshot', ?)", [JSON.stringify(SNAPSHOT_FORMAT)]);
  return meta.appliedIndex;
}

/** The snapshot of the state that `image` (a database image of a replica) holds, in one go. */
export function snapshotFromImageNow(sqlJs: SqlJsStatic, image: Uint8Array): SnapshotImage {
  const db = new sqlJs.Database(image);
  try {
    const steps = stripSteps(db);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return { bytes: db.export(), slot: step.value };
    }
  } finally {
    db.close();
  }
}

/** A snapshot image, validated, open as a database this replica can adopt. */
export interface ValidSnapshot {
  /** Owned by the caller from now on: adopt it or close it. */
  readonly db: Database;
  readonly slot: Slot;
  readonly membership: MembershipState;
  /** Every command applied in the snapshot: the compacted ledger of a replica that installs it. */
  readonly ledger: LedgerState;
}

export class InvalidSnapshotError extends Error {
  constructor(reason: string) {
    super(`not a valid Synod snapshot: ${reason}`);
    this.name = 'InvalidSnapshotError';
  }
}

/**
 * Opens a snapshot a peer sent and checks everything in it (see the header) before returning it.
 * Throws InvalidSnapshotError (and closes what it opened) when anything is wrong.
 */
export function openSnapshotImage(sqlJs: SqlJsStatic, bytes: Uint8Array, clusterId: string): ValidSnapshot {
  let db: Database;
  try {
    // Without room to grow (database-room.ts): measured, the padding doubled the install's stall (311 ->
    // 773 ms at 37 MB), which a member catching up waits for; it grows from here like a fresh database.
    db = new sqlJs.Database(bytes);
  } catch (error) {
    throw new InvalidSnapshotError(`not a database (${String(error)})`);
  }
  try {
    const snapshot = validate(sqlJs, db, clusterId);
    return { db, ...snapshot };
  } catch (error) {
    db.close();
    if (error instanceof InvalidSnapshotError) throw error;
    throw new InvalidSnapshotError(String(error));
  }
}

function validate(sqlJs: SqlJsStatic, db: Database, clusterId: string): Omit<ValidSnapshot, 'db'> {
  const fail = (why: string): never => {
    throw new InvalidSnapshotError(why);
  };
  const check = single(db, 'PRAGMA quick_check');
  if (check !== 'ok') fail(`the database is damaged (${String(check)})`);
  const schema = schemaOf(db);
  const expected = referenceSchema(sqlJs);
  if (schema !== expected) fail('its tables differ from this build’s (another version, or not a snapshot)');
  if (single(db, 'SELECT count(*) FROM synod_log') !== 0 || single(db, 'SELECT count(*) FROM synod_proposals') !== 0) fail('it carries log rows');

  const meta = new Map<string, unknown>();
  for (const [key, value] of rows(db, 'SELECT key, value FROM synod_meta')) {
    try {
      meta.set(String(key), JSON.parse(String(value)));
    } catch {
      fail(`meta value of ${String(key)} is not JSON`);
    }
  }
  if (meta.size !== SNAPSHOT_META_KEYS.length || !SNAPSHOT_META_KEYS.every((key) => meta.has(key))) fail(`meta keys are [${[...meta.keys()].join(', ')}]`);
  if (meta.get('snapshot') !== SNAPSHOT_FORMAT) fail(`format ${JSON.stringify(meta.get('snapshot'))}, this build reads ${SNAPSHOT_FORMAT}`);
  if (meta.get('format') !== STORE_FORMAT) fail(`store format ${JSON.stringify(meta.get('format'))}, this build reads ${STORE_FORMAT}`);
  if (meta.get('clusterId') !== clusterId) fail(`it belongs to cluster ${JSON.stringify(meta.get('clusterId'))}`);
  const slot = meta.get('appliedIndex');
  if (typeof slot !== 'number' || !Number.isSafeInteger(slot) || slot < 1) return fail(`applied index ${JSON.stringify(slot)}`);
  const membership = parseMembershipState({ epochs: meta.get('membership'), through: slot });

  // quick_check above already verified every column that STRICT types (schema equal to this build's):
  // scanning those again cost 40-150 ms of a 37 MB install. What STRICT cannot say (a reject reason from
  // the known list) is counted here, one scan per table for all its columns.
  const covered = strictlyTyped(sqlJs);
  for (const table of APP_TABLES) {
    const columns = table.columns.filter(([column, kind]) => !covered.has(`${table.name}.${column}.${kind}`));
    if (columns.length === 0) continue;
    const counts = rows(db, `SELECT ${columns.map(([column, kind]) => `coalesce(sum(NOT (${kindCondition(column, kind)})), 0)`).join(', ')} FROM ${table.name}`)[0] ?? [];
    columns.forEach(([column, kind], index) => {
      const wrong = counts[index];
      if (wrong !== 0) fail(`${table.name}.${column} holds ${String(wrong)} values that are not ${kind}`);
    });
  }

  const ledger = new CommandLedger();
  const statement = db.prepare('SELECT origin, seq FROM app_applied');
  try {
    while (statement.step()) {
      const [origin, seq] = statement.get() as [string, number];
      ledger.add(origin, seq);
    }
  } finally {
    statement.free();
  }
  return { slot, membership, ledger: ledger.export() };
}

/** SQL that holds exactly when `column` has a value of `kind`. */
function kindCondition(column: string, kind: ColumnKind): string {
  switch (kind) {
    case 'text':
      return `typeof(${column}) = 'text'`;
    case 'integer':
      return `typeof(${column}) = 'integer'`;
    case 'reason-or-null':
      return `${column} IS NULL OR (typeof(${column}) = 'text' AND ${column} IN (${REJECT_REASON_CODES.map((code) => `'${code}'`).join(', ')}))`;
  }
}

let cachedReferenceSchema: string | null = null;
let cachedStrictlyTyped: ReadonlySet<string> | null = null;

/** The schema of a database this build creates, as schemaOf() describes it. */
function referenceSchema(sqlJs: SqlJsStatic): string {
  if (cachedReferenceSchema === null) describeReference(sqlJs);
  return cachedReferenceSchema as string;
}

/**
 * The app columns (`table.column.kind`) whose kind a database with this build's schema can only break
 * by failing quick_check: NOT NULL columns of a STRICT table declared TEXT (kind text) or INTEGER (kind
 * integer). SQLite's quick_check reports a NULL there and any value not of the declared type, in rowid
 * and WITHOUT ROWID tables alike (snapshot-image.test.ts holds such a snapshot).
 */
function strictlyTyped(sqlJs: SqlJsStatic): ReadonlySet<string> {
  if (cachedStrictlyTyped === null) describeReference(sqlJs);
  return cachedStrictlyTyped as ReadonlySet<string>;
}

function describeReference(sqlJs: SqlJsStatic): void {
  const db = new sqlJs.Database();
  try {
    new StoreTables(db).dispose();
    db.run(APP_SCHEMA_SQL);
    cachedReferenceSchema = schemaOf(db);
    const typed = new Set<string>();
    for (const table of APP_TABLES) {
      if (single(db, `SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = '${table.name}'`) !== 1) continue;
      for (const [name, type, notNull] of rows(db, `SELECT name, type, "notnull" FROM pragma_table_info('${table.name}')`)) {
        const kind = type === 'TEXT' ? 'text' : type === 'INTEGER' ? 'integer' : null;
        if (kind !== null && notNull === 1) typed.add(`${table.name}.${String(name)}.${kind}`);
      }
    }
    cachedStrictlyTyped = typed;
  } finally {
    db.close();
  }
}

/** Every table, index, view and trigger with its SQL, in a fixed order (root pages left out). */
function schemaOf(db: Database): string {
  return JSON.stringify(rows(db, 'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name'));
}

function rows(db: Database, sql: string): SqlValue[][] {
  return db.exec(sql)[0]?.values ?? [];
}

function single(db: Database, sql: string): SqlValue | undefined {
  return rows(db, sql)[0]?.[0];
}
