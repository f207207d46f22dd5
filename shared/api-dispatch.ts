/**
 * The serving side of every transport (IPC handler, HTTP bridge): given a method name and raw,
 * untrusted arguments, validate them, call the node's API and answer with an ApiResponse.
 *
 * Invariant: never throws. Invalid arguments are refused before the API sees them; an ApiError keeps
 * its code, message and id; anything else becomes `internal` (with the error's message, no stack).
 */
import type { ApiMethodName, ApiResponse, SynodApi } from './api';
import { toErrorBody } from './api-wire';
import { validateArgs } from './validate';

export async function dispatchApiCall(api: SynodApi, method: ApiMethodName, rawArgs: unknown): Promise<ApiResponse<unknown>> {
  try {
    const args = validateArgs(method, rawArgs);
    // Every method takes at most one argument; void methods ignore the `undefined` they are given.
    const fn = api[method] as (this: SynodApi, args: unknown) => Promise<unknown>;
    return { result: await fn.call(api, args) };
  } catch (error) {
    return { error: toErrorBody(error) };
  }
}
