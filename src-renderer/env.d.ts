/// <reference types="svelte" />
/// <reference types="vite/client" />

import type { SynodBridge } from '../shared/ipc';

declare global {
  interface Window {
    /** Exposed by src-main/preload.ts via contextBridge in the desktop app; absent in a browser. */
    readonly synod?: SynodBridge;
  }
}
