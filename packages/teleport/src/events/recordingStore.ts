/**
 * @module events/recordingStore
 * Where session recordings (asciicast v2 text) end up on the auth service. Uploads arrive in chunks
 * tagged with their byte offset, so a node that lost its connection can resend from wherever it
 * thinks it stopped: bytes already stored are skipped, never duplicated, and a gap is refused.
 * Implementations: FileRecordingStore (<data_dir>/log/records/<sid>.cast) and MemoryRecordingStore;
 * both pass recordingStoreSuite.
 */
import { BadParameterError } from '@teleport-ts/api/errors';

/** Facts about a recording kept beside it (for authorization and listing). */
export interface RecordingMeta {
  sessionId: string;
  /** Teleport users who took part; `where contains(session.participants, ...)` rules read this. */
  participants: string[];
  /** True once the final chunk arrived. */
  complete: boolean;
}

/** Stores recordings by session id. */
export interface RecordingStore {
  /**
   * Writes `data` at byte `offset`. Bytes before the current size are skipped (a retry), so
   * appending is idempotent; an offset past the end is a gap and throws BadParameterError.
   * Resolves with the new size once the bytes are durable.
   */
  append(sessionId: string, offset: number, data: Uint8Array): Promise<number>;
  /** Reads up to `limit` bytes from `offset`; NotFoundError for an unknown session. */
  read(sessionId: string, offset: number, limit: number): Promise<{ data: Uint8Array; size: number }>;
  /** Current size in bytes; NotFoundError for an unknown session. */
  size(sessionId: string): Promise<number>;
  /** Records who took part and whether the upload is complete. */
  setMeta(meta: RecordingMeta): Promise<void>;
  /** Reads the metadata; NotFoundError for an unknown session. */
  getMeta(sessionId: string): Promise<RecordingMeta>;
  close(): Promise<void>;
}

/** Session ids are UUIDs in practice; anything that could escape a directory is refused. */
export function checkSessionId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) || id.includes('..')) {
    throw new BadParameterError(`invalid session id "${id}"`);
  }
}

/** The part of `data` (written at `offset`) that lies past `size`; throws on a gap. */
export function newTail(sessionId: string, size: number, offset: number, data: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new BadParameterError('recording offset must be a non-negative integer');
  if (offset > size) {
    throw new BadParameterError(`recording ${sessionId} has ${size} bytes but a chunk starts at ${offset}: resend from ${size}`);
  }
  const skip = size - offset;
  return skip >= data.length ? new Uint8Array(0) : data.subarray(skip);
}
