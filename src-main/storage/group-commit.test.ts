import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../test/support/faulty-file-system';
import { GroupCommit } from './group-commit';
import { Journal } from './journal';

const record = (n: number): Uint8Array => Uint8Array.from([n & 0xff, n >>> 8]);

function setup(): { fs: FaultyFileSystem; journal: Journal } {
  const fs = new FaultyFileSystem();
  const { journal } = Journal.open(fs, '/j', { firstSegment: 1 });
  return { fs, journal };
}

describe('GroupCommit', () => {
  it('makes the commits of one turn durable with one sync', async () => {
    const { fs, journal } = setup();
    const group = new GroupCommit(journal);
    await Promise.all(Array.from({ length: 50 }, (_, i) => group.commit(record(i))));
    expect(journal.stats.syncs).toBe(1);
    fs.crash();
    expect(Journal.open(fs, '/j', { firstSegment: 1 }).records).toHaveLength(50);
  });

  it('resolves only once the record is durable', async () => {
    const { journal } = setup();
    const group = new GroupCommit(journal);
    let durable = false;
    const done = group.commit(record(1)).then(() => {
      durable = journal.stats.syncs === 1;
    });
    expect(journal.stats.syncs).toBe(0);
    await done;
    expect(durable).toBe(true);
  });

  it('puts commits made after a flush into the next batch', async () => {
    const { journal } = setup();
    const flushes: Array<() => void> = [];
    const group = new GroupCommit(journal, (flush) => flushes.push(flush));
    const a = group.commit(record(1));
    const b = group.commit(record(2));
    expect(flushes).toHaveLength(1);
    flushes[0]?.();
    await Promise.all([a, b]);
    const c = group.commit(record(3));
    expect(flushes).toHaveLength(2);
    flushes[1]?.();
    await c;
    expect(journal.stats.syncs).toBe(2);
  });

  it('keeps concurrent writers batched', async () => {
    const { journal } = setup();
    const group = new GroupCommit(journal);
    const writers = 16;
    const rounds = 20;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < rounds; i++) await group.commit(record(w * rounds + i));
      }),
    );
    expect(journal.stats.records).toBe(writers * rounds);
    expect(journal.stats.syncs).toBe(rounds);
  });

  it('rejects the whole batch when the sync fails, and every later commit', async () => {
    const { fs, journal } = setup();
    const group = new GroupCommit(journal);
    fs.beforeOperation = (_n, op) => {
      if (op === 'fsync') throw new Error('EIO');
    };
    const results = await Promise.allSettled([group.commit(record(1)), group.commit(record(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(group.commit(record(3))).rejects.toThrow(/unusable/);
  });

  it('rejects only the offending commit when a record is too large', async () => {
    const fs = new FaultyFileSystem();
    const { journal } = Journal.open(fs, '/j', { firstSegment: 1, maxRecordBytes: 4 });
    const group = new GroupCommit(journal);
    const ok = group.commit(record(1));
    await expect(group.commit(new Uint8Array(5))).rejects.toThrow(RangeError);
    await ok;
    expect(journal.stats.records).toBe(1);
  });
});
