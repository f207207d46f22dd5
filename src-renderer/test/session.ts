/** Starts a Session on a fake node for a component test; call the returned `stop` after the test. */
import { Session } from '../app/session.svelte';
import type { FakeApi } from './fake-api';

export function startSession(api: FakeApi): { session: Session; stop: () => void } {
  const session = new Session(api);
  const stop = session.start();
  return { session, stop };
}
