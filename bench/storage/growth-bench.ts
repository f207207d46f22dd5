/**
 * What growing a sql.js database costs, and what opening it with room to grow (storage/database-room.ts)
 * saves: a database of `--mb` megabytes of 32 KiB rows is exported, opened as it is or padded, and
 * grown by `--grow-mb` in transactions of three rows (a busy turn's batch). Prints the total time and
 * the worst transaction (the stall of the event loop a turn would see).
 *
 * Run: npx tsx bench/storage/growth-bench.ts [--mb 25 --grow-mb 25]
 */
import { parseArgs } from 'node:util';
import initSqlJs from 'sql.js';
import { openWithRoom } from '../../src-main/storage/database-room';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '25' }, 'grow-mb': { type: 'string', default: '25' } } });
const ROW_BYTES = 32 * 1024;
const sqlJs = await initSqlJs();
const row = new Uint8Array(ROW_BYTES).fill(7);
const seed = new sqlJs.Database();
seed.run('CREATE TABLE log (slot INTEGER PRIMARY KEY, value BLOB)');
const seedRows = Math.round((Number(values.mb) * 1e6) / ROW_BYTES);
seed.run('BEGIN');
for (let slot = 1; slot <= seedRows; slot++) seed.run('INSERT INTO log VALUES (?, ?)', [slot, row]);
seed.run('COMMIT');
const image = seed.export();
seed.close();

for (const [label, open] of [
  ['as it is', () => new sqlJs.Database(image)],
  ['with room', () => openWithRoom(sqlJs, image)],
] as const) {
  const openStart = performance.now();
  const db = open();
  const openMs = performance.now() - openStart;
  db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;');
  let slot = seedRows;
  let worstMs = 0;
  const growStart = performance.now();
  const rounds = Math.round((Number(values['grow-mb']) * 1e6) / ROW_BYTES / 3);
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    db.run('BEGIN');
    for (let i = 0; i < 3; i++) db.run('INSERT INTO log VALUES (?, ?)', [++slot, row]);
    db.run('COMMIT');
    worstMs = Math.max(worstMs, performance.now() - start);
  }
  const exported = db.export().length;
  console.log(`${label}: ${(image.length / 1e6).toFixed(1)} MB image, open ${openMs.toFixed(0)} ms, grow by ${values['grow-mb']} MB in ${rounds} transactions: ${(performance.now() - growStart).toFixed(0)} ms, worst transaction ${worstMs.toFixed(1)} ms; export ${(exported / 1e6).toFixed(1)} MB`);
  db.close();
}
