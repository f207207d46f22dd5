/// <reference types="svelte" />
/// <reference types="vite/client" />

import type { SynodApi } from '../shared/api';

declare global {
  interface Window {
    /** Exposed by src-main/preload.ts via contextBridge. */
    readonly synod: SynodApi;
  }
}
