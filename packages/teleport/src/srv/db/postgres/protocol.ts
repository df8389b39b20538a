/**
 * @module srv/db/postgres/protocol
 * The PostgreSQL v3 wire protocol codec, pure functions over bytes: framing (`MessageReader`),
 * frontend messages (`parseFrontendMessage`, `frontend.*`), backend messages (`parseBackendMessage`,
 * `backend.*`) and the wire constants. The pieces live in wire.ts, messageReader.ts, frontend.ts and
 * backend.ts; this module is the one import for everything else.
 */
export * from './wire.ts';
export * from './messageReader.ts';
export * from './frontend.ts';
export * from './backend.ts';
