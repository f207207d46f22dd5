import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem, SimulatedCrash } from '../storage/faulty-file-system';
import { NodeFileSystem } from '../storage/node-file-system';
import { EPOCH_FILE_NAME, nextTransportEpoch } from './epoch';

describe('nextTransportEpoch on the real disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts at 1, increments on every call and stores decimal text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-epoch-'));
    dirs.push(dir);
    const fs = new NodeFileSystem();
    expect(nextTransportEpoch(fs, dir)).toBe(1);
    expect(nextTransportEpoch(fs, dir)).toBe(2);
    expect(nextTransportEpoch(fs, dir)).toBe(3);
    expect(readFileSync(join(dir, EPOCH_FILE_NAME), 'utf8')).toBe('3\n');
    expect(fs.list(dir)).toEqual([EPOCH_FILE_NAME]);
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
    expect(nextTransportEpoch(new NodeFileSystem(), dir)).toBe(4294967295);
    expect(() => nextTransportEpoch(new NodeFileSystem(), dir)).toThrow(/exhausted/);
  });
});

describe('nextTransportEpoch under crashes', () => {
  const dir = '/data/node';

  it('keeps a returned epoch across a power loss right after the call', () => {
    const fs = new FaultyFileSystem();
    expect(nextTransportEpoch(fs, dir)).toBe(1);
    fs.crash();
    expect(nextTransportEpoch(fs, dir)).toBe(2);
    fs.crash({ processOnly: true });
    expect(nextTransportEpoch(fs, dir)).toBe(3);
  });

  it('never returns an epoch twice, whichever operation a crash hits', () => {
    for (const processOnly of [false, true]) {
      for (let crashAfter = 0; ; crashAfter++) {
        const fs = new FaultyFileSystem();
        for (let i = 0; i < 4; i++) nextTransportEpoch(fs, dir);
        fs.crashAt = fs.operations + crashAfter + 1;
        let returned = 4;
        let crashed = false;
        try {
          returned = nextTransportEpoch(fs, dir);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          crashed = true;
        }
        fs.crash({ processOnly });
        expect(nextTransportEpoch(fs, dir)).toBeGreaterThan(returned);
        if (!crashed) break;
      }
    }
  });
});
