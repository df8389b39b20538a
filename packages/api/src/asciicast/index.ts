/**
 * @module asciicast
 * The asciicast v2 session recording format: header and event encoding, a streaming parser, and the
 * rule for turning terminal bytes into stored text. Pure code, no I/O. Import as
 * '@teleport-ts/api/asciicast/index'.
 */
export * from './codec.ts';
export * from './parser.ts';
export * from './text.ts';
