/** Chart series from the session's history samples (about one a second). */
import type { HistorySample } from '../../app/session.svelte';

export interface SeriesPoint {
  /** Wall-clock ms. */
  readonly at: number;
  /** Null for a gap (no measurement). */
  readonly value: number | null;
}

/** Commands applied per second, from consecutive samples; a counter that went back (a restart) is a gap. */
export function throughputSeries(history: readonly HistorySample[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let i = 1; i < history.length; i++) {
    const previous = history[i - 1];
    const sample = history[i];
    if (previous === undefined || sample === undefined) continue;
    const seconds = (sample.at - previous.at) / 1_000;
    if (seconds <= 0) continue;
    const applied = sample.commandsApplied - previous.commandsApplied;
    points.push({ at: sample.at, value: applied < 0 ? null : applied / seconds });
  }
  return points;
}

export function latencySeries(history: readonly HistorySample[]): SeriesPoint[] {
  return history.map((sample) => ({ at: sample.at, value: sample.commitLatencyMs }));
}

/** A round axis maximum at or above `value`: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export interface SeriesSummary {
  readonly latest: number | null;
  readonly peak: number | null;
  readonly average: number | null;
}

export function summarize(points: readonly SeriesPoint[]): SeriesSummary {
  const values = points.map((point) => point.value).filter((value): value is number => value !== null);
  if (values.length === 0) return { latest: null, peak: null, average: null };
  return {
    latest: points.at(-1)?.value ?? null,
    peak: Math.max(...values),
    average: values.reduce((sum, value) => sum + value, 0) / values.length,
  };
}

/** SVG path data for the series (gaps break the line), scaled into the plot box. */
export function linePath(points: readonly SeriesPoint[], box: { x: number; y: number; width: number; height: number }, span: { from: number; to: number }, max: number): string {
  const duration = Math.max(1, span.to - span.from);
  let path = '';
  let drawing = false;
  for (const point of points) {
    if (point.value === null) {
      drawing = false;
      continue;
    }
    const x = box.x + ((point.at - span.from) / duration) * box.width;
    const y = box.y + box.height - (Math.min(point.value, max) / max) * box.height;
    path += `${drawing ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)} `;
    drawing = true;
  }
  return path.trim();
}
