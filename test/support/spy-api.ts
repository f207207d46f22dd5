import type { SynodApi, SynodEvent } from '../../shared/api';
import { buildApi } from '../../shared/api-build';

type Responder = (method: string, args: unknown) => Promise<unknown>;

/**
 * A test double of the node's API built from the one API table (shared/api-build.ts), as the IPC and
 * HTTP bridges see it: records every call, answers through `respond` (by default `defaultResponse`),
 * and pushes events to subscribers with `emit`.
 */
export function spyApi(defaultResponse: Responder) {
  const calls: { method: string; args: unknown }[] = [];
  let responder = defaultResponse;
  const listeners = new Set<(event: SynodEvent) => void>();
  const api: SynodApi = buildApi(
    (method, args) => {
      calls.push({ method, args });
      return responder(method, args);
    },
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  );
  return {
    api,
    calls,
    listeners,
    respond(fn: Responder) {
      responder = fn;
    },
    emit(event: SynodEvent) {
      for (const listener of listeners) listener(event);
    },
  };
}
