/**
 * @module auth/watch
 * Resource change streams for agents' caches: maps backend keys to resource kinds, strips secrets,
 * and turns a backend watcher into WatchEvent messages. The backend's ordering and "nothing missed
 * after ready" guarantees carry straight through.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { withoutSecrets, type CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { Backend, BackendEvent } from '../backend/backend.ts';
import { fromBytes } from '../backend/backend.ts';

/** Watchable kinds and where they live in the backend. */
const KIND_LAYOUT: Record<string, { prefix: string; nameOf: (parts: string[]) => string | undefined }> = {
  role: { prefix: '/roles/', nameOf: (p) => (p.length === 2 && p[1] === 'params' ? p[0] : undefined) },
  user: { prefix: '/users/', nameOf: (p) => (p.length === 2 && p[1] === 'params' ? p[0] : undefined) },
  cert_authority: { prefix: '/authorities/', nameOf: (p) => (p.length === 2 ? `${p[0]}/${p[1]}` : undefined) },
  node: { prefix: '/nodes/default/', nameOf: (p) => (p.length === 1 ? p[0] : undefined) },
  session_tracker: { prefix: '/session_trackers/', nameOf: (p) => (p.length === 1 ? p[0] : undefined) },
  proxy: { prefix: '/proxies/', nameOf: (p) => (p.length === 1 ? p[0] : undefined) },
  db: { prefix: '/db/', nameOf: (p) => (p.length === 1 ? p[0] : undefined) },
  // Named "<host_id>/<database name>", as the db_server handler addresses them.
  db_server: { prefix: '/db_servers/', nameOf: (p) => (p.length === 2 ? `${p[0]}/${p[1]}` : undefined) },
  // A singleton under one key (services/local/clusterConfig): the prefix is the whole key.
  session_recording_config: {
    prefix: '/cluster_configuration/session_recording',
    nameOf: (p) => (p.length === 1 && p[0] === '' ? 'session-recording-config' : undefined),
  },
};

/** Kinds WatchEvents supports. */
export const WATCHABLE_KINDS = Object.keys(KIND_LAYOUT);

/** One change as sent to a watcher. */
export interface ResourceEvent {
  type: 'init' | 'put' | 'delete';
  kind: string;
  name: string;
  resource?: Resource;
}

/** Maps a backend event to a resource event, or undefined for keys that are not a watched resource. */
export function toResourceEvent(e: BackendEvent, kinds: string[]): ResourceEvent | undefined {
  for (const kind of kinds) {
    const layout = KIND_LAYOUT[kind];
    if (!layout || !e.item.key.startsWith(layout.prefix)) continue;
    const name = layout.nameOf(e.item.key.slice(layout.prefix.length).split('/'));
    if (!name) return undefined;
    if (e.type === 'delete') return { type: 'delete', kind, name };
    let resource = JSON.parse(fromBytes(e.item.value)) as Resource;
    if (resource.kind === 'cert_authority') resource = withoutSecrets(resource as CertAuthority);
    return { type: 'put', kind, name, resource };
  }
  return undefined;
}

/** Streams resource events for `kinds` until `signal` aborts. */
export async function* watchResources(backend: Backend, kinds: string[], signal: AbortSignal): AsyncGenerator<ResourceEvent> {
  for (const k of kinds) {
    if (!KIND_LAYOUT[k]) throw new BadParameterError(`cannot watch kind "${k}": watchable kinds are ${WATCHABLE_KINDS.join(', ')}`);
  }
  const watcher = await backend.newWatcher({ prefixes: kinds.map((k) => (KIND_LAYOUT[k] as { prefix: string }).prefix), name: 'api' });
  const stop = () => watcher.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await watcher.ready;
    yield { type: 'init', kind: '', name: '' };
    for await (const e of watcher.events()) {
      const ev = toResourceEvent(e, kinds);
      if (ev) yield ev;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    watcher.close();
  }
}
