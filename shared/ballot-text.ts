/**
 * How a ballot is written for people, everywhere (logs, the dashboard, the simulator's reports):
 * `round.node`, and `0` for "no ballot yet".
 */
export function formatBallot(ballot: { readonly round: number; readonly node: string }): string {
  return ballot.round === 0 ? '0' : `${ballot.round}.${ballot.node}`;
}
