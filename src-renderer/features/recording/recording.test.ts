import { flushSync } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../../shared/api';
import { Session, TRACE_KEPT } from '../../app/session.svelte';
import { FakeApi, makeStatus } from '../../../test/support/renderer/fake-api';
import { recordingFor } from './recording.svelte';

let session: Session;

beforeEach(async () => {
  const api = new FakeApi();
  api.statusValue = makeStatus({ id: 'alice' });
  session = new Session(api);
  await session.refreshStatus();
});

function msg(at: number, overrides: Partial<TraceMessage> = {}): TraceMessage {
  return { at, direction: 'out', from: 'alice', to: 'bob', type: 'accept', slot: 3, ...overrides };
}

describe('recordingFor', () => {
  it('is one recording per session', () => {
    expect(recordingFor(session)).toBe(recordingFor(session));
    expect(recordingFor(new Session(new FakeApi()))).not.toBe(recordingFor(session));
  });

  it('records what the session already holds, then each new trace event once', () => {
    session.receive({ type: 'trace', messages: [msg(1), msg(2)] });
    const recording = recordingFor(session);
    flushSync();
    expect(recording.recorder.messages.map((m) => m.at)).toEqual([1, 2]);

    session.receive({ type: 'trace', messages: [msg(3)] });
    session.receive({ type: 'trace', messages: [msg(4), msg(5)] });
    flushSync();
    expect(recording.recorder.messages.map((m) => m.at)).toEqual([1, 2, 3, 4, 5]);
    recording.dispose();
  });

  it('records everything the session kept when more arrived between two looks than it keeps', () => {
    const recording = recordingFor(session);
    session.receive({ type: 'trace', messages: [msg(1)] });
    flushSync();
    session.receive({ type: 'trace', messages: Array.from({ length: TRACE_KEPT + 5 }, (_, i) => msg(10 + i)) });
    flushSync();

    expect(recording.recorder.messages).toHaveLength(1 + TRACE_KEPT);
    expect(recording.recorder.messages[1]?.at).toBe(15);
    recording.dispose();
  });

  it('records a merged trace except what this node saw itself (its own events have it)', () => {
    const recording = recordingFor(session);
    recording.recordMerged([
      { ...msg(1), observer: 'alice' },
      { ...msg(1, { direction: 'in' }), observer: 'bob' },
      { ...msg(2, { from: 'bob', to: 'cyd', type: 'accepted', direction: 'out' }) },
    ]);

    expect(recording.recorder.messages.map((m) => [m.observer, m.direction, m.from, m.to])).toEqual([
      ['bob', 'in', 'alice', 'bob'],
      ['bob', 'out', 'bob', 'cyd'],
    ]);
    recording.dispose();
  });

  it('stops following the session when disposed', () => {
    const recording = recordingFor(session);
    recording.dispose();
    session.receive({ type: 'trace', messages: [msg(1)] });
    flushSync();
    expect(recording.recorder.messages).toHaveLength(0);
  });
});
