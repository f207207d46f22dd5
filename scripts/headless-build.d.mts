// Types of headless-build.mjs for the TypeScript that imports it (the test setup and the tests).
export const ROOT: string;
export const BUILT_ENTRY: string;
export const SOURCE_ENTRY: string;

export interface HeadlessBuildState {
  /** Absolute path of out/main/headless.js. */
  readonly entry: string;
  /** Whether it exists. */
  readonly built: boolean;
  /** A source file modified after the build (relative to the root), or null when the build is current. */
  readonly newerSource: string | null;
}

export function headlessBuildState(root?: string): HeadlessBuildState;
