/**
 * `--profile NAME`: a separate data directory and configuration, so several instances of the app run
 * on one machine (a cluster on one laptop). Each profile has its own single-instance lock, because
 * Electron's lock belongs to the userData directory, which the profile changes.
 */
import { join } from 'node:path';

const PROFILE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export type ProfileChoice = { readonly ok: true; readonly name: string | null } | { readonly ok: false; readonly message: string };

/** The profile named on the command line (`--profile NAME` or `--profile=NAME`), or null for the default. */
export function profileFromArgv(argv: readonly string[]): ProfileChoice {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg === '--profile') value = argv[i + 1];
    else if (arg.startsWith('--profile=')) value = arg.slice('--profile='.length);
    else continue;
    if (value === undefined || !PROFILE_PATTERN.test(value)) {
      return { ok: false, message: `--profile needs a name of 1 to 32 letters, digits, "-" or "_" (got ${value === undefined ? 'nothing' : `"${value}"`})` };
    }
    return { ok: true, name: value };
  }
  return { ok: true, name: null };
}

/** Where a profile keeps everything: the default userData directory, or a folder inside it. */
export function profileDirectory(defaultUserData: string, profile: string | null): string {
  return profile === null ? defaultUserData : join(defaultUserData, 'profiles', profile);
}
