/**
 * The user's "reduce motion" setting as a test wants it. jsdom has no matchMedia, so this stubs one that
 * matches the prefers-reduced-motion query when `reduce` is true (the Cluster view then lists messages
 * instead of animating them) and nothing else. Undone by vi.unstubAllGlobals().
 */
import { vi } from 'vitest';

export function stubReducedMotion(reduce: boolean): void {
  vi.stubGlobal(
    'matchMedia',
    vi.fn((query: string) => ({
      matches: reduce && query.includes('prefers-reduced-motion'),
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false,
    })),
  );
}
