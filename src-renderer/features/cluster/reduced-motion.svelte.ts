/** Whether the user asked for reduced motion (live), false where media queries are unavailable. */
import { MediaQuery } from 'svelte/reactivity';

export function reducedMotion(): { readonly current: boolean } {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return { current: false };
  return new MediaQuery('(prefers-reduced-motion: reduce)', false);
}
