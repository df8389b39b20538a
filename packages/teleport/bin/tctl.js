#!/usr/bin/env node
// Thin entry point: loads tctl (the prebuilt bundle when fresh, else the sources through tsx; see
// launch.js) and hands argv to runTctl() (see src/tool/tctl/main.ts).
import { loadCLI, wantsDebug } from './launch.js';

const { runTctl } = await loadCLI('tctl', 'src/tool/tctl/main.ts', { sourceMaps: wantsDebug() });
process.exitCode = await runTctl(process.argv.slice(2));
