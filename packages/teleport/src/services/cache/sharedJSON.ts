/**
 * @module services/cache/sharedJSON
 * The JSON text of resources a cache hands out as shared, deep-frozen objects, serialised once per
 * object instead of once per read: a `tsh ls` over 10k nodes otherwise stringifies every node on
 * every call although a node changes only when it heartbeats (which replaces its object). Only
 * objects the cache registered are memoised; anything else is stringified each time, so a caller
 * can never get stale text for an object that may change.
 */

/** Objects registered as immutable; the value is their JSON once computed. */
const shared = new WeakMap<object, string | undefined>();

/** Registers a deep-frozen object whose JSON text may be computed once and reused. */
export function markShared(value: object): void {
  if (!Object.isFrozen(value)) throw new TypeError('only frozen objects can be shared');
  if (!shared.has(value)) shared.set(value, undefined);
}

/** `JSON.stringify(value)`, memoised for objects registered with {@link markShared}. */
export function sharedJSON(value: object): string {
  const cached = shared.get(value);
  if (cached !== undefined) return cached;
  const text = JSON.stringify(value);
  if (shared.has(value)) shared.set(value, text);
  return text;
}
