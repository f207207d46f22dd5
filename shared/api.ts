/**
 * The single typed API contract between the Electron main process (exposed to
 * the renderer by the preload script via `contextBridge` as `window.synod`)
 * and the Svelte renderer. Both sides type against this file; keep it free of
 * runtime imports from Electron, Node or the DOM.
 */

/** Name under which the preload script exposes the API on `window`. */
export const SYNOD_API_KEY = 'synod';

/** IPC channels used by the preload to reach the main process. */
export const IpcChannel = {
  version: 'synod:version',
} as const;

export interface SynodApi {
  /** Application version of the running build (from package.json). */
  version(): Promise<string>;
}
