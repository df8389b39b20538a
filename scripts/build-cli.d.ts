/**
 * @module scripts/build-cli
 * Types of scripts/build-cli.js (plain JS so scripts/run-tests.js can use it without tsx).
 */

/** The CLIs: bundle name -> entry source, relative to packages/teleport. */
export const CLI_ENTRIES: Record<'tsh' | 'tctl' | 'teleport', string>;

/** Packages loaded from node_modules at run time rather than bundled. */
export const EXTERNAL_PACKAGES: string[];

/** Why the bundles need building ('' when all are up to date). */
export function cliBuildReason(opts?: { distDir?: string }): string;

/** Builds the bundles when missing or stale (always with `force`). */
export function ensureCliBuild(opts?: { force?: boolean; log?: (line: string) => void; metafile?: string; distDir?: string }): Promise<void>;
