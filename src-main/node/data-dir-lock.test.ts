import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../storage/errors';
import { lockDataDir } from './data-dir-lock';

const MODULE_PATH = join(import.meta.dirname, 'data-dir-lock.ts');
const OUR_FORMAT = /^(\d+) ([0-9a-f]{32})\n$/;

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'synod-lock-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const lockPath = (): string => join(dir, 'LOCK');

/** The pid of a process that has exited (pids are not reused that fast). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('could not spawn');
  return pid;
}

/** A live process running `code`; killed after the test. */
function liveProcess(code = 'setTimeout(() => {}, 60_000)'): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function refusal(run: () => unknown): StorageError {
  try {
    run();
  } catch (error) {
    if (error instanceof StorageError) return error;
    throw error;
  }
  throw new Error('expected a StorageError');
}

/**
 * Child processes that each wait for the start signal, then call lockDataDir(dir) at once; the one
 * that gets the lock keeps it until told to stop. Returns what each one got.
 */
async function race(count: number): Promise<string[]> {
  const control = mkdtempSync(join(tmpdir(), 'synod-lock-race-'));
  const script = join(control, 'child.mjs');
  const go = join(control, 'go');
  const done = join(control, 'done');
  writeFileSync(
    script,
    `import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [modulePath, dir, go, done] = process.argv.slice(2);
const { lockDataDir } = await import(pathToFileURL(modulePath).href);
const wait = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
process.stdout.write('ready\\n');
while (!existsSync(go)) wait(1);
let lock = null;
try {
  lock = lockDataDir(dir);
  process.stdout.write('won\\n');
} catch (error) {
  process.stdout.write('refused: ' + error.message.split('\\n')[0] + '\\n');
}
if (lock !== null) {
  while (!existsSync(done)) wait(5);
  lock.release();
}
`,
  );
  try {
    const outputs: string[][] = [];
    const exited: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const lines: string[] = [];
      outputs.push(lines);
      const child = spawn(process.execPath, ['--import', 'tsx', script, MODULE_PATH, dir, go, done], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        lines.push(...parts);
      });
      exited.push(new Promise((resolve) => child.on('exit', () => resolve())));
    }
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(outputs)}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await until(() => outputs.every((lines) => lines.includes('ready')), 'the children to load');
    writeFileSync(go, '');
    await until(() => outputs.every((lines) => lines.length >= 2), 'every child to try');
    writeFileSync(done, '');
    await Promise.all(exited);
    return outputs.map((lines) => lines[1] as string);
  } finally {
    rmSync(control, { recursive: true, force: true });
  }
}

