/**
 * @module errors
 * The closed set of error kinds shared by every part of the system. Each class has a stable `code`;
 * code is mapped to RPC or HTTP status only at the edges (see `grpcCodeFor`/`httpStatusFor`).
 * Messages are written for a person: say what happened and what to do next.
 */

/** Stable identifiers for every error kind. */
export type ErrorCode =
  | 'not_found'
  | 'already_exists'
  | 'bad_parameter'
  | 'access_denied'
  | 'compare_failed'
  | 'connection_problem'
  | 'limit_exceeded'
  | 'trust'
  | 'retry'
  | 'not_implemented';

/** Base class of every error the system raises on purpose. */
export class TeleportError extends Error {
  /** Stable machine-readable kind. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A requested object does not exist. */
export class NotFoundError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
  }
}

/** An object that must be new already exists. */
export class AlreadyExistsError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('already_exists', message, options);
  }
}

/** Input is malformed or fails validation. */
export class BadParameterError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_parameter', message, options);
  }
}

/** The caller is authenticated but not allowed to do this (or authentication failed). */
export class AccessDeniedError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('access_denied', message, options);
  }
}

/** A conditional write lost a race: the stored value was not the expected one. */
export class CompareFailedError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('compare_failed', message, options);
  }
}

/** A network peer could not be reached or went away. */
export class ConnectionProblemError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('connection_problem', message, options);
  }
}

/** A rate, size or count limit was hit (including account lockout). */
export class LimitExceededError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('limit_exceeded', message, options);
  }
}

/** A certificate or key could not be trusted (unknown CA, bad pin, expired). */
export class TrustError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('trust', message, options);
  }
}

/** A transient failure: the same call may succeed later. */
export class RetryError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('retry', message, options);
  }
}

/** The operation is recognised but not supported (yet). */
export class NotImplementedError extends TeleportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_implemented', message, options);
  }
}

const constructors: Record<ErrorCode, new (message: string, options?: { cause?: unknown }) => TeleportError> = {
  not_found: NotFoundError,
  already_exists: AlreadyExistsError,
  bad_parameter: BadParameterError,
  access_denied: AccessDeniedError,
  compare_failed: CompareFailedError,
  connection_problem: ConnectionProblemError,
  limit_exceeded: LimitExceededError,
  trust: TrustError,
  retry: RetryError,
  not_implemented: NotImplementedError,
};

/** Rebuilds a typed error from a code and message received over the wire. */
export function errorFromCode(code: string, message: string): TeleportError {
  const ctor = constructors[code as ErrorCode];
  return ctor ? new ctor(message) : new TeleportError('bad_parameter', message);
}

/** True when `err` is a TeleportError of the given kind. */
export function isErrorCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof TeleportError && err.code === code;
}

/** True when the error says the object does not exist. */
export const isNotFound = (err: unknown): boolean => isErrorCode(err, 'not_found');
/** True when the error says the object already exists. */
export const isAlreadyExists = (err: unknown): boolean => isErrorCode(err, 'already_exists');
/** True when the error is an authorization or authentication failure. */
export const isAccessDenied = (err: unknown): boolean => isErrorCode(err, 'access_denied');
/** True when a conditional write failed. */
export const isCompareFailed = (err: unknown): boolean => isErrorCode(err, 'compare_failed');

/** HTTP status used by the web API for each error kind. */
export function httpStatusFor(err: unknown): number {
  if (!(err instanceof TeleportError)) return 500;
  switch (err.code) {
    case 'not_found': return 404;
    case 'already_exists': return 409;
    case 'bad_parameter': return 400;
    case 'access_denied': return 403;
    case 'compare_failed': return 412;
    case 'connection_problem': return 502;
    case 'limit_exceeded': return 429;
    case 'trust': return 401;
    case 'retry': return 503;
    case 'not_implemented': return 501;
  }
}

/** Returns a short, safe message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
