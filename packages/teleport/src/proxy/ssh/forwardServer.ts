/**
 * @module proxy/ssh/forwardServer
 * The forwarding server: how the proxy serves a client's stream to a node when it must see the
 * session (recording mode proxy/proxy-sync, agentless OpenSSH nodes) instead of piping ciphertext.
 * The stream (a direct-tcpip channel or the proxy subsystem) goes into an in-process ssh2 Server
 * that presents a host certificate for the node's names (NodeHostCerts). Once the client proves
 * its user certificate (forwardAuth), the proxy generates a key, has auth re-issue the user's
 * certificate for it (ReissueUserCertForProxy, against the client's signature) and logs in to the
 * node as the user over the already dialled stream, checking the node's host certificate against
 * the cluster's host CA. Then channels are relayed (forwardSession, forwardPorts) and interactive
 * sessions recorded here (ProxyRecordings). The node itself must not record in these modes.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client, Connection, EncryptedPrivateKey, TcpipBindInfo } from 'ssh2';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { ConnectionProblemError, errorMessage } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { RecordingMode } from '@teleport-ts/api/types/clusterConfig';
import type { Role } from '@teleport-ts/api/types/role';
import type { Server } from '@teleport-ts/api/types/server';
import { mergeRecordSession, recordingMode } from '../../srv/recording/mode.ts';
import { sshClientAuthConfig } from '../../sshutils/clientAuth.ts';
import type { Logger } from '../../utils/logger.ts';
import type { ProxyConnection } from './context.ts';
import { authenticateForwarded, type LoginProof } from './forwardAuth.ts';
import { forwardedFields, orderedAuditSink, type ForwardedConnection } from './forwardContext.ts';
import { ClientAgent, handleForwardedRequest, handleForwardedTcpip, relayRemoteForwards } from './forwardPorts.ts';
import { handleForwardedSession } from './forwardSession.ts';
import { describeNode } from './forward.ts';
import { NodeHostCerts } from './nodeHostCerts.ts';
import { effectiveRecordingMode, proxyTerminates, RecordingConfigCache } from './recordingConfig.ts';
import { ProxyRecordings } from './recordings.ts';

/** How long logging in to a node may take. */
const NODE_LOGIN_TIMEOUT_MS = 15_000;

/** Inputs of {@link SessionForwarder}. */
export interface SessionForwarderOptions {
  authClient: Pick<AuthClient, 'reissueUserCertForProxy' | 'generateHostCerts' | 'uploadRecordingChunk' | 'getResource' | 'emitAuditEvent' | 'watchEvents' | 'listResources'>;
  /** Current user CA keys (clients' certificates) and host CA keys (nodes' certificates). */
  userCAKeys: () => Buffer[];
  hostCAKeys: () => Buffer[];
  /** The proxy's data directory (recording spool); without one, sessions go unrecorded or, when strict, are refused. */
  dataDir?: string;
  clock: Clock;
  logger: Logger;
}

/** A node whose sessions the proxy terminates. */
export interface ForwardPlan {
  node: Server;
  mode: RecordingMode;
  hostKeys: EncryptedPrivateKey[];
}

/** Terminates SSH at the proxy for the nodes that need it. */
export class SessionForwarder {
  /** The cluster's recording mode, watched. */
  readonly config: RecordingConfigCache;
  readonly recordings: ProxyRecordings;
  private readonly hostCerts: NodeHostCerts;

  constructor(private readonly opts: SessionForwarderOptions) {
    this.config = new RecordingConfigCache(opts.authClient, opts.logger);
    this.hostCerts = new NodeHostCerts({ authClient: opts.authClient, clock: opts.clock });
    this.recordings = new ProxyRecordings({ authClient: opts.authClient, clock: opts.clock, logger: opts.logger, ...(opts.dataDir !== undefined && { dataDir: opts.dataDir }) });
    this.recordings.resumePending();
  }

  /** A plan when the proxy must terminate SSH for `node`, undefined to pipe bytes. Rejects with a message for the user. */
  async prepare(node: Server): Promise<ForwardPlan | undefined> {
    const clusterMode = await this.config.mode();
    if (!proxyTerminates(clusterMode, node)) return undefined;
    const hostKeys = await this.hostCerts.hostKeys(node).catch((err: unknown) => {
      throw new ConnectionProblemError(`the proxy could not get a host certificate for node ${describeNode(node)}: ${errorMessage(err)}`);
    });
    return { node, mode: effectiveRecordingMode(clusterMode, node), hostKeys };
  }

