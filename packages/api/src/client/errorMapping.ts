/**
 * @module client/errorMapping
 * Maps our error kinds to gRPC/Connect codes and back. This is the only place the two vocabularies
 * meet: servers throw TeleportErrors, the edge turns them into ConnectErrors carrying our stable code
 * in the `x-teleport-error` trailer, and clients turn them back into the same TeleportError class.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ConnectionProblemError, AccessDeniedError, TeleportError, errorFromCode, type ErrorCode } from '../errors.ts';

/** Trailer/header carrying our error code. */
export const ERROR_CODE_HEADER = 'x-teleport-error';

const toConnect: Record<ErrorCode, Code> = {
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  bad_parameter: Code.InvalidArgument,
  access_denied: Code.PermissionDenied,
  compare_failed: Code.FailedPrecondition,
  connection_problem: Code.Unavailable,
  limit_exceeded: Code.ResourceExhausted,
  trust: Code.Unauthenticated,
  retry: Code.Unavailable,
  not_implemented: Code.Unimplemented,
};

/** Converts any thrown value into a ConnectError for the wire, hiding internals of unexpected errors. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof TeleportError) {
    const metadata = new Headers({ [ERROR_CODE_HEADER]: err.code });
    return new ConnectError(err.message, toConnect[err.code], metadata);
  }
  // Unexpected errors: do not leak stack traces or internals to the caller.
  return new ConnectError('internal error in the auth service; see its logs', Code.Internal);
}

/** Converts an error received from the auth service into a TeleportError. */
export function fromConnectError(err: unknown, target: string): Error {
  if (!(err instanceof ConnectError)) return err instanceof Error ? err : new Error(String(err));
  const code = err.metadata.get(ERROR_CODE_HEADER);
  if (code) return errorFromCode(code, err.rawMessage);
  switch (err.code) {
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return new ConnectionProblemError(`cannot reach the auth service at ${target}: ${err.rawMessage}`);
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return new AccessDeniedError(err.rawMessage);
    case Code.Internal:
      // A TLS handshake that the server refused (no or foreign client certificate) surfaces as internal.
      if (/certificate|handshake|socket|TLS|ECONNRESET/i.test(err.rawMessage)) {
        return new AccessDeniedError(`the auth service at ${target} refused this client's certificate: ${err.rawMessage}`);
      }
      return new TeleportError('bad_parameter', err.rawMessage);
    default:
      return errorFromCode('bad_parameter', err.rawMessage);
  }
}
