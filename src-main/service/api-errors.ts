/**
 * The node's refusals as the API's errors: each NodeError kind has one API error code (and through it
 * one HTTP status, headless/http-response.ts). Anything else a method throws passes through unchanged;
 * the transports report it as `internal` (shared/api-wire.ts).
 */
import { ApiError, type ApiErrorCode } from '../../shared/api';
import { NodeError, type NodeErrorKind } from '../node/node-error';

const CODE_FOR_KIND: Readonly<Record<NodeErrorKind, ApiErrorCode>> = {
  invalid: 'invalid-argument',
  unavailable: 'unavailable',
  'needs-consent': 'needs-confirmation',
  pending: 'pending',
  rejected: 'rejected',
  failed: 'internal',
};

export function apiErrorOf(error: NodeError): ApiError {
  return new ApiError({ code: CODE_FOR_KIND[error.kind], message: error.message, ...(error.commandId === undefined ? {} : { id: error.commandId }) });
}

/** Runs one API method's work: a NodeError it throws becomes its ApiError. */
export async function asApi<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof NodeError ? apiErrorOf(error) : error;
  }
}
