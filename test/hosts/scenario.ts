/**
 * What the scenario files share: whether the rig runs here (decided once by global-setup.ts), one rig
 * per test that is always disposed of, blocks between users, and a line with each scenario's run time.
 */
import { afterEach, describe, expect, inject } from 'vitest';
import { waitFor } from '../process/harness';
import { expectAgreement, type AgreementSummary } from './agreement';
import type { ClientHistory } from './clients';
import type { HostNode } from './host-node';
import { Rig, type RigOptions } from './rig';

const context = inject('hostsRig');

/** describe() where the rig can run; where it cannot, global-setup.ts said why in one line. */
export const describeRig = context.available ? describe : describe.skip;

interface RunningScenario {
  readonly name: string;
  readonly startedAtMs: number;
  rig: Rig | null;
  /** Seconds since the start at each named step, for the scenario's line. */
  readonly steps: string[];
}

let current: RunningScenario | null = null;

const secondsSince = (startMs: number): string => ((performance.now() - startMs) / 1000).toFixed(1);

afterEach(() => {
  if (current === null) return;
  const { rig, startedAtMs, name, steps } = current;
  current = null;
  rig?.dispose();
  process.stdout.write(`test/hosts: ${name}: ${secondsSince(startedAtMs)} s (${steps.join(', ')})\n`);
});

/** Starts a rig for the running test; it is disposed of after the test, whatever happens. */
export async function startRig(name: string, options: RigOptions): Promise<Rig> {
  current = { name, startedAtMs: performance.now(), rig: null, steps: [] };
  const rig = await Rig.start(context.runId, options);
  current.rig = rig;
  step('started');
  return rig;
}

/** Notes that the running scenario reached `name` (shown with its time in the scenario's line). */
export function step(name: string): void {
  if (current !== null) current.steps.push(`${name} ${secondsSince(current.startedAtMs)}`);
}

/**
 * `node`'s user blocks (or unblocks) `target`, retried until chosen: the target's registration may
 * still be on its way ('rejected'), or a quorum away ('pending').
 */
export async function block(node: HostNode, target: string, method: 'block' | 'unblock' = 'block'): Promise<void> {
  let lastError: unknown = null;
  const attempt = async (): Promise<boolean> => {
    try {
      await node.call(method, { user: target }, 15_000);
      return true;
    } catch (error) {
      lastError = error;
      return false;
    }
  };
  try {
    await waitFor(attempt, 30_000, `${node.spec.id}: ${method} ${target}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${String(lastError)}`, { cause: error });
  }
}

/**
 * How every scenario ends: no client got an unexpected API error, and `members` (default: every node)
 * converge and agree with each other and with the client history (agreement.ts).
 */
export async function expectScenarioEnd(rig: Rig, history: ClientHistory, members: readonly HostNode[] = rig.nodes): Promise<AgreementSummary> {
  expect(history.unexpectedErrors, 'unexpected API errors').toEqual([]);
  const summary = await expectAgreement(rig, members, history.operations);
  step(`checked: ${history.summary()}`);
  return summary;
}
