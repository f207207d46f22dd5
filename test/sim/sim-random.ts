/** Conveniences over the core's seeded RandomSource for the simulator's own choices. */
import { randomInt, type RandomSource } from '../../src-main/core/random';

export class SimRandom {
  constructor(readonly source: RandomSource) {}

  float(): number {
    return this.source.next();
  }

  int(maxExclusive: number): number {
    return randomInt(this.source, maxExclusive);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.source.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** A random subset, each item kept with probability 1/2. */
  subset<T>(items: readonly T[]): T[] {
    return items.filter(() => this.chance(0.5));
  }
}
