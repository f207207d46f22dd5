/**
 * Preload script (built as CommonJS: sandboxed preloads cannot be ES modules).
 * Exposes the typed `SynodApi` from shared/api.ts to the renderer as
 * `window.synod`. Never expose ipcRenderer itself or any Node API.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IpcChannel, SYNOD_API_KEY, type SynodApi } from '../shared/api';

const api: SynodApi = {
  version: () => ipcRenderer.invoke(IpcChannel.version) as Promise<string>,
};

contextBridge.exposeInMainWorld(SYNOD_API_KEY, api);
