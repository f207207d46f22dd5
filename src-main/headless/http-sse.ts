/**
 * The API's event stream over HTTP as Server-Sent Events: one `data: <json>` message per SynodEvent,
 * and a `: keepalive` comment every `keepaliveMs` so proxies and the client notice a dead connection.
 *
 * Invariants: the API subscription lives exactly as long as the response (it ends when the client
 * disconnects, when `close()` is called, or when the client reads too slowly to keep up: then the
 * connection is dropped rather than buffering without bound, and the client reconnects).
 */
import type { ServerResponse } from 'node:http';
import type { SynodApi, SynodEvent } from '../../shared/api';
import { SECURITY_HEADERS } from './http-response';

export const KEEPALIVE_MS = 15_000;
/** Unsent bytes beyond which a client counts as stuck. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface EventStream {
  /** Ends the stream (server shutdown). */
  close(): void;
}

export function serveEvents(res: ServerResponse, api: Pick<SynodApi, 'subscribe'>, keepaliveMs: number = KEEPALIVE_MS): EventStream {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    // Tells reverse proxies (nginx) not to buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  // Sends the headers now, so the client's fetch() resolves before the first event.
  res.write(': connected\n\n');

  const write = (text: string): void => {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
      return;
    }
    res.write(text);
  };
  // JSON.stringify escapes newlines, so each event is exactly one data line.
  const unsubscribe = api.subscribe((event: SynodEvent) => {
    write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const keepalive = setInterval(() => {
    write(': keepalive\n\n');
  }, keepaliveMs);
  // A stream left open must not keep the process alive.
  keepalive.unref();

  let open = true;
  const cleanup = (): void => {
    if (!open) return;
    open = false;
    clearInterval(keepalive);
    unsubscribe();
  };
  res.on('close', cleanup);
  return {
    close() {
      cleanup();
      res.end();
    },
  };
}
