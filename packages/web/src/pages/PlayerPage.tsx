/**
 * @module pages/PlayerPage
 * Plays a session recording: the asciicast text from /recordings/:sid/stream replayed into a
 * read-only xterm, with play/pause, speed and a seek bar (keyboard: space toggles, arrows seek
 * 5 s). An xterm-based player rather than asciinema-player: asciinema-player 3 compiles a
 * WebAssembly module, which the proxy's CSP (script-src 'self', no 'wasm-unsafe-eval') blocks.
 */
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { Terminal } from '@xterm/xterm';
import { apiText, errorMessage, sitePath } from '../lib/api.ts';
import { formatClock, parseAsciicast, type Cast } from '../lib/asciicast.ts';
import { Playback, SPEEDS } from '../lib/playback.ts';
import { paths } from '../lib/routes.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { createTerminal, openTerminal } from '../xterm.ts';
import { ErrorBanner, Loading } from '../components/common.tsx';

/** The player for recording `sid`. */
export function PlayerPage({ sid }: { sid: string }) {
  const { site } = useSession();
  const [cast, setCast] = useState<Cast>();
  const [error, setError] = useState<string>();
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const containerRef = useRef<HTMLDivElement>(null);
  const playbackRef = useRef<Playback | null>(null);
  const clockRef = useRef<{ wall: number; base: number }>({ wall: 0, base: 0 });
  const speedId = useId();
  const seekId = useId();

  useEffect(() => {
    const ctl = new AbortController();
    apiText(sitePath(site, `recordings/${encodeURIComponent(sid)}/stream`), { signal: ctl.signal })
      .then((text) => setCast(parseAsciicast(text)))
      .catch((e: unknown) => { if (!ctl.signal.aborted) setError(errorMessage(e)); });
    return () => ctl.abort();
  }, [site, sid]);

  useEffect(() => {
    if (!cast || !containerRef.current) return;
    const term: Terminal = createTerminal(true, { cols: cast.width, rows: cast.height });
    openTerminal(term, containerRef.current);
    playbackRef.current = new Playback(cast, {
      write: (d) => term.write(d),
      reset: () => term.reset(),
      resize: (c, r) => term.resize(c, r),
    });
    setTime(0);
    setPlaying(true);
    return () => {
      playbackRef.current = null;
      term.dispose();
    };
  }, [cast]);

  // The playback loop: position = base + elapsed wall time x speed.
  useEffect(() => {
    const pb = playbackRef.current;
    if (!playing || !pb) return;
    if (pb.ended) pb.seek(0);
    clockRef.current = { wall: performance.now(), base: pb.position };
    let frame = 0;
    const tick = () => {
      const t = clockRef.current.base + ((performance.now() - clockRef.current.wall) / 1000) * speed;
      pb.seek(t);
      setTime(pb.position);
      if (pb.ended) {
        setPlaying(false);
        return;
      }
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing, speed]);

  const seek = useCallback((t: number) => {
    const pb = playbackRef.current;
    if (!pb) return;
    pb.seek(t);
    clockRef.current = { wall: performance.now(), base: pb.position };
    setTime(pb.position);
  }, []);

  const onKey = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).tagName === 'SELECT' || (e.target as HTMLElement).tagName === 'INPUT') return;
    if (e.key === ' ' || e.key === 'k') {
      e.preventDefault();
      setPlaying((p) => !p);
    } else if (e.key === 'ArrowRight') {
      seek(time + 5);
    } else if (e.key === 'ArrowLeft') {
      seek(time - 5);
    }
  };

  const duration = cast?.duration ?? 0;
  return (
    <main id="main" className="page page-terminal" onKeyDown={onKey}>
      <div className="terminal-bar">
        <h1 className="terminal-title">Recording {sid}</h1>
        <Link to={paths.recordings} className="btn btn-small">Back to recordings</Link>
      </div>
      <ErrorBanner error={error} />
      <Loading show={!cast && !error} />
      <div ref={containerRef} className="terminal terminal-player" tabIndex={0} aria-label="Recorded terminal output" />
      {cast ? (
        <div className="player-controls" role="group" aria-label="Playback controls">
          <button type="button" className="btn btn-primary" onClick={() => setPlaying((p) => !p)} aria-pressed={playing}>
            {playing ? 'Pause' : 'Play'}
          </button>
          <label htmlFor={seekId} className="visually-hidden">Position</label>
          <input id={seekId} type="range" className="seek" min={0} max={Math.max(duration, 0.001)} step={0.1} value={time}
            onChange={(e) => seek(Number(e.target.value))} aria-valuetext={`${formatClock(time)} of ${formatClock(duration)}`} />
          <span className="clock" aria-hidden="true">{formatClock(time)} / {formatClock(duration)}</span>
          <label htmlFor={speedId}>Speed</label>
          <select id={speedId} value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
            {SPEEDS.map((s) => <option key={s} value={s}>{s}×</option>)}
          </select>
        </div>
      ) : null}
    </main>
  );
}
