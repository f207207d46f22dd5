/**
 * Injected randomness. The core never calls Math.random: every random choice (election timeouts)
 * goes through a RandomSource so a seeded source makes a whole cluster run reproducible.
 */
export interface RandomSource {
  /** A uniformly distributed float in [0, 1). */
  next(): number;
}

/** A uniformly distributed integer in [0, maxExclusive). */
export function randomInt(rng: RandomSource, maxExclusive: number): number {
  return Math.floor(rng.next() * maxExclusive);
}

/**
 * sfc32 (Small Fast Counter, Chris Doty-Humphrey): a tiny, well-tested 32-bit PRNG. Deterministic for a
 * given seed on every JS engine, which is what reproducible simulation needs.
 */
export function seededRandom(seed: number): RandomSource {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const step = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes poorly for the first few draws of small seeds.
  for (let i = 0; i < 15; i++) step();
  return { next: step };
}
