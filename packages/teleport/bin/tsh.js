#!/usr/bin/env -S node --initial-old-space-size=128
// The node flag on the first line is V8_HEAP_FLAGS (launch.js says why; a test keeps them equal).
// Thin entry point: loads tsh (the prebuilt bundle when fresh, else the sources through tsx; see
// launch.js) and hands argv to runTsh() (see src/tool/tsh/main.ts).
import { loadCLI, wantsDebug } from './launch.js';

const { runTsh } = await loadCLI('tsh', 'src/tool/tsh/main.ts', { sourceMaps: wantsDebug() });
// Exit at once: idle API connections (the auth tunnel keeps its HTTP/2 session for 60 s) must not hold tsh open.
process.exit(await runTsh(process.argv.slice(2)));
