/**
 * Plays one scenario (scenarios.ts) on the live cluster, step by step, and undoes it.
 *
 * The state machine: idle → running (step 0, 1, ...) → undoing → finished | failed | stopped.
 *  - A step first acts (API calls: faults on members, "campaign now", tweets), then waits until the
 *    cluster is observed to reach it: the node's status (and, for steps that say so, its log) is read
 *    every `pollMs` and handed to the step's `reached`. Timers alone never advance a step; a step that is
 *    not reached within its `timeoutMs` fails the run, unless it is optional (`missed`: the narration
 *    says what not reaching it means, and the run goes on). A step may also decide early that it will
 *    not be seen this time (`reached` returns NOT_THIS_TIME): missed at once, rather than at its timeout.
 *  - An optional step may be worth another try (`retry`): when it is missed, the run undoes what the
 *    attempt did (`retry.reset`), says so ("… trying again (2 of 3)", in the view's `retries`), and plays
 *    the steps again from `retry.from`; `missed` is said only when the last attempt missed too.
 *  - Every fault the run asks a member for lasts FAULT_TTL_MS there and is renewed every RENEW_MS while
 *    the run goes on: if this dashboard vanishes, the members heal themselves within FAULT_TTL_MS.
 *  - However the run ends (its last step, a failure, stop()), the undo clears every fault it set, on
 *    every member (ttlMs 0), retrying each a few times; what could not be cleared is said, with when it
 *    lapses on its own.
 *
 * Plain TypeScript (no runes): the panel wraps it in a reactive class (scenarios.svelte.ts) and the
 * process test drives it against real nodes. Time and sleeping are injectable for tests.
 */
import type { ApiMethods, Faults, LogPage, NodeStatus } from '../../../shared/api';

/** The part of the API a scenario uses. */
export interface ScenarioApi {
  status(): Promise<NodeStatus>;
  tweet(args: ApiMethods['tweet']['args']): Promise<ApiMethods['tweet']['result']>;
  log(args: ApiMethods['log']['args']): Promise<LogPage>;
  clusterFaults(args: ApiMethods['clusterFaults']['args']): Promise<ApiMethods['clusterFaults']['result']>;
  campaignNow(args: ApiMethods['campaignNow']['args']): Promise<ApiMethods['campaignNow']['result']>;
  crashMember(args: ApiMethods['crashMember']['args']): Promise<ApiMethods['crashMember']['result']>;
}

/** Who takes part, as the node said when the run started. */
export interface ScenarioPlan {
  readonly self: string;
  /** Every member, sorted. */
  readonly members: readonly string[];
  /** The members other than this node, sorted. */
  readonly peers: readonly string[];
  readonly leader: string | null;
}

export interface Observation {
  readonly status: NodeStatus;
  /** The newest slots, for steps with `readsLog`. */
  readonly log: LogPage | null;
}

/** What a step can do while it acts and what it remembers for later steps. */
export interface RunContext {
  readonly api: ScenarioApi;
  readonly plan: ScenarioPlan;
  /** Facts steps leave for later steps (a ballot, a slot, a promise of a tweet's outcome). */
  readonly notes: Map<string, unknown>;
  /** Asks `member` to hold `faults` (renewed while the run goes on, cleared by the undo). */
  setFaults(member: string, faults: Faults): Promise<void>;
  /** Clears what the run asked `member` to hold. */
  clearFaults(member: string): Promise<void>;
  sleep(ms: number): Promise<void>;
}

/** What `reached` returns when the cluster shows the step will not be seen this time. */
export const NOT_THIS_TIME = Symbol('not this time');

export interface ScenarioStep {
  readonly title: string;
  /** What to watch for, in plain words (the dashboard page and element to look at). */
  readonly watch: string;
  readonly act?: (run: RunContext) => Promise<void>;
  /**
   * Reached? false: not yet; true or a sentence (what was seen): reached; NOT_THIS_TIME: it will not be
   * (an optional step is missed at once, a required one fails).
   */
  readonly reached: (observation: Observation, run: RunContext) => boolean | string | typeof NOT_THIS_TIME;
  readonly readsLog?: boolean;
  readonly timeoutMs: number;
  /** Makes the step optional: what it means when it is not reached in time (after the last attempt, with `retry`). */
  readonly missed?: string;
  /** For an optional step: what to do when it is missed before its last attempt. */
  readonly retry?: StepRetry;
}

/** Another try at a step that chance decides (a hole appears only if the right messages were lost). */
export interface StepRetry {
  /** Attempts in all, the first one included. */
  readonly attempts: number;
  /** The index of the step to play again from: this step or an earlier one. */
  readonly from: number;
  /** Said when trying again, before "(2 of 3)": why, and what happens now. */
  readonly again: string;
  /** Undoes what the attempt did (the faults it set) before the steps are played again. */
  readonly reset: (run: RunContext) => Promise<void>;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** One paragraph: what happens and why it matters. */
  readonly story: string;
  /** Why it cannot run on this cluster now, or null. */
  readonly unavailable: (plan: ScenarioPlan, status: NodeStatus) => string | null;
  readonly steps: (plan: ScenarioPlan) => readonly ScenarioStep[];
}

