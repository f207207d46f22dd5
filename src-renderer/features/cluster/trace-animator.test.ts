import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../../shared/api';
import { FLIGHT_MS, MAX_DOTS, TraceAnimator, dotFrame } from './trace-animator.svelte';

const members = new Set(['a', 'b', 'c']);

function msg(at: number, overrides: Partial<TraceMessage> = {}): TraceMessage {
  return { at, direction: 'out', from: 'a', to: 'b', type: 'accept', ...overrides };
}

describe('TraceAnimator', () => {
  it('animates only the messages that arrived since the last look', () => {
    const animator = new TraceAnimator();
    const old = [msg(1), msg(2)];
    animator.ingest(old, 0, true, members);
    expect(animator.dots).toHaveLength(0);

    const next = [...old, msg(3, { type: 'prepare' }), msg(50, { from: 'b', to: 'a', type: 'promise' })];
    animator.ingest(next, 1_000, true, members);
    expect(animator.dots.map((dot) => [dot.kind, dot.born])).toEqual([
      ['prepare', 1_000],
      ['promise', 1_047],
    ]);
    animator.ingest(next, 1_010, true, members);
    expect(animator.dots).toHaveLength(2);
  });

  it('keeps at most MAX_DOTS, the newest, and forgets landed ones', () => {
    const animator = new TraceAnimator();
    animator.ingest([], 0, true, members);
    const burst = Array.from({ length: 200 }, (_, i) => msg(i, { slot: i }));
    animator.ingest(burst, 0, true, members);
    expect(animator.dots).toHaveLength(MAX_DOTS);
    expect(animator.animating).toBe(true);
    animator.tick(10_000);
    expect(animator.dots).toHaveLength(0);
    expect(animator.animating).toBe(false);
  });

  it('skips messages with unknown members and shows none with reduced motion', () => {
    const animator = new TraceAnimator();
    animator.ingest([], 0, true, members);
    animator.ingest([msg(1, { to: 'zed' })], 0, true, members);
    expect(animator.dots).toHaveLength(0);
    animator.ingest([msg(1, { to: 'zed' }), msg(2)], 0, false, members);
    expect(animator.dots).toHaveLength(0);
  });

  it('launches replayed messages at the times given, between known members only', () => {
    const animator = new TraceAnimator();
    animator.launch(
      [
        { message: msg(1), born: 500 },
        { message: msg(2, { to: 'zed' }), born: 510 },
        { message: msg(3, { from: 'b', to: 'b' }), born: 520 },
        { message: msg(4, { type: 'commit', dropped: true }), born: 900 },
      ],
      400,
      members,
    );

    expect(animator.dots.map((dot) => [dot.kind, dot.born, dot.dropped])).toEqual([
      ['accept', 500, false],
      ['commit', 900, true],
    ]);
    expect(animator.now).toBe(400);
    animator.tick(500 + FLIGHT_MS);
    expect(animator.dots.map((dot) => dot.kind)).toEqual(['commit']);
  });

  it('flies a dot from sender to receiver; a dropped one stops halfway and fades under an ×', () => {
    const dot = { id: 1, from: 'a', to: 'b', kind: 'accept', dropped: false, born: 100 } as const;
    expect(dotFrame(dot, 50)).toBeNull();
    expect(dotFrame(dot, 100)).toEqual({ t: 0, opacity: 1, cross: 0 });
    expect(dotFrame(dot, 100 + FLIGHT_MS / 2)?.t).toBeCloseTo(0.5);
    expect(dotFrame(dot, 100 + FLIGHT_MS)).toBeNull();

    const dropped = { ...dot, dropped: true };
    expect(dotFrame(dropped, 100 + FLIGHT_MS * 0.4)?.cross).toBe(0);
    const fading = dotFrame(dropped, 100 + FLIGHT_MS * 0.75);
    expect(fading?.t).toBe(0.5);
    expect(fading?.opacity).toBeCloseTo(0.5);
    expect(fading?.cross).toBeGreaterThan(0);
  });
});
