/**
 * @module routes
 * Path patterns of the single-page app and a matcher for them (no router dependency). Patterns
 * are literal segments and `:name` parameters; a trailing `?` makes the last parameter optional.
 */

/** The base path the proxy serves the UI under. */
export const BASE = '/web';

/** The app's pages, by name. */
export const paths = {
  login: `${BASE}/login`,
  invite: `${BASE}/invite/:token`,
  reset: `${BASE}/reset/:token`,
  servers: `${BASE}`,
  databases: `${BASE}/databases`,
  sessions: `${BASE}/sessions`,
  terminal: `${BASE}/terminal/:node`,
  recordings: `${BASE}/recordings`,
  player: `${BASE}/recordings/:sid`,
  audit: `${BASE}/audit`,
  users: `${BASE}/users`,
  roles: `${BASE}/roles`,
  tokens: `${BASE}/tokens`,
} as const;

/** Name of a page in {@link paths}. */
export type RouteName = keyof typeof paths;

/** Parameters extracted from a path. */
export type Params = Record<string, string>;

/** Splits a path into its non-empty segments, ignoring a trailing slash. */
function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/**
 * Matches `path` against `pattern` and returns the decoded parameters, or null.
 * `matchPath('/web/terminal/:node', '/web/terminal/db%2D1')` gives `{ node: 'db-1' }`.
 */
export function matchPath(pattern: string, path: string): Params | null {
  const want = segments(pattern);
  const got = segments(path);
  if (want.length !== got.length) return null;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null; // malformed percent-encoding
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

/** Finds the first page whose pattern matches `path`. */
export function resolveRoute(path: string): { name: RouteName; params: Params } | null {
  for (const [name, pattern] of Object.entries(paths) as [RouteName, string][]) {
    const params = matchPath(pattern, path);
    if (params) return { name, params };
  }
  return null;
}

/** Fills a pattern's parameters: `buildPath(paths.player, { sid: 'a b' })` -> `/web/recordings/a%20b`. */
export function buildPath(pattern: string, params: Params = {}, query: Record<string, string | undefined> = {}): string {
  const path = pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, v);
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Only same-app paths are accepted as a post-login redirect target, so a crafted
 * `?redirect=https://evil` cannot send the user elsewhere.
 */
export function safeRedirect(target: string | null | undefined): string {
  if (!target || (!target.startsWith(`${BASE}/`) && target !== BASE)) return paths.servers;
  if (target.startsWith('//') || target.includes('\\')) return paths.servers;
  if (matchPath(paths.login, target.split('?')[0] ?? '')) return paths.servers;
  return target;
}
