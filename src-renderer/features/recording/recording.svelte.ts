/**
 * The dashboard's one recording, shared by the Cluster page (replay, slow motion) and the Inspector
 * (the story of a slot): `recordingFor(session)` returns the same TraceRecording for a session every
 * time, creating it on the first call.
 *
 * Why a module-level store keyed by the Session and not a field of Session: the recording is a feature
 * of two pages, with its own bounds and rules, while Session stays the node's live view that every page
 * shares (and it keeps only the last 300 messages, too few to replay). Keying by the Session (not a
 * global) keeps tests independent: each test's new Session gets a new recording.
 *
 * Feeds: from its creation on, a recording follows `session.trace` (this node's own `trace` events)
 * through an effect root that lives as long as the recording. The cluster-wide merged trace, where it
 * is fetched, goes in through `recordMerged`; it repeats what this node saw itself, which the session
 * feed already recorded, so those observations are left out there. Call `recordingFor(session)` as
 * soon as the dashboard opens (App) so the recording starts then, not when one of the pages is first
 * shown.
 */
import { untrack } from 'svelte';
import type { TraceMessage } from '../../../shared/api';
import type { Session } from '../../app/session.svelte';
import { TraceRecorder, observerOf, type ObservedMessage, type RecorderLimits } from './trace-recorder.svelte';

export class TraceRecording {
  readonly recorder: TraceRecorder;
  #last: TraceMessage | undefined;
  #stop: (() => void) | null;

  constructor(
    private readonly session: Session,
    limits: RecorderLimits = {},
  ) {
    this.recorder = new TraceRecorder(limits);
    this.#stop = $effect.root(() => {
      $effect(() => {
        const trace = session.trace;
        untrack(() => this.#follow(trace));
      });
    });
  }

  /**
   * Records a batch of the cluster-wide merged trace (each observation given once), except what this
   * node observed itself: the session feed has it already.
   */
  recordMerged(batch: readonly ObservedMessage[]): void {
    const self = this.session.status?.id;
    this.recorder.record(self === undefined ? batch : batch.filter((m) => observerOf(m) !== self));
  }

  /** Stops following the session (the recording itself stays readable). */
  dispose(): void {
    this.#stop?.();
    this.#stop = null;
  }

  /**
   * Records what the session's trace holds beyond the message seen last time. The session keeps the
   * last 300 messages and appends whole events; if more than that arrived between two looks, the last
   * seen one is gone and the whole trace is new.
   */
  #follow(trace: readonly TraceMessage[]): void {
    const last = this.#last;
    if (trace.length === 0 || trace.at(-1) === last) return;
    const seen = last === undefined ? -1 : trace.lastIndexOf(last);
    this.#last = trace.at(-1);
    this.recorder.record(trace.slice(seen + 1));
  }
}

const recordings = new WeakMap<Session, TraceRecording>();

export function recordingFor(session: Session): TraceRecording {
  let recording = recordings.get(session);
  if (recording === undefined) {
    recording = new TraceRecording(session);
    recordings.set(session, recording);
  }
  return recording;
}
