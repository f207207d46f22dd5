import { describe, expect, it } from 'vitest';
import { clockTime, formatSpan } from './time';

describe('formatSpan', () => {
  it('says milliseconds, seconds, then minutes and seconds', () => {
    expect(formatSpan(-5)).toBe('0 ms');
    expect(formatSpan(420.4)).toBe('420 ms');
    expect(formatSpan(8_240)).toBe('8.2 s');
    expect(formatSpan(42_000)).toBe('42 s');
    expect(formatSpan(123_000)).toBe('2 min 03 s');
    expect(formatSpan(300_000)).toBe('5 min 00 s');
  });
});

describe('clockTime', () => {
  it('shows the time to the millisecond', () => {
    expect(clockTime(Date.UTC(2025, 0, 15, 12, 0, 7, 215))).toMatch(/07[.,]215/);
  });
});
