/** The `p`-th percentile (0-100) of `sorted` (ascending): the nearest rank at or below; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}
