import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from './journal';
import { NodeFileSystem } from './node-file-system';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('NodeFileSystem', () => {
  let dir = '';
  const fs = new NodeFileSystem();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'synod-nodefs-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends, fsyncs, reads and measures files', () => {
    const path = join(dir, 'f');
    expect(fs.exists(path)).toBe(false);
    const handle = fs.openAppend(path);
    expect(fs.exists(path)).toBe(true);
    expect(fs.size(path)).toBe(0);
    fs.append(handle, bytes(1, 2, 3));
    fs.append(handle, bytes(4));
    fs.fsync(handle);
    expect(Array.from(fs.readFile(path))).toEqual([1, 2, 3, 4]);
    expect(fs.size(path)).toBe(4);
    // Appending goes to the end even after a truncation.
    fs.truncate(path, 2);
    fs.append(handle, bytes(9));
    expect(Array.from(fs.readFile(path))).toEqual([1, 2, 9]);
    fs.close(handle);
    fs.close(handle); // idempotent
    expect(() => fs.append(handle, bytes(1))).toThrow(/closed/);
    // Reopening appends to the existing content.
    const again = fs.openAppend(path);
    fs.append(again, bytes(7));
    fs.close(again);
    expect(Array.from(fs.readFile(path))).toEqual([1, 2, 9, 7]);
  });

  it('writes large buffers completely', () => {
    const path = join(dir, 'big');
    const data = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const handle = fs.openAppend(path);
    fs.append(handle, data);
    fs.fsync(handle);
    fs.close(handle);
    expect(Buffer.from(fs.readFile(path)).equals(Buffer.from(data))).toBe(true);
  });

  it('replaces files, renames, unlinks, lists sorted and creates directories', () => {
    const nested = join(dir, 'a', 'b', 'c');
    fs.mkdirp(nested);
    fs.mkdirp(nested); // exists already: fine
    expect(fs.exists(nested)).toBe(true);
    fs.writeFileSynced(join(dir, 'z.tmp'), bytes(1, 2, 3));
    fs.writeFileSynced(join(dir, 'z.tmp'), bytes(5));
    expect(Array.from(fs.readFile(join(dir, 'z.tmp')))).toEqual([5]);
    fs.rename(join(dir, 'z.tmp'), join(dir, 'm'));
    writeFileSync(join(dir, 'b'), 'x');
    fs.fsyncDir(dir);
    expect(fs.list(dir)).toEqual(['a', 'b', 'm']);
    fs.unlink(join(dir, 'b'));
    fs.fsyncDir(dir);
    expect(existsSync(join(dir, 'b'))).toBe(false);
    expect(fs.list(dir)).toEqual(['a', 'm']);
    expect(() => fs.readFile(join(dir, 'nope'))).toThrow(/ENOENT/);
    expect(() => fs.fsyncDir(join(dir, 'nope'))).toThrow(/ENOENT/);
  });

  it('carries a journal across reopen', () => {
    const journalDir = join(dir, 'journal');
    const warnings: string[] = [];
    const first = Journal.open(fs, journalDir, { firstSegment: 1, onWarning: (m) => warnings.push(m) });
    for (let i = 0; i < 100; i++) first.journal.append(bytes(i, i + 1));
    first.journal.sync();
    first.journal.roll();
    first.journal.append(bytes(200));
    first.journal.close();
    const second = Journal.open(fs, journalDir, { firstSegment: 1, onWarning: (m) => warnings.push(m) });
    expect(second.records).toHaveLength(101);
    expect(Array.from(second.records[100] ?? [])).toEqual([200]);
    second.journal.close();
    // A torn tail on a real file is cut off too.
    const last = join(journalDir, fs.list(journalDir).at(-1) ?? '');
    fs.truncate(last, fs.size(last) - 1);
    const third = Journal.open(fs, journalDir, { firstSegment: 1, onWarning: (m) => warnings.push(m) });
    expect(third.records).toHaveLength(100);
    third.journal.close();
    expect(warnings).toHaveLength(1);
  });
});
