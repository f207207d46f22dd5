/** Small, pure formatting helpers shared by the pages. */

/** "last heard 2 s ago" style: how long ago, in words, from a duration in ms (null: never). */
export function formatAgo(ms: number | null): string {
  if (ms === null) return 'never';
  if (ms < 1_000) return 'just now';
  const seconds = Math.round(ms / 1_000);
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp (ms) for display: the time of day when it is today, else date and time. */
export function formatTime(at: number, now: number = Date.now()): string {
  const date = new Date(at);
  const today = new Date(now);
  const sameDay = date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth() && date.getDate() === today.getDate();
  return sameDay ? timeOfDay.format(date) : dateAndTime.format(date);
}

/** A timestamp as an ISO string, for `<time datetime>`; empty when it is not a valid time. */
export function isoTime(at: number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
