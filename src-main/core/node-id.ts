/** Node ids travel in ballots, command ids, membership commands and datagrams: short and unambiguous. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export function isValidNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}
