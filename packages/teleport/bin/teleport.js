#!/usr/bin/env node
// Thin entry point: registers the TypeScript loader and hands argv to runTeleport() (see src/tool/teleport/main.ts).
import { register } from 'tsx/esm/api';

register();
const { runTeleport } = await import('../src/tool/teleport/main.ts');
process.exitCode = await runTeleport(process.argv.slice(2));
