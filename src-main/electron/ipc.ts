/**
 * The main-process end of the IPC transport: one `ipcMain.handle` per API method and a push of every
 * API event to a window.
 *
 * Invariants:
 * - a call is answered only for a sender frame `isTrustedSender` accepts (the app's own pages); any
 *   other frame (a foreign page that got loaded somehow, a subframe, a destroyed frame) gets
 *   `unauthorized` and the API is not touched;
 * - handlers never throw: every answer is an ApiResponse (see shared/api-dispatch.ts), so the renderer
 *   gets error codes, not Electron's generic "Error invoking remote method" text;
 * - events go to a WebContents only while it is alive; its subscription ends when it is destroyed.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { API_METHODS, type ApiResponse, type SynodApi, type SynodEvent } from '../../shared/api';
import { dispatchApiCall } from '../../shared/api-dispatch';
import { apiChannel, EVENT_CHANNEL } from '../../shared/ipc';

export type SenderCheck = (frame: WebFrameMain | null) => boolean;

/** Registers every API method's handler; returns a function that removes them all. */
export function registerApiHandlers(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, api: SynodApi, isTrustedSender: SenderCheck): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(apiChannel(method), async (event: IpcMainInvokeEvent, rawArgs: unknown): Promise<ApiResponse<unknown>> => {
      if (!isTrustedSender(event.senderFrame)) {
        return { error: { code: 'unauthorized', message: `${method}: calls are accepted only from the Synod app's own pages` } };
      }
      return dispatchApiCall(api, method, rawArgs);
    });
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(apiChannel(method));
  };
}

export type EventSink = Pick<WebContents, 'send' | 'isDestroyed' | 'once' | 'removeListener'>;

/** Sends every API event to `contents` on EVENT_CHANNEL until it is destroyed or the returned function is called. */
export function forwardEvents(api: Pick<SynodApi, 'subscribe'>, contents: EventSink): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | null = null;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    contents.removeListener('destroyed', stop);
    // Null while still inside api.subscribe (an event delivered synchronously); handled below.
    unsubscribe?.();
  };
  unsubscribe = api.subscribe((event: SynodEvent) => {
    if (stopped) return;
    // `destroyed` is emitted after the fact: an event can arrive in between, and send() on a
    // destroyed WebContents throws.
    if (contents.isDestroyed()) {
      stop();
      return;
    }
    contents.send(EVENT_CHANNEL, event);
  });
  if (stopped) unsubscribe();
  else contents.once('destroyed', stop);
  return stop;
}
