/**
 * How long a process's main thread has waited for a CPU while runnable (Linux /proc/<pid>/schedstat,
 * second field, in nanoseconds). On a starved machine a node answers late without being at fault: this
 * is the part of the delay that was the machine's. Null where the kernel does not say.
 */
import { readFileSync } from 'node:fs';

export function runQueueWaitMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const waitNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : null;
  } catch {
    return null;
  }
}
