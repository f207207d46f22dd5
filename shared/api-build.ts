/**
 * Builds a `SynodApi` object from one generic `call(method, args)` function, so each client (the
 * renderer's IPC and HTTP clients, the preload bridge) writes its transport once instead of once per
 * method, and a method added to API_METHODS appears on every side automatically.
 *
 * The one unchecked step is here: a generic call cannot prove to the compiler that it returns each
 * method's own result type. The transports carry whatever the node's typed implementation returned.
 *
 * Free of runtime imports from Electron, Node or the DOM.
 */
import { API_METHODS, type ApiMethodName, type SynodApi, type SynodEvent } from './api';

/** One object with a function per API method, each forwarding to `call` with its method name. */
export function methodTable<R>(call: (method: ApiMethodName, args: unknown) => R): Record<ApiMethodName, (args?: unknown) => R> {
  const table: Partial<Record<ApiMethodName, (args?: unknown) => R>> = {};
  for (const method of API_METHODS) table[method] = (args?: unknown) => call(method, args);
  return table as Record<ApiMethodName, (args?: unknown) => R>;
}

export function buildApi(call: (method: ApiMethodName, args: unknown) => Promise<unknown>, subscribe: (listener: (event: SynodEvent) => void) => () => void): SynodApi {
  return { ...methodTable(call), subscribe } as SynodApi;
}
