/**
 * The Scenarios panel's state: which scenario is chosen, and the run (scenario-runner.ts) as reactive
 * state. One run at a time; leaving the page stops it (and its undo clears every fault it set).
 */
import type { SynodApi } from '../../../shared/api';
import { IDLE_VIEW, ScenarioRunner, type RunView } from './scenario-runner';
import { SCENARIOS, scenarioById } from './scenarios';

export class ScenarioPanelState {
  selected = $state<string>(SCENARIOS[0]?.id ?? '');
  view = $state.raw<RunView>(IDLE_VIEW);
  readonly #runner: ScenarioRunner;

  constructor(api: () => SynodApi, options: { pollMs?: number } = {}) {
    // The API is read at each call: the session's API object may be replaced (a restart of the node).
    const calls = {
      status: () => api().status(),
      tweet: (args: Parameters<SynodApi['tweet']>[0]) => api().tweet(args),
      log: (args: Parameters<SynodApi['log']>[0]) => api().log(args),
      clusterFaults: (args: Parameters<SynodApi['clusterFaults']>[0]) => api().clusterFaults(args),
      campaignNow: (args: Parameters<SynodApi['campaignNow']>[0]) => api().campaignNow(args),
      crashMember: (args: Parameters<SynodApi['crashMember']>[0]) => api().crashMember(args),
    };
    this.#runner = new ScenarioRunner(calls, { ...options, onChange: (view) => (this.view = view) });
  }

  readonly busy = $derived(this.view.phase === 'running' || this.view.phase === 'undoing');
  readonly scenario = $derived(scenarioById(this.selected) ?? SCENARIOS[0]);

  async play(): Promise<void> {
    const scenario = this.scenario;
    if (scenario === undefined || this.busy) return;
    try {
      await this.#runner.run(scenario);
    } catch (error) {
      this.view = { ...this.view, phase: 'failed', problem: error instanceof Error ? error.message : String(error) };
    }
  }

  stop(): void {
    this.#runner.stop();
  }
}
