/**
 * @module auth/resources/proxies
 * Proxies announce themselves (kind proxy) with a heartbeat; each may write only its own record
 * (AuthWithRoles). Every authenticated caller may read them, as upstream's implicit role lets every
 * user read proxies, unless one of the user's roles denies it explicitly.
 */
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { HandlerDeps, ResourceHandler } from './handler.ts';

/** Handler for kind "proxy". Reads go through the presence cache when auth has one. */
export function proxyHandler(deps: HandlerDeps): ResourceHandler {
  const p = deps.services.presence;
  const read = deps.presenceReader ?? p;
  return {
    kind: 'proxy',
    get: (name) => read.getProxy(name),
    list: () => read.listProxies(),
    upsert: (r) => p.upsertProxy(r as ProxyServer),
    create: (r) => p.upsertProxy(r as ProxyServer),
    delete: (name) => p.deleteProxy(name),
    // Upstream's implicit rule {resources: [proxy], verbs: [read, list]}: a deny rule still wins.
    visibleTo: (_r, user) => (['read', 'list'] as const).every((verb) => {
      const d = user.checker.decideRule('proxy', verb);
      return d.allowed || d.role === undefined;
    }),
  };
}
