/**
 * @module version
 * The version this build reports (ping, `teleport version`, `tsh version`).
 */

/** Semantic version of this build. */
export const VERSION = '0.1.0';
