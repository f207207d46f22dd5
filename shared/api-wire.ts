/**
 * How the API's values look on the wire, for every transport: recognizing an error body or an event
 * in untrusted data, turning a response back into a result or an ApiError, and turning any thrown
 * value into an error body.
 *
 * Invariant: whatever arrives, callers get either a result or an ApiError with a known code and a
 * readable message, never a raw transport error or a malformed object.
 *
 * Free of runtime imports from Electron, Node or the DOM.
 */
import { ApiError, type ApiErrorBody, type ApiErrorCode, type SynodEvent } from './api';

/** Every code, listed once: a code added to ApiErrorCode and not here does not compile (a code missing here was read as a malformed response). */
const API_ERROR_CODE_SET: Record<ApiErrorCode, true> = {
  'invalid-argument': true,
  pending: true,
  rejected: true,
  unavailable: true,
  'needs-confirmation': true,
  unauthorized: true,
  'not-found': true,
  internal: true,
};
export const API_ERROR_CODES = Object.keys(API_ERROR_CODE_SET) as readonly ApiErrorCode[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && (API_ERROR_CODES as readonly string[]).includes(value);
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return isRecord(value) && isApiErrorCode(value['code']) && typeof value['message'] === 'string' && (value['id'] === undefined || typeof value['id'] === 'string');
}

/** The error body for anything a method threw: ApiErrors keep their code; anything else is `internal`. */
export function toErrorBody(error: unknown): ApiErrorBody {
  if (error instanceof ApiError) return error.toBody();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: message === '' ? 'internal error' : message };
}

/**
 * The result inside a response, or throws its error as an ApiError. A value that is neither shape
 * (a transport or version mismatch) throws an `internal` ApiError rather than passing garbage on.
 */
export function unwrapResponse(response: unknown, context: string): unknown {
  if (isRecord(response)) {
    if ('error' in response) {
      const body = response['error'];
      if (isApiErrorBody(body)) throw new ApiError(body);
    } else if ('result' in response) {
      return response['result'];
    }
  }
  throw new ApiError({ code: 'internal', message: `${context}: malformed response` });
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A structural check of an event's outer shape (type and top-level fields), enough to drop garbage
 * and events of a newer version the client does not know; the payload comes from the node itself.
 */
export function isSynodEvent(value: unknown): value is SynodEvent {
  if (!isRecord(value)) return false;
  switch (value['type']) {
    case 'chosen':
      return isNumber(value['fromSlot']) && isNumber(value['toSlot']);
    case 'status':
      return isRecord(value['status']);
    case 'trace':
      return Array.isArray(value['messages']);
    case 'down':
      return typeof value['message'] === 'string' && isNumber(value['untilMs']);
    default:
      return false;
  }
}
