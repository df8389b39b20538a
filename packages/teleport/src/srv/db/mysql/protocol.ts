/**
 * @module srv/db/mysql/protocol
 * The MySQL wire protocol as a pure codec (no I/O), in one import: packet framing and field
 * encodings (packets.ts), the connection phase and password scrambles (handshake.ts), generic
 * responses and commands (messages.ts), COM_STMT_EXECUTE with parameter rendering (stmtExecute.ts)
 * and the response boundary tracker the relay uses (responseTracker.ts). Golden tests:
 * protocol.test.ts.
 */
export * from './packets.ts';
export * from './handshake.ts';
export * from './messages.ts';
export * from './stmtExecute.ts';
export * from './responseTracker.ts';
