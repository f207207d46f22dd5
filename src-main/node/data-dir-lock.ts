/**
 * One process per data directory: two replicas writing the same journal would corrupt it, and could
 * take the same transport epoch. The lock is the file LOCK holding `<pid> <nonce>\n`: its owner's pid
 * and a random nonce that names this lock instance (one per acquisition).
 *
 * Invariants:
 *  - LOCK is never seen empty or half-written: its content is written to a private temp file first,
 *    which is then hard-linked to LOCK (link fails when LOCK exists: an atomic "create with this
 *    content") or renamed over a stale LOCK.
 *  - A lock whose owner is gone (SIGKILL, power loss) is taken over by exactly one process. Replacing a
 *    stale instance takes a claim on it first: the file `LOCK.claim-<instance id>`, which only one
 *    process can create (link again). The claimant replaces LOCK only if LOCK still holds that
 *    instance, and removes claims only once LOCK no longer does (an instance never comes back: nonces
 *    are random), so no two processes ever replace the same instance, and nobody replaces a fresh one.
 *  - A claimant that died leaves its claim behind: that claim is then itself an instance with a dead
 *    owner, claimed the same way (a chain, one link per claimant that died in the middle).
 *  - LOCK content without a nonce was written by an older Synod (`<pid>\n`, created empty and then
 *    written): it is alive while its pid is. Empty or unreadable content younger than
 *    UNREADABLE_GRACE_MS may still be being written by such a process, so it is waited for; older, it
 *    is what a crash left and is stale.
 *  - A pid is "alive" when a process with it exists. Our own pid is alive only for locks this process
 *    holds: in a container every start may get the same pid, so an old LOCK naming it is stale.
 *  - release() removes LOCK only while it still holds this lock's instance.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StorageError } from '../storage/errors';

const LOCK_FILE = 'LOCK';
const TEMP_PREFIX = `${LOCK_FILE}.tmp-`;
const CLAIM_PREFIX = `${LOCK_FILE}.claim-`;
/** How long unreadable LOCK content may be "being written" (an older Synod writes it in two steps). */
const UNREADABLE_GRACE_MS = 2_000;
/** How long to wait for a lock that is being written or taken over by someone else before giving up. */
const WAIT_MS = UNREADABLE_GRACE_MS + 1_000;
const POLL_MS = 10;
/** Instance files are `<pid> <nonce>\n`, well under this; anything longer is garbage. */
const MAX_INSTANCE_BYTES = 64;
/** What linkSync fails with where the file system has no hard links (FAT, exFAT). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);
/** More steps than this along one claim chain means something other than crashed claimants is at work. */
const MAX_CHAIN_STEPS = 64;

export interface DataDirLock {
  release(): void;
}

/** Nonces of the locks this process holds (a second lock of the same directory here is a bug, not a stale lock). */
const heldHere = new Set<string>();

type OwnerState = 'alive' | 'dead' | 'unknown';

/** One version of LOCK or of a claim file, as read. */
interface Instance {
  /** Unique per instance: the nonce, or for content without one a digest of inode, mtime and content. */
  readonly id: string;
  readonly pid: number | null;
  readonly owner: OwnerState;
}

export function lockDataDir(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE);
  const nonce = newNonce();
  const temp = writeInstanceFile(dir, nonce);
  try {
    acquire(dir, lockPath, temp);
  } finally {
    unlinkIfPresent(temp);
  }
  heldHere.add(nonce);
  removeLeftovers(dir, nonce);
  return {
    release: () => {
      if (!heldHere.delete(nonce)) return;
      if (readInstance(lockPath)?.id === nonce) unlinkIfPresent(lockPath);
    },
  };
}

/** Returns once LOCK is the instance in `temp`, or throws why it cannot be. */
function acquire(dir: string, lockPath: string, temp: string): void {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() <= deadline) {
    if (linkIfAbsent(temp, lockPath)) return;
    const current = readInstance(lockPath);
    if (current === null) continue; // released meanwhile: try again at once
    if (current.owner === 'alive') throw inUse(dir, current);
    if (current.owner === 'dead' && takeOver(dir, lockPath, current, temp)) return;
    // Being written, or being taken over by another process: look again shortly.
    sleep(POLL_MS);
  }
  throw new StorageError('data-dir-locked', `could not lock ${dir}: another process keeps its LOCK file busy. If no Synod process uses this directory, delete ${lockPath} and the LOCK.* files beside it.`);
}

/**
 * Replaces the stale instance `stale` of LOCK with the one in `lockTemp`, under an exclusive claim on
 * it. False when another live process is taking it over, or LOCK moved on meanwhile: the caller looks again.
 */
