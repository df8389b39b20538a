/**
 * @module backend
 * The storage layer: the Backend interface, its in-memory and SQLite implementations, and key helpers.
 * Callers depend on the `Backend` interface; only startup code picks an implementation.
 */
export type {
  Backend, BackendEvent, EventType, GetRangeResult, Item, Lease, Watcher, WatchOptions,
} from './backend.ts';
export { SEPARATOR, fromBytes, key, rangeEnd, toBytes } from './backend.ts';
export { MemoryBackend, type MemoryBackendOptions } from './memory.ts';
export { openSQLiteBackend, type SQLiteBackendOptions } from './sqlite.ts';
export { DEFAULT_WATCHER_QUEUE_SIZE } from './watchers.ts';
export { DEFAULT_PURGE_INTERVAL_MS, compareKeys } from './items.ts';
