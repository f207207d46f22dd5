/**
 * A SynodApi that answers every call with `unavailable` and never emits an event: what the desktop
 * window talks to until the shell hosts a replica in the main process. Keeps the IPC path complete
 * (and testable end to end) without pretending there is a node.
 */
import { ApiError, type SynodApi } from '../../shared/api';
import { buildApi } from '../../shared/api-build';

export function unavailableApi(reason: string): SynodApi {
  return buildApi(
    (method) => Promise.reject(new ApiError({ code: 'unavailable', message: `${method}: ${reason}` })),
    () => () => {},
  );
}
