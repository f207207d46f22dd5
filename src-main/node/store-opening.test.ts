import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrapMembership, latestEpoch } from '../core/membership';
import { StorageError } from '../storage/errors';
import { FaultyFileSystem } from '../../test/support/faulty-file-system';
import type { LogFields } from './logger';
import type { NodeOptions } from './node-options';
import { bootstrapMembershipOf, openStore, refuseToDiscard } from './store-opening';

let sqlJs: SqlJsStatic;
beforeAll(async () => {
  sqlJs = await initSqlJs();
});

const OPTIONS: NodeOptions = {
  id: 'n1',
  dataDir: '/data/n1',
  listen: { host: '10.0.0.1', port: 7400 },
  peers: new Map([['n2', { host: '10.0.0.2', port: 7400 }]]),
  secret: 's',
};

function logger() {
  const events: { name: string; fields: LogFields | undefined }[] = [];
  return { events, logger: { event: (name: string, fields?: LogFields) => void events.push({ name, fields }) } };
}

describe('opening the data directory', () => {
  it('starts a new cluster from this node and its configured peers; an ephemeral listen port is no address', () => {
    expect(latestEpoch(bootstrapMembershipOf(OPTIONS)).members).toEqual([
      { id: 'n1', address: '10.0.0.1:7400' },
      { id: 'n2', address: '10.0.0.2:7400' },
    ]);
    expect(latestEpoch(bootstrapMembershipOf({ ...OPTIONS, listen: { host: '0.0.0.0', port: 0 }, peers: new Map() })).members).toEqual([{ id: 'n1', address: '' }]);
  });

  it('refuses to join from a directory that holds only the one-node cluster of this node', () => {
    const alone = bootstrapMembership([{ id: 'n1', address: '' }]);
    expect(() => refuseToDiscard('n1', '/data/n1', alone, 12)).toThrow(StorageError);
    expect(() => refuseToDiscard('n1', '/data/n1', alone, 12)).toThrow(/holds n1's own one-node cluster \(12 slots\)/);
    expect(() => refuseToDiscard('n1', '/data/n1', bootstrapMembership([{ id: 'n1', address: '' }, { id: 'n2', address: '' }]), 12)).not.toThrow();
  });

  it('opens a new directory with the bootstrap membership, or none when joining, and logs how it recovered', () => {
    const started = logger();
    const opened = openStore(new FaultyFileSystem(), sqlJs, OPTIONS, 'c1', started.logger);
    expect(opened.recovered === null ? null : latestEpoch(opened.recovered).members.map((m) => m.id)).toEqual(['n1', 'n2']);
    expect(started.events.map((event) => event.name)).toEqual(['recovered']);
    expect(started.events[0]?.fields).toMatchObject({ checkpoint: 0, replayed: 'none', applied: 0, compacted: 0, retained: 0 });
    opened.store.close();
    const joining = openStore(new FaultyFileSystem(), sqlJs, { ...OPTIONS, join: { host: '10.0.0.2', port: 7400 } }, 'c1', logger().logger);
    expect(joining.recovered).toBeNull();
    joining.store.close();
  });

  it('closes the store when it refuses to join, so the directory can be moved aside', () => {
    const fs = new FaultyFileSystem();
    openStore(fs, sqlJs, { ...OPTIONS, peers: new Map() }, 'c1', logger().logger).store.close();
    const operations: string[] = [];
    fs.beforeOperation = (_n, op, path) => void operations.push(`${op} ${path}`);
    let caught: unknown = null;
    try {
      openStore(fs, sqlJs, { ...OPTIONS, peers: new Map(), join: { host: '10.0.0.2', port: 7400 } }, 'c1', logger().logger);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StorageError);
    expect((caught as StorageError).code).toBe('holds-own-history');
    // Closing a store takes a final checkpoint: the refused open did.
    expect(operations).toContain('rename /data/n1/checkpoint.tmp -> /data/n1/checkpoint.db');
  });
});
