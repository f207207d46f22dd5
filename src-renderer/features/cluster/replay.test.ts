import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TraceRecorder, type ObservedMessage } from '../recording/trace-recorder.svelte';
import { ReplayController, TICK_MS, type Speed } from './replay.svelte';
import type { Flight } from './trace-animator.svelte';

function msg(at: number, overrides: Partial<ObservedMessage> = {}): ObservedMessage {
  return { at, direction: 'out', from: 'a', to: 'b', type: 'accept', slot: 1, ...overrides };
}

let recorder: TraceRecorder;
let launched: Flight[][];
let replay: ReplayController;

beforeEach(() => {
  vi.useFakeTimers();
  recorder = new TraceRecorder();
  launched = [];
  replay = new ReplayController(() => recorder.messages, { now: () => Date.now(), onLaunch: (flights) => launched.push([...flights]) });
});

afterEach(() => {
  replay.dispose();
  vi.useRealTimers();
});

/** Times of the launched messages, and how long after "now" each dot sets off. */
function launchedAts(): number[] {
  return launched.flat().map((flight) => flight.message.at);
}

describe('ReplayController', () => {
  it('is live until paused, then stands at the newest message', () => {
    recorder.record([msg(1_000), msg(2_000), msg(3_000)]);
    expect(replay.mode).toBe('live');
    expect(replay.shown).toBe(3_000);
    expect(replay.passed).toBe(3);

    replay.pause();
    recorder.record([msg(4_000)]);

    expect(replay.mode).toBe('replay');
    expect(replay.playing).toBe(false);
    expect(replay.shown).toBe(3_000);
    expect(replay.passed).toBe(3);
    expect(replay.end).toBe(4_000);
  });

  it('does nothing on an empty recording', () => {
    replay.pause();
    replay.seek(10);
    replay.stepPrevious();
    expect(replay.mode).toBe('live');
    expect(replay.shown).toBeNull();
  });

  it('plays at 1×, 1/10 and 1/100, launching each message as the position passes it', () => {
    recorder.record([msg(1_000), msg(1_010), msg(1_100), msg(2_000), msg(9_000)]);
    replay.seek(1_000); // the start: before the first message
    expect(replay.passed).toBe(0);

    const playFor = (speed: Speed, ms: number): void => {
      replay.setSpeed(speed);
      replay.play();
      vi.advanceTimersByTime(ms);
      replay.pause();
    };

    playFor(0.01, 1_000); // 10 ms of recording
    expect(replay.shown).toBe(1_010);
    expect(launchedAts()).toEqual([1_000, 1_010]);

    playFor(0.1, 1_000); // 100 ms more
    expect(replay.shown).toBe(1_110);
    expect(launchedAts()).toEqual([1_000, 1_010, 1_100]);

    playFor(1, 1_000); // a second more
    expect(replay.shown).toBe(2_110);
    expect(launchedAts()).toEqual([1_000, 1_010, 1_100, 2_000]);
  });

  it('gives each dot the moment its message would have been passed, at the speed played', () => {
    recorder.record([msg(1_000), msg(1_001), msg(1_004)]);
    replay.seek(1_000);
    replay.setSpeed(0.01);
    replay.play();
    const start = Date.now();
    vi.advanceTimersByTime(TICK_MS * 10); // 5 ms of recording, in two ticks' worth of launches

    const born = launched.flat().map((f) => f.born - start);
    // 1,000 at once, 1,001 100 ms later, 1,004 400 ms later (1/100 speed).
    expect(born).toEqual([0, 100, 400]);
  });

  it('pauses at the end, and plays the recording again from the start', () => {
    recorder.record([msg(1_000), msg(1_500)]);
    replay.seek(1_400);
    replay.play();
    vi.advanceTimersByTime(1_000);
    expect(replay.playing).toBe(false);
    expect(replay.shown).toBe(1_500);
    expect(launchedAts()).toEqual([1_500]);

    replay.play();
    expect(replay.shown).toBe(1_000);
    expect(replay.passed).toBe(0);
    vi.advanceTimersByTime(TICK_MS);
    expect(launchedAts()).toEqual([1_500, 1_000]);
  });

  it('steps one message at a time, even among messages of the same millisecond, and pauses', () => {
    recorder.record([msg(1_000, { to: 'b' }), msg(1_000, { to: 'c' }), msg(1_200, { type: 'accepted', from: 'b', to: 'a' })]);
    replay.seek(900);
    replay.play();
    replay.stepNext();
    expect(replay.playing).toBe(false);
    expect([replay.shown, replay.passed, replay.current?.to]).toEqual([1_000, 1, 'b']);

    replay.stepNext();
    expect([replay.shown, replay.passed, replay.current?.to]).toEqual([1_000, 2, 'c']);
    replay.stepNext();
    expect([replay.shown, replay.passed, replay.current?.type]).toEqual([1_200, 3, 'accepted']);
    replay.stepNext(); // nothing after the last
    expect(replay.passed).toBe(3);

    replay.stepPrevious();
    expect([replay.shown, replay.passed, replay.current?.to]).toEqual([1_000, 2, 'c']);
    replay.stepPrevious();
    expect([replay.shown, replay.passed, replay.current?.to]).toEqual([1_000, 1, 'b']);
    replay.stepPrevious();
    expect([replay.passed, replay.current]).toEqual([0, null]);
    replay.stepPrevious();
    expect(replay.passed).toBe(0);

    // Each step sets its message flying; a step back before the first has nothing to show.
    expect(launched.map((flights) => flights.map((f) => `${f.message.at}>${f.message.to}`))).toEqual([
      ['1000>b'],
      ['1000>c'],
      ['1200>a'],
      ['1000>c'],
      ['1000>b'],
    ]);
  });

  it('steps back from live to the message before the newest', () => {
    recorder.record([msg(1_000), msg(2_000), msg(3_000)]);
    replay.stepPrevious();
    expect([replay.mode, replay.shown, replay.passed]).toEqual(['replay', 2_000, 2]);
  });

  it('keeps a seek within the recording and goes on playing from there', () => {
    recorder.record([msg(1_000), msg(5_000)]);
    replay.seek(-50);
    expect(replay.shown).toBe(1_000);
    replay.seek(99_999);
    expect(replay.shown).toBe(5_000);

    replay.seek(2_000);
    replay.play();
    vi.advanceTimersByTime(500);
    replay.seek(4_000);
    vi.advanceTimersByTime(500);
    expect(replay.playing).toBe(true);
    expect(replay.shown).toBe(4_500);
  });

  it('hides heartbeats and pings if asked (the default), keeping the position', () => {
    recorder.record([
      msg(1_000, { type: 'commit', slot: 5 }),
      msg(1_100, { type: 'ping' }),
      msg(1_200, { type: 'commit', slot: 5 }),
      msg(1_300, { type: 'accept', slot: 6 }),
    ]);
    expect(replay.hideHeartbeats).toBe(true);
    expect(replay.visible.map((m) => m.at)).toEqual([1_000, 1_300]);

    replay.seek(1_250);
    expect(replay.passed).toBe(1);
    replay.hideHeartbeats = false;
    flushSync();
    expect(replay.visible.map((m) => m.at)).toEqual([1_000, 1_100, 1_200, 1_300]);
    expect([replay.shown, replay.passed]).toEqual([1_250, 3]);
  });

  it('counts the hidden messages behind the position too, up to the one a step showed', () => {
    recorder.record([
      msg(1_000, { type: 'commit', slot: 5 }),
      msg(1_100, { type: 'ping' }), // hidden
      msg(1_300, { type: 'accept', slot: 6, to: 'b' }),
      msg(1_300, { type: 'ping' }), // hidden, at the same millisecond as the accepts
      msg(1_300, { type: 'accept', slot: 6, to: 'c' }),
    ]);
    expect(replay.recordedPassed).toBe(5); // live: all of it

    replay.seek(1_200);
    expect([replay.passed, replay.recordedPassed]).toEqual([1, 2]);
    replay.stepNext(); // the accept to b, and nothing recorded after it
    expect([replay.passed, replay.recordedPassed]).toEqual([2, 3]);
    replay.stepNext();
    expect([replay.passed, replay.recordedPassed]).toEqual([3, 5]);
    replay.seek(1_300); // the whole millisecond
    expect(replay.recordedPassed).toBe(5);
    replay.seek(0); // the start: before the first message
    expect([replay.passed, replay.recordedPassed]).toEqual([0, 0]);
  });

  it('returns to live, stopping playback', () => {
    recorder.record([msg(1_000), msg(60_000)]);
    replay.seek(1_000);
    replay.play();
    replay.live();
    vi.advanceTimersByTime(5_000);

    expect([replay.mode, replay.playing, replay.shown]).toEqual(['live', false, 60_000]);
    expect(launched).toEqual([]);
    // In live mode Play means nothing; Pause (togglePlay) freezes.
    replay.play();
    expect(replay.mode).toBe('live');
    replay.togglePlay();
    expect([replay.mode, replay.playing]).toEqual(['replay', false]);
    replay.togglePlay();
    expect(replay.playing).toBe(true);
  });
});
