/** The synod-node command line as a user meets it: help, refusals with their exit codes, clean stop. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
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
