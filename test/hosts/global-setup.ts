/**
 * Once per `vitest run` of the hosts project, in the main process: decides whether the rig can run
 * here (and says so in one line when it cannot), sweeps what killed runs left behind, and at the end
 * removes whatever this run left (a worker that crashed before its own cleanup).
 * Under CI=true a rig that cannot run is an error, not a skip.
 */
import type { TestProject } from 'vitest/node';
import { rigUnavailableReason, runIdOf, sweepLeftovers } from './netns';

declare module 'vitest' {
  export interface ProvidedContext {
    hostsRig: { readonly available: boolean; readonly reason: string | null; readonly runId: string };
  }
}

export default function setup(project: TestProject): () => void {
  const runId = runIdOf(process.pid);
  const reason = rigUnavailableReason(runId);
  if (reason !== null) {
    if (process.env['CI'] === 'true') throw new Error(`test/hosts: the multi-host rig must run under CI=true, but it ${reason}`);
    process.stdout.write(`test/hosts: skipped: the multi-host rig ${reason}\n`);
    project.provide('hostsRig', { available: false, reason, runId });
    return () => {};
  }
  const removed = sweepLeftovers();
  if (removed.length > 0) process.stdout.write(`test/hosts: removed ${removed.length} leftovers of earlier runs (${removed.slice(0, 3).join(', ')}${removed.length > 3 ? ', ...' : ''})\n`);
  project.provide('hostsRig', { available: true, reason: null, runId });
  const sweepOwn = (): void => void sweepLeftovers({ run: runId });
  process.once('exit', sweepOwn);
  return () => {
    process.off('exit', sweepOwn);
    sweepOwn();
  };
}
