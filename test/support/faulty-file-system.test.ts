import { describe, expect, it } from 'vitest';
import { FaultyFileSystem, SimulatedCrash } from './faulty-file-system';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** A file system with directory /d made durable. */
function setup(): FaultyFileSystem {
  const fs = new FaultyFileSystem();
  fs.mkdirp('/d');
  return fs;
}

/** Creates /d/<name> with `content` durably (bytes and directory entry). */
function durableFile(fs: FaultyFileSystem, name: string, content: Uint8Array): void {
  const handle = fs.openAppend(`/d/${name}`);
  fs.append(handle, content);
  fs.fsync(handle);
  fs.close(handle);
  fs.fsyncDir('/d');
}

describe('FaultyFileSystem', () => {
  it('behaves as a file system between crashes', () => {
    const fs = setup();
    fs.mkdirp('/d/sub/deeper');
    expect(fs.exists('/d/sub/deeper')).toBe(true);
    const handle = fs.openAppend('/d/a');
    fs.append(handle, bytes(1, 2));
    fs.append(handle, bytes(3));
    expect(fs.readFile('/d/a')).toEqual(bytes(1, 2, 3));
    expect(fs.size('/d/a')).toBe(3);
    fs.truncate('/d/a', 5);
    expect(fs.readFile('/d/a')).toEqual(bytes(1, 2, 3, 0, 0));
    fs.truncate('/d/a', 1);
    fs.append(handle, bytes(9));
    expect(fs.readFile('/d/a')).toEqual(bytes(1, 9));
    fs.writeFileSynced('/d/b', bytes(7));
    fs.rename('/d/b', '/d/c');
    expect(fs.list('/d')).toEqual(['a', 'c', 'sub']);
    fs.unlink('/d/a');
    expect(fs.exists('/d/a')).toBe(false);
    // The handle still refers to the unlinked file, as a POSIX descriptor does.
    fs.append(handle, bytes(4));
    expect(() => fs.readFile('/d/a')).toThrow(/ENOENT/);
    expect(() => fs.openAppend('/nowhere/x')).toThrow(/ENOENT/);
    fs.close(handle);
    expect(() => fs.append(handle, bytes(1))).toThrow(/EBADF/);
  });

  it('loses bytes that were not fsynced', () => {
    const fs = setup();
    durableFile(fs, 'f', bytes(1, 2, 3));
    const handle = fs.openAppend('/d/f');
    fs.append(handle, bytes(4, 5, 6));
    fs.crash();
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2, 3));
  });

  it('keeps fsynced bytes and, with tornWrite, a prefix of the rest', () => {
    const fs = setup();
    durableFile(fs, 'f', bytes(1, 2));
    const handle = fs.openAppend('/d/f');
    fs.append(handle, bytes(3, 4));
    fs.fsync(handle);
    fs.append(handle, bytes(5, 6, 7, 8));
    const seen: Array<[number, string]> = [];
    fs.crash({
      tornWrite: (pending, path) => {
        seen.push([pending, path]);
        return 3;
      },
    });
    expect(seen).toEqual([[4, '/d/f']]);
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2, 3, 4, 5, 6, 7));
    // What survived a crash is what is on disk: a second crash keeps it.
    fs.crash({ tornWrite: () => 100 });
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2, 3, 4, 5, 6, 7));
  });

  it('reverts, without tearing, a file truncated below its durable length', () => {
    const fs = setup();
    durableFile(fs, 'f', bytes(1, 2, 3, 4));
    const handle = fs.openAppend('/d/f');
    fs.truncate('/d/f', 2);
    fs.append(handle, bytes(8, 9, 10));
    fs.crash({ tornWrite: (pending) => pending });
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2, 3, 4));
    // Once the truncation is fsynced it is durable.
    const again = fs.openAppend('/d/f');
    fs.truncate('/d/f', 1);
    fs.fsync(again);
    fs.crash();
    expect(fs.readFile('/d/f')).toEqual(bytes(1));
  });

  it('loses a new file whose directory entry was not fsynced, even with its bytes fsynced', () => {
    const fs = setup();
    const handle = fs.openAppend('/d/new');
    fs.append(handle, bytes(1));
    fs.fsync(handle);
    fs.writeFileSynced('/d/other', bytes(2));
    fs.crash();
    expect(fs.list('/d')).toEqual([]);
  });

  it('keeps a rename only after fsyncDir', () => {
    const fs = setup();
    durableFile(fs, 'tmp', bytes(1));
    fs.rename('/d/tmp', '/d/final');
    fs.crash();
    expect(fs.list('/d')).toEqual(['tmp']);
    fs.rename('/d/tmp', '/d/final');
    fs.fsyncDir('/d');
    fs.crash();
    expect(fs.list('/d')).toEqual(['final']);
    expect(fs.readFile('/d/final')).toEqual(bytes(1));
  });

  it('keeps an unlinked file until fsyncDir', () => {
    const fs = setup();
    durableFile(fs, 'f', bytes(1));
    fs.unlink('/d/f');
    fs.crash();
    expect(fs.exists('/d/f')).toBe(true);
    fs.unlink('/d/f');
    fs.fsyncDir('/d');
    fs.crash();
    expect(fs.exists('/d/f')).toBe(false);
  });

  it('makes handles opened before a crash stale', () => {
    const fs = setup();
    durableFile(fs, 'f', bytes(1));
    const handle = fs.openAppend('/d/f');
    fs.crash();
    expect(() => fs.append(handle, bytes(2))).toThrow(/EBADF/);
    expect(() => fs.fsync(handle)).toThrow(/EBADF/);
    fs.close(handle);
    expect(fs.readFile('/d/f')).toEqual(bytes(1));
  });

  it('counts mutating operations and crashes before the chosen one takes effect', () => {
    const fs = setup();
    const start = fs.operations;
    const handle = fs.openAppend('/d/f'); // create
    fs.append(handle, bytes(1));
    fs.fsync(handle);
    fs.fsyncDir('/d');
    fs.readFile('/d/f');
    fs.list('/d');
    expect(fs.operations - start).toBe(4);

    fs.crashAt = fs.operations + 2;
    fs.append(handle, bytes(2));
    let thrown: unknown;
    try {
      fs.fsync(handle);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SimulatedCrash);
    expect(thrown).toMatchObject({ operation: fs.operations + 1, op: 'fsync', path: '/d/f' });
    // The process is dead: nothing more is written until crash().
    expect(() => fs.append(handle, bytes(3))).toThrow(SimulatedCrash);
    fs.crash({ tornWrite: () => 0 });
    expect(fs.readFile('/d/f')).toEqual(bytes(1));
    expect(fs.crashAt).toBeUndefined();
    const after = fs.openAppend('/d/f');
    fs.append(after, bytes(4));
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 4));
  });

  it('lets a hook see every operation and crash at any of them', () => {
    const fs = setup();
    const seen: string[] = [];
    fs.beforeOperation = (n, op, path) => {
      seen.push(`${n} ${op} ${path}`);
      if (op === 'rename') throw new SimulatedCrash(n, op, path);
    };
    fs.writeFileSynced('/d/t', bytes(1));
    fs.fsyncDir('/d');
    expect(() => fs.rename('/d/t', '/d/u')).toThrow(SimulatedCrash);
    expect(seen).toEqual(['2 write /d/t', '3 fsync /d/t', '4 fsyncDir /d', '5 rename /d/t -> /d/u']);
    expect(fs.list('/d')).toEqual(['t']);
  });

  it('keeps everything when only the process crashes, but still makes handles stale', () => {
    const fs = setup();
    const handle = fs.openAppend('/d/f');
    fs.append(handle, bytes(1, 2));
    fs.crashAt = fs.operations + 1;
    expect(() => fs.append(handle, bytes(3))).toThrow(SimulatedCrash);
    fs.crash({ processOnly: true });
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2));
    expect(() => fs.append(handle, bytes(4))).toThrow(/EBADF/);
    // Not durable yet: a power loss afterwards still loses it.
    fs.crash();
    expect(fs.exists('/d/f')).toBe(false);
  });

  it('corrupts both the current and the durable content', () => {
    const fs = setup();
    durableFile(fs, 'f', bytes(1, 2, 3));
    fs.corrupt('/d/f', 1, 0x0f);
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2 ^ 0x0f, 3));
    fs.crash();
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2 ^ 0x0f, 3));
    // Also when a pending truncation hides the durable byte.
    fs.truncate('/d/f', 0);
    fs.corrupt('/d/f', 2);
    fs.crash();
    expect(fs.readFile('/d/f')).toEqual(bytes(1, 2 ^ 0x0f, 3 ^ 0xff));
    expect(() => fs.corrupt('/d/f', 3)).toThrow(RangeError);
    expect(() => fs.corrupt('/d/f', 0, 0)).toThrow(RangeError);
  });
});
