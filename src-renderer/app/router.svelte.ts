/** Hash-based router for the renderer (`#/timeline`, `#/people`, ...). */

export const ROUTES = [
  { id: 'timeline', title: 'Timeline' },
  { id: 'people', title: 'People' },
  { id: 'peers', title: 'Peers' },
  { id: 'inspector', title: 'Inspector' },
  { id: 'cluster', title: 'Cluster' },
  { id: 'scenarios', title: 'Scenarios' },
] as const;

export type Route = (typeof ROUTES)[number];
export type RouteId = Route['id'];

export const DEFAULT_ROUTE: Route = ROUTES[0];

export function hrefFor(id: RouteId): string {
  return `#/${id}`;
}

/** Maps a location hash (`#/people`, `#people`, `''`) to a route; unknown hashes fall back to Timeline. */
export function routeFromHash(hash: string): Route {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0] ?? '';
  return ROUTES.find((route) => route.id === id) ?? DEFAULT_ROUTE;
}

export class Router {
  #hash = $state('');
  readonly current: Route = $derived(routeFromHash(this.#hash));

  readonly #loc: Pick<Location, 'hash'>;

  constructor(loc: Pick<Location, 'hash'> = window.location) {
    this.#loc = loc;
    this.#hash = loc.hash;
  }

  /** Re-read the location hash (call on `hashchange`). */
  sync(): void {
    this.#hash = this.#loc.hash;
  }

  navigate(id: RouteId): void {
    this.#loc.hash = hrefFor(id);
    this.sync();
  }
}
