/** What went wrong, in terms the HTTP layer maps to a status (see ErrorCode → status in the filter). */
export enum ErrorCode {
  Invalid = 'INVALID',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  Gone = 'GONE',
  TooManyRequests = 'TOO_MANY_REQUESTS',
}

/** Base of every domain's exception: a code, a message a user can act on, and optional details. */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainException {
  constructor(what: string) {
    super(ErrorCode.NotFound, `${what} not found`);
  }
}

export class ConflictError extends DomainException {
  constructor(message: string) {
    super(ErrorCode.Conflict, message);
  }
}

export class InvalidInputError extends DomainException {
  constructor(message: string) {
    super(ErrorCode.Invalid, message);
  }
}

export class ForbiddenError extends DomainException {
  constructor(message: string) {
    super(ErrorCode.Forbidden, message);
  }
}

/** Too many failures for now: 429 with a Retry-After header saying when to try again. */
export class TooManyRequestsError extends DomainException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(ErrorCode.TooManyRequests, message);
  }
}

/**
 * An error whose JSON body a wire contract fixes exactly, sent as is instead of the usual
 * `{statusCode, error, message}` (the tenant-keyed routes' 401 `{"error": "Invalid credentials"}`).
 */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.error === 'string' ? body.error : `HTTP ${status}`);
    this.name = 'WireError';
  }
}