export type StepState = 'waiting' | 'acting' | 'watching' | 'reached' | 'missed' | 'failed';
export type RunPhase = 'idle' | 'running' | 'undoing' | 'finished' | 'failed' | 'stopped';

export interface StepView {
  readonly title: string;
  readonly watch: string;
  readonly state: StepState;
  /** What was seen, or why it failed or was missed. */
  readonly note: string | null;
}

export interface RunView {
  readonly scenario: string | null;
  readonly phase: RunPhase;
  readonly steps: readonly StepView[];
  /** The members holding faults of this run now. */
  readonly faultsHeld: readonly string[];
  /** Each time a step was tried again, why: "No hole this time… trying again (2 of 3)". */
  readonly retries: readonly string[];
  /** What went wrong (failed), or what the undo could not do. */
  readonly problem: string | null;
}

/** How long a member holds a fault of a run unless renewed (well under the node's bound of 120 s). */
export const FAULT_TTL_MS = 30_000;
/** How often held faults are renewed: three renewals may be lost before one lapses. */
export const RENEW_MS = 10_000;
const UNDO_ATTEMPTS = 3;

export const NO_FAULTS: Faults = { dropRate: 0, delayMs: 0, isolate: [] };

export interface RunnerOptions {
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after every change of the run's view. */
  readonly onChange?: (view: RunView) => void;
}

export const IDLE_VIEW: RunView = { scenario: null, phase: 'idle', steps: [], faultsHeld: [], retries: [], problem: null };

export function planOf(status: NodeStatus): ScenarioPlan {
  const members = [...(status.membership.members ?? []).map((member) => member.id)].sort();
  return { self: status.id, members, peers: members.filter((id) => id !== status.id), leader: status.leader };
}

class Stopped extends Error {}

export class ScenarioRunner {
  private view: RunView = IDLE_VIEW;
  private readonly held = new Map<string, Faults>();
  private nextRenewAt = 0;
  private stopAsked = false;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly sleepFn: (ms: number) => Promise<void>;

  constructor(
    private readonly api: ScenarioApi,
    private readonly options: RunnerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.now = options.now ?? Date.now;
    this.sleepFn = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get current(): RunView {
    return this.view;
  }

  get busy(): boolean {
    return this.view.phase === 'running' || this.view.phase === 'undoing';
  }

  /** Asks a running scenario to stop: the current wait ends, then the undo runs. */
  stop(): void {
    this.stopAsked = true;
  }

  /** Plays `scenario` to its end (or failure, or stop()), then undoes it. Resolves with the final view. */
  async run(scenario: Scenario): Promise<RunView> {
    if (this.busy) throw new Error('a scenario is running already');
    this.stopAsked = false;
    this.held.clear();
    const status = await this.api.status();
    const plan = planOf(status);
    const why = scenario.unavailable(plan, status);
    if (why !== null) {
      this.update({ ...IDLE_VIEW, scenario: scenario.id, phase: 'failed', problem: why });
      return this.view;
    }
    const steps = scenario.steps(plan);
    this.update({ ...IDLE_VIEW, scenario: scenario.id, phase: 'running', steps: steps.map((step) => ({ title: step.title, watch: step.watch, state: 'waiting', note: null })) });
    const context = this.context(plan);
    let outcome: { phase: RunPhase; problem: string | null } = { phase: 'finished', problem: null };
    try {
      await this.playAll(steps, context);
    } catch (error) {
      outcome = error instanceof Stopped ? { phase: 'stopped', problem: null } : { phase: 'failed', problem: error instanceof Error ? error.message : String(error) };
    }
    this.update({ phase: 'undoing' });
    const undoProblem = await this.undo();
    this.update({ phase: outcome.phase, problem: [outcome.problem, undoProblem].filter((text) => text !== null).join(' ') || null });
    return this.view;
  }

  /** Plays the steps in order, going back where a missed step asks to be tried again. */
  private async playAll(steps: readonly ScenarioStep[], context: RunContext): Promise<void> {
    const attempts = new Map<number, number>();
    for (let index = 0; index < steps.length; ) {
      const step = steps[index] as ScenarioStep;
      const attempt = attempts.get(index) ?? 1;
      const retry = step.retry !== undefined && step.missed !== undefined && attempt < step.retry.attempts ? step.retry : null;
      if (retry !== null && !(retry.from >= 0 && retry.from <= index)) throw new Error(`Step ${index + 1} (${step.title}) cannot be tried again from step ${retry.from + 1}.`);
      const seen = await this.play(step, index, context, retry === null);
      if (seen || retry === null) {
        index++;
        continue;
      }
      attempts.set(index, attempt + 1);
      const again = `${retry.again} (${attempt + 1} of ${retry.attempts})`;
      this.update({ retries: [...this.view.retries, again] });
      this.setStep(index, 'acting', again);
      await this.act(index, step, 'could not try again', () => retry.reset(context));
      this.update({ steps: this.view.steps.map((view, i) => (i >= retry.from && i <= index ? { ...view, state: 'waiting', note: null } : view)) });
      index = retry.from;
    }
  }

  /**
   * Acts, then watches until the step is reached (true) or missed (false). A miss is said (`missed`)
   * only when it is the step's last attempt; a step that is not optional fails instead.
   */
  private async play(step: ScenarioStep, index: number, context: RunContext, lastAttempt: boolean): Promise<boolean> {
    this.setStep(index, 'acting', null);
    const act = step.act;
    if (act !== undefined) await this.act(index, step, 'could not act', () => act(context));
    this.setStep(index, 'watching', null);
    const deadline = this.now() + step.timeoutMs;
    for (;;) {
      this.checkStop();
      await this.renewIfDue();
      const status = await this.api.status();
      const log = step.readsLog === true ? await this.api.log({ limit: 200 }) : null;
      const seen = step.reached({ status, log }, context);
      if (seen !== false && seen !== NOT_THIS_TIME) {
        this.setStep(index, 'reached', typeof seen === 'string' ? seen : null);
        return true;
      }
      if (seen === NOT_THIS_TIME || this.now() >= deadline) {
        if (step.missed !== undefined) {
          if (lastAttempt) this.setStep(index, 'missed', step.missed);
          return false;
        }
        const message = seen === NOT_THIS_TIME ? 'not seen, and the cluster shows it will not be' : `not seen within ${Math.round(step.timeoutMs / 1000)} s`;
        this.setStep(index, 'failed', message);
        throw new Error(`Step ${index + 1} (${step.title}): ${message}.`);
      }
      await this.sleep(this.pollMs);
    }
  }

  /** Runs a step's action; one that throws fails the step and the run (`what` says which action). */
  private async act(index: number, step: ScenarioStep, what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (error instanceof Stopped) throw error;
      const message = error instanceof Error ? error.message : String(error);
      this.setStep(index, 'failed', message);
      throw new Error(`Step ${index + 1} (${step.title}) ${what}: ${message}`, { cause: error });
    }
  }

