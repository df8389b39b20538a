/**
 * @module proxy/web/terminal/upgrade
 * What is decided about a terminal WebSocket before it is accepted, as pure functions: which cluster
 * the path names, and whether the page that opens it is the proxy's own. Browsers attach cookies to
 * WebSocket handshakes from any site and the same-origin policy does not apply to them, so without
 * the Origin check a page elsewhere could open a terminal with the user's cookie (cross-site
 * WebSocket hijacking; the bearer token in the first message is the second line of defence).
 */
import type { Duplex } from 'node:stream';

const PATH = /^\/v1\/webapi\/sites\/([^/]+)\/connect\/ws$/;

/** The `:site` of a terminal WebSocket path, or undefined when `pathname` is not one. */
export function terminalSite(pathname: string): string | undefined {
  const m = PATH.exec(pathname);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

function originHost(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    return u.protocol === 'https:' && u.origin !== 'null' ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `origin` (the Origin header) is the proxy's own: `https://` and the Host the browser
 * connected to, or one of `allowed` (full origins like `https://proxy.example.com:3080`). A missing
 * Origin is refused: browsers always send one on WebSocket handshakes.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[] = []): boolean {
  if (!origin) return false;
  const got = originHost(origin);
  if (got === undefined) return false;
  if (host && got === hostOnly(host)) return true;
  return allowed.some((a) => originHost(a) === got);
}

// The Host header as URL.host spells it (lowercase, no default port 443).
function hostOnly(host: string): string | undefined {
  try {
    return new URL(`https://${host}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Answers an upgrade request with an HTTP error and a JSON body `{error:{message}}`, then closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: { message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`);
}
