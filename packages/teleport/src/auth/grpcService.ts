/**
 * @module auth/grpcService
 * The AuthService RPC implementation: decodes requests, builds the caller's AuthWithRoles from the
 * TLS peer certificate, calls it, and encodes responses. Errors become ConnectErrors here (the edge)
 * and nowhere else. Exactly two RPCs skip authorization, because an agent that has not joined yet has
 * no certificate: GetClusterCACerts (public CA material) and RegisterUsingToken (the token is the
 * credential). They go through `callPublic`; every other handler goes through `call`.
 */
import type { TLSSocket } from 'node:tls';
import type { Http2ServerRequest } from 'node:http2';
import { createContextKey, createContextValues, type ConnectRouter, type ContextValues, type ServiceImpl } from '@connectrpc/connect';
import { AuthService } from '@teleport-ts/api/gen/teleport/auth/v1/auth_pb';
import { toConnectError } from '@teleport-ts/api/client/errorMapping';
import { TeleportError, BadParameterError } from '@teleport-ts/api/errors';
import type { Certs } from '@teleport-ts/api/client/authClient';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { AuthServer } from './authServer.ts';
import { Authorizer } from './authorizer.ts';
import { AuthWithRoles } from './authWithRoles.ts';
import type { Logger } from '../utils/logger.ts';
import { VERSION } from '../version.ts';
import type { ResourceEvent } from './watch.ts';
import type { CallContext } from './grpcUnary.ts';
import { sharedJSON } from '../services/cache/sharedJSON.ts';

/** Context key carrying the TLS socket of the current call. */
export const kPeerSocket = createContextKey<TLSSocket | undefined>(undefined, { description: 'TLS peer socket' });

/** Extracts the TLS socket from a Node HTTP/2 (or HTTP/1) request for `contextValues`. */
export function peerContextValues(req: { socket?: unknown; stream?: unknown }): ContextValues {
  const h2 = req as Partial<Http2ServerRequest>;
  const socket = (h2.stream?.session?.socket ?? req.socket) as TLSSocket | undefined;
  return createContextValues().set(kPeerSocket, socket);
}

/** The AuthService handlers, each taking the narrow {@link CallContext} (Connect's HandlerContext is one). */
export type AuthServiceHandlers = {
  [M in keyof ServiceImpl<typeof AuthService>]: (
    req: Parameters<ServiceImpl<typeof AuthService>[M]>[0],
    ctx: CallContext,
  ) => ReturnType<ServiceImpl<typeof AuthService>[M]>;
};

/** Registers the AuthService handlers on a Connect router. */
export function registerAuthService(router: ConnectRouter, handlers: AuthServiceHandlers): void {
  router.service(AuthService, handlers);
}

function parseJSON(text: string, what: string): Resource {
  try {
    return JSON.parse(text) as Resource;
  } catch {
    throw new BadParameterError(`${what} is not valid JSON`);
  }
}

function certsMessage(c: Certs) {
  return {
    username: c.username,
    sshCert: c.sshCert,
    tlsCert: c.tlsCert,
    hostCasJson: c.hostCAs.map((ca) => JSON.stringify(ca)),
    tlsCaCerts: c.tlsCACerts,
  };
}

