import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../core/types';
import { encodeCommand, type AppCommand } from './commands';
import { MicroBlog, type ApplyOutcome, type TimelineEntry } from './microblog';
import { APP_TABLES } from './schema';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await initSqlJs();
});

const AT = 1_700_000_000_000;

/** Every row of an app table, in primary key order. */
function tableRows(db: Database, table: string): unknown[][] {
  const spec = APP_TABLES.find((t) => t.name === table);
  if (spec === undefined) throw new Error(`no app table ${table}`);
  return db.exec(`SELECT * FROM ${table} ORDER BY ${spec.orderBy}`)[0]?.values ?? [];
}

function freshBlog(): { db: Database; blog: MicroBlog } {
  const db = new SQL.Database();
  return { db, blog: new MicroBlog(db) };
}

/** Hands out command ids per origin, as each node's submitter would. */
class Authors {
  private readonly seqs = new Map<string, number>();
  command(origin: string, app: AppCommand): Command {
    const seq = (this.seqs.get(origin) ?? 0) + 1;
    this.seqs.set(origin, seq);
    return { origin, seq, payload: encodeCommand(app) };
  }
}

const register = (name: string): AppCommand => ({ type: 'register', name, at: AT });
const tweet = (text: string): AppCommand => ({ type: 'tweet', text, at: AT });
const block = (target: string): AppCommand => ({ type: 'block', target, at: AT });
const unblock = (target: string): AppCommand => ({ type: 'unblock', target, at: AT });

/** A chosen log: each call appends one slot holding the given batch. */
class Log {
  readonly slots: Command[][] = [];
  readonly authors = new Authors();
  append(...batch: Command[]): void {
    this.slots.push(batch);
  }
  /** One slot per command, authored as given. */
  add(origin: string, ...apps: AppCommand[]): void {
    for (const app of apps) this.append(this.authors.command(origin, app));
  }
  applyTo(blog: MicroBlog, fromSlot = 1): ApplyOutcome[] {
    return this.slots.slice(fromSlot - 1).flatMap((batch, i) => blog.applyBatch(fromSlot + i, batch));
  }
}

const texts = (entries: readonly TimelineEntry[]): string[] => entries.map((e) => e.text);

function socialLog(): Log {
  const log = new Log();
  log.add('alice', register('Alice'));
  log.add('bob', register('Bob'));
  log.add('carol', register('Carol'));
  log.add('alice', tweet('a1'));
  log.add('bob', tweet('b1'));
  log.add('carol', tweet('c1'));
  return log;
}

