/** Times in the recording's words: a clock time to the millisecond, and spans between two times. */

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

/** `14:03:07.215` (the locale's order and separators). */
export function clockTime(ms: number): string {
  return clock.format(ms);
}

/** A span for people: `420 ms`, `8.2 s`, `2 min 03 s`. Never negative. */
export function formatSpan(ms: number): string {
  const span = Math.max(0, Math.round(ms));
  if (span < 1_000) return `${span} ms`;
  if (span < 60_000) return `${(span / 1_000).toFixed(span < 10_000 ? 1 : 0)} s`;
  const seconds = Math.floor(span / 1_000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}
