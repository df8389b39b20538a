/**
 * @module events
 * The audit log: the AuditLog interface, its file and memory implementations, and builders for the
 * events the auth service emits. Event names, codes and shapes live in '@teleport-ts/api/events/index'.
 */
export * from './auditLog.ts';
export * from './fileLog.ts';
export * from './memoryLog.ts';
export * from './newEvent.ts';
