import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from './errors';
import { FaultyFileSystem, SimulatedCrash, type CrashOptions } from '../../test/support/faulty-file-system';
import { Journal, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName, type JournalOptions } from './journal';

const DIR = '/data/journal';
const ADVICE = 'the journal is damaged before its end; restore the data directory from a backup or remove it to rejoin as a fresh node';

function segmentPath(segment: number): string {
  return join(DIR, segmentFileName(segment));
}

/** A deterministic payload: record `id`, `length` bytes (default varies with id; never all zero). */
function payload(id: number, length = 1 + ((id * 37) % 90)): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (id * 131 + i * 7 + 1) & 0xff;
  if (length > 0) bytes[0] = id & 0xff;
  return bytes;
}

function open(fs: FaultyFileSystem, options: Partial<JournalOptions> = {}): { journal: Journal; records: Uint8Array[]; warnings: string[] } {
  const warnings: string[] = [];
  const { journal, records } = Journal.open(fs, DIR, { firstSegment: 1, onWarning: (m) => warnings.push(m), ...options });
  return { journal, records, warnings };
}

/** A journal with records 0..count-1 synced in segment 1, closed. */
function written(count: number, lengths: (id: number) => number = (id) => 1 + ((id * 37) % 90)): FaultyFileSystem {
  const fs = new FaultyFileSystem();
  const { journal } = open(fs);
  for (let id = 0; id < count; id++) journal.append(payload(id, lengths(id)));
  journal.close();
  return fs;
}

function expectCorrupt(fn: () => unknown, ...fragments: string[]): StorageError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(StorageError);
  const error = thrown as StorageError;
  expect(error.code).toBe('journal-corrupt');
  expect(error.exitCode).toBe(70);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

/** toEqual, but fast on large byte arrays (vitest compares them element by element). */
function expectRecords(actual: Uint8Array[], expected: Uint8Array[], context?: string): void {
  const hex = (records: Uint8Array[]): string[] => records.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('hex'));
  expect(hex(actual), context).toEqual(hex(expected));
}

/** Byte offset of record `index` in a segment whose records have the given payload lengths. */
function recordOffset(lengths: number[], index: number): number {
  let offset = SEGMENT_HEADER_BYTES;
  for (let i = 0; i < index; i++) offset += RECORD_HEADER_BYTES + (lengths[i] as number);
  return offset;
}