  /**
   * Serves the client's `stream` with the forwarding server for `plan.node`, logging in over
   * `nodeStream`. Returns a function that tears everything down; `onClose` runs once when it is.
   */
  serve(plan: ForwardPlan, stream: Duplex, nodeStream: Duplex, pc: ProxyConnection, onClose: () => void): () => void {
    const log = pc.logger.child({ node: plan.node.metadata.name, forwarding: true });
    let inner: Connection | undefined;
    let nodeClient: Client | undefined;
    let done = false;
    const teardown = (): void => {
      if (done) return;
      done = true;
      nodeClient?.end();
      inner?.end();
      onClose();
      nodeStream.destroy();
      stream.destroy();
    };
    stream.once('close', teardown);
    const server = new ssh2.Server({ hostKeys: plan.hostKeys, ident: 'Teleport' }, (conn) => {
      inner = conn;
      conn.on('error', (err: Error) => log.debug({ err: err.message }, 'forwarded client connection error'));
      conn.once('close', teardown);
      const audit = orderedAuditSink(this.opts.authClient, log);
      let fc: ForwardedConnection | undefined;
      authenticateForwarded(conn, {
        userCAKeys: this.opts.userCAKeys, clock: this.opts.clock, audit, logger: log, remoteIP: pc.remoteIP, remoteAddr: pc.remoteAddr,
        login: async (proof) => {
          fc = await this.login(plan, conn, nodeStream, proof, { audit, log, pc });
          nodeClient = fc.nodeClient;
          if (done) return void nodeClient.end(); // the client left while the proxy was logging in
          nodeClient.once('close', () => conn.end());
        },
      });
      conn.on('ready', () => {
        if (!fc) return void conn.end();
        const c = fc;
        log.info({ user: c.user, login: c.login, recording: c.decision.record ? c.mode : 'off' }, 'terminating SSH at the proxy');
        conn.on('session', (accept, reject) => handleForwardedSession(c, accept, reject));
        conn.on('tcpip', (accept, reject, info) => handleForwardedTcpip(c, accept, reject, info));
        conn.on('request', (accept, reject, name, info) => handleForwardedRequest(c, accept, reject, name, info as TcpipBindInfo));
        relayRemoteForwards(c);
      });
    });
    server.injectSocket(stream as unknown as Socket);
    return teardown;
  }

  /** Stops watching, and gives running recording uploads a grace period. */
  async close(uploadGraceMs = 2_000): Promise<void> {
    await Promise.all([this.config.close(), this.recordings.close(uploadGraceMs)]);
  }

  /** Re-issues the user's certificate for a fresh key and logs in to the node with it. */
  private async login(
    plan: ForwardPlan, conn: Connection, nodeStream: Duplex, proof: LoginProof, x: { audit: ForwardedConnection['audit']; log: Logger; pc: ProxyConnection },
  ): Promise<ForwardedConnection> {
    const node = plan.node;
    const key = generateKeyPair('ed25519').privateKey;
    const [certs, roles] = await Promise.all([
      this.opts.authClient.reissueUserCertForProxy({
        sshCert: proof.certLine, sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(key)), authData: proof.authData, authSignature: proof.signature,
        nodeId: node.metadata.name,
      }).catch((err: unknown) => {
        throw new Error(`the proxy could not log in to node ${describeNode(node)} for you: ${errorMessage(err)}`);
      }),
      this.rolesOf(proof.identity.roles),
    ]);
    // The agent asks whether a session requested forwarding, which is known only later.
    const ref: { fc?: ForwardedConnection } = {};
    const agent = new ClientAgent(() => conn, () => ref.fc?.agentRequested === true);
    const nodeClient = await connectNode({ node, stream: nodeStream, keyPEM: privateKeyToPEM(key), certLine: certs.sshCert, login: proof.login, hostCAKeys: this.opts.hostCAKeys(), clock: this.opts.clock, agent });
    nodeClient.on('error', (err: Error) => x.log.debug({ err: err.message }, 'node connection error'));
    const fc: ForwardedConnection = {
      conn, nodeClient, node, user: proof.user, login: proof.login, identity: proof.identity, mode: plan.mode,
      decision: recordingMode(plan.mode, mergeRecordSession(roles.map((r) => r.spec.options?.record_session))),
      recordings: this.recordings, audit: x.audit, clock: this.opts.clock, logger: x.log, agentRequested: false,
      fields: forwardedFields({ user: proof.user, login: proof.login, node, remoteAddr: x.pc.remoteAddr, proxyId: x.pc.proxyId }),
    };
    ref.fc = fc;
    return fc;
  }

  /** The user's roles (for record_session); roles deleted since login are skipped. */
  private async rolesOf(names: string[]): Promise<Role[]> {
    const roles = await Promise.all(names.map((n) => this.opts.authClient.getResource<Role>('role', n).catch(() => undefined)));
    return roles.filter((r): r is Role => r !== undefined);
  }
}

/** Logs in to `node` over `stream` as `login` with the re-issued certificate; rejects with a message for the user. */
function connectNode(a: {
  node: Server; stream: Duplex; keyPEM: string; certLine: string; login: string; hostCAKeys: Buffer[]; clock: Clock; agent: ClientAgent;
}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let hostProblem: string | undefined;
    client.once('ready', () => {
      client.removeAllListeners('error');
      resolve(client);
    });
    client.once('error', (err: Error & { level?: string }) => {
      const why = hostProblem ?? (err.level === 'client-authentication'
        ? `it refused login as "${a.login}" (its sshd must trust the cluster's user CA and allow this login for you)`
        : err.message);
      reject(new Error(`node ${describeNode(a.node)}: ${why}`));
    });
    client.connect({
      sock: a.stream, readyTimeout: NODE_LOGIN_TIMEOUT_MS, agent: a.agent,
      ...sshClientAuthConfig({
        privateKeyPEM: a.keyPEM, certLine: a.certLine, username: a.login, hostCAKeys: a.hostCAKeys, hostname: a.node.metadata.name, clock: a.clock,
        onHostRejected: (reason) => (hostProblem = `its host certificate was refused: ${reason}`),
      }),
    });
  });
}