describe('MicroBlog apply and timeline', () => {
  it('lists tweets newest first in log order, with author names', () => {
    const { blog } = freshBlog();
    const log = socialLog();
    const authors = log.authors;
    log.append(authors.command('alice', tweet('a2')), authors.command('bob', tweet('b2')));
    log.applyTo(blog);
    const timeline = blog.timeline('carol');
    expect(texts(timeline)).toEqual(['b2', 'a2', 'c1', 'b1', 'a1']);
    expect(timeline[0]).toEqual({ id: 'bob/3', author: 'bob', authorName: 'Bob', text: 'b2', slot: 7, position: 1, at: AT });
  });

  it("includes the viewer's own tweets", () => {
    const { blog } = freshBlog();
    socialLog().applyTo(blog);
    expect(texts(blog.timeline('alice'))).toContain('a1');
  });

  it("hides a blocker's tweets, old and new, from the target only; unblock restores them", () => {
    const { blog } = freshBlog();
    const log = socialLog();
    log.add('alice', block('bob'), tweet('a2'));
    log.applyTo(blog);
    expect(texts(blog.timeline('bob'))).toEqual(['c1', 'b1']);
    expect(texts(blog.timeline('carol'))).toEqual(['a2', 'c1', 'b1', 'a1']);
    // Blocking is one-way: alice still sees bob.
    expect(texts(blog.timeline('alice'))).toEqual(['a2', 'c1', 'b1', 'a1']);
    expect(blog.isBlocking('alice', 'bob')).toBe(true);
    expect(blog.isBlocking('bob', 'alice')).toBe(false);

    log.add('alice', unblock('bob'));
    log.applyTo(blog, log.slots.length);
    expect(texts(blog.timeline('bob'))).toEqual(['a2', 'c1', 'b1', 'a1']);
    expect(blog.isBlocking('alice', 'bob')).toBe(false);
  });

  it('treats blocking twice and unblocking someone not blocked as applied no-ops', () => {
    const { db, blog } = freshBlog();
    const log = socialLog();
    log.add('alice', block('bob'), block('bob'), unblock('carol'));
    const outcomes = log.applyTo(blog);
    expect(outcomes.slice(-3)).toEqual([{ status: 'applied' }, { status: 'applied' }, { status: 'applied' }]);
    // The first block's slot is kept.
    expect(tableRows(db, 'app_blocks')).toEqual([['alice', 'bob', 7]]);
  });

  it('rejects blocking yourself and unknown users, and records the rejection', () => {
    const { db, blog } = freshBlog();
    const log = socialLog();
    log.add('alice', block('alice'), block('dave'), unblock('dave'));
    const outcomes = log.applyTo(blog);
    expect(outcomes.slice(-3)).toEqual([
      { status: 'rejected', reason: 'self-target', message: 'You cannot block yourself.' },
      { status: 'rejected', reason: 'unknown-user', message: 'There is no user "dave".' },
      { status: 'rejected', reason: 'unknown-user', message: 'There is no user "dave".' },
    ]);
    expect(blog.commandOutcome('alice', 3)).toMatchObject({ status: 'rejected', reason: 'self-target', slot: 7 });
    expect(blog.commandOutcome('alice', 2)).toEqual({ status: 'applied', slot: 4 });
    expect(blog.commandOutcome('alice', 99)).toBeNull();
    expect(tableRows(db, 'app_blocks')).toEqual([]);
    // A rejected command is recorded, so it is a duplicate from then on.
    expect(blog.apply(100, 0, log.slots[6]?.[0] ?? fail())).toEqual({ status: 'duplicate' });
  });

  it('rejects malformed payloads and invalid text, identically on every replica', () => {
    const log = new Log();
    log.append({ origin: 'alice', seq: 1, payload: 'not json' });
    log.append({ origin: 'alice', seq: 2, payload: '["tweet",1,"x"] ' });
    log.add('bob', tweet('   '), tweet('a\u0000b'), register('x'.repeat(200)));
    log.append({ origin: 'not a node id!', seq: 1, payload: encodeCommand(tweet('hi')) });
    const { db: dbA, blog: a } = freshBlog();
    const b = freshBlog().blog;
    const outcomes = log.applyTo(a);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.status))).toEqual([
      'malformed-payload',
      'malformed-payload',
      'text-empty',
      'text-control-character',
      'name-too-long',
      'invalid-author',
    ]);
    expect(log.applyTo(b)).toEqual(outcomes);
    expect(b.digest()).toBe(a.digest());
    expect(tableRows(dbA, 'app_applied').map((row) => row[4])).toEqual(['malformed-payload', 'malformed-payload', 'text-empty', 'text-control-character', 'name-too-long', 'invalid-author']);
    expect(a.timeline('alice')).toEqual([]);
  });

  it('lets an unregistered author tweet (without a name) and stores trimmed text', () => {
    const { blog } = freshBlog();
    const log = new Log();
    log.add('zed', tweet('  hi there \n'));
    log.applyTo(blog);
    expect(blog.timeline('anyone')).toMatchObject([{ author: 'zed', authorName: null, text: 'hi there' }]);
    expect(blog.users()).toEqual([]);
  });

  it('renames on re-register and keeps the first registration slot', () => {
    const { blog } = freshBlog();
    const log = socialLog();
    log.add('alice', register('Alice Liddell'));
    log.applyTo(blog);
    expect(blog.user('alice')).toEqual({ id: 'alice', name: 'Alice Liddell', registeredSlot: 1, blocks: [], blockedBy: [] });
    expect(texts(blog.timeline('bob')).length).toBe(3);
    expect(blog.timeline('bob').find((e) => e.author === 'alice')?.authorName).toBe('Alice Liddell');
  });

  it('lists users with whom they block and who blocks them', () => {
    const { blog } = freshBlog();
    const log = socialLog();
    log.add('carol', block('alice'), block('bob'));
    log.add('bob', block('alice'));
    log.applyTo(blog);
    expect(blog.users()).toEqual([
      { id: 'alice', name: 'Alice', registeredSlot: 1, blocks: [], blockedBy: ['bob', 'carol'] },
      { id: 'bob', name: 'Bob', registeredSlot: 2, blocks: ['alice'], blockedBy: ['carol'] },
      { id: 'carol', name: 'Carol', registeredSlot: 3, blocks: ['alice', 'bob'], blockedBy: [] },
    ]);
    expect(blog.user('carol')).toEqual(blog.users()[2]);
    expect(blog.user('nobody')).toBeNull();
  });
});

