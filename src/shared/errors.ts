/**
 * The one error type that crosses layers. The domain throws it; the API turns it into
 * `{reason, suggested_remedy}` with `status`; the CLI prints it; activities turn it into a
 * Temporal failure, retried only when `retryable`: by default 5xx are (the cause may pass), 4xx
 * are not (asking again will not change the answer). A 5xx that waiting cannot mend (a read-only
 * disk) is made with `retryable: false`.
 */
export class LibrarianError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly status: number,
    readonly reason: string,
    readonly suggestedRemedy: string,
    readonly details: Record<string, unknown> = {},
    opts: { retryable?: boolean } = {},
  ) {
    super(reason);
    this.name = 'LibrarianError';
    this.retryable = opts.retryable ?? status >= 500;
  }

  toBody(): Record<string, unknown> {
    return { reason: this.reason, suggested_remedy: this.suggestedRemedy, ...this.details };
  }
}

type Make = (reason: string, suggestedRemedy: string, details?: Record<string, unknown>) => LibrarianError;
const make =
  (status: number): Make =>
  (reason, remedy, details) =>
    new LibrarianError(status, reason, remedy, details);

export const badRequest = make(400);
export const unauthorized = make(401);
export const forbidden = make(403);
export const notFound = make(404);
export const notAcceptable = make(406);
export const conflict = make(409);
export const tooLarge = make(413);
export const unavailable = make(503);
export const insufficientStorage = make(507);

/**
 * 429 (this client must wait) or 503 (the server is busy) with how long to wait: the API sends
 * it as Retry-After, and the body says it as `retry_after` (seconds).
 */
export function retryLater(status: 429 | 503, seconds: number, reason: string, suggestedRemedy: string): LibrarianError {
  return new LibrarianError(status, reason, suggestedRemedy, { retry_after: seconds });
}

export function isLibrarianError(e: unknown): e is LibrarianError {
  return e instanceof LibrarianError;
}
