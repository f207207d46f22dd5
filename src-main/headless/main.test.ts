/** synod-node's entry point as a process: what it writes, what it warns about, what it refuses. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterSecretProblem } from '../../shared/cluster-secret';

const BIN = resolve(import.meta.dirname, '../../bin/synod-node.mjs');
const ENV = { ...process.env, SYNOD_SECRET: '', SYNOD_TOKEN: '' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'synod-main-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('synod-node', () => {
  it('serves --http 0.0.0.0 when asked, with a warning on stderr, and keeps its generated secret private', async () => {
    const child = spawn(process.execPath, [BIN, '--id', 'solo', '--data', dir, '--listen', '127.0.0.1:0', '--http', '0.0.0.0:0'], { env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/^dashboard: /m.test(stdout) && child.exitCode === null && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
      expect(stdout, stderr).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=/m);
      expect(stderr).toContain('synod-node: WARNING: the dashboard and API listen on 0.0.0.0:0, not only on this machine (loopback).');
      const secretPath = join(dir, 'cluster-secret');
      expect(clusterSecretProblem(readFileSync(secretPath, 'utf8').trim())).toBeNull();
      if (process.platform !== 'win32') expect(statSync(secretPath).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 90_000);

  it('refuses a generated secret file that breaks the secret rule, saying which file and why', () => {
    writeFileSync(join(dir, 'cluster-secret'), '\n');
    const result = spawnSync(process.execPath, [BIN, '--id', 'solo', '--data', dir, '--listen', '127.0.0.1:0'], { env: ENV, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`the secret in the generated secret file ${join(dir, 'cluster-secret')} must be at least 8 characters long (got 0)`);
  }, 90_000);
});