describe('MicroBlog idempotency and log order', () => {
  it('ignores a command id it already applied, wherever it appears again', () => {
    const { blog } = freshBlog();
    const log = socialLog();
    log.applyTo(blog);
    const before = blog.digest();
    const again = log.slots[3]?.[0] ?? fail();
    expect(blog.apply(7, 0, again)).toEqual({ status: 'duplicate' });
    // Replaying an already applied slot (e.g. after a crash) is harmless too.
    expect(log.applyTo(blog)).toEqual(log.slots.map(() => ({ status: 'duplicate' })));
    expect(blog.digest()).toBe(before);
    expect(texts(blog.timeline('carol'))).toEqual(['c1', 'b1', 'a1']);
  });

  it('refuses a new command at or before the last applied position', () => {
    const { blog } = freshBlog();
    const authors = new Authors();
    blog.apply(5, 1, authors.command('alice', tweet('x')));
    expect(() => blog.apply(5, 1, authors.command('alice', tweet('y')))).toThrow(/not after the last applied 5:1/);
    expect(() => blog.apply(4, 9, authors.command('alice', tweet('y')))).toThrow();
    expect(() => blog.apply(0, 0, authors.command('alice', tweet('y')))).toThrow(RangeError);
    expect(() => blog.apply(6, -1, authors.command('alice', tweet('y')))).toThrow(RangeError);
    expect(blog.apply(5, 2, authors.command('alice', tweet('z')))).toEqual({ status: 'applied' });
  });

  it('resumes on a database that already holds app tables', () => {
    const { db, blog } = freshBlog();
    const log = socialLog();
    log.applyTo(blog);
    blog.dispose();
    const reopened = new MicroBlog(db);
    expect(texts(reopened.timeline('alice'))).toEqual(['c1', 'b1', 'a1']);
    expect(() => reopened.apply(6, 0, log.authors.command('bob', tweet('late')))).toThrow();
    expect(reopened.apply(7, 0, log.authors.command('bob', tweet('b2')))).toEqual({ status: 'applied' });
  });

  it('works inside a caller transaction and keeps its statements across db.export()', () => {
    const { db, blog } = freshBlog();
    const log = socialLog();
    db.run('CREATE TABLE log (slot INTEGER PRIMARY KEY, value TEXT)');
    db.run('BEGIN');
    log.applyTo(blog);
    db.run("INSERT INTO log VALUES (6, '[]')");
    db.run('COMMIT');
    const bytes = db.export();
    log.add('alice', tweet('after export'));
    log.applyTo(blog, 7);
    expect(texts(blog.timeline('bob'))[0]).toBe('after export');
    // The exported file holds the app tables as of the export.
    const copy = new MicroBlog(new SQL.Database(bytes));
    expect(texts(copy.timeline('bob'))).toEqual(['c1', 'b1', 'a1']);
  });
});

describe('MicroBlog checks before proposing', () => {
  it('gives the same messages apply would', () => {
    const { blog } = freshBlog();
    socialLog().applyTo(blog);
    expect(blog.checkCommand('alice', block('alice'))).toBe('You cannot block yourself.');
    expect(blog.checkCommand('alice', unblock('alice'))).toBe('You cannot unblock yourself.');
    expect(blog.checkCommand('alice', block('bob2'))).toBe('There is no user "bob2".');
    expect(blog.checkCommand('alice', tweet(' '))).toBe('A tweet cannot be empty.');
    expect(blog.checkCommand('alice', tweet('x'.repeat(281)))).toBe('A tweet can have at most 280 characters (this one has 281).');
    expect(blog.checkCommand('alice', register(''))).toBe('A display name cannot be empty.');
    expect(blog.checkCommand('alice', block('bob'))).toBeNull();
    expect(blog.checkCommand('alice', unblock('bob'))).toBeNull();
    expect(blog.checkCommand('zed', tweet('an unregistered author may tweet'))).toBeNull();
  });

  it('prepares the normalized command to propose', () => {
    const { blog } = freshBlog();
    expect(blog.prepareCommand('alice', tweet('  Cafe\u0301 \r\n'))).toEqual({ ok: true, command: tweet('Caf\u00e9') });
  });
});

