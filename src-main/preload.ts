/**
 * Preload script (built as one CommonJS file: sandboxed preloads cannot be ES modules or load local
 * modules, so everything it imports from shared/ is bundled in).
 *
 * Exposes a `SynodBridge` (shared/ipc.ts) as `window.synod`: one function per API method, each a
 * single `ipcRenderer.invoke` on that method's channel, plus `onEvent`. Invariants:
 * - the renderer never gets ipcRenderer, an IpcRendererEvent, or any Node/Electron object, only
 *   plain data and functions defined here;
 * - calls always resolve with an ApiResponse (errors as data, since Error objects lose their fields
 *   crossing contextBridge), even when the IPC itself fails.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { SYNOD_API_KEY, type ApiMethodName, type ApiResponse, type SynodEvent } from '../shared/api';
import { methodTable } from '../shared/api-build';
import { apiChannel, EVENT_CHANNEL, type SynodBridge } from '../shared/ipc';

async function invoke(method: ApiMethodName, args: unknown): Promise<ApiResponse<unknown>> {
  try {
    return (await ipcRenderer.invoke(apiChannel(method), args)) as ApiResponse<unknown>;
  } catch (error) {
    // No handler registered (the node is still starting or has stopped) or the arguments could not be
    // cloned: say so as data instead of rejecting with an Error that arrives stripped.
    const reason = error instanceof Error ? error.message : String(error);
    return { error: { code: 'unavailable', message: `${method}: the Synod node did not answer (${reason})` } };
  }
}

function onEvent(listener: (event: SynodEvent) => void): () => void {
  // Wrapped so the renderer sees only the event data, never the IpcRendererEvent (which holds `sender`,
  // i.e. ipcRenderer itself).
  const forward = (_event: IpcRendererEvent, data: SynodEvent): void => {
    listener(data);
  };
  ipcRenderer.on(EVENT_CHANNEL, forward);
  return () => {
    ipcRenderer.removeListener(EVENT_CHANNEL, forward);
  };
}

const bridge = { ...methodTable(invoke), onEvent } as SynodBridge;

contextBridge.exposeInMainWorld(SYNOD_API_KEY, bridge);