describe('Journal', () => {
  it('creates the first segment in a new directory', () => {
    const fs = new FaultyFileSystem();
    const { journal, records, warnings } = open(fs, { firstSegment: 5 });
    expect(records).toEqual([]);
    expect(warnings).toEqual([]);
    expect(journal.currentSegment).toBe(5);
    expect(fs.list(DIR)).toEqual([segmentFileName(5)]);
    expect(fs.size(segmentPath(5))).toBe(SEGMENT_HEADER_BYTES);
    // It is durable.
    fs.crash();
    expect(fs.list(DIR)).toEqual([segmentFileName(5)]);
  });

  it('round-trips many records across segments, including empty and large ones', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs);
    const expected: Uint8Array[] = [];
    for (let id = 0; id < 2000; id++) {
      const record = id % 500 === 7 ? payload(id, 100_000) : id % 100 === 3 ? new Uint8Array(0) : payload(id);
      journal.append(record);
      expected.push(record);
      if (id % 13 === 0) journal.sync();
      if (id % 250 === 249) journal.roll();
    }
    journal.sync();
    expect(journal.currentSegment).toBe(9);
    expect(journal.stats.records).toBe(2000);
    expect(journal.stats.syncs).toBeGreaterThan(100);
    const bytes = expected.reduce((sum, r) => sum + RECORD_HEADER_BYTES + r.length, 0);
    expect(journal.stats.bytes).toBe(bytes);
    journal.close();
    fs.crash(); // everything was synced
    const reopened = open(fs);
    expectRecords(reopened.records, expected);
    expect(reopened.warnings).toEqual([]);
    expect(reopened.journal.currentSegment).toBe(9);
  });

  it('appends to the last segment after a clean reopen', () => {
    const fs = written(3);
    const first = open(fs);
    expect(first.records).toEqual([payload(0), payload(1), payload(2)]);
    first.journal.append(payload(3));
    first.journal.close(); // close syncs
    fs.crash();
    const second = open(fs);
    expect(second.records).toEqual([payload(0), payload(1), payload(2), payload(3)]);
    expect(second.journal.currentSegment).toBe(1);
    expect(second.journal.currentSegmentBytes).toBe(fs.size(segmentPath(1)));
  });

  it('makes nothing durable before sync() and everything appended before it after', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs);
    journal.append(payload(1));
    journal.append(payload(2));
    const before = fs.operations;
    journal.sync();
    expect(fs.operations - before).toBe(2); // one append, one fsync
    journal.sync(); // nothing pending: no I/O
    expect(fs.operations - before).toBe(2);
    journal.append(payload(3));
    fs.crash();
    expect(open(fs).records).toEqual([payload(1), payload(2)]);
  });

  it('cuts off a torn last record at every length, with a warning', () => {
    const lengths = [5, 17, 20];
    const full = recordOffset(lengths, 3);
    const lastStart = recordOffset(lengths, 2);
    for (let size = lastStart; size < full; size++) {
      const fs = written(3, (id) => lengths[id] as number);
      fs.truncate(segmentPath(1), size);
      const { journal, records, warnings } = open(fs);
      expect(records).toEqual([payload(0, 5), payload(1, 17)]);
      const kept = size - lastStart;
      if (kept === 0) {
        expect(warnings).toEqual([]);
      } else {
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(segmentPath(1));
        expect(warnings[0]).toContain(`dropped ${kept} bytes at byte offset ${lastStart}`);
      }
      // The cut is durable, and appending goes on cleanly after it.
      expect(fs.size(segmentPath(1))).toBe(lastStart);
      journal.append(payload(9));
      journal.close();
      fs.crash();
      const again = open(fs);
      expect(again.records).toEqual([payload(0, 5), payload(1, 17), payload(9)]);
      expect(again.warnings).toEqual([]);
    }
  });

  it('cuts off a tail of zero bytes', () => {
    const fs = written(2);
    const handle = fs.openAppend(segmentPath(1));
    fs.append(handle, new Uint8Array(4096));
    fs.fsync(handle);
    const { records, warnings } = open(fs);
    expect(records).toEqual([payload(0), payload(1)]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('zero bytes');
    expect(warnings[0]).toContain('dropped 4096 bytes');
  });

  it('treats a bad checksum in the final record as a torn write', () => {
    const lengths = [10, 10, 10];
    const fs = written(3, () => 10);
    fs.corrupt(segmentPath(1), recordOffset(lengths, 2) + RECORD_HEADER_BYTES + 4);
    const { records, warnings } = open(fs);
    expect(records).toEqual([payload(0, 10), payload(1, 10)]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('bad checksum');
    expect(warnings[0]).toContain(`byte offset ${recordOffset(lengths, 2)}`);
  });

  it('treats an impossible length in the final record header as torn only if nothing follows it', () => {
    const fs = written(2, () => 10);
    const handle = fs.openAppend(segmentPath(1));
    fs.append(handle, Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]));
    fs.fsync(handle);
    expect(open(fs).records).toHaveLength(2);

    const fs2 = written(2, () => 10);
    fs2.corrupt(segmentPath(1), recordOffset([10, 10], 1) + 3, 0x40); // length of the last record
    expectCorrupt(() => open(fs2), 'exceeds the maximum record size', 'record index 1', ADVICE);
  });

  it('refuses a bad checksum before the end, naming the file, offset and record', () => {
    const lengths = [10, 20, 30, 40, 50];
    const fs = written(5, (id) => lengths[id] as number);
    const offset = recordOffset(lengths, 2);
    fs.corrupt(segmentPath(1), offset + RECORD_HEADER_BYTES + 3);
    const error = expectCorrupt(() => open(fs), segmentPath(1), `byte offset ${offset}`, 'record index 2', 'checksum mismatch', ADVICE);
    expect(error.message).toContain("(this node's accepted values would be lost)");
  });

  it('refuses a damaged length before the end', () => {
    const lengths = [10, 20, 30];
    const fs = written(3, (id) => lengths[id] as number);
    fs.corrupt(segmentPath(1), recordOffset(lengths, 1), 0x01); // 20 -> 21: the checksum catches it
    expectCorrupt(() => open(fs), `byte offset ${recordOffset(lengths, 1)}`, 'record index 1', 'checksum mismatch');
    const fs2 = written(3, (id) => lengths[id] as number);
    fs2.corrupt(segmentPath(1), recordOffset(lengths, 1) + 3, 0x80); // far beyond the maximum
    expectCorrupt(() => open(fs2), 'exceeds the maximum record size');
  });

  it('refuses any damage in a segment that is not the last, even at its end', () => {
    const make = (): FaultyFileSystem => {
      const fs = new FaultyFileSystem();
      const { journal } = open(fs);
      for (let id = 0; id < 4; id++) journal.append(payload(id, 10));
      journal.roll();
      journal.append(payload(4, 10));
      journal.close();
      return fs;
    };
    const full = recordOffset([10, 10, 10, 10], 4);
    // (A cut exactly at a record boundary is undetectable: the format has no segment footer.)
    for (const size of [full - 1, full - 12, full - 17]) {
      const fs = make();
      fs.truncate(segmentPath(1), size);
      expectCorrupt(() => open(fs), segmentPath(1), 'not the last');
    }
    const zeros = make();
    zeros.truncate(segmentPath(1), full + 100);
    expectCorrupt(() => open(zeros), segmentPath(1), `byte offset ${full}`, 'record index 4 of the segment');
    const crc = make();
    crc.corrupt(segmentPath(1), full - 1);
    expectCorrupt(() => open(crc), 'checksum mismatch', 'record index 3');
  });

  it('refuses a bad segment header', () => {
    const magic = written(1);
    magic.corrupt(segmentPath(1), 0);
    expectCorrupt(() => open(magic), segmentPath(1), 'magic');

    const number = written(1);
    number.corrupt(segmentPath(1), 8, 0x02);
    expectCorrupt(() => open(number), 'it says segment 3');

    const reserved = written(1);
    reserved.corrupt(segmentPath(1), 7);
    expectCorrupt(() => open(reserved), 'reserved');

    const short = new FaultyFileSystem();
    short.mkdirp(DIR);
    short.writeFileSynced(segmentPath(1), Uint8Array.from([0x53, 0x59, 0x4e, 0x4b]));
    expectCorrupt(() => open(short), 'only 4 bytes');
  });

  it('refuses a format version it does not know as unsupported', () => {
    const fs = written(1);
    fs.corrupt(segmentPath(1), 4, 0x03); // version 1 -> 2
    expect(() => open(fs)).toThrow(expect.objectContaining({ code: 'unsupported-format', message: expect.stringContaining('format version 2') }));
  });

  it('rewrites a last segment whose creation a crash interrupted', () => {
    for (const content of [new Uint8Array(0), Uint8Array.from([0x53, 0x59, 0x4e]), new Uint8Array(16), new Uint8Array(4096)]) {
      const fs = new FaultyFileSystem();
      const { journal } = open(fs);
      journal.append(payload(1));
      journal.close();
      fs.writeFileSynced(segmentPath(2), content);
      fs.fsyncDir(DIR);
      const reopened = open(fs);
      expect(reopened.records).toEqual([payload(1)]);
      expect(reopened.warnings).toHaveLength(1);
      expect(reopened.warnings[0]).toContain('incomplete header');
      expect(reopened.journal.currentSegment).toBe(2);
      reopened.journal.append(payload(2));
      reopened.journal.close();
      fs.crash();
      expect(open(fs).records).toEqual([payload(1), payload(2)]);
    }
  });

  it('refuses a gap in the segments', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs);
    journal.roll();
    journal.roll();
    journal.close();
    fs.unlink(segmentPath(2));
    expectCorrupt(() => open(fs), `missing segment ${segmentFileName(2)}`, segmentFileName(3), ADVICE);
    fs.unlink(segmentPath(1));
    expectCorrupt(() => open(fs, { firstSegment: 2 }), `missing segment ${segmentFileName(2)}`);
    expect(open(fs, { firstSegment: 3 }).records).toEqual([]);
  });

  it('ignores segments below firstSegment and drops them durably', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs);
    journal.append(payload(1));
    const second = journal.roll();
    journal.append(payload(2));
    const third = journal.roll();
    journal.append(payload(3));
    journal.sync();
    expect([second, third]).toEqual([2, 3]);
    expect(open(fs, { firstSegment: 2 }).records).toEqual([payload(2), payload(3)]);
    expect(() => journal.dropSegmentsBefore(4)).toThrow(RangeError);
    journal.dropSegmentsBefore(3);
    fs.crash();
    expect(fs.list(DIR)).toEqual([segmentFileName(3)]);
    expect(open(fs, { firstSegment: 3 }).records).toEqual([payload(3)]);
    // Files that are not segments are left alone.
    fs.writeFileSynced(join(DIR, 'notes.txt'), payload(0));
    expect(open(fs, { firstSegment: 3 }).records).toEqual([payload(3)]);
  });

  it('refuses records above maxRecordBytes, on append and on read', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs, { maxRecordBytes: 100 });
    journal.append(payload(1, 100));
    expect(() => journal.append(payload(2, 101))).toThrow(RangeError);
    journal.append(payload(3, 100));
    journal.close();
    expectCorrupt(() => open(fs, { maxRecordBytes: 50 }), 'record index 0', 'exceeds the maximum record size 50');
    expect(() => open(fs, { firstSegment: 0 })).toThrow(RangeError);
  });

  it('refuses further use after a failed write or fsync', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs);
    fs.beforeOperation = (_n, op) => {
      if (op === 'fsync') throw new Error('EIO');
    };
    journal.append(payload(1));
    expect(() => journal.sync()).toThrow('EIO');
    fs.beforeOperation = undefined;
    expect(() => journal.append(payload(2))).toThrow(/unusable/);
    expect(() => journal.sync()).toThrow(/unusable/);
    journal.close(); // closes without trying to sync again
    expect(() => journal.append(payload(3))).toThrow(/closed/);
  });

  it('makes what a dead process left in the page cache durable on open', () => {
    const fs = new FaultyFileSystem();
    const { journal } = open(fs);
    journal.append(payload(1));
    journal.sync();
    journal.roll(); // segment 2 is durable and empty
    journal.append(payload(2));
    journal.sync();
    // A record written without fsync, and a segment created without fsyncDir, then only the process dies.
    const handle = fs.openAppend(segmentPath(2));
    const framed = new FaultyFileSystem();
    const sidecar = open(framed).journal;
    sidecar.append(payload(3));
    sidecar.close();
    fs.append(handle, framed.readFile(segmentPath(1)).subarray(SEGMENT_HEADER_BYTES));
    fs.crash({ processOnly: true });
    const recovered = open(fs);
    expect(recovered.records).toEqual([payload(1), payload(2), payload(3)]);
    // The caller may act on record 3 now, so a power loss must not take it away.
    fs.crash();
    expect(open(fs).records).toEqual([payload(1), payload(2), payload(3)]);
  });
});

