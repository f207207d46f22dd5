/** Majority quorums: any two majorities of the same member set intersect, which is all Paxos needs. */
export function majority(memberCount: number): number {
  return Math.floor(memberCount / 2) + 1;
}