function takeOver(dir: string, lockPath: string, stale: Instance, lockTemp: string): boolean {
  const claimTemp = writeInstanceFile(dir, newNonce());
  try {
    // Claims on `stale` and on claims of claimants that died: each is about `stale`, transitively.
    const chain: string[] = [];
    let target = stale;
    for (let step = 0; ; step++) {
      if (step > MAX_CHAIN_STEPS) return false;
      const claimPath = join(dir, `${CLAIM_PREFIX}${target.id}`);
      if (linkIfAbsent(claimTemp, claimPath)) {
        chain.push(claimPath);
        break;
      }
      const claim = readInstance(claimPath);
      if (claim === null) continue; // removed meanwhile: LOCK has moved on, or claim it now
      if (claim.owner !== 'dead') return false; // a live process is on it
      chain.push(claimPath);
      target = claim;
    }
    // Only the holder of the last claim may act on `stale`: it does, if LOCK still holds it.
    const replaced = readInstance(lockPath)?.id === stale.id;
    if (replaced) renameSync(lockTemp, lockPath);
    // Either way LOCK no longer holds `stale`, which never comes back: these claims are spent.
    for (const path of chain) unlinkIfPresent(path);
    return replaced;
  } finally {
    unlinkIfPresent(claimTemp);
  }
}

/** Removes what crashed processes left: claims (all spent while this process holds LOCK) and temp files of dead processes. */
function removeLeftovers(dir: string, nonce: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(CLAIM_PREFIX) && name !== `${CLAIM_PREFIX}${nonce}`) unlinkIfPresent(join(dir, name));
    else if (name.startsWith(TEMP_PREFIX) && readInstance(join(dir, name))?.owner === 'dead') unlinkIfPresent(join(dir, name));
  }
}

function inUse(dir: string, current: Instance): StorageError {
  if (current.pid === process.pid) return new StorageError('data-dir-locked', `${dir} is already in use by this process.`);
  return new StorageError('data-dir-locked', `${dir} is in use by another Synod process (pid ${current.pid}). Stop it first, or give this node its own --data directory.`);
}

function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** A complete instance file `LOCK.tmp-<nonce>`, to be linked or renamed into place. */
function writeInstanceFile(dir: string, nonce: string): string {
  const path = join(dir, `${TEMP_PREFIX}${nonce}`);
  writeFileSync(path, `${process.pid} ${nonce}\n`, { flag: 'wx', mode: 0o644 });
  return path;
}

/** Creates `path` as another name of `existing` unless `path` exists: atomic, content included. */
function linkIfAbsent(existing: string, path: string): boolean {
  try {
    linkSync(existing, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== undefined && NO_HARD_LINKS.has(code)) {
      throw new StorageError('data-dir-locked', `cannot lock ${dirname(path)}: creating a hard link there failed (${code}). The data directory must be on a file system with hard links (not FAT or exFAT) that this user may write.`);
    }
    throw error;
  }
}

/** The instance at `path`, or null when there is none. */
function readInstance(path: string): Instance | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    // One descriptor for both: the content and the inode belong to the same version of the file.
    const stats = fstatSync(fd, { bigint: true });
    const buffer = Buffer.alloc(MAX_INSTANCE_BYTES + 1);
    const content = buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0));
    const current = /^(\d{1,10}) ([0-9a-f]{32})\n$/.exec(content);
    if (current !== null) {
      const pid = Number(current[1]);
      const nonce = current[2] as string;
      return { id: nonce, pid, owner: pid === process.pid ? (heldHere.has(nonce) ? 'alive' : 'dead') : isAlive(pid) ? 'alive' : 'dead' };
    }
    const id = `old-${createHash('sha256').update(`${stats.ino}:${stats.mtimeNs}:${content}`).digest('hex').slice(0, 32)}`;
    const older = /^(\d{1,10})\s*$/.exec(content);
    if (older !== null) {
      const pid = Number(older[1]);
      return { id, pid, owner: pid !== process.pid && isAlive(pid) ? 'alive' : 'dead' };
    }
    const ageMs = Date.now() - Number(stats.mtimeMs);
    return { id, pid: null, owner: Math.abs(ageMs) < UNREADABLE_GRACE_MS ? 'unknown' : 'dead' };
  } finally {
    closeSync(fd);
  }
}

function isAlive(pid: number): boolean {
  if (pid === 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Blocks this thread for `ms` (acquiring a lock is synchronous, and the wait is rare and short). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
