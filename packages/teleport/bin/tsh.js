#!/usr/bin/env node
// Thin entry point: registers the TypeScript loader and hands argv to runTsh() (see src/tool/tsh/main.ts).
import { register } from 'tsx/esm/api';

register();
const { runTsh } = await import('../src/tool/tsh/main.ts');
process.exitCode = await runTsh(process.argv.slice(2));
