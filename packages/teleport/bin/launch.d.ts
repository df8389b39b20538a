/**
 * @module bin/launch
 * Types of bin/launch.js (plain JS: it runs before any TypeScript loader).
 */

/** packages/teleport. */
export const PACKAGE_DIR: string;

/** V8 flags the CLIs and every process carrying bulk traffic start with (see launch.js for why). */
export const V8_HEAP_FLAGS: readonly string[];

/** Whether `execArgv` (default: this process's node flags) includes every one of {@link V8_HEAP_FLAGS}. */
export function hasHeapFlags(execArgv?: readonly string[]): boolean;

/** Whether CLI `name`'s bundle is usable (`file`) or why not (`reason`). */
export function bundleStatus(name: string, opts?: { packageDir?: string; distDir?: string }): { file?: string; reason?: string };

/** Imports CLI `name`: its fresh bundle, else `source` (relative to packages/teleport) through tsx. */
export function loadCLI(name: string, source: string, opts?: { sourceMaps?: boolean }): Promise<Record<string, unknown>>;

/** Whether the command line asks for stack traces (`-d`/`--debug`). */
export function wantsDebug(argv?: string[]): boolean;