describe('lockDataDir', () => {
  it('writes the pid and a nonce into LOCK, and release removes it', () => {
    const lock = lockDataDir(dir);
    const content = readFileSync(lockPath(), 'utf8');
    expect(content).toMatch(OUR_FORMAT);
    expect(Number(OUR_FORMAT.exec(content)?.[1])).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['LOCK']);
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
    lockDataDir(dir).release();
  });

  it('refuses a directory locked by a live process, in the older format too', () => {
    const live = liveProcess();
    writeFileSync(lockPath(), `${live.pid} ${'a'.repeat(32)}\n`);
    expect(refusal(() => lockDataDir(dir)).message).toContain(`in use by another Synod process (pid ${live.pid})`);
    writeFileSync(lockPath(), `${live.pid}\n`);
    expect(refusal(() => lockDataDir(dir)).code).toBe('data-dir-locked');
  });

  it('refuses a second lock of the same directory in this process, until the first is released', () => {
    const lock = lockDataDir(dir);
    expect(refusal(() => lockDataDir(dir)).message).toMatch(/already in use by this process/);
    lock.release();
    lockDataDir(dir).release();
  });

  it('takes over a lock whose owner is gone, and one naming our pid that this process does not hold (containers)', () => {
    for (const stale of [`${deadPid()}\n`, `${deadPid()} ${'b'.repeat(32)}\n`, `${process.pid} ${'c'.repeat(32)}\n`, `${process.pid}\n`]) {
      writeFileSync(lockPath(), stale);
      const lock = lockDataDir(dir);
      expect(readFileSync(lockPath(), 'utf8')).toMatch(OUR_FORMAT);
      lock.release();
    }
  });

  it('waits for an empty LOCK just created: its owner may be about to write its pid', () => {
    writeFileSync(lockPath(), '');
    // An older Synod creates LOCK, then writes its pid: here 300 ms later, and it stays alive.
    const owner = liveProcess(`setTimeout(() => require('node:fs').writeFileSync(${JSON.stringify(lockPath())}, process.pid + '\\n'), 300); setTimeout(() => {}, 60_000)`);
    expect(refusal(() => lockDataDir(dir)).message).toContain(`(pid ${owner.pid})`);
  });

  it('takes over an empty or garbled LOCK that has been so for a while (what a crash leaves)', () => {
    for (const content of ['', '\0\0\0\0', 'not a lock']) {
      writeFileSync(lockPath(), content);
      const minuteAgo = new Date(Date.now() - 60_000);
      utimesSync(lockPath(), minuteAgo, minuteAgo);
      lockDataDir(dir).release();
    }
  });

  it('takes over past the claim of a claimant that died, and cleans up what crashes left', () => {
    const staleNonce = 'd'.repeat(32);
    writeFileSync(lockPath(), `${deadPid()} ${staleNonce}\n`);
    writeFileSync(join(dir, `LOCK.claim-${staleNonce}`), `${deadPid()} ${'e'.repeat(32)}\n`);
    writeFileSync(join(dir, `LOCK.tmp-${'f'.repeat(32)}`), `${deadPid()} ${'f'.repeat(32)}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(lockPath(), 'utf8')).toMatch(OUR_FORMAT);
    expect(readdirSync(dir)).toEqual(['LOCK']);
    lock.release();
  });

  it('leaves a stale lock alone while a live process holds a claim on it', () => {
    const staleNonce = '1'.repeat(32);
    const stale = `${deadPid()} ${staleNonce}\n`;
    writeFileSync(lockPath(), stale);
    const claimant = liveProcess();
    writeFileSync(join(dir, `LOCK.claim-${staleNonce}`), `${claimant.pid} ${'2'.repeat(32)}\n`);
    expect(refusal(() => lockDataDir(dir)).message).toMatch(/another process keeps its LOCK file busy/);
    expect(readFileSync(lockPath(), 'utf8')).toBe(stale);
  });

  it('release leaves alone a LOCK that is not its own any more', () => {
    const lock = lockDataDir(dir);
    const other = `${deadPid()} ${'3'.repeat(32)}\n`;
    writeFileSync(lockPath(), other);
    lock.release();
    expect(readFileSync(lockPath(), 'utf8')).toBe(other);
  });

  it('never shows another process an empty LOCK while it locks and unlocks', async () => {
    const script = `const { pathToFileURL } = require('node:url');
import(pathToFileURL(${JSON.stringify(MODULE_PATH)}).href).then(({ lockDataDir }) => {
  const end = Date.now() + 1500;
  while (Date.now() < end) lockDataDir(${JSON.stringify(dir)}).release();
  process.stdout.write('done');
});`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let finished = false;
    child.stdout?.on('data', () => (finished = true));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const seen = { reads: 0, empty: 0 };
    while (!finished && child.exitCode === null) {
      // Read in bursts, yielding now and then so the child's output is noticed.
      for (let i = 0; i < 2000; i++) {
        try {
          const content = readFileSync(lockPath(), 'utf8');
          seen.reads++;
          if (!OUR_FORMAT.test(content)) seen.empty++;
        } catch {
          // No LOCK at this moment.
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await exited;
    expect(seen.reads).toBeGreaterThan(100);
    expect(seen.empty).toBe(0);
  }, 30_000);

  it('gives a stale lock to exactly one of several processes that find it at once', async () => {
    for (let round = 0; round < 2; round++) {
      writeFileSync(lockPath(), `${deadPid()}\n`);
      const results = await race(4);
      expect(results.filter((r) => r === 'won'), JSON.stringify(results)).toHaveLength(1);
      expect(results.filter((r) => r.startsWith('refused: ') && r.includes('in use by another Synod process'))).toHaveLength(3);
      expect(existsSync(lockPath())).toBe(false);
    }
  }, 120_000);
});
