/**
 * @module srv/db/postgres/relay
 * Relays an established PostgreSQL session both ways, chunk by chunk as the bytes arrive (with
 * backpressure), and parses alongside for the audit: client messages fully (DataRow-sized CopyData
 * bodies are skipped), server messages only for the kinds the audit needs. A client chunk is parsed
 * before it is forwarded, so the database never receives a message the audit has not seen; bytes that
 * are not the protocol get an ErrorResponse (08P01) and end the session.
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../../utils/logger.ts';
import { backend, parseBackendMessage, SQLSTATE } from './backend.ts';
import { parseFrontendMessage } from './frontend.ts';
import { MessageReader } from './messageReader.ts';
import type { QueryAuditTracker } from './queryAudit.ts';

/** Server message types the audit looks at; every other body is skipped unread. */
const WATCHED_SERVER_TYPES = new Set(['E', 'C', 'I', 's', 'Z']);

/** Options of relaySession. */
export interface RelayOptions {
  client: Duplex;
  upstream: TLSSocket;
  /** Client bytes already read past the StartupMessage, not yet forwarded. */
  clientLeftover: Buffer;
  /** Server bytes already read past ReadyForQuery, not yet forwarded. */
  upstreamLeftover: Buffer;
  tracker: QueryAuditTracker;
  logger: Logger;
}

/** Relays until both sides are closed. Never rejects. */
export function relaySession(o: RelayOptions): Promise<void> {
  const { client, upstream, tracker, logger } = o;
  const fromClient = new MessageReader({ skip: (t) => t === 'd' });
  const fromServer = new MessageReader({ skip: (t) => !WATCHED_SERVER_TYPES.has(t) });
  let failed = false;

  return new Promise<void>((resolve) => {
    let clientClosed = false;
    let upstreamClosed = false;
    const maybeDone = (): void => {
      if (clientClosed && upstreamClosed) resolve();
    };

    const protocolViolation = (message: string): void => {
      if (failed) return;
      failed = true;
      logger.warn({ err: message }, 'PostgreSQL client sent bytes that are not the protocol; closing the session');
      upstream.destroy();
      client.end(backend.errorResponse({ severity: 'FATAL', code: SQLSTATE.protocolViolation, message }));
    };

    const onClientBytes = (chunk: Buffer): void => {
      if (failed) return;
      try {
        fromClient.push(chunk);
        for (let m = fromClient.next(); m; m = fromClient.next()) tracker.onClient(parseFrontendMessage(m));
      } catch (err) {
        protocolViolation(err instanceof Error ? err.message : String(err));
        return;
      }
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    };

    const onServerBytes = (chunk: Buffer): void => {
      if (failed) return;
      try {
        fromServer.push(chunk);
        for (let m = fromServer.next(); m; m = fromServer.next()) tracker.onServer(parseBackendMessage(m));
      } catch (err) {
        // The database is trusted for content, but a framing error means the audit is lost: stop.
        failed = true;
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot parse the PostgreSQL server stream; closing the session');
        upstream.destroy();
        client.destroy();
        return;
      }
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    };

    client.on('data', onClientBytes);
    upstream.on('data', onServerBytes);
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('finish', () => {
      // We are done writing to the client; once its side has ended too, it is over.
      if (client.readableEnded || upstreamClosed) client.destroy();
    });
    client.on('error', (err) => {
      logger.debug({ err: err.message }, 'database client connection error');
      upstream.destroy();
    });
    upstream.on('error', (err) => {
      logger.warn({ err: err.message }, 'database connection error');
      client.destroy();
    });
    client.on('close', () => {
      clientClosed = true;
      upstream.destroy();
      maybeDone();
    });
    upstream.on('close', () => {
      upstreamClosed = true;
      if (client.writableFinished) client.destroy();
      else client.end();
      maybeDone();
    });

    // Either side may have gone while the session was being set up (before these listeners existed).
    if (client.destroyed || client.closed) {
      clientClosed = true;
      upstream.destroy();
    } else if (client.readableEnded) upstream.end();
    if (upstream.destroyed || upstream.closed) {
      upstreamClosed = true;
      client.destroy();
    }
    if (clientClosed && upstreamClosed) {
      resolve();
      return;
    }
    if (o.upstreamLeftover.length > 0) onServerBytes(o.upstreamLeftover);
    if (o.clientLeftover.length > 0) onClientBytes(o.clientLeftover);
    client.resume();
    upstream.resume();
  });
}