  private context(plan: ScenarioPlan): RunContext {
    return {
      api: this.api,
      plan,
      notes: new Map(),
      setFaults: async (member, faults) => {
        await this.api.clusterFaults({ member, faults, ttlMs: FAULT_TTL_MS });
        this.held.set(member, faults);
        if (this.held.size === 1) this.nextRenewAt = this.now() + RENEW_MS;
        this.update({ faultsHeld: [...this.held.keys()].sort() });
      },
      clearFaults: async (member) => {
        await this.api.clusterFaults({ member, faults: NO_FAULTS, ttlMs: 0 });
        this.held.delete(member);
        this.update({ faultsHeld: [...this.held.keys()].sort() });
      },
      sleep: (ms) => this.sleep(ms),
    };
  }

  private async renewIfDue(): Promise<void> {
    if (this.held.size === 0 || this.now() < this.nextRenewAt) return;
    this.nextRenewAt = this.now() + RENEW_MS;
    // A renewal that fails is tried again next time; the member holds the faults FAULT_TTL_MS meanwhile.
    await Promise.allSettled([...this.held].map(([member, faults]) => this.api.clusterFaults({ member, faults, ttlMs: FAULT_TTL_MS })));
  }

  /** Clears every fault this run set; returns what could not be cleared, in words, or null. */
  private async undo(): Promise<string | null> {
    const failed: string[] = [];
    for (const member of [...this.held.keys()]) {
      let cleared = false;
      for (let attempt = 0; attempt < UNDO_ATTEMPTS && !cleared; attempt++) {
        try {
          await this.api.clusterFaults({ member, faults: NO_FAULTS, ttlMs: 0 });
          cleared = true;
        } catch {
          await this.sleepFn(this.pollMs);
        }
      }
      if (cleared) this.held.delete(member);
      else failed.push(member);
      this.update({ faultsHeld: [...this.held.keys()].sort() });
    }
    this.held.clear();
    return failed.length === 0 ? null : `Could not reach ${failed.join(', ')} to undo its faults: they lapse on their own within ${FAULT_TTL_MS / 1000} s.`;
  }

  private async sleep(ms: number): Promise<void> {
    this.checkStop();
    await this.sleepFn(ms);
    this.checkStop();
  }

  private checkStop(): void {
    if (this.stopAsked) throw new Stopped('stopped');
  }

  private setStep(index: number, state: StepState, note: string | null): void {
    this.update({ steps: this.view.steps.map((step, i) => (i === index ? { ...step, state, note } : step)) });
  }

  private update(change: Partial<RunView>): void {
    this.view = { ...this.view, ...change };
    this.options.onChange?.(this.view);
  }
}
