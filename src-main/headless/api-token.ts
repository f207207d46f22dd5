/**
 * The API token of a headless node, kept in its data directory so that it survives restarts: an open
 * dashboard and every script keep working after `synod-node` restarts, and `npm run node` prints the
 * same URL every time. Made once (24 random bytes, base64url), written atomically and durably, private
 * to its owner (0600, atomic-file.ts). A token given with --token / SYNOD_TOKEN is used instead and
 * never written. Deleting the file makes a new token at the next start (old URLs stop working).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../node/atomic-file';
import { checkToken } from './http-guard';

export const API_TOKEN_FILE = 'api-token';

export interface StoredToken {
  readonly token: string;
  /** Whether this start made it (the URL changed). */
  readonly created: boolean;
  readonly path: string;
}

/** The token kept in `dataDir`, made and saved first if there is none. Throws, saying what to do, on a file that holds no valid token. */
export function storedApiToken(dataDir: string): StoredToken {
  const path = join(dataDir, API_TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    try {
      checkToken(token);
    } catch {
      throw new Error(`${path} does not hold a valid API token (16 to 512 characters from A-Z a-z 0-9 . _ ~ -): delete it and a new one is made at the next start`);
    }
    return { token, created: false, path };
  }
  const token = randomBytes(24).toString('base64url');
  writeFileAtomically(path, `${token}\n`);
  return { token, created: true, path };
}
