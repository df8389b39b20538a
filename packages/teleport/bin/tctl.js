#!/usr/bin/env node
// Thin entry point: registers the TypeScript loader and hands argv to runTctl() (see src/tool/tctl/main.ts).
import { register } from 'tsx/esm/api';

register();
const { runTctl } = await import('../src/tool/tctl/main.ts');
process.exitCode = await runTctl(process.argv.slice(2));
