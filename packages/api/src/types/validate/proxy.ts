/**
 * @module types/validate/proxy
 * Validation of proxy (v2) documents, which proxies write through the API with their heartbeat.
 */
import type { ProxyServer } from '../proxy.ts';
import { type Ctx, type Obj, checkKeys, compact, optString, readMap, readString } from './common.ts';
import { readEnvelope } from './metadata.ts';

/** Validates a proxy document. */
export function validateProxy(ctx: Ctx, value: Obj): ProxyServer {
  const env = readEnvelope(ctx, value, { kind: 'proxy', versions: ['v2'] });
  const spec = readMap(ctx, env.spec, ['spec']);
  checkKeys(ctx, spec, ['spec'], ['hostname', 'addr', 'public_addr', 'version']);
  return {
    kind: 'proxy',
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      hostname: readString(ctx, spec.hostname, ['spec', 'hostname']),
      addr: optString(ctx, spec.addr, ['spec', 'addr']) ?? '',
      public_addr: optString(ctx, spec.public_addr, ['spec', 'public_addr']),
      version: optString(ctx, spec.version, ['spec', 'version']),
    }),
  };
}
