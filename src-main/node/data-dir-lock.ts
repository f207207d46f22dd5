/**
 * One process per data directory: two replicas writing the same journal would corrupt it. The lock is
 * a file holding the owner's pid, created exclusively; a lock left by a process that no longer exists
 * (SIGKILL, power loss) is taken over.
 */
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../storage/errors';

const LOCK_FILE = 'LOCK';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          try {
            unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new StorageError('data-dir-locked', `${dir} is in use by another Synod process (pid ${owner}). Stop it first, or give this node its own --data directory.`);
      }
      unlinkSync(path); // stale: its owner is gone
    }
  }
  throw new StorageError('data-dir-locked', `could not lock ${dir}: another process keeps taking the lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
