/**
 * The SynodApi over Electron IPC: wraps the preload's `window.synod` bridge (shared/ipc.ts), whose
 * calls answer with ApiResponse data, and turns error data back into thrown ApiErrors.
 *
 * Invariant: every call resolves with the result or rejects with an ApiError, even if the bridge
 * itself misbehaves (rejects, or answers something that is not an ApiResponse).
 */
import { ApiError, type ApiMethodName, type SynodApi } from '../../shared/api';
import { buildApi } from '../../shared/api-build';
import { unwrapResponse } from '../../shared/api-wire';
import type { SynodBridge } from '../../shared/ipc';

export function ipcClient(bridge: SynodBridge): SynodApi {
  // Each bridge call takes at most one argument; void methods ignore the `undefined` they get.
  const calls = bridge as unknown as Readonly<Record<ApiMethodName, (args: unknown) => Promise<unknown>>>;
  return buildApi(
    async (method, args) => {
      let response: unknown;
      try {
        response = await calls[method](args);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ApiError({ code: 'unavailable', message: `${method}: the app's bridge failed (${reason})` });
      }
      return unwrapResponse(response, method);
    },
    (listener) => bridge.onEvent(listener),
  );
}
