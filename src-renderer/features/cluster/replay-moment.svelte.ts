/**
 * The replayed moment the Cluster diagram shows instead of the live status while the user replays:
 * the state the recording tells at the replay's position (replay-state.ts), or null while live.
 *
 * It reads the whole recording up to the position, not only the messages the replay shows, so hiding
 * heartbeats changes which dots fly but not who leads or how far the commit indexes got.
 */
import type { RecordedMessage } from '../recording/trace-recorder.svelte';
import type { ReplayController } from './replay.svelte';
import { ReplayFold, type ReplayState } from './replay-state';

/** The ReplayMoment made last (by the Cluster view shown last), for shownReplayMoment. */
let newest = $state.raw<ReplayMoment | null>(null);

/**
 * The replayed moment the Cluster view made last shows, or null while it is live: the app header reads
 * it to say that what it shows is live. A view that was left keeps the moment it showed, so read it only
 * while the Cluster view is shown.
 */
export function shownReplayMoment(): ReplayState | null {
  return newest?.state ?? null;
}

export class ReplayMoment {
  /**
   * Deliberately not reactive: a cache that lets playback read only the messages passed since the last
   * tick; whatever it holds, `state` equals reading the recording again from its start.
   */
  readonly #fold = new ReplayFold();

  readonly state = $derived.by((): ReplayState | null => {
    const replay = this.replay;
    if (replay.mode === 'live' || replay.shown === null) return null;
    return this.#fold.stateAt(this.recording(), replay.recordedPassed, replay.shown);
  });

  constructor(
    private readonly replay: ReplayController,
    /** The same messages the replay was given. */
    private readonly recording: () => readonly RecordedMessage[],
  ) {
    remember(this);
  }
}

function remember(moment: ReplayMoment): void {
  newest = moment;
}
