/**
 * What a cluster secret must be, in one place for every boundary that sees one: the API (validate.ts),
 * the key derivation (src-main/net/keys.ts) and the synod-node command line. One rule, so a secret that
 * one of them accepts is never refused by another (a join that passes validation and then cannot derive
 * its keys would leave the node unable to start).
 *
 * Lengths count Unicode code points, never UTF-16 units: "😀" is one character, not two. The secret must
 * be well-formed text: HKDF reads it as UTF-8, where every lone surrogate becomes U+FFFD, so two
 * different ill-formed secrets could silently give the same keys.
 */
import { codePointCount, isWellFormed } from './text';

export const MIN_SECRET_CHARACTERS = 8;
export const MAX_SECRET_CHARACTERS = 512;

/** What is wrong with `secret`, as words that follow "the cluster secret", or null when it is fine. */
export function clusterSecretProblem(secret: string): string | null {
  if (!isWellFormed(secret)) return 'is not valid Unicode text (it holds a lone UTF-16 surrogate)';
  const characters = codePointCount(secret);
  if (characters < MIN_SECRET_CHARACTERS) return `must be at least ${MIN_SECRET_CHARACTERS} characters long (got ${characters})`;
  if (characters > MAX_SECRET_CHARACTERS) return `must be at most ${MAX_SECRET_CHARACTERS} characters long (got ${characters})`;
  return null;
}
