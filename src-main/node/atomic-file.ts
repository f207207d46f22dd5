/** Small files replaced atomically: written to a temp name, fsynced, renamed over, directory fsynced. */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { NodeFileSystem } from '../storage/node-file-system';

export function writeFileAtomically(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  new NodeFileSystem().fsyncDir(dirname(path));
}
