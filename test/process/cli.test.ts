/** The synod-node command line as a user meets it: help, refusals with their exit codes, clean stop. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { BUILT_ENTRY, ROOT } from '../../scripts/headless-build.mjs';
import { freeTcpPort, freeLoopbackUdpPort, ProcessNode, waitFor } from './harness';

const BIN = resolve(fileURLToPath(new URL('../../bin/synod-node.mjs', import.meta.url)));
const dirs: string[] = [];
const nodes: ProcessNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.kill()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function synodNode(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SYNOD_SECRET: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function soloNode(dataDir: string, id = 'solo'): Promise<ProcessNode> {
  const spec = { id, udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir };
  const node = new ProcessNode(spec, ['--id', id, '--data', dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`]);
  nodes.push(node);
  await node.start();
  return node;
}

const IMPORTS_ELECTRON = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*["']electron(?:\/[^"']*)?["']/;

/** The built files `entry` loads through relative imports (itself included), relative to out/main. */
function builtImportGraph(outMain: string, entry: string): string[] {
  const files = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const match of readFileSync(join(outMain, file), 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      pending.push(relative(outMain, resolve(outMain, dirname(file), match[1] ?? '')));
    }
  }
  return [...files];
}

it('the built node (what bin/synod-node.mjs runs) loads nothing of Electron', () => {
  const outMain = join(ROOT, dirname(BUILT_ENTRY));
  const files = readdirSync(outMain, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
  const importsElectron = (file: string): boolean => IMPORTS_ELECTRON.test(readFileSync(join(outMain, file), 'utf8'));
  // Only the desktop app's entry imports electron, and the headless entry never loads it.
  expect(importsElectron('index.js')).toBe(true);
  expect(files.filter((file) => file !== 'index.js' && importsElectron(file))).toEqual([]);
  const headless = builtImportGraph(outMain, 'headless.js');
  expect(headless.length).toBeGreaterThan(1); // its shared chunk(s) too
  expect(headless).not.toContain('index.js');
});

it('--help and bad arguments', () => {
  const help = synodNode(['--help']);
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/--peer ID=HOST:PORT/);
  const bad = synodNode(['--id', 'n1']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--data is required/);
});

it('a one-node cluster works at once, stops cleanly, and keeps its tweets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-cli-'));
  dirs.push(dir);
  const node = await soloNode(dir);
  const receipt = await node.call('tweet', { text: 'first!' });
  expect(receipt.slot).toBeGreaterThan(0);
  expect(await node.stop()).toBe(0);
  await node.start();
  expect((await node.call('timeline')).map((t) => t.text)).toEqual(['first!']);
});

it("refuses another node's data directory (exit 73) and a directory in use (exit 75)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-cli-'));
  dirs.push(dir);
  const node = await soloNode(dir);
  const locked = synodNode(['--id', 'solo', '--data', dir, '--listen', '127.0.0.1:0']);
  expect(locked.status).toBe(75);
  expect(locked.stderr).toMatch(/in use by another Synod process/);
  await node.stop();
  const wrong = synodNode(['--id', 'other', '--data', dir, '--listen', '127.0.0.1:0']);
  expect(wrong.status).toBe(73);
  expect(wrong.stderr).toMatch(/belongs to node "solo"/);
});

