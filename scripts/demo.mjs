#!/usr/bin/env node
// `npm run demo`: a 3-node Synod cluster on this machine (loopback), each node with its dashboard.
// State lives in .synod-demo/ (kept between runs; `npm run demo -- --fresh` starts over).
// Ctrl-C stops the three nodes cleanly.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const demoDir = join(root, '.synod-demo');
const NODES = [
  { id: 'ann', name: 'Ann', udp: 7401, http: 8081 },
  { id: 'bob', name: 'Bob', udp: 7402, http: 8082 },
  { id: 'cyd', name: 'Cyd', udp: 7403, http: 8083 },
];

if (process.argv.includes('--fresh')) rmSync(demoDir, { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true });
const secretFile = join(demoDir, 'cluster-secret');
if (!existsSync(secretFile)) writeFileSync(secretFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });

const urls = new Map();
const children = NODES.map((node) => {
  const peers = NODES.filter((other) => other !== node).flatMap((other) => ['--peer', `${other.id}=127.0.0.1:${other.udp}`]);
  const args = [join(root, 'bin', 'synod-node.mjs'), '--id', node.id, '--name', node.name, '--data', join(demoDir, node.id), '--listen', `127.0.0.1:${node.udp}`, '--secret-file', secretFile, '--http', `127.0.0.1:${node.http}`, ...peers];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout }).on('line', (line) => {
    process.stdout.write(`[${node.id}] ${line}\n`);
    const match = /^dashboard: (\S+)/.exec(line);
    if (match) {
      urls.set(node.id, match[1]);
      if (urls.size === NODES.length) {
        process.stdout.write('\nSynod demo: a 3-node cluster on 127.0.0.1. Open the dashboards:\n');
        for (const { id, name } of NODES) process.stdout.write(`  ${name.padEnd(4)} ${urls.get(id)}\n`);
        process.stdout.write('Ctrl-C stops the cluster (state is kept in .synod-demo/).\n\n');
      }
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`[${node.id}] ${line}\n`));
  child.on('exit', (code, signal) => {
    process.stderr.write(`[${node.id}] exited (${signal ?? code})\n`);
    if (!stopping && code !== 0) stop(1);
  });
  return child;
});

let stopping = false;
function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  let remaining = children.filter((child) => child.exitCode === null).length;
  if (remaining === 0) process.exit(exitCode);
  for (const child of children) child.on('exit', () => --remaining === 0 && process.exit(exitCode));
  setTimeout(() => process.exit(exitCode), 10_000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
