import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FaultyFileSystem, SimulatedCrash } from '../../test/support/faulty-file-system';
import { NodeFileSystem } from '../storage/node-file-system';
import { MAX_PEER_EPOCHS, PEER_EPOCHS_FILE_NAME, PeerEpochs, WRITE_INTERVAL_MS } from './peer-epochs';

const DIR = '/data/node';

function faultyDir(): FaultyFileSystem {
  const fs = new FaultyFileSystem();
  fs.mkdirp(DIR);
  return fs;
}

describe('PeerEpochs', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps floors across a restart, on the real disk, and only raises them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-peer-epochs-'));
    dirs.push(dir);
    const fs = new NodeFileSystem();
    const first = PeerEpochs.open(fs, dir);
    expect(first.floor('n2')).toBe(0);
    first.raise('n2', 1_000);
    first.raise('n3', 7);
    first.raise('n2', 999);
    first.close();
    expect(readFileSync(join(dir, PEER_EPOCHS_FILE_NAME), 'latin1')).toBe('n2 1000\nn3 7\n');
    const second = PeerEpochs.open(fs, dir);
    expect([second.floor('n2'), second.floor('n3'), second.floor('n4')]).toEqual([1_000, 7, 0]);
    second.close();
  });

  it('makes the first raise durable at once, before the caller goes on', () => {
    const fs = faultyDir();
    const floors = PeerEpochs.open(fs, DIR);
    floors.raise('n2', 42);
    fs.crash();
    expect(PeerEpochs.open(fs, DIR).floor('n2')).toBe(42);
  });

  it('coalesces a burst of raises into one write per interval, and close() writes the rest', () => {
    vi.useFakeTimers();
    const fs = faultyDir();
    let nowMs = 10_000;
    const floors = PeerEpochs.open(fs, DIR, { now: () => nowMs });
    const beforeFirst = fs.operations;
    floors.raise('n2', 1);
    const afterFirst = fs.operations;
    for (let epoch = 2; epoch <= 1_000; epoch++) floors.raise('n2', epoch);
    expect(fs.operations).toBe(afterFirst);
    nowMs += WRITE_INTERVAL_MS;
    vi.advanceTimersByTime(WRITE_INTERVAL_MS);
    expect(fs.operations - afterFirst).toBe(afterFirst - beforeFirst);
    fs.crash();
    expect(PeerEpochs.open(fs, DIR).floor('n2')).toBe(1_000);
    const reopened = PeerEpochs.open(fs, DIR, { now: () => nowMs });
    reopened.raise('n3', 5);
    reopened.raise('n3', 6);
    reopened.close();
    reopened.raise('n3', 7);
    expect(PeerEpochs.open(fs, DIR).floor('n3')).toBe(6);
  });

  it('leaves the old floors or the new ones whichever operation a crash hits', () => {
    for (let crashAfter = 0; ; crashAfter++) {
      const fs = faultyDir();
      const before = PeerEpochs.open(fs, DIR);
      before.raise('n2', 10);
      before.raise('n3', 20);
      before.close();
      fs.crashAt = fs.operations + crashAfter + 1;
      const errors: unknown[] = [];
      const floors = PeerEpochs.open(fs, DIR, { onError: (error) => errors.push(error) });
      floors.raise('n2', 11);
      fs.crash();
      const after = PeerEpochs.open(fs, DIR);
      expect([10, 11]).toContain(after.floor('n2'));
      expect(after.floor('n3')).toBe(20);
      if (errors.length === 0) {
        expect(after.floor('n2')).toBe(11);
        break;
      }
      expect(errors[0]).toBeInstanceOf(SimulatedCrash);
    }
  });

  it('reports a failed write and tries again later, never throwing', () => {
    const fs = faultyDir();
    const errors: unknown[] = [];
    let nowMs = 0;
    const floors = PeerEpochs.open(fs, DIR, { onError: (error) => errors.push(error), now: () => nowMs });
    fs.crashAt = fs.operations + 1;
    expect(() => floors.raise('n2', 3)).not.toThrow();
    expect(errors).toHaveLength(1);
    fs.crash({ processOnly: true });
    nowMs += WRITE_INTERVAL_MS;
    floors.raise('n3', 4);
    floors.close();
    const reopened = PeerEpochs.open(fs, DIR);
    expect([reopened.floor('n2'), reopened.floor('n3')]).toEqual([3, 4]);
  });

  it('remembers at most MAX_PEER_EPOCHS senders, forgetting the least recently raised', () => {
    const fs = faultyDir();
    const floors = PeerEpochs.open(fs, DIR, { now: () => 0 });
    for (let i = 0; i <= MAX_PEER_EPOCHS; i++) floors.raise(`s${i}`, 1);
    floors.close();
    const reopened = PeerEpochs.open(fs, DIR);
    expect(reopened.floor('s0')).toBe(0);
    expect(reopened.floor('s1')).toBe(1);
    expect(reopened.floor(`s${MAX_PEER_EPOCHS}`)).toBe(1);
  });

  it('refuses a corrupt file with an error that names it and says deleting it is safe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-peer-epochs-'));
    dirs.push(dir);
    for (const content of ['n2\n', 'n2 x\n', 'bad id! 3\n', 'n2 99999999999\n', 'n2  3\n']) {
      writeFileSync(join(dir, PEER_EPOCHS_FILE_NAME), content, 'latin1');
      expect(() => PeerEpochs.open(new NodeFileSystem(), dir)).toThrow(/peer-epochs is corrupt.*delete it/);
    }
  });
});
