import * as fs from 'node:fs';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomically } from './atomic-file';

/** Every fs call that matters for durability, in order, with the path or fd it was about. */
const calls: string[] = [];
const fdPaths = new Map<number, string>();

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    openSync: (path: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode | null) => {
      const fd = real.openSync(path, flags, mode);
      fdPaths.set(fd, String(path));
      return fd;
    },
    fsyncSync: (fd: number) => {
      calls.push(`fsync ${fdPaths.get(fd) ?? fd}`);
      real.fsyncSync(fd);
    },
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${String(from)} -> ${String(to)}`);
      real.renameSync(from, to);
    },
  };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'synod-atomic-'));
  calls.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('writeFileAtomically', () => {
  it('fsyncs the data before the rename makes it visible, and the directory after', () => {
    const path = join(dir, 'cluster-secret');
    writeFileAtomically(path, 'a long random secret\n');
    expect(readFileSync(path, 'utf8')).toBe('a long random secret\n');
    expect(calls).toEqual([`fsync ${path}.tmp`, `rename ${path}.tmp -> ${path}`, `fsync ${dir}`]);
    expect(readdirSync(dir)).toEqual(['cluster-secret']);
  });

  it.skipIf(process.platform === 'win32')('creates the file 0600, whatever the umask', () => {
    const path = join(dir, 'config.json');
    const umask = process.umask(0);
    try {
      writeFileAtomically(path, '{"secret":"s"}\n');
    } finally {
      process.umask(umask);
    }
    expect(modeOf(path)).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')('does not inherit the permissions of a .tmp a crash left behind', () => {
    const path = join(dir, 'config.json');
    writeFileSync(`${path}.tmp`, 'half a config from before the crash, and more bytes than the new one');
    chmodSync(`${path}.tmp`, 0o666);
    writeFileAtomically(path, '{"secret":"s"}\n');
    expect(modeOf(path)).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('{"secret":"s"}\n');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it.skipIf(process.platform === 'win32')('makes an existing file private when it replaces it', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, 'old');
    chmodSync(path, 0o644);
    writeFileAtomically(path, 'new');
    expect(modeOf(path)).toBe(0o600);
  });
});