it('--join on a directory with its own history refuses (exit 77) unless --discard-history, which keeps it aside and joins', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-cli-'));
  dirs.push(dir);
  const contactSpec = { id: 'ann', udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(dir, 'ann') };
  const contact = new ProcessNode(contactSpec, ['--id', 'ann', '--data', contactSpec.dataDir, '--listen', `127.0.0.1:${contactSpec.udpPort}`, '--http', `127.0.0.1:${contactSpec.httpPort}`, '--secret', 'the cluster secret']);
  nodes.push(contact);
  await contact.start();
  await contact.call('tweet', { text: 'from the cluster' });

  const own = await soloNode(join(dir, 'bob'), 'bob');
  await own.call('tweet', { text: 'my own history' });
  await own.stop();
  const joinArgs = ['--id', 'bob', '--data', join(dir, 'bob'), '--listen', '127.0.0.1:0', '--join', `127.0.0.1:${contactSpec.udpPort}`, '--secret', 'the cluster secret'];
  const refused = synodNode(joinArgs);
  expect(refused.status).toBe(77);
  expect(refused.stderr).toMatch(/--discard-history/);

  const spec = { id: 'bob', udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(dir, 'bob') };
  const joiner = new ProcessNode(spec, [...joinArgs.slice(0, 4), '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, ...joinArgs.slice(6), '--discard-history']);
  nodes.push(joiner);
  await joiner.start();
  await waitFor(async () => (await joiner.call('timeline')).some((t) => t.text === 'from the cluster'), 20_000, 'the cluster timeline at the newcomer');
  expect((await joiner.call('timeline')).some((t) => t.text === 'my own history')).toBe(false);
  expect((await joiner.status()).membership.members?.map((m) => m.id)).toEqual(['ann', 'bob']);
  expect(readdirSync(dir).some((name) => name.startsWith('bob.before-'))).toBe(true);
});

/** Starts synod-node without --token and returns the process and the dashboard URL it prints. */
async function untokenedNode(dataDir: string, udpPort: number, httpPort: number): Promise<{ child: ChildProcess; url: string; stderr: string[] }> {
  const child = spawn(process.execPath, [BIN, '--id', 'solo', '--data', dataDir, '--listen', `127.0.0.1:${udpPort}`, '--http', `127.0.0.1:${httpPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SYNOD_SECRET: '', SYNOD_TOKEN: '' },
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => stderr.push(line));
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once('exit', (code) => reject(new Error(`synod-node exited (${code}): ${stderr.join('\n')}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('dashboard: ')) resolveUrl(line.slice('dashboard: '.length));
    });
  });
  return { child, url, stderr };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  await exited;
}

it('keeps its API token in the data directory: a restart prints the same URL, and the token still works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-cli-'));
  dirs.push(dir);
  const udpPort = await freeLoopbackUdpPort();
  const httpPort = await freeTcpPort();
  const first = await untokenedNode(dir, udpPort, httpPort);
  const token = new URL(first.url).searchParams.get('token') ?? '';
  expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(first.stderr.join('\n')).toMatch(/made an API token in .*api-token; the dashboard URL stays the same/);
  expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o600);
  await stopChild(first.child);

  const second = await untokenedNode(dir, udpPort, httpPort);
  try {
    expect(second.url).toBe(first.url);
    expect(second.stderr.join('\n')).not.toMatch(/made an API token/);
    const response = await fetch(`http://127.0.0.1:${httpPort}/api/status`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
  } finally {
    await stopChild(second.child);
  }
});

it('joins with an invite code from a file, keeps the secret it carries, and restarts without the code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-cli-'));
  dirs.push(dir);
  const ann = await soloNode(join(dir, 'ann'), 'ann');
  await ann.call('tweet', { text: 'before the invite' });
  const { code } = await ann.call('inviteCode');
  const codeFile = join(dir, 'invite');
  writeFileSync(codeFile, `${code}\n`, { mode: 0o600 });
  const spec = { id: 'bob', udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(dir, 'bob') };
  const bob = new ProcessNode(spec, ['--id', 'bob', '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--join-code-file', codeFile]);
  nodes.push(bob);
  await bob.start();
  await waitFor(async () => (await bob.status()).membership.isMember, 20_000, 'bob a member');
  expect((await bob.call('timeline')).map((t) => t.text)).toContain('before the invite');
  expect(readFileSync(join(spec.dataDir, 'cluster-secret'), 'utf8').trim()).toBe((await ann.call('revealSecret')).secret);
  expect(bob.logs.join('\n')).not.toContain(code);
  expect(bob.logs.join('\n')).not.toContain((await ann.call('revealSecret')).secret);

  // Restarted with neither the code nor a secret: the kept secret is the cluster's.
  await bob.stop();
  const again = new ProcessNode(spec, ['--id', 'bob', '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`]);
  nodes.push(again);
  await again.start();
  const receipt = await again.call('tweet', { text: 'bob is back' });
  await waitFor(async () => (await ann.call('timeline')).some((t) => t.id === receipt.id), 20_000, "bob's tweet at ann");
});
