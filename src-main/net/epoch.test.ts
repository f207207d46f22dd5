import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem, SimulatedCrash } from '../../test/support/faulty-file-system';
import { NodeFileSystem } from '../storage/node-file-system';
import { clockEpochFloor, EPOCH_CLOCK_BASE_MS, EPOCH_FILE_NAME, nextTransportEpoch } from './epoch';

/** A clock before 2025: the stored epoch alone decides. */
const CLOCKLESS_MS = 0;
const SECOND_MS = 1000;

describe('nextTransportEpoch on the real disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('without a usable clock, starts at 1, increments on every call and stores decimal text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(dir);
    const fs = new NodeFileSystem();
    expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBe(1);
    expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBe(2);
    expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBe(3);
    expect(readFileSync(join(dir, EPOCH_FILE_NAME), 'utf8')).toBe('3\n');
    expect(fs.list(dir)).toEqual([EPOCH_FILE_NAME]);
  });

  it('never goes below the seconds since 2025-01-01, and stays above the stored epoch when the clock lags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(dir);
    const fs = new NodeFileSystem();
    const now = EPOCH_CLOCK_BASE_MS + 1_000_000 * SECOND_MS + 999;
    expect(nextTransportEpoch(fs, dir, now)).toBe(1_000_000);
    // Two starts within one second, then a clock set back by an hour: still rising.
    expect(nextTransportEpoch(fs, dir, now)).toBe(1_000_001);
    expect(nextTransportEpoch(fs, dir, now - 3600 * SECOND_MS)).toBe(1_000_002);
    expect(nextTransportEpoch(fs, dir, now + 60 * SECOND_MS)).toBe(1_000_060);
    expect(nextTransportEpoch(fs, dir)).toBe(Math.max(1_000_061, Math.floor((Date.now() - EPOCH_CLOCK_BASE_MS) / SECOND_MS)));
  });

  it('starts a new data directory above every epoch of the old one (a node that rejoins is heard at once)', () => {
    const fs = new NodeFileSystem();
    const oldDir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    const newDir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(oldDir, newDir);
    const startedAt = EPOCH_CLOCK_BASE_MS + 5_000_000 * SECOND_MS;
    let oldLife = 0;
    // An old life that restarted every ten seconds for a while...
    for (let i = 0; i < 100; i++) oldLife = nextTransportEpoch(fs, oldDir, startedAt + i * 10 * SECOND_MS);
    // ...then its directory is deleted and the node rejoins a second later.
    expect(nextTransportEpoch(fs, newDir, startedAt + 991 * SECOND_MS)).toBeGreaterThan(oldLife);
  });

  it('ignores a clock outside the u32 range of seconds rather than exhausting the epochs', () => {
    expect(clockEpochFloor(EPOCH_CLOCK_BASE_MS - SECOND_MS)).toBe(0);
    expect(clockEpochFloor(EPOCH_CLOCK_BASE_MS + 2 ** 32 * SECOND_MS)).toBe(0);
    expect(clockEpochFloor(Number.NaN)).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(dir);
    expect(nextTransportEpoch(new NodeFileSystem(), dir, EPOCH_CLOCK_BASE_MS + 2 ** 33 * SECOND_MS)).toBe(1);
  });

  it('refuses a corrupt epoch file rather than starting again at 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(dir);
    for (const content of ['', 'seven', '-1', '1.5', '99999999999', '\u00ff\u00fe']) {
      writeFileSync(join(dir, EPOCH_FILE_NAME), content, 'latin1');
      expect(() => nextTransportEpoch(new NodeFileSystem(), dir)).toThrow(/corrupt/);
    }
  });

  it('refuses to go past the u32 range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(dir);
    writeFileSync(join(dir, EPOCH_FILE_NAME), '4294967294');
    expect(nextTransportEpoch(new NodeFileSystem(), dir, CLOCKLESS_MS)).toBe(4294967295);
    expect(() => nextTransportEpoch(new NodeFileSystem(), dir, CLOCKLESS_MS)).toThrow(/exhausted/);
  });
});

describe('nextTransportEpoch under crashes', () => {
  const dir = '/data/node';

  it('keeps a returned epoch across a power loss right after the call', () => {
    const fs = new FaultyFileSystem();
    expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBe(1);
    fs.crash();
    expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBe(2);
    fs.crash({ processOnly: true });
    expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBe(3);
  });

  it('never returns an epoch twice, whichever operation a crash hits', () => {
    for (const processOnly of [false, true]) {
      for (let crashAfter = 0; ; crashAfter++) {
        const fs = new FaultyFileSystem();
        for (let i = 0; i < 4; i++) nextTransportEpoch(fs, dir, CLOCKLESS_MS);
        fs.crashAt = fs.operations + crashAfter + 1;
        let returned = 4;
        let crashed = false;
        try {
          returned = nextTransportEpoch(fs, dir, CLOCKLESS_MS);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          crashed = true;
        }
        fs.crash({ processOnly });
        expect(nextTransportEpoch(fs, dir, CLOCKLESS_MS)).toBeGreaterThan(returned);
        if (!crashed) break;
      }
    }
  });
});
