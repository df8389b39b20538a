/**
 * @module bench/cpuProfile
 * CPU profiling for teleport processes the benchmarks start as subprocesses, where `--cpu-prof`
 * cannot be used (Node refuses it in NODE_OPTIONS, and the bench stops those processes with
 * SIGKILL, so nothing would be written at exit). Preload it with
 * `NODE_OPTIONS="--import /path/to/bench/cpuProfile.js"` (e.g. the `nodeOptions` of
 * startSplitCluster or startAgentProcess, or BENCH_NODE_OPTIONS for the split SSH rig). Profiling
 * starts at load; each `kill -USR2 <pid>` writes what was recorded since the previous signal to
 * `$BENCH_PROFILE_DIR/<pid>-<n>.cpuprofile` (default /tmp) and starts a new recording. Open the
 * files in Chrome DevTools or speedscope.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
let written = 0;
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(join(process.env.BENCH_PROFILE_DIR || '/tmp', `${process.pid}-${++written}.cpuprofile`), JSON.stringify(result.profile));
    session.post('Profiler.start');
  });
});
