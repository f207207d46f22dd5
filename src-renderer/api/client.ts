/**
 * The renderer's one way to reach the node: `connectApi()` returns a SynodApi and picks the
 * transport, so components never know which one is underneath.
 * - In the desktop app the preload has exposed `window.synod` (a SynodBridge): use IPC.
 * - Otherwise the page was served by a headless node's HTTP bridge, which injected the access token
 *   as `<meta name="synod-token">`: use HTTP against the page's own origin.
 */
import type { SynodApi } from '../../shared/api';
import { httpClient } from './http-client';
import { ipcClient } from './ipc-client';

export const TOKEN_META_NAME = 'synod-token';

export function connectApi(win: Window = window): SynodApi {
  const bridge = win.synod;
  if (bridge !== undefined) return ipcClient(bridge);
  // Without a token every call fails with the bridge's clear `unauthorized` message; better than
  // failing here, before the dashboard can show anything.
  const token = win.document.querySelector(`meta[name="${TOKEN_META_NAME}"]`)?.getAttribute('content') ?? '';
  return httpClient(win.location.origin, token);
}
