/**
 * Which code bin/synod-node.mjs runs, in a scratch copy of the package with a stand-in build and
 * stand-in sources: the build when current, else the sources through tsx when tsx is installed, else
 * an outdated build with a warning, else a clear error.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILT_ENTRY, headlessBuildState, SOURCE_ENTRY } from './headless-build.mjs';

const REPO = resolve(import.meta.dirname, '..');
let root: string;

function write(path: string, text: string, mtime: Date): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  utimesSync(join(root, path), mtime, mtime);
}

function touch(path: string, mtime: Date): void {
  utimesSync(join(root, path), mtime, mtime);
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'synod-node.mjs'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const EARLIER = new Date('2026-01-01T00:00:00Z');
const BUILD_TIME = new Date('2026-01-02T00:00:00Z');
const LATER = new Date('2026-01-03T00:00:00Z');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'synod-bin-'));
  cpSync(join(REPO, 'bin', 'synod-node.mjs'), join(root, 'bin', 'synod-node.mjs'));
  cpSync(join(REPO, 'scripts', 'headless-build.mjs'), join(root, 'scripts', 'headless-build.mjs'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  write(SOURCE_ENTRY, "const from: string = 'sources';\nprocess.stdout.write(`${from} ${process.argv.slice(2).join(' ')}\\n`);\n", EARLIER);
  write('shared/api.ts', 'export {};\n', EARLIER);
  write('src-main/node/replica-node.test.ts', 'export {};\n', EARLIER);
  write('src-main/electron/main.ts', 'export {};\n', EARLIER);
  write(BUILT_ENTRY, "process.stdout.write(`built ${process.argv.slice(2).join(' ')}\\n`);\n", BUILD_TIME);
  // tsx as a development checkout has it (a production install does not).
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(join(REPO, 'node_modules', 'tsx'), join(root, 'node_modules', 'tsx'), 'dir');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('headlessBuildState', () => {
  it('is current when no source is newer than the build; tests, the Electron shell and equal times do not count', () => {
    expect(headlessBuildState(root)).toEqual({ entry: join(root, ...BUILT_ENTRY.split('/')), built: true, newerSource: null });
    touch('src-main/node/replica-node.test.ts', LATER);
    touch('src-main/electron/main.ts', LATER);
    touch('shared/api.ts', BUILD_TIME);
    expect(headlessBuildState(root).newerSource).toBeNull();
  });

  it('names a source edited after the build, and says when there is no build', () => {
    touch('shared/api.ts', LATER);
    expect(headlessBuildState(root).newerSource).toBe('shared/api.ts');
    rmSync(join(root, 'out'), { recursive: true });
    expect(headlessBuildState(root)).toMatchObject({ built: false, newerSource: null });
  });

  it('puts the built entry as deep as its source, so main.ts finds the package root two levels up from either', () => {
    expect(BUILT_ENTRY.split('/').length).toBe(SOURCE_ENTRY.split('/').length);
    expect(BUILT_ENTRY.split('/').length).toBe(3);
  });
});

describe('bin/synod-node.mjs', { timeout: 60_000 }, () => {
  it('runs the build when it is current, silently', () => {
    expect(run('--id', 'n1')).toEqual({ status: 0, stdout: 'built --id n1\n', stderr: '' });
  });

  it('runs the sources through tsx when the build is older than them, saying why (not for --help)', () => {
    touch('shared/api.ts', LATER);
    const result = run('--id', 'n1');
    expect(result.stdout).toBe('sources --id n1\n');
    expect(result.stderr).toContain('out/main/headless.js is older than shared/api.ts: running the TypeScript sources through tsx');
    expect(run('--help')).toEqual({ status: 0, stdout: 'sources --help\n', stderr: '' });
  });

  it('runs the sources through tsx before any build (a fresh clone)', () => {
    rmSync(join(root, 'out'), { recursive: true });
    expect(run('--help')).toEqual({ status: 0, stdout: 'sources --help\n', stderr: '' });
  });

  it('without tsx (a production install) runs an outdated build with a warning, and refuses to run without one', () => {
    rmSync(join(root, 'node_modules'), { recursive: true });
    touch('shared/api.ts', LATER);
    const outdated = run('--id', 'n1');
    expect(outdated.stdout).toBe('built --id n1\n');
    expect(outdated.stderr).toContain('WARNING: out/main/headless.js is older than shared/api.ts; running it anyway');
    rmSync(join(root, 'out'), { recursive: true });
    const none = run('--help');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('out/main/headless.js is not built');
    expect(none.stderr).toContain('npm run build');
  });
});
