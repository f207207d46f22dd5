/**
 * Global setup of the vitest projects that start real synod-node processes (process, hosts, e2e): they
 * test the built node, out/main/headless.js, which bin/synod-node.mjs runs when it is current. `npm test`
 * builds before vitest, so here this is a check of a few milliseconds; a run of these projects alone
 * after an edit builds once, here, before any node starts (the bin itself never builds: see its
 * header). An edit made during the run makes the bin run the sources through tsx for later starts,
 * with a line in that node's log saying so.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { headlessBuildState, ROOT } from '../../scripts/headless-build.mjs';

export default function setup(): void {
  const state = headlessBuildState();
  if (state.built && state.newerSource === null) return;
  process.stdout.write(`test setup: ${state.built ? `the build is older than ${state.newerSource}` : 'no build in out/'}: running electron-vite build\n`);
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`electron-vite build failed (${build.status ?? build.signal}): the process tests run the built synod-node`);
}
