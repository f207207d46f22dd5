/** Test helper: the ApiError a promise rejects with (the test fails if it resolves or rejects otherwise). */
import { expect } from 'vitest';
import { ApiError } from '../../../shared/api';

export async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}
