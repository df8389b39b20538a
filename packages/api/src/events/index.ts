/**
 * @module events
 * Audit event names, codes and shapes, for code that writes or reads the audit log.
 * Import as '@teleport-ts/api/events/index'.
 */
export * from './codes.ts';
export * from './types.ts';
