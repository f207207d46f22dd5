import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../../shared/api';
import { KEEP_MAX, KEEP_MS, TraceRecorder, type ObservedMessage } from './trace-recorder.svelte';

function msg(at: number, overrides: Partial<ObservedMessage> = {}): ObservedMessage {
  return { at, direction: 'out', from: 'a', to: 'b', type: 'accept', slot: 1, ...overrides };
}

describe('TraceRecorder', () => {
  it('keeps five minutes and at most 50,000 messages by default', () => {
    const recorder = new TraceRecorder();
    expect([recorder.keepMs, recorder.keepMax]).toEqual([KEEP_MS, KEEP_MAX]);
    expect(KEEP_MS).toBe(300_000);
  });

  it('drops what is older than the age bound before the newest message, and says up to when it lost', () => {
    const recorder = new TraceRecorder({ keepMs: 1_000 });
    recorder.record([msg(0), msg(500)]);
    expect(recorder.startedAt).toBe(0);
    expect(recorder.lostBefore).toBeNull();

    recorder.record([msg(1_200), msg(1_400)]);

    expect(recorder.messages.map((m) => m.at)).toEqual([500, 1_200, 1_400]);
    expect(recorder.lostBefore).toBe(0);
    expect(recorder.startedAt).toBe(0);
  });

  it('keeps at most the count bound, the newest', () => {
    const recorder = new TraceRecorder({ keepMax: 3 });
    recorder.record([msg(1), msg(2)]);
    recorder.record([msg(3), msg(4), msg(5)]);

    expect(recorder.messages.map((m) => m.at)).toEqual([3, 4, 5]);
    expect(recorder.lostBefore).toBe(2);
    // One huge batch is cut too.
    recorder.record(Array.from({ length: 10 }, (_, i) => msg(10 + i)));
    expect(recorder.messages.map((m) => m.at)).toEqual([17, 18, 19]);
  });

  it('refuses limits that are not positive', () => {
    expect(() => new TraceRecorder({ keepMax: 0 })).toThrow(RangeError);
    expect(() => new TraceRecorder({ keepMs: -1 })).toThrow(RangeError);
  });

  it('numbers messages in arrival order and keeps them sorted by time when a merged feed is out of order', () => {
    const recorder = new TraceRecorder();
    recorder.record([msg(10), msg(20)]);
    recorder.record([msg(15, { observer: 'b', direction: 'in' }), msg(5, { observer: 'c' })]);

    expect(recorder.messages.map((m) => [m.at, m.serial])).toEqual([
      [5, 4],
      [10, 1],
      [15, 3],
      [20, 2],
    ]);
    // Equal times keep their arrival order.
    recorder.record([msg(20, { type: 'accepted' }), msg(20, { type: 'commit' })]);
    expect(recorder.messages.slice(-3).map((m) => m.type)).toEqual(['accept', 'accepted', 'commit']);
  });

  it('knows who saw each message: as given, else the sender of an out and the receiver of an in', () => {
    const recorder = new TraceRecorder();
    const trace: TraceMessage[] = [msg(1), msg(2, { direction: 'in', from: 'b', to: 'a' })];
    recorder.record([...trace, msg(3, { observer: 'c', direction: 'in', from: 'a', to: 'c' })]);

    expect(recorder.messages.map((m) => m.observer)).toEqual(['a', 'a', 'c']);
  });

  it('marks pings and commits that repeat their link commit index as heartbeats', () => {
    const recorder = new TraceRecorder();
    recorder.record([
      msg(1, { type: 'ping', slot: 9 }),
      msg(2, { type: 'commit', slot: 9 }),
      msg(3, { type: 'commit', slot: 9 }),
      msg(4, { type: 'commit', slot: 10 }),
      msg(5, { type: 'commitAck', direction: 'in', from: 'b', to: 'a', slot: 10 }),
      msg(6, { type: 'commitAck', direction: 'in', from: 'b', to: 'a', slot: 10 }),
      // Another link, or the same link seen by another observer, has its own memory.
      msg(7, { type: 'commit', to: 'c', slot: 10 }),
      msg(8, { type: 'commit', slot: 10, observer: 'b', direction: 'in' }),
      msg(9, { type: 'accept', slot: 10 }),
    ]);

    expect(recorder.messages.map((m) => m.heartbeat)).toEqual([true, false, true, false, false, true, false, false, false]);
  });
});
