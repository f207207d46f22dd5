#!/usr/bin/env node
// synod-node: the headless Synod replica. It runs the built JavaScript, out/main/headless.js, which
// `electron-vite build` (`npm run build`, and every npm script that starts nodes) makes from
// src-main/headless/main.ts with the rest of the app; it needs only the runtime dependencies, so an
// `npm install --omit=dev` after a build runs it.
//
// When that build is missing (a fresh clone) or older than the sources (scripts/headless-build.mjs
// compares modification times), a development checkout runs the sources through tsx instead, as
// before, saying so on stderr: `npx synod-node --help` works before any build, and a node started
// after an edit runs the edited code rather than an outdated build. We fall back to tsx rather than
// build on demand because a build rewrites all of out/ (the renderer too) under whatever is running
// from it, and several nodes starting at once would race to build; building stays an explicit step.
// Without tsx (a production install) an outdated build still runs, with a warning; no build at all
// is an error that says what to do.
import { BUILT_ENTRY, headlessBuildState, ROOT, SOURCE_ENTRY } from '../scripts/headless-build.mjs';

const state = headlessBuildState();
if (state.built && state.newerSource === null) {
  await import(state.entry);
} else {
  const args = process.argv.slice(2);
  const quiet = args.some((arg) => ['--help', '-h', '--version', '-v'].includes(arg));
  const why = state.built ? `${BUILT_ENTRY} is older than ${state.newerSource}` : `${BUILT_ENTRY} is not built`;
  const tsx = await loadTsx();
  if (tsx !== null) {
    if (!quiet) process.stderr.write(`synod-node: ${why}: running the TypeScript sources through tsx (slower to start; \`npm run build\` to run the build)\n`);
    tsx.register();
    await import(new URL(`../${SOURCE_ENTRY}`, import.meta.url).href);
  } else if (state.built) {
    if (!quiet) process.stderr.write(`synod-node: WARNING: ${why}; running it anyway (\`npm run build\` in ${ROOT}, with the dev dependencies, brings it up to date)\n`);
    await import(state.entry);
  } else {
    process.stderr.write(`synod-node: ${why}. Build it in ${ROOT} with \`npm install\` (with the dev dependencies) and \`npm run build\`.\n`);
    process.exit(1);
  }
}

/** tsx's programmatic API, or null when tsx (a devDependency) is not installed. */
async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes("'tsx'")) return null;
    throw error;
  }
}
