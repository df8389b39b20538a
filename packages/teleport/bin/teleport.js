#!/usr/bin/env -S node --initial-old-space-size=128
// The node flag on the first line is V8_HEAP_FLAGS (launch.js says why; a test keeps them equal).
// Thin entry point: loads teleport (the prebuilt bundle when fresh, else the sources through tsx;
// see launch.js) and hands argv to runTeleport() (see src/tool/teleport/main.ts). A daemon's start
// time hardly matters and its logged stack traces should name the TypeScript sources: source maps on.
import { loadCLI } from './launch.js';

const { runTeleport } = await loadCLI('teleport', 'src/tool/teleport/main.ts', { sourceMaps: true });
process.exitCode = await runTeleport(process.argv.slice(2));