describe('MicroBlog timeline paging', () => {
  function pagedBlog(): MicroBlog {
    const { blog } = freshBlog();
    const log = new Log();
    for (let slot = 1; slot <= 4; slot++) {
      log.append(log.authors.command('alice', tweet(`t${slot}.0`)), log.authors.command('bob', tweet(`t${slot}.1`)));
    }
    log.applyTo(blog);
    return blog;
  }

  it('pages with {slot, position} strictly before the given entry', () => {
    const blog = pagedBlog();
    const all = texts(blog.timeline('carol'));
    expect(all).toEqual(['t4.1', 't4.0', 't3.1', 't3.0', 't2.1', 't2.0', 't1.1', 't1.0']);
    const pages: string[][] = [];
    let page = blog.timeline('carol', { limit: 3 });
    while (page.length > 0) {
      pages.push(texts(page));
      const last = page[page.length - 1] ?? fail();
      page = blog.timeline('carol', { limit: 3, before: { slot: last.slot, position: last.position } });
    }
    expect(pages).toEqual([['t4.1', 't4.0', 't3.1'], ['t3.0', 't2.1', 't2.0'], ['t1.1', 't1.0']]);
  });

  it('takes a bare slot as "before that slot"', () => {
    const blog = pagedBlog();
    expect(texts(blog.timeline('carol', { before: 3 }))).toEqual(['t2.1', 't2.0', 't1.1', 't1.0']);
    expect(texts(blog.timeline('carol', { before: 1 }))).toEqual([]);
  });

  it('defaults to 50 entries, clamps the limit to 500 and rejects nonsense', () => {
    const { blog } = freshBlog();
    const log = new Log();
    for (let i = 0; i < 600; i++) log.add('alice', tweet(`t${i}`));
    log.applyTo(blog);
    expect(blog.timeline('bob')).toHaveLength(50);
    expect(blog.timeline('bob', { limit: 10_000 })).toHaveLength(500);
    expect(() => blog.timeline('bob', { limit: 0 })).toThrow(RangeError);
    expect(() => blog.timeline('bob', { limit: 2.5 })).toThrow(RangeError);
    expect(() => blog.timeline('bob', { before: { slot: 1, position: -1 } })).toThrow(RangeError);
  });
});

describe('MicroBlog state transfer', () => {
  function busyLog(): Log {
    const log = socialLog();
    log.add('alice', block('bob'), tweet('a2'));
    log.add('carol', block('carol'), tweet(''), register('Caroline'));
    log.append({ origin: 'bob', seq: 99, payload: '{' });
    log.append(log.authors.command('bob', tweet('b2')), log.authors.command('carol', block('alice')));
    return log;
  }

  it('gives equal digests to replicas that applied the same log, duplicates and rejects included', () => {
    const log = busyLog();
    const { db: dbA, blog: a } = freshBlog();
    const { db: dbB, blog: b } = freshBlog();
    log.applyTo(a);
    log.applyTo(b);
    // b sees some commands a second time (a retransmission chosen again in a later slot).
    b.applyBatch(log.slots.length + 1, [log.slots[0]?.[0] ?? fail(), log.slots[5]?.[0] ?? fail()]);
    expect(b.digest()).toBe(a.digest());
    for (const table of APP_TABLES) expect(tableRows(dbB, table.name)).toEqual(tableRows(dbA, table.name));

    const c = freshBlog().blog;
    log.applyTo(c);
    c.apply(100, 0, log.authors.command('carol', tweet('one more')));
    expect(c.digest()).not.toBe(a.digest());
  });
});

