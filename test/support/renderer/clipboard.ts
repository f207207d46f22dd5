/** The browser's clipboard as a test wants it, for the test that asks and no longer. */
import { onTestFinished } from 'vitest';

/**
 * Gives `navigator.clipboard` a `writeText` (one that refuses, say), or takes the clipboard away
 * (undefined); the test's end removes the stub again.
 */
export function stubClipboard(writeText: ((text: string) => Promise<void>) | undefined): void {
  Object.defineProperty(navigator, 'clipboard', { value: writeText === undefined ? undefined : { writeText }, configurable: true });
  onTestFinished(() => {
    Reflect.deleteProperty(navigator, 'clipboard');
  });
}
