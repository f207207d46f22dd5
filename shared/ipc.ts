/**
 * The Electron IPC contract between the preload script and the main process.
 *
 * - One `ipcMain.handle` channel per API method (`synod:api:<method>`), so the main process can
 *   register, trust-check and remove each one separately and a renderer cannot name arbitrary channels.
 * - One push channel for events (`synod:event`), main → renderer only.
 * - `SynodBridge` is what the preload exposes on `window.synod`. Every call resolves with an
 *   `ApiResponse` and never rejects with an ApiError: errors cross contextBridge as plain data, because
 *   Error objects lose their class and fields (`code`, `id`) on the way. The renderer's ipc-client turns
 *   the data back into ApiError.
 *
 * Free of runtime imports from Electron, Node or the DOM (the preload bundles it).
 */
import type { ApiMethodName, ApiMethods, ApiResponse, SynodEvent } from './api';

export const API_CHANNEL_PREFIX = 'synod:api:';
export const EVENT_CHANNEL = 'synod:event';

export function apiChannel(method: ApiMethodName): string {
  return API_CHANNEL_PREFIX + method;
}

/** The bridge's call for one method: same arguments as SynodApi, the response as data. */
export type BridgeCall<M extends ApiMethodName> = ApiMethods[M]['args'] extends void
  ? () => Promise<ApiResponse<ApiMethods[M]['result']>>
  : (args: ApiMethods[M]['args']) => Promise<ApiResponse<ApiMethods[M]['result']>>;

export type SynodBridge = { readonly [M in ApiMethodName]: BridgeCall<M> } & {
  /** Calls `listener` with every event the main process pushes, until the returned function is called. */
  onEvent(listener: (event: SynodEvent) => void): () => void;
};
