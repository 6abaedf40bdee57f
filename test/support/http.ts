import { LibrarianError } from '../../src/shared/errors';
import { ApiError } from '../../src/shared/librarianClient';

/** The ApiError a call fails with (the test fails if the call succeeds or fails otherwise). */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** The LibrarianError a domain call fails with (the test fails if the call succeeds or fails otherwise). */
export async function librarianError(p: Promise<unknown>): Promise<LibrarianError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LibrarianError) return e;
    throw e;
  }
  throw new Error('expected a LibrarianError');
}
