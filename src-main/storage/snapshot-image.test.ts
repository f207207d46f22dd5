import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../app/commands';
import type { Command, PersistBatch } from '../core/types';
import { FaultyFileSystem } from '../../test/support/faulty-file-system';
import { ReplicaStore, type ReplicaStoreOptions } from './replica-store';
import { InvalidSnapshotError, openSnapshotImage } from './snapshot-image';

let sqlJs: SqlJsStatic;
beforeAll(async () => {
  sqlJs = await initSqlJs();
});

const SOURCE: ReplicaStoreOptions = { nodeId: 'n1', clusterId: 'c1' };
const TARGET: ReplicaStoreOptions = { nodeId: 'n3', clusterId: 'c1' };
const ballot = { round: 1, node: 'n1' };

function tweet(origin: string, seq: number, text: string): Command {
  return { origin, seq, payload: encodeCommand({ type: 'tweet', text, at: 1_700_000_000_000 + seq }) };
}

/** A source replica that applied `slots` slots (a tweet and a rejected command in each) and retains its log. */
function source(slots: number): ReplicaStore {
  const store = ReplicaStore.open(new FaultyFileSystem(), sqlJs, '/data/n1', SOURCE);
  store.takeDurableState();
  for (let slot = 1; slot <= slots; slot++) {
    const value = [tweet(`u${slot % 3}`, slot, `tweet ${slot} 😀`), { origin: 'u9', seq: slot, payload: 'not a command' }];
    const batch: PersistBatch = { promised: slot === 1 ? ballot : null, accepted: [{ slot, ballot, value }], chosen: [{ slot, value }], proposals: [] };
    store.stage(batch);
    store.apply(batch.chosen);
  }
  store.sync();
  return store;
}

/** Runs SQL on a copy of a snapshot and returns the copy's bytes: a peer that sends something else. */
function tampered(snapshot: Uint8Array, sql: string): Uint8Array {
  const db = new sqlJs.Database(snapshot);
  try {
    db.run(sql);
    return db.export();
  } finally {
    db.close();
  }
}

/**
 * `snapshot` with `sql` run while `table` was looser (by default not STRICT; its schema text edited,
 * then put back as it was): values of the wrong type in a STRICT table, which only a forged file can hold.
 */
function forgedTypes(snapshot: Uint8Array, table: string, sql: string, loosen = (schema: string) => schema.replace(/\) STRICT/, ')')): Uint8Array {
  const schemaOf = (bytes: Uint8Array): string => {
    const db = new sqlJs.Database(bytes);
    try {
      return String(db.exec('SELECT sql FROM sqlite_schema WHERE name = ?', [table])[0]?.values[0]?.[0]);
    } finally {
      db.close();
    }
  };
  const withSchema = (bytes: Uint8Array, text: string): Uint8Array =>
    tampered(bytes, `PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = '${text.replaceAll("'", "''")}' WHERE name = '${table}'; PRAGMA writable_schema = OFF`);
  const strict = schemaOf(snapshot);
  const loose = withSchema(snapshot, loosen(strict));
  return withSchema(tampered(loose, sql), strict);
}

