import { describe, expect, it } from 'vitest';
import { PAIR_WINDOW_MS, oneSidePerMessage } from './pairing';
import { TraceRecorder, type ObservedMessage } from './trace-recorder.svelte';

function out(at: number, overrides: Partial<ObservedMessage> = {}): ObservedMessage {
  return { at, direction: 'out', from: 'a', to: 'b', type: 'accept', slot: 4, ballot: { round: 2, node: 'a' }, ...overrides };
}

function arrival(at: number, overrides: Partial<ObservedMessage> = {}): ObservedMessage {
  return out(at, { direction: 'in', ...overrides });
}

/** Each recorded message as `at direction`, with `echo` and `dropped` when set. */
function shown(recorder: TraceRecorder): string[] {
  return recorder.messages.map((m) => `${m.at} ${m.direction}${m.echo ? ' echo' : ''}${m.dropped === true ? ' dropped' : ''}`);
}

describe('pairing the two copies of a message', () => {
  it('leaves one member’s own trace alone', () => {
    const recorder = new TraceRecorder();
    recorder.record([out(1), arrival(2, { from: 'b', to: 'a', type: 'accepted' }), out(3, { from: 'a', to: 'b', type: 'accepted' })]);

    expect(shown(recorder)).toEqual(['1 out', '2 in', '3 out']);
    expect(oneSidePerMessage(recorder.messages)).toBe(recorder.messages);
  });

  it('marks the copy recorded second, whichever side it is', () => {
    const recorder = new TraceRecorder();
    recorder.record([out(10)]); // this node's send, at once
    recorder.record([arrival(11), arrival(20, { from: 'c', to: 'b' })]); // the receiver's, a poll later
    recorder.record([out(19, { to: 'b', from: 'c' })]); // and a send whose arrival came first

    expect(shown(recorder)).toEqual(['10 out', '11 in echo', '19 out echo', '20 in']);
    expect(oneSidePerMessage(recorder.messages).map((m) => m.at)).toEqual([10, 20]);
  });

  it('pairs repeated heartbeats one to one, in order, and tolerates a receiver clock slightly behind', () => {
    const commit = { type: 'commit' as const, slot: 9 };
    const recorder = new TraceRecorder();
    recorder.record([out(100, commit), arrival(99, commit), out(200, commit), arrival(201, commit), out(300, commit)]);

    expect(shown(recorder)).toEqual(['99 in echo', '100 out', '200 out', '201 in echo', '300 out']);
  });

  it('does not pair an arrival with a send too long before it, nor two copies of one member', () => {
    const recorder = new TraceRecorder();
    recorder.record([out(0), arrival(PAIR_WINDOW_MS + 1)]);
    recorder.record([out(50_000, { observer: 'b' }), arrival(50_001, { observer: 'b' })]);

    expect(recorder.messages.filter((m) => m.echo)).toEqual([]);
  });

  it('shows a message dropped on arrival as dropped, whichever copy came first', () => {
    const recorder = new TraceRecorder();
    recorder.record([out(10)]);
    recorder.record([arrival(11, { dropped: true })]);
    recorder.record([arrival(31, { dropped: true, slot: 5 })]);
    recorder.record([out(30, { slot: 5 })]);

    expect(shown(recorder)).toEqual(['10 out dropped', '11 in echo dropped', '30 out echo', '31 in dropped']);
  });
});
