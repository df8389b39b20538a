/**
 * @module proxy/web/handlers/ping
 * GET /v1/webapi/ping: cluster name, authentication settings, proxy addresses and version. Needs no
 * login; tsh calls it first to learn how to log in.
 */
import type { PingResponse } from '@teleport-ts/api/webapi';
import { VERSION } from '../../../version.ts';
import { sendJSON } from '../http.ts';
import type { Handler } from '../router.ts';
import type { WebContext } from './context.ts';

/** Cached ping answer; auth settings change rarely and ping is hit by every client start. */
const CACHE_MS = 5_000;

/** Builds the ping handler. */
export function pingHandler(ctx: WebContext): Handler {
  let cached: { at: number; body: PingResponse } | undefined;
  return async (_req, res) => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const ping = await ctx.authClient.ping();
      cached = {
        at: Date.now(),
        body: {
          auth: {
            type: ping.authPreference.spec.type,
            second_factor: ping.authPreference.spec.second_factor,
            local: { name: '' },
          },
          proxy: {
            ssh: {
              listen_addr: ctx.sshPublicAddr,
              tunnel_listen_addr: ctx.tunnelPublicAddr,
              public_addr: ctx.webPublicAddr,
              ssh_public_addr: ctx.sshPublicAddr,
            },
            ...(ctx.dbSettings && Object.keys(ctx.dbSettings).length > 0 && { db: { ...ctx.dbSettings } }),
            tls_routing_enabled: false,
          },
          server_version: VERSION,
          cluster_name: ping.clusterName,
          ca_pin: ping.caPins,
        },
      };
    }
    sendJSON(res, 200, cached.body);
  };
}
