/**
 * Which renderer frames may call the API over IPC: only the app's own pages.
 *
 * Production pages are served from the custom protocol `app://synod/` (registered by the desktop
 * shell); `electron-vite dev` serves them from a local dev server instead, which is trusted only when
 * the app is not packaged (a packaged app must never trust an http origin).
 *
 * Invariant: anything unexpected (no frame, a frame whose URL cannot be read or parsed, any other
 * scheme, host or port) is untrusted.
 */
import type { WebFrameMain } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'synod';
/** The prefix of every page URL the app serves itself. The trailing slash pins the host exactly. */
export const APP_URL_PREFIX = `${APP_SCHEME}://${APP_HOST}/`;

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * A sender check accepting `app://synod/…` frames, plus frames of `devServerUrl`'s origin when one is
 * given (pass it only for an unpackaged app).
 */
export function makeSenderCheck(devServerUrl: string | undefined): (frame: WebFrameMain | null) => boolean {
  const devOrigin = devServerUrl === undefined ? null : originOf(devServerUrl);
  return (frame) => {
    if (frame === null) return false;
    let url: string;
    try {
      url = frame.url;
    } catch {
      return false; // a frame destroyed since the message was sent
    }
    if (url.startsWith(APP_URL_PREFIX)) return true;
    return devOrigin !== null && originOf(url) === devOrigin;
  };
}
