/**
 * @module pages/TerminalPage
 * The web terminal: xterm.js over the proxy's WebSocket (protocol in lib/termProtocol.ts). The
 * proxy opens the SSH session as the user, so the node authorizes, records and audits it as for
 * tsh. Copy/paste use xterm's defaults (select to copy with the browser's copy shortcut, paste
 * with the browser's paste shortcut); the terminal follows the window size.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { getToken } from '../lib/api.ts';
import {
  decodeServerMessage, encodeAuth, encodeConnect, encodeData, encodeResize, terminalSocketUrl, type JoinMode,
} from '../lib/termProtocol.ts';
import { createTerminal, openTerminal } from '../xterm.ts';
import { buildPath, paths } from '../lib/routes.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ConnectMenu } from '../components/ConnectMenu.tsx';

type Status =
  | { kind: 'connecting' }
  | { kind: 'connected'; sid?: string }
  | { kind: 'closed'; reason: string };

/** The terminal page for `node`; `?login=` picks the login, `?sid=&mode=` joins a session. */
export function TerminalPage({ node }: { node: string }) {
  const { site, me } = useSession();
  const { search } = useLocation();
  const login = search.get('login') ?? '';
  const sid = search.get('sid') ?? undefined;
  const mode: JoinMode = search.get('mode') === 'observer' ? 'observer' : 'peer';
  const containerRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const wsRef = useRef<WebSocket | null>(null);
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const readOnly = Boolean(sid) && mode === 'observer';

  // One xterm per page visit.
  useEffect(() => {
    if (!containerRef.current || !login) return;
    const term = createTerminal(readOnly);
    const fit = new FitAddon();
    term.loadAddon(fit);
    openTerminal(term, containerRef.current);
    fit.fit();
    term.focus();
    termRef.current = term;
    fitRef.current = fit;
    const onData = term.onData((d) => {
      if (!readOnly && wsRef.current?.readyState === WebSocket.OPEN) wsRef.current.send(encodeData(d));
    });
    const onResize = term.onResize(({ cols, rows }) => {
      if (wsRef.current?.readyState === WebSocket.OPEN) wsRef.current.send(encodeResize(cols, rows));
    });
    const refit = () => fit.fit();
    window.addEventListener('resize', refit);
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(refit);
    ro?.observe(containerRef.current);
    return () => {
      window.removeEventListener('resize', refit);
      ro?.disconnect();
      onData.dispose();
      onResize.dispose();
      term.dispose();
      termRef.current = null;
      fitRef.current = null;
    };
  }, [login, readOnly]);

  // One WebSocket per (re)connect attempt.
  useEffect(() => {
    const term = termRef.current;
    if (!term || !login) return;
    const token = getToken();
    if (!token) {
      setStatus({ kind: 'closed', reason: 'You are not logged in.' });
      return;
    }
    setStatus({ kind: 'connecting' });
    setError(undefined);
    const ws = new WebSocket(terminalSocketUrl(window.location, site));
    ws.binaryType = 'arraybuffer';
    wsRef.current = ws;
    let exitCode: number | undefined;
    ws.onopen = () => {
      ws.send(encodeAuth(token));
      ws.send(encodeConnect({ login, node, cols: term.cols, rows: term.rows, ...(sid ? { sid, mode } : {}) }));
      setStatus({ kind: 'connected' });
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (typeof ev.data !== 'string') {
        term.write(new Uint8Array(ev.data));
        return;
      }
      const msg = decodeServerMessage(ev.data);
      if (msg?.type === 'session') setStatus({ kind: 'connected', sid: msg.sid });
      else if (msg?.type === 'error') setError(msg.message);
      else if (msg?.type === 'exit') exitCode = msg.code;
    };
    ws.onclose = (ev) => {
      if (wsRef.current === ws) wsRef.current = null;
      const reason = exitCode !== undefined ? `The session ended (exit code ${exitCode}).`
        : ev.reason ? `Disconnected: ${ev.reason}.` : 'Disconnected.';
      setStatus({ kind: 'closed', reason });
    };
    return () => {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, 'leaving the page');
      if (wsRef.current === ws) wsRef.current = null;
    };
  }, [site, node, login, sid, mode, attempt]);

  const reconnect = useCallback(() => {
    termRef.current?.reset();
    setAttempt((a) => a + 1);
    termRef.current?.focus();
  }, []);

  if (!login) {
    return (
      <main id="main" className="page">
        <h1>Connect to {node}</h1>
        <p>Choose the login to use on this server.</p>
        <ConnectMenu logins={me.logins} label="Choose login"
          onPick={(l) => navigate(buildPath(paths.terminal, { node }, { login: l }), { replace: true })} />
      </main>
    );
  }

  return (
    <main id="main" className="page page-terminal">
      <div className="terminal-bar">
        <h1 className="terminal-title">{login}@{node}{readOnly ? ' (observing)' : ''}</h1>
        <span role="status" className="muted">
          {status.kind === 'connecting' ? 'Connecting…'
            : status.kind === 'connected' ? `Connected${status.sid ? ` · session ${status.sid}` : ''}` : status.reason}
        </span>
        <Link to={paths.servers} className="btn btn-small">Back to servers</Link>
      </div>
      {error ? <div className="banner banner-error" role="alert">{error}</div> : null}
      {status.kind === 'closed' ? (
        <div className="banner banner-warn" role="alert">
          <span>{status.reason} Disconnected — reconnect?</span>{' '}
          <button type="button" className="btn btn-primary btn-small" onClick={reconnect}>Reconnect</button>
        </div>
      ) : null}
      <div ref={containerRef} className="terminal" aria-label={`Terminal: ${login} on ${node}`} />
    </main>
  );
}
