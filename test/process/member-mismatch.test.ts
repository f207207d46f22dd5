/**
 * Two nodes configured with different member lists: each tells its user plainly, once the difference
 * lasted longer than a membership change takes to spread (MEMBER_MISMATCH_GRACE_MS, 10 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freeTcpPort, freeLoopbackUdpPort, ProcessNode, waitFor } from './harness';

const nodes: ProcessNode[] = [];
let dir: string | null = null;
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.kill()));
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
});

it('a peer with another member list shows up as a warning in status', async () => {
  dir = mkdtempSync(join(tmpdir(), 'synod-mismatch-'));
  const a = { id: 'a', udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(dir, 'a') };
  const b = { id: 'b', udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(dir, 'b') };
  const common = (spec: typeof a) => ['--id', spec.id, '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--secret', 'a shared secret'];
  // a believes the cluster is {a, b, c}; b believes it is {a, b}.
  nodes.push(new ProcessNode(a, [...common(a), '--peer', `b=127.0.0.1:${b.udpPort}`, '--peer', 'c=127.0.0.1:9']));
  nodes.push(new ProcessNode(b, [...common(b), '--peer', `a=127.0.0.1:${a.udpPort}`]));
  await Promise.all(nodes.map((node) => node.start()));
  await waitFor(async () => (await nodes[1]!.status()).warnings.some((w) => w.includes('Peer a')), 25_000, 'b to warn about a');
  await waitFor(async () => (await nodes[0]!.status()).warnings.some((w) => w.includes('Peer b')), 25_000, 'a to warn about b');
  expect((await nodes[1]!.status()).warnings[0]).toMatch(/different member list/);
}, 60_000);