describe('MicroBlog against a model (random logs)', () => {
  /** Small deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
  function prng(seed: number): (n: number) => number {
    let a = seed >>> 0;
    return (n) => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
    };
  }

  interface Model {
    readonly names: Map<string, string>;
    readonly blocks: Set<string>;
    readonly tweets: { author: string; text: string; slot: number; position: number }[];
    readonly seen: Set<string>;
  }

  /** The specification, written as plainly as possible. */
  function modelApply(model: Model, slot: number, position: number, command: Command, app: AppCommand | null): void {
    const key = `${command.origin}/${command.seq}`;
    if (model.seen.has(key)) return;
    model.seen.add(key);
    if (app === null) return;
    const author = command.origin;
    switch (app.type) {
      case 'register':
        if (app.name.trim() !== '') model.names.set(author, app.name.trim());
        return;
      case 'tweet':
        if (app.text.trim() !== '') model.tweets.push({ author, text: app.text.trim(), slot, position });
        return;
      case 'block':
        if (app.target !== author && model.names.has(app.target)) model.blocks.add(`${author}>${app.target}`);
        return;
      case 'unblock':
        model.blocks.delete(`${author}>${app.target}`);
        return;
    }
  }

  function modelTimeline(model: Model, viewer: string): string[] {
    return model.tweets
      .filter((t) => !model.blocks.has(`${t.author}>${viewer}`))
      .sort((x, y) => y.slot - x.slot || y.position - x.position)
      .map((t) => `${t.author}:${t.text}`);
  }

  const people = ['n1', 'n2', 'n3', 'n4', 'n5'];

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`agrees with the model and across replicas (seed ${seed})`, () => {
      const random = prng(seed);
      const pick = <T,>(items: readonly T[]): T => items[Math.floor(random(items.length))] ?? fail();
      const authors = new Authors();
      const sent: Command[] = [];
      const slots: { command: Command; app: AppCommand | null }[][] = [];
      for (let slot = 0; slot < 150; slot++) {
        const batch: { command: Command; app: AppCommand | null }[] = [];
        const size = Math.floor(random(4));
        for (let i = 0; i < size; i++) {
          const roll = random(100);
          const author = pick(people);
          if (roll < 8 && sent.length > 0) {
            const again = pick(sent);
            batch.push({ command: again, app: null });
            continue;
          }
          if (roll < 11) {
            const command = authors.command(author, tweet('x'));
            const broken = { ...command, payload: command.payload.slice(1) };
            batch.push({ command: broken, app: null });
            sent.push(broken);
            continue;
          }
          const app: AppCommand =
            roll < 25
              ? register(pick(['Ann', 'Ben', '  ', 'Cy']))
              : roll < 65
                ? tweet(pick(['hi', 'yo', ' ', 'multi\nline', '👍🏽']) + String(slot))
                : roll < 85
                  ? block(pick([...people, 'ghost']))
                  : unblock(pick([...people, 'ghost']));
          const command = authors.command(author, app);
          batch.push({ command, app });
          sent.push(command);
        }
        slots.push(batch);
      }

      const model: Model = { names: new Map(), blocks: new Set(), tweets: [], seen: new Set() };
      const { db: dbA, blog: a } = freshBlog();
      const b = freshBlog().blog;
      slots.forEach((batch, index) => {
        const slot = index + 1;
        batch.forEach(({ command, app }, position) => {
          // Duplicates carry app: null; the model skips them by id before looking at app.
          modelApply(model, slot, position, command, app);
          const outcome = a.apply(slot, position, command);
          expect(b.apply(slot, position, command)).toEqual(outcome);
        });
      });

      expect(b.digest()).toBe(a.digest());
      for (const viewer of [...people, 'ghost']) {
        const expected = modelTimeline(model, viewer);
        const actual = a.timeline(viewer, { limit: 500 }).map((e) => `${e.author}:${e.text}`);
        expect(actual).toEqual(expected);
      }
      expect(a.users().map((u) => [u.id, u.name])).toEqual([...model.names].sort(([x], [y]) => (x < y ? -1 : 1)));
      for (const blocker of people) for (const target of people) expect(a.isBlocking(blocker, target)).toBe(model.blocks.has(`${blocker}>${target}`));
      expect(tableRows(dbA, 'app_applied')).toHaveLength(model.seen.size);
    });
  }
});

function fail(): never {
  throw new Error('unexpected missing value');
}
