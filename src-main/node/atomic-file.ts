/**
 * Small files that identity depends on (config.json with its secret, cluster-secret), replaced
 * atomically and durably: written to `<path>.tmp`, fsynced, renamed over `path`, directory fsynced.
 *
 * Invariants:
 *  - After a crash or power loss, `path` holds either its previous content or the new one, complete;
 *    never a prefix, never empty (the data is on disk before the rename makes it visible, and the
 *    rename is on disk before this returns).
 *  - The file is private to its owner (0600) from its first byte: the temp file is created afresh
 *    (O_EXCL) with that mode, after removing any `.tmp` a crash left behind, whose permissions might be
 *    wider; the mode is then set exactly, whatever the umask.
 */
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NodeFileSystem } from '../storage/node-file-system';

const PRIVATE_MODE = 0o600;

export function writeFileAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp`;
  unlinkIfPresent(temp);
  const fd = openSync(temp, 'wx', PRIVATE_MODE);
  try {
    fchmodSync(fd, PRIVATE_MODE);
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  new NodeFileSystem().fsyncDir(dirname(path));
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
