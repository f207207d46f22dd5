/** Recorded protocol messages for the tests of the Inspector's story of a slot (slot-story.ts and SlotStory.svelte). */
import type { BallotView } from '../../../shared/api';
import { TraceRecorder, type ObservedMessage } from '../../../src-renderer/features/recording/trace-recorder.svelte';

export const B1A: BallotView = { round: 1, node: 'a' };
export const B2B: BallotView = { round: 2, node: 'b' };

/** A message as its sender traced it (`out`), in a merged recording. */
export function sent(at: number, from: string, to: string, type: ObservedMessage['type'], slot: number, ballot: BallotView | undefined, extra: Partial<ObservedMessage> = {}): ObservedMessage {
  return { at, direction: 'out', from, to, type, slot, ...(ballot === undefined ? {} : { ballot }), ...extra };
}

/** A recorder that holds `messages` in the order they happened, as the dashboard records them. */
export function recorderWith(messages: readonly ObservedMessage[]): TraceRecorder {
  const recorder = new TraceRecorder();
  recorder.record([...messages].sort((x, y) => x.at - y.at));
  return recorder;
}

/**
 * Slot 7 proposed by a at ballot 1.a (its accept to b lost), then, a fallen silent, re-proposed by b at
 * 2.b after learning of it from c's promise, and chosen there: a merged recording of several observers.
 */
export const REPROPOSED: readonly ObservedMessage[] = [
  sent(1_000, 'a', 'b', 'accept', 7, B1A, { dropped: true }),
  sent(1_000, 'a', 'c', 'accept', 7, B1A),
  sent(4_000, 'b', 'c', 'prepare', 6, B2B),
  sent(4_002, 'c', 'b', 'promise', 6, B2B),
  sent(4_010, 'b', 'c', 'accept', 7, B2B),
  sent(4_012, 'c', 'b', 'accepted', 7, B2B),
  sent(4_020, 'b', 'c', 'commit', 7, B2B),
];
