/**
 * @module scripts/web-build
 * Types of scripts/web-build.js (plain JS so scripts/run-tests.js can use it without tsx).
 */

/** Why the UI needs building ('' when packages/web/dist is up to date). */
export function webBuildReason(): string;

/** Runs `npm run build:web` when the build is missing or stale (always with `force`). */
export function ensureWebBuild(opts?: { force?: boolean; log?: (line: string) => void }): Promise<void>;