describe('Journal crash safety', () => {
  interface Model {
    /** Every record appended, with the segment it went to. */
    appended: Array<{ payload: Uint8Array; segment: number }>;
    /** How many of `appended` a returned sync() (or roll()) made durable. */
    durable: number;
    /** The first segment a checkpoint says recovery needs. */
    firstSegment: number;
  }

  /** A scripted life of a journal: appends, group commits, rolls, checkpoints that drop old segments. */
  function script(fs: FaultyFileSystem, model: Model): void {
    let next = 0;
    const { journal } = Journal.open(fs, DIR, { firstSegment: model.firstSegment });
    const append = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const record = payload(next++);
        journal.append(record);
        model.appended.push({ payload: record, segment: journal.currentSegment });
      }
    };
    const sync = (): void => {
      journal.sync();
      model.durable = model.appended.length;
    };
    const roll = (): void => {
      journal.roll();
      model.durable = model.appended.length;
    };
    const checkpoint = (): void => {
      model.firstSegment = journal.currentSegment; // the checkpoint is durable before the drop
      journal.dropSegmentsBefore(model.firstSegment);
    };
    append(5);
    sync();
    append(1);
    append(1);
    sync();
    roll();
    append(1);
    sync();
    append(1);
    roll();
    checkpoint();
    append(3);
    sync();
    append(1);
    roll();
    append(1);
    sync();
    roll();
    checkpoint();
    append(2);
    sync();
    append(1);
    sync();
    append(1); // never synced
  }

  const tornModes: Array<[string, NonNullable<CrashOptions['tornWrite']>]> = [
    ['nothing kept', () => 0],
    ['everything kept', (pending) => pending],
    ['half kept', (pending) => Math.floor(pending / 2)],
    ['all but one byte kept', (pending) => pending - 1],
    ['5 bytes kept', () => 5],
  ];

  function newModel(): Model {
    return { appended: [], durable: 0, firstSegment: 1 };
  }

  it('recovers every synced record, in order, and only a prefix of the rest, whatever write a crash hits', () => {
    const dry = new FaultyFileSystem();
    script(dry, newModel());
    const writePoints = dry.operations;
    expect(writePoints).toBeGreaterThan(30);

    let crashes = 0;
    for (let crashAt = 1; crashAt <= writePoints + 1; crashAt++) {
      for (const [mode, tornWrite] of tornModes) {
        const context = `crash at operation ${crashAt}, torn write: ${mode}`;
        const fs = new FaultyFileSystem();
        fs.crashAt = crashAt;
        const model = newModel();
        try {
          script(fs, model);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          crashes++;
        }
        fs.crash({ tornWrite });

        const warnings: string[] = [];
        const { journal, records } = Journal.open(fs, DIR, { firstSegment: model.firstSegment, onWarning: (m) => warnings.push(m) });
        const expected = model.appended.filter((r, i) => r.segment >= model.firstSegment || i >= model.durable);
        const durable = model.appended.slice(0, model.durable).filter((r) => r.segment >= model.firstSegment).length;
        expect(records.length, context).toBeGreaterThanOrEqual(durable);
        expect(records.length, context).toBeLessThanOrEqual(expected.length);
        expectRecords(records, expected.slice(0, records.length).map((r) => r.payload), context);

        // Recovery leaves a journal that works: a new record follows what was recovered.
        journal.append(payload(1000));
        journal.close();
        fs.crash();
        const again = Journal.open(fs, DIR, { firstSegment: model.firstSegment, onWarning: (m) => warnings.push(`after recovery: ${m}`) });
        expectRecords(again.records, [...records, payload(1000)], context);
        expect(warnings.filter((w) => w.startsWith('after recovery')), context).toEqual([]);
      }
    }
    expect(crashes).toBe(writePoints * tornModes.length);
  });

  it('keeps, after a later power loss, whatever recovery from a process crash returned', () => {
    const dry = new FaultyFileSystem();
    script(dry, newModel());
    for (let crashAt = 1; crashAt <= dry.operations; crashAt++) {
      const context = `process crash at operation ${crashAt}`;
      const fs = new FaultyFileSystem();
      fs.crashAt = crashAt;
      const model = newModel();
      expect(() => script(fs, model), context).toThrow(SimulatedCrash);
      fs.crash({ processOnly: true });
      const first = Journal.open(fs, DIR, { firstSegment: model.firstSegment });
      const appended = model.appended.filter((r) => r.segment >= model.firstSegment).map((r) => r.payload);
      // The page cache kept every write, so only records still in the dead process's buffer are missing.
      expectRecords(first.records, appended.slice(0, first.records.length), context);
      fs.crash();
      expectRecords(Journal.open(fs, DIR, { firstSegment: model.firstSegment }).records, first.records, context);
    }
  });
});
