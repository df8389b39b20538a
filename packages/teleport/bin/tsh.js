#!/usr/bin/env node
// Thin entry point: registers the TypeScript loader and hands argv to runTsh() (see src/tool/tsh/main.ts).
import { register } from 'tsx/esm/api';

register();
const { runTsh } = await import('../src/tool/tsh/main.ts');
// Exit at once: idle API connections (the auth tunnel keeps its HTTP/2 session for 60 s) must not hold tsh open.
process.exit(await runTsh(process.argv.slice(2)));
