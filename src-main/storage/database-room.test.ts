import initSqlJs from 'sql.js';
import { describe, expect, it } from 'vitest';
import { headerVouchesForSize, openWithRoom } from './database-room';

const sqlJs = await initSqlJs();

function imageOf(rows: number): Uint8Array {
  const db = new sqlJs.Database();
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, value BLOB)');
  for (let id = 1; id <= rows; id++) db.run('INSERT INTO t VALUES (?, ?)', [id, new Uint8Array(5_000).fill(id % 256)]);
  const image = db.export();
  db.close();
  return image;
}

describe('openWithRoom', () => {
  it('opens a padded image as the same database, grows into the room, and exports exactly its pages', () => {
    const image = imageOf(50);
    const db = openWithRoom(sqlJs, image);
    expect(db.exec('PRAGMA quick_check')[0]?.values).toEqual([['ok']]);
    expect(db.exec('SELECT count(*), sum(length(value)) FROM t')[0]?.values).toEqual([[50, 250_000]]);
    for (let id = 51; id <= 80; id++) db.run('INSERT INTO t VALUES (?, ?)', [id, new Uint8Array(5_000)]);
    const exported = db.export();
    const pageCount = db.exec('PRAGMA page_count')[0]?.values[0]?.[0] as number;
    expect(exported.length).toBe(pageCount * 4096);
    const reopened = new sqlJs.Database(exported);
    expect(reopened.exec('SELECT count(*) FROM t')[0]?.values).toEqual([[80]]);
    reopened.close();
    db.close();
  });

  it('pads only an image whose header gives its exact size', () => {
    const image = imageOf(3);
    expect(headerVouchesForSize(image)).toBe(true);
    const longer = new Uint8Array(image.length + 4096);
    longer.set(image);
    expect(headerVouchesForSize(longer)).toBe(false);
    const unvouched = image.slice();
    unvouched[95] = (unvouched[95] ?? 0) ^ 1; // version-valid-for no longer matches the change counter
    expect(headerVouchesForSize(unvouched)).toBe(false);
    expect(headerVouchesForSize(new Uint8Array(4096))).toBe(false);
    expect(() => openWithRoom(sqlJs, new TextEncoder().encode('not a database at all, and long enough to have a header of one hundred bytes....'))).not.toThrow();
  });
});