/** The AuthService implementation: authorize each call, run it, map its errors. */
export function authServiceHandlers(auth: AuthServer, logger: Logger): AuthServiceHandlers {
  const authorizer = new Authorizer(auth.services, auth.keyring, auth.clock);

  const authorize = async (ctx: CallContext): Promise<AuthWithRoles> => {
    const socket = ctx.values.get(kPeerSocket);
    if (!socket) throw new BadParameterError('RPC received without a TLS connection');
    return new AuthWithRoles(auth, await authorizer.fromSocket(socket));
  };

  // Every unary handler runs through this: authorize, call, map errors.
  const call = <T>(ctx: CallContext, fn: (api: AuthWithRoles) => Promise<T>): Promise<T> =>
    (async () => fn(await authorize(ctx)))().catch((err: unknown) => {
      if (!(err instanceof TeleportError)) logger.error({ err, method: ctx.method.name }, 'unexpected error in auth API');
      throw toConnectError(err);
    });

  // Only for the joining RPCs: no caller identity, same error mapping.
  const callPublic = <T>(ctx: CallContext, fn: () => Promise<T>): Promise<T> =>
    fn().catch((err: unknown) => {
      if (!(err instanceof TeleportError)) logger.error({ err, method: ctx.method.name }, 'unexpected error in auth API');
      throw toConnectError(err);
    });

  // The joining agent's address: the socket's peer, or what a proxy (host certificate, role Proxy) reports.
  const joinRemoteAddr = async (ctx: CallContext, claimed: string): Promise<string> => {
    const socket = ctx.values.get(kPeerSocket);
    const seen = socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? 0}` : '';
    if (!claimed || !socket) return seen;
    try {
      const caller = await authorizer.fromSocket(socket);
      if (caller.kind === 'builtin' && caller.role === 'Proxy') return claimed;
    } catch {
      // No or an unusable certificate: an ordinary joining agent, whose claim we ignore.
    }
    return seen;
  };

  return {
    getClusterCACerts: (_req, ctx) =>
      callPublic(ctx, async () => {
        const [host, user] = [await auth.keyring.publicCA('host'), await auth.keyring.publicCA('user')];
        return {
          clusterName: auth.clusterName,
          tlsCaCerts: await auth.keyring.tlsCerts('host'),
          userTlsCaCerts: await auth.keyring.tlsCerts('user'),
          sshHostCaKeys: (host.spec.active_keys.ssh ?? []).map((k) => k.public_key),
          sshUserCaKeys: (user.spec.active_keys.ssh ?? []).map((k) => k.public_key),
        };
      }),
    registerUsingToken: (req, ctx) =>
      callPublic(ctx, async () =>
        certsMessage(
          await auth.registerUsingToken({
            token: req.token, hostId: req.hostId, nodeName: req.nodeName, role: req.role,
            additionalPrincipals: req.additionalPrincipals, dnsNames: req.dnsNames,
            sshPublicKey: req.sshPublicKey, tlsPublicKey: req.tlsPublicKey,
            remoteAddr: await joinRemoteAddr(ctx, req.remoteAddr),
          }),
        ),
      ),
    ping: (_req, ctx) =>
      call(ctx, async (api) => ({
        clusterName: auth.clusterName,
        serverVersion: VERSION,
        caPins: await auth.caPins(),
        username: api.ctx.name,
        roles: api.ctx.kind === 'user' ? api.ctx.identity.groups : [],
        systemRoles: api.ctx.kind === 'builtin' ? [api.ctx.role] : [],
        authPreferenceJson: JSON.stringify(await auth.services.clusterConfig.getAuthPreference()),
        proxyPublicAddr: auth.proxyPublicAddress(),
      })),
    getResource: (req, ctx) =>
      call(ctx, async (api) => ({ resourceJson: JSON.stringify(await api.getResource(req.kind, req.name)) })),
    listResources: (req, ctx) =>
      // Cached presence records are shared frozen objects whose JSON is kept (sharedJSON).
      call(ctx, async (api) => ({ resourcesJson: (await api.listResources(req.kind)).map((r) => sharedJSON(r)) })),
    createResource: (req, ctx) =>
      call(ctx, async (api) => ({ resourceJson: JSON.stringify(await api.createResource(parseJSON(req.resourceJson, 'resource'))) })),
    upsertResource: (req, ctx) =>
      call(ctx, async (api) => ({ resourceJson: JSON.stringify(await api.upsertResource(parseJSON(req.resourceJson, 'resource'))) })),
    deleteResource: (req, ctx) => call(ctx, async (api) => (await api.deleteResource(req.kind, req.name), {})),
    createUserToken: (req, ctx) =>
      call(ctx, async (api) => {
        const token = await api.createUserToken({ user: req.user, kind: req.kind as 'invite' | 'reset', ttlMs: Number(req.ttlMs) });
        return { tokenJson: JSON.stringify(token) };
      }),
    getUserToken: (req, ctx) =>
      call(ctx, async (api) => {
        const t = await api.getUserToken(req.tokenId);
        return { tokenJson: JSON.stringify(t.token), otpRequired: t.otpRequired, otpSecret: t.otpSecret ?? '', otpUri: t.otpURI ?? '' };
      }),
    changePasswordWithToken: (req, ctx) =>
      call(ctx, async (api) => ({
        user: await api.changePasswordWithToken({ tokenId: req.tokenId, password: req.password, otpCode: req.otpCode, remoteAddr: req.remoteAddr }),
      })),
    authenticateSSHUser: (req, ctx) =>
      call(ctx, async (api) =>
        certsMessage(
          await api.authenticateSSHUser({
            user: req.user, password: req.password, otpCode: req.otpCode, sshPublicKey: req.sshPublicKey,
            tlsPublicKey: req.tlsPublicKey, ttlMs: Number(req.ttlMs), remoteAddr: req.remoteAddr,
          }),
        ),
      ),
    createWebSession: (req, ctx) =>
      call(ctx, async (api) => {
        const { session, bearerToken } = await api.createWebSession({
          user: req.user, password: req.password, otpCode: req.otpCode, remoteAddr: req.remoteAddr,
        });
        return {
          sessionId: session.id, bearerToken, expiresMs: BigInt(session.expires), user: session.user, roles: session.roles,
        };
      }),
    getWebSession: (req, ctx) =>
      call(ctx, async (api) => {
        const s = await api.getWebSession(req.sessionId);
        return {
          sessionId: s.id, user: s.user, roles: s.roles, bearerTokenSha256: s.bearerTokenSHA256,
          createdMs: BigInt(s.created), expiresMs: BigInt(s.expires), privateKeyPem: s.privateKeyPEM,
          sshCert: s.sshCert, tlsCert: s.tlsCert, tlsCaCerts: s.tlsCACerts, hostCasJson: s.hostCAsJSON,
        };
      }),
    deleteWebSession: (req, ctx) => call(ctx, async (api) => (await api.deleteWebSession(req.sessionId), {})),
    generateUserCerts: (req, ctx) =>
      call(ctx, async (api) =>
        certsMessage(
          await api.generateUserCerts({
            username: req.username,
            ...(req.sshPublicKey && { sshPublicKey: req.sshPublicKey }),
            ...(req.tlsPublicKey && { tlsPublicKey: req.tlsPublicKey }),
            ttlMs: Number(req.ttlMs),
            ...(req.dbService && {
              routeToDatabase: { serviceName: req.dbService, protocol: req.dbProtocol, username: req.dbUser, database: req.dbName },
            }),
          }),
        ),
      ),
    generateHostCerts: (req, ctx) =>
      call(ctx, async (api) =>
        certsMessage(
          await api.generateHostCerts({
            hostId: req.hostId, nodeName: req.nodeName, role: req.role, additionalPrincipals: req.additionalPrincipals,
            dnsNames: req.dnsNames, sshPublicKey: req.sshPublicKey, tlsPublicKey: req.tlsPublicKey, ttlMs: Number(req.ttlMs),
          }),
        ),
      ),
    reissueUserCertForProxy: (req, ctx) =>
      call(ctx, async (api) =>
        certsMessage(
          await api.reissueUserCertForProxy({
            sshCert: req.sshCert, sshPublicKey: req.sshPublicKey, authData: req.authData, authSignature: req.authSignature, nodeId: req.nodeId,
          }),
        ),
      ),
    generateDatabaseCert: (req, ctx) =>
      call(ctx, async (api) => {
        const r = await api.generateDatabaseCert({
          tlsPublicKey: req.tlsPublicKey, commonName: req.commonName, serverNames: req.serverNames,
          ttlMs: Number(req.ttlMs), usage: req.usage as 'client' | 'server',
        });
        return { cert: r.certPEM, caCerts: r.caCerts };
      }),
    getCertAuthorities: (req, ctx) =>
      call(ctx, async (api) => ({ casJson: (await api.getCertAuthorities(req.type)).map((ca) => JSON.stringify(ca)) })),
    searchEvents: (req, ctx) =>
      call(ctx, async (api) => {
        const r = await api.searchEvents({
          from: new Date(Number(req.fromMs)),
          to: new Date(Number(req.toMs)),
          ...(req.eventTypes.length && { eventTypes: req.eventTypes }),
          ...(req.limit && { limit: req.limit }),
          order: req.order === 'desc' ? 'desc' : 'asc',
          ...(req.startKey && { startKey: req.startKey }),
        });
        return { eventsJson: r.events.map((e) => JSON.stringify(e)), lastKey: r.lastKey ?? '' };
      }),
    uploadRecordingChunk: (req, ctx) =>
      call(ctx, async (api) => ({
        size: BigInt(await api.uploadRecordingChunk({
          sessionId: req.sessionId, offset: Number(req.offset), data: req.data, final: req.final, participants: req.participants,
        })),
      })),
    getRecording: (req, ctx) =>
      call(ctx, async (api) => {
        const r = await api.getRecording({ sessionId: req.sessionId, offset: Number(req.offset), limit: req.limit });
        return { data: r.data, size: BigInt(r.size), complete: r.complete };
      }),
    async *watchEvents(req, ctx) {
      let stream: AsyncGenerator<ResourceEvent>;
      try {
        const api = await authorize(ctx);
        stream = api.watchEvents(req.kinds, ctx.signal);
        for await (const e of stream) {
          yield { type: e.type, kind: e.kind, name: e.name, resourceJson: e.resource ? JSON.stringify(e.resource) : '' };
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
        if (!(err instanceof TeleportError)) logger.error({ err }, 'watch stream failed');
        throw toConnectError(err);
      }
    },
    // event_json is one event, or a JSON array of events in order (events/batchEmitter).
    emitAuditEvent: (req, ctx) =>
      call(ctx, async (api) => {
        const parsed: unknown = parseJSON(req.eventJson, 'event');
        if (Array.isArray(parsed)) await api.emitAuditEvents(parsed);
        else await api.emitAuditEvent(parsed as Record<string, unknown>);
        return {};
      }),
  };
}