describe('snapshot images', () => {
  it('carry the state machine and nothing private to the replica that built them', () => {
    const bytes = source(40).snapshot();
    const snapshot = openSnapshotImage(sqlJs, bytes, 'c1');
    try {
      expect(snapshot.slot).toBe(40);
      expect(snapshot.membership.through).toBe(40);
      expect(snapshot.db.exec('SELECT count(*) FROM synod_log')[0]?.values[0]?.[0]).toBe(0);
      const keys = snapshot.db.exec('SELECT key FROM synod_meta ORDER BY key')[0]?.values.flat();
      expect(keys).toEqual(['appliedIndex', 'clusterId', 'format', 'membership', 'snapshot']);
      // Every command of the snapshot is in the ledger, rejected ones included.
      expect(snapshot.ledger).toEqual(expect.arrayContaining([expect.objectContaining({ origin: 'u9', floor: 40 })]));
    } finally {
      snapshot.db.close();
    }
  });

  it('installed, keep the installing replica’s identity, promise, log above the snapshot and own proposals; durable with the checkpoint due at once', () => {
    const from = source(30);
    const fs = new FaultyFileSystem();
    const target = ReplicaStore.open(fs, sqlJs, '/data/n3', TARGET);
    target.takeDurableState();
    const mine = tweet('n3', 1, 'my own, not applied anywhere yet');
    const above = [tweet('u1', 500, 'accepted above the snapshot')];
    target.stage({ promised: { round: 7, node: 'n2' }, accepted: [{ slot: 31, ballot: { round: 7, node: 'n2' }, value: above }], chosen: [{ slot: 32, value: [mine] }], proposals: [mine] });
    target.sync();
    const installed = target.installSnapshot(from.snapshot());
    expect(installed?.slot).toBe(30);
    expect(target.app.digest()).toBe(from.app.digest());
    expect(target.checkpointDue()).toBe(true);
    target.checkpoint();
    expect(target.checkpointDue()).toBe(false);
    fs.crash(); // the checkpoint made the install durable: nothing depends on a later close
    const reopened = ReplicaStore.open(fs, sqlJs, '/data/n3', TARGET);
    expect(reopened.app.digest()).toBe(from.app.digest());
    expect(reopened.takeDurableState()).toMatchObject({
      promised: { round: 7, node: 'n2' },
      appliedIndex: 30,
      compactedThrough: 30,
      accepted: [{ slot: 31, ballot: { round: 7, node: 'n2' }, value: above }],
      chosen: [{ slot: 32, value: [mine] }],
      proposals: [mine],
    });
    reopened.close();
  });

  it('installed, but lost in a crash before the checkpoint: the replica recovers as it was, with what it accepted since', () => {
    const from = source(30);
    const fs = new FaultyFileSystem();
    const target = ReplicaStore.open(fs, sqlJs, '/data/n3', TARGET);
    target.takeDurableState();
    const before = target.app.digest();
    target.installSnapshot(from.snapshot());
    const accepted = [tweet('u1', 600, 'accepted after the install')];
    target.stage({ promised: { round: 8, node: 'n2' }, accepted: [{ slot: 33, ballot: { round: 8, node: 'n2' }, value: accepted }], chosen: [], proposals: [] });
    target.sync();
    fs.crash();
    const reopened = ReplicaStore.open(fs, sqlJs, '/data/n3', TARGET);
    expect(reopened.app.digest()).toBe(before);
    expect(reopened.takeDurableState()).toMatchObject({ promised: { round: 8, node: 'n2' }, appliedIndex: 0, accepted: [{ slot: 33, value: accepted }] });
    // It installs the snapshot again.
    expect(reopened.installSnapshot(from.snapshot())?.slot).toBe(30);
    reopened.close();
  });

  it('installed, continue where the snapshot ends: an older slot is refused, the next one applies', () => {
    const from = source(20);
    const target = ReplicaStore.open(new FaultyFileSystem(), sqlJs, '/data/n3', TARGET);
    target.takeDurableState();
    target.installSnapshot(from.snapshot());
    expect(() => target.apply([{ slot: 20, value: [tweet('u1', 900, 'too late')] }])).toThrow();
    const next = [{ slot: 21, value: [tweet('u1', 901, 'next')] }];
    for (const store of [from, target]) {
      store.stage({ promised: null, accepted: [], chosen: next, proposals: [] });
      expect(store.apply(next)[0]?.outcome).toEqual({ status: 'applied' });
    }
    expect(target.app.digest()).toBe(from.app.digest());
    expect(target.app.timeline('u2', { limit: 1 })[0]?.text).toBe('next');
  });

  describe('from a peer are refused, with nothing changed, when', () => {
    const cases: [string, (good: Uint8Array) => Uint8Array, RegExp][] = [
      ['they are not a database', () => new TextEncoder().encode('{"format":"synod-snapshot/1"}'), /not a database/],
      ['a page is damaged', (good) => good.map((byte, i) => (i > 4096 && i < 4096 + 200 ? 0xa5 : byte)), /damaged|malformed|not a database/],
      ['they hold another table', (good) => tampered(good, 'CREATE TABLE extra (x)'), /tables differ/],
      ['they hold a trigger', (good) => tampered(good, 'CREATE TRIGGER t AFTER INSERT ON app_tweets BEGIN DELETE FROM app_users; END'), /tables differ/],
      ['they carry log rows', (good) => tampered(good, "INSERT INTO synod_log (slot, chosen, chosen_value) VALUES (99, 1, '[]')"), /log rows/],
      ['they carry a private meta key', (good) => tampered(good, `INSERT INTO synod_meta VALUES ('nodeId', '"n1"')`), /meta keys/],
      ['they belong to another cluster', (good) => tampered(good, `UPDATE synod_meta SET value = '"c2"' WHERE key = 'clusterId'`), /cluster "c2"/],
      ['they have another format', (good) => tampered(good, `UPDATE synod_meta SET value = '"synod-snapshot/9"' WHERE key = 'snapshot'`), /format "synod-snapshot\/9"/],
      ['their applied index is not a slot', (good) => tampered(good, `UPDATE synod_meta SET value = '-3' WHERE key = 'appliedIndex'`), /applied index -3/],
      ['their membership is nonsense', (good) => tampered(good, `UPDATE synod_meta SET value = '[]' WHERE key = 'membership'`), /membership/],
      ['a reject reason is made up', (good) => tampered(good, `UPDATE app_applied SET rejected = 'made-up' WHERE origin = 'u9' AND seq = 3`), /app_applied.rejected holds 1 values/],
      // Kinds that STRICT declares are quick_check's to verify (validate() counts only what STRICT cannot say).
      ['a tweet’s text is a blob', (good) => forgedTypes(good, 'app_tweets', `UPDATE app_tweets SET text = x'00ff' WHERE slot = 2`), /damaged \(non-TEXT value in app_tweets.text\)/],
      ['an applied slot is text (a WITHOUT ROWID table)', (good) => forgedTypes(good, 'app_applied', `UPDATE app_applied SET slot = 'seven' WHERE origin = 'u9' AND seq = 3`), /damaged \(non-INTEGER value in app_applied.slot\)/],
      ['a tweet’s author is NULL', (good) => forgedTypes(good, 'app_tweets', `UPDATE app_tweets SET author = NULL WHERE slot = 3`, (schema) => schema.replace('author TEXT NOT NULL', 'author TEXT')), /damaged \(NULL value in app_tweets.author\)/],
    ];
    for (const [what, make, reason] of cases) {
      it(what, () => {
        const good = source(12).snapshot();
        const fs = new FaultyFileSystem();
        const target = ReplicaStore.open(fs, sqlJs, '/data/n3', TARGET);
        target.takeDurableState();
        const before = target.app.digest();
        let error: unknown;
        try {
          target.installSnapshot(make(good));
        } catch (thrown) {
          error = thrown;
        }
        expect(error).toBeInstanceOf(InvalidSnapshotError);
        expect(String(error)).toMatch(reason);
        expect(target.appliedIndex).toBe(0);
        expect(target.app.digest()).toBe(before);
        // And the untouched replica still installs a good one.
        expect(target.installSnapshot(good)?.slot).toBe(12);
        target.close();
      });
    }
  });
});
