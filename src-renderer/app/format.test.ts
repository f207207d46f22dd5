import { describe, expect, it } from 'vitest';
import { formatAgo, formatTime, isoTime } from './format';

describe('formatAgo', () => {
  it('says how long ago in words', () => {
    expect(formatAgo(null)).toBe('never');
    expect(formatAgo(400)).toBe('just now');
    expect(formatAgo(2_000)).toBe('2 s ago');
    expect(formatAgo(119_000)).toBe('119 s ago');
    expect(formatAgo(5 * 60_000)).toBe('5 min ago');
    expect(formatAgo(3 * 3_600_000)).toBe('3 h ago');
    expect(formatAgo(3 * 86_400_000)).toBe('3 days ago');
  });
});

describe('formatTime and isoTime', () => {
  it('shows the time alone today and the date otherwise', () => {
    const now = new Date(2025, 0, 15, 18, 0).getTime();
    const today = new Date(2025, 0, 15, 9, 5).getTime();
    const earlier = new Date(2024, 11, 31, 9, 5).getTime();
    expect(formatTime(today, now)).not.toMatch(/2025/);
    expect(formatTime(earlier, now)).toMatch(/2024/);
    expect(isoTime(Date.UTC(2025, 0, 15))).toBe('2025-01-15T00:00:00.000Z');
    expect(isoTime(Number.NaN)).toBe('');
  });
});
