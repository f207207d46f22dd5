import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type SynodEvent } from '../../shared/api';
import { ConfigFile, NodeHost, splitAddress } from './node-host';
import type { NodeOptions } from './replica-node';

let root: string | null = null;
let host: NodeHost | null = null;
afterEach(async () => {
  await host?.stop();
  host = null;
  if (root !== null) rmSync(root, { recursive: true, force: true });
  root = null;
});

function options(dir: string): NodeOptions {
  return { id: 'me', name: 'Me', dataDir: join(dir, 'data'), listen: { host: '127.0.0.1', port: 0 }, peers: new Map(), secret: 'first secret value' };
}

describe('NodeHost', () => {
  it('restarts the replica with a new member list and name, keeps listeners, and saves the configuration', async () => {
    root = mkdtempSync(join(tmpdir(), 'synod-host-'));
    const file = new ConfigFile(join(root, 'config.json'));
    host = await NodeHost.start(options(root), file);
    const receipt = await host.node.submit({ type: 'tweet', text: 'before the restart', at: 1 });
    const events: SynodEvent[] = [];
    host.subscribe((event) => events.push(event));
    const config = await host.updateConfig({ name: 'Me Again', peers: [{ id: 'other', address: '127.0.0.1:9' }] });
    expect(config).toMatchObject({ id: 'me', name: 'Me Again', editable: true, peers: [{ id: 'other', address: '127.0.0.1:9' }] });
    expect(file.load()).toMatchObject({ name: 'Me Again', peers: [{ id: 'other', host: '127.0.0.1', port: 9 }], secret: 'first secret value' });
    expect(events.some((e) => e.type === 'status')).toBe(true);
    // Same data, new members: the tweet is still there (the node now waits for a quorum of two).
    expect(host.node.app.timeline('me').map((t) => t.id)).toContain(receipt.id);
    await expect(host.updateConfig({ peers: [{ id: 'me', address: '127.0.0.1:9' }] })).rejects.toThrow(/this node itself/);
  });

  it('a new secret starts afresh and keeps the old data directory aside', async () => {
    root = mkdtempSync(join(tmpdir(), 'synod-host-'));
    host = await NodeHost.start(options(root), new ConfigFile(join(root, 'config.json')));
    await host.node.submit({ type: 'tweet', text: 'in the old cluster', at: 1 });
    await host.updateConfig({ secret: 'another cluster secret' });
    expect(host.node.app.timeline('me')).toEqual([]);
    expect(readdirSync(root).some((name) => name.startsWith('data.before-'))).toBe(true);
    expect(existsSync(join(root, 'data'))).toBe(true);
    expect(host.revealSecret()).toEqual({ secret: 'another cluster secret' });
  });

  it('without a configuration file (synod-node) it explains how to change the configuration', async () => {
    root = mkdtempSync(join(tmpdir(), 'synod-host-'));
    host = await NodeHost.start(options(root));
    expect(host.config()).toMatchObject({ editable: false, note: expect.stringMatching(/command line/) });
    const error = await host.updateConfig({ name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('unavailable');
  });

  it('splits addresses, IPv6 included', () => {
    expect(splitAddress('10.0.0.2:7400')).toEqual({ host: '10.0.0.2', port: 7400 });
    expect(splitAddress('[::1]:7401')).toEqual({ host: '::1', port: 7401 });
    expect(splitAddress('laptop.local:7402')).toEqual({ host: 'laptop.local', port: 7402 });
  });
});
