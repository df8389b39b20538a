/**
 * @module types
 * Resource validation, parsing, formatting and preset roles, in one import:
 * `import { parseResources, formatResourcesYAML } from '@teleport-ts/api/types/index'`.
 */
export * from './validation.ts';
export * from './parse.ts';
export * from './format.ts';
export * from './presets.ts';
