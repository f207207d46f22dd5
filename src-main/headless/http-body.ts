/**
 * Reading an API request's JSON body with a size limit.
 *
 * Invariants: at most `limit` bytes are ever buffered; a body is accepted only as
 * `Content-Type: application/json`, which a cross-site HTML form cannot send (forms can only send
 * urlencoded, multipart or text/plain), so no "simple" cross-site request ever reaches a method; an
 * empty body means "no argument" (undefined).
 */
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

function tooLarge(limit: number): BodyResult {
  return { ok: false, status: 413, message: `request body exceeds ${limit / 1024} KiB` };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && (header.split(';', 1)[0] ?? '').trim().toLowerCase() === 'application/json';
}

export async function readJsonBody(req: IncomingMessage, limit: number = MAX_BODY_BYTES): Promise<BodyResult> {
  if (!hasBody(req)) return { ok: true, value: undefined };
  if (!isJsonContentType(req.headers['content-type'])) {
    return { ok: false, status: 415, message: 'the request body must be JSON sent as Content-Type: application/json' };
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return tooLarge(limit);

  const text = await new Promise<string | BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: string | BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering and discard the rest (not destroy: the 413 still has to go out on this
        // socket); the caller closes the connection after answering.
        finish(tooLarge(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      finish(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (): void => {
      finish({ ok: false, status: 400, message: 'the request body was not received completely' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
  if (typeof text !== 'string') return text;
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'the request body is not valid JSON' };
  }
}
