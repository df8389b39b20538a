/**
 * @module client/h2Errors
 * Node.js and HTTP/2 failures as ConnectErrors, with the codes and messages Connect's Node client
 * gives them (connect-node's node-error.ts, which the package does not export). The lean unary client
 * (unaryClient.ts) uses these so its failures read exactly as the Connect path's did; errorMapping.ts
 * then turns them into our error kinds.
 */
import { Code, ConnectError } from '@connectrpc/connect';

/** The `code` of every error in a `cause` chain. */
function nodeCodes(reason: unknown): string[] {
  const codes: string[] = [];
  const seen: unknown[] = [];
  for (let r = reason; r instanceof Error && !seen.includes(r); r = 'cause' in r ? r.cause : undefined) {
    seen.push(r);
    const code = (r as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if (!('cause' in r)) break;
  }
  return codes;
}

/** Whether `code` is the `code` of some error in `e`'s `cause` chain. */
export function hasNodeCode(e: unknown, code: string): boolean {
  return nodeCodes(e).includes(code);
}

/**
 * A Node.js error as a ConnectError: a reset or destroyed stream is Aborted, an unreachable host is
 * Unavailable, anything else Internal. ConnectErrors pass through unchanged.
 */
export function connectErrorFromNode(reason: unknown): ConnectError {
  const codes = nodeCodes(reason);
  let code = Code.Internal;
  if (codes.includes('ERR_STREAM_WRITE_AFTER_END')) code = Code.Aborted;
  else if (codes.some((c) => c === 'ERR_STREAM_DESTROYED' || c === 'ERR_HTTP2_INVALID_STREAM' || c === 'ECONNRESET')) code = Code.Aborted;
  else if (codes.some((c) => c === 'ETIMEDOUT' || c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'ECONNREFUSED')) code = Code.Unavailable;
  const ce = ConnectError.from(reason, code);
  if (ce !== reason) ce.cause = reason;
  return ce;
}

const H2_NAMES: Record<number, string> = {
  1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 3: 'FLOW_CONTROL_ERROR', 4: 'SETTINGS_TIMEOUT', 5: 'STREAM_CLOSED',
  6: 'FRAME_SIZE_ERROR', 7: 'REFUSED_STREAM', 8: 'CANCEL', 9: 'COMPRESSION_ERROR', 10: 'CONNECT_ERROR',
  11: 'ENHANCE_YOUR_CALM', 12: 'INADEQUATE_SECURITY', 13: 'HTTP_1_1_REQUIRED',
};

const H2_CODES: Record<number, Code> = {
  1: Code.Internal, 2: Code.Internal, 3: Code.Internal, 4: Code.Internal, 6: Code.Internal, 9: Code.Internal, 10: Code.Internal,
  7: Code.Unavailable, 8: Code.Canceled, 11: Code.ResourceExhausted, 12: Code.PermissionDenied, 13: Code.PermissionDenied,
};

/** The error of a stream closed with an HTTP/2 error code; undefined for NO_ERROR and STREAM_CLOSED. */
export function connectErrorFromH2Reset(rstCode: number | undefined): ConnectError | undefined {
  const code = rstCode === undefined ? undefined : H2_CODES[rstCode];
  if (code === undefined || rstCode === undefined) return undefined;
  return new ConnectError(`http/2 stream closed with error code ${H2_NAMES[rstCode] ?? ''} (0x${rstCode.toString(16)})`, code);
}
