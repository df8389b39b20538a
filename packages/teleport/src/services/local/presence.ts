/**
 * @module services/local/presence
 * Things that are alive only while they keep saying so: nodes (/nodes/default/<host-uuid>), proxies
 * (/proxies/<host-uuid>) and live session trackers (/session_trackers/<session-id>). Writers set
 * `metadata.expires`; the backend
 * drops expired records and emits delete events, so watchers see a crashed node disappear.
 */
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import { BadParameterError } from '@teleport-ts/api/errors';
import { key } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import { checkName, deleteKey, describe, getJSON, listJSON, putJSON } from './resourceStore.ts';

const NODES = 'nodes';
const NAMESPACE = 'default';
const TRACKERS = 'session_trackers';
const PROXIES = 'proxies';

/** Key prefix of nodes, for watchers. */
export const NODES_PREFIX = key(NODES, NAMESPACE) + '/';
/** Key prefix of proxies, for watchers. */
export const PROXIES_PREFIX = key(PROXIES) + '/';
/** Key prefix of session trackers, for watchers. */
export const SESSION_TRACKERS_PREFIX = key(TRACKERS) + '/';

function nodeKey(name: string): string {
  checkName('node', name);
  return key(NODES, NAMESPACE, name);
}

function proxyKey(name: string): string {
  checkName('proxy', name);
  return key(PROXIES, name);
}

function trackerKey(id: string): string {
  checkName('session_tracker', id);
  return key(TRACKERS, id);
}

/** Stores nodes, proxies and session trackers. */
export class PresenceService {
  constructor(private readonly backend: Backend) {}

  /** Creates or refreshes a node (a heartbeat). */
  async upsertNode(server: Server): Promise<Server> {
    if (server.kind !== 'node') throw new BadParameterError(`expected a resource of kind node, got '${String(server.kind)}'`);
    return putJSON(this.backend, nodeKey(server.metadata.name), server);
  }

  /** Reads one node by host UUID. */
  getNode(name: string): Promise<Server> {
    return getJSON<Server>(this.backend, nodeKey(name), describe('node', name));
  }

  /** Lists live nodes. */
  listNodes(): Promise<Server[]> {
    return listJSON<Server>(this.backend, NODES_PREFIX);
  }

  /** Removes a node (graceful shutdown). */
  deleteNode(name: string): Promise<void> {
    return deleteKey(this.backend, nodeKey(name), describe('node', name));
  }

  /** Creates or refreshes a proxy (a heartbeat). */
  async upsertProxy(proxy: ProxyServer): Promise<ProxyServer> {
    if (proxy.kind !== 'proxy') throw new BadParameterError(`expected a resource of kind proxy, got '${String(proxy.kind)}'`);
    return putJSON(this.backend, proxyKey(proxy.metadata.name), proxy);
  }

  /** Reads one proxy by host UUID. */
  getProxy(name: string): Promise<ProxyServer> {
    return getJSON<ProxyServer>(this.backend, proxyKey(name), describe('proxy', name));
  }

  /** Lists live proxies. */
  listProxies(): Promise<ProxyServer[]> {
    return listJSON<ProxyServer>(this.backend, PROXIES_PREFIX);
  }

  /** Removes a proxy (graceful shutdown). */
  deleteProxy(name: string): Promise<void> {
    return deleteKey(this.backend, proxyKey(name), describe('proxy', name));
  }

  /** Creates or refreshes a session tracker. */
  async upsertSessionTracker(t: SessionTracker): Promise<SessionTracker> {
    if (t.kind !== 'session_tracker') throw new BadParameterError(`expected a resource of kind session_tracker, got '${String(t.kind)}'`);
    return putJSON(this.backend, trackerKey(t.metadata.name), t);
  }

  /** Reads one live session. */
  getSessionTracker(id: string): Promise<SessionTracker> {
    return getJSON<SessionTracker>(this.backend, trackerKey(id), describe('session', id));
  }

  /** Lists live sessions. */
  listSessionTrackers(): Promise<SessionTracker[]> {
    return listJSON<SessionTracker>(this.backend, SESSION_TRACKERS_PREFIX);
  }

  /** Removes a session tracker when the session ends. */
  deleteSessionTracker(id: string): Promise<void> {
    return deleteKey(this.backend, trackerKey(id), describe('session', id));
  }
}
