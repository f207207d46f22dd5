// Which code synod-node runs: the build (out/main/headless.js, made by `electron-vite build` with the
// rest of the app) or, in a development checkout whose build is missing or older than the sources, the
// TypeScript sources through tsx. Used by bin/synod-node.mjs at every start (so it stays cheap: a
// stat of about a hundred files, a few milliseconds) and by the test setup that builds before process
// tests (test/support/built-node-setup.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The package root (this file is in scripts/). */
export const ROOT = resolve(import.meta.dirname, '..');

/** The built entry, relative to the root. src-main/headless/main.ts is its source. */
export const BUILT_ENTRY = 'out/main/headless.js';
export const SOURCE_ENTRY = 'src-main/headless/main.ts';

/**
 * What headless.js is built from: the node-side sources minus the Electron shell, the preload and the
 * tests (editing those does not change it), plus the build configuration.
 */
const SOURCE_DIRS = ['src-main', 'shared'];
const SOURCE_FILES = ['electron.vite.config.ts'];
const NOT_SOURCES = new Set(['src-main/electron', 'src-main/preload.ts']);

function isSourceFile(name) {
  return /\.(ts|mts|js|mjs)$/.test(name) && !/\.test\.[cm]?[jt]s$/.test(name);
}

/** The newest source file under `dir` (relative to `root`), or null; skips what NOT_SOURCES names. */
function newestIn(root, dir, newest) {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (NOT_SOURCES.has(path)) continue;
    if (entry.isDirectory()) newest = newestIn(root, path, newest);
    else if (entry.isFile() && isSourceFile(entry.name)) {
      const mtimeMs = statSync(join(root, path)).mtimeMs;
      if (newest === null || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
    }
  }
  return newest;
}

/**
 * The state of the headless build under `root`:
 * - `entry`: the absolute path of out/main/headless.js;
 * - `built`: whether it exists;
 * - `newerSource`: a source file modified after it was built (relative path), or null when it is
 *   current, or when there are no sources to compare with (an installation without them).
 * Strictly newer only: `npm pack` gives every file one fixed time, and equal times are current.
 */
export function headlessBuildState(root = ROOT) {
  const entry = join(root, BUILT_ENTRY);
  if (!existsSync(entry)) return { entry, built: false, newerSource: null };
  const builtMs = statSync(entry).mtimeMs;
  let newest = null;
  for (const dir of SOURCE_DIRS) newest = newestIn(root, dir, newest);
  for (const file of SOURCE_FILES) {
    if (!existsSync(join(root, file))) continue;
    const mtimeMs = statSync(join(root, file)).mtimeMs;
    if (newest === null || mtimeMs > newest.mtimeMs) newest = { path: file, mtimeMs };
  }
  const newerSource = newest !== null && newest.mtimeMs > builtMs ? newest.path : null;
  return { entry, built: true, newerSource };
}
