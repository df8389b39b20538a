/**
 * @module config/configure
 * `teleport configure`: prints a commented starter teleport.yaml (version v3) that runs auth, proxy and
 * SSH on one host. The output must always parse with `parseFileConfig`; the test checks that.
 */
import { hostname } from 'node:os';
import { DEFAULT_DATA_DIR, DEFAULT_SSH_LISTEN_ADDR, DEFAULT_AUTH_LISTEN_ADDR, DEFAULT_SSH_PROXY_LISTEN_ADDR,
  DEFAULT_TUNNEL_LISTEN_ADDR, DEFAULT_WEB_LISTEN_ADDR, Ports } from './defaults.ts';
import { CONFIG_VERSION } from './fileConfig.ts';

/** Options of `teleport configure`. */
export interface StarterConfigOptions {
  /** Cluster name; defaults to the node name. */
  clusterName?: string | undefined;
  /** Public address of the proxy ("host:port"); defaults to "<cluster name>:3080". */
  publicAddr?: string | undefined;
  dataDir?: string | undefined;
  /** Defaults to the host name. */
  nodeName?: string | undefined;
}

/** Quotes a YAML scalar unless it is plainly safe (JSON strings are valid YAML double-quoted strings). */
function scalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(value) && !/^(yes|no|true|false|on|off|null|~)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

/** Returns the text of a starter teleport.yaml. */
export function starterConfig(opts: StarterConfigOptions = {}): string {
  const nodeName = opts.nodeName ?? hostname();
  const clusterName = opts.clusterName ?? nodeName;
  const publicAddr = opts.publicAddr ?? `${clusterName}:${Ports.web}`;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  return `# A starter teleport.yaml, printed by "teleport configure".
# It runs the auth, proxy and SSH services on this host. Start it with:
#   teleport start -c /etc/teleport.yaml
version: ${CONFIG_VERSION}
teleport:
  nodename: ${scalar(nodeName)}
  # Cluster state (sqlite database, keys, recordings) lives here.
  data_dir: ${scalar(dataDir)}
  log:
    output: stderr
    severity: INFO
    format:
      output: text
  # Uncomment to serve /healthz, /readyz and /metrics.
  # diag_addr: 127.0.0.1:${Ports.diag}

auth_service:
  enabled: "yes"
  listen_addr: ${DEFAULT_AUTH_LISTEN_ADDR}
  cluster_name: ${scalar(clusterName)}
  # "separate": one port per protocol; "multiplex": everything through the web port by TLS ALPN.
  proxy_listener_mode: separate
  # balanced-v1: Ed25519 SSH keys and ECDSA P-256 TLS keys; legacy: RSA-2048.
  signature_algorithm_suite: balanced-v1
  authentication:
    type: local
    second_factor: otp

proxy_service:
  enabled: "yes"
  web_listen_addr: ${DEFAULT_WEB_LISTEN_ADDR}
  listen_addr: ${DEFAULT_SSH_PROXY_LISTEN_ADDR}
  tunnel_listen_addr: ${DEFAULT_TUNNEL_LISTEN_ADDR}
  # The address users and agents reach the proxy at.
  public_addr: ${scalar(publicAddr)}
  # Without key pairs the proxy uses a self-signed certificate; tsh then needs --insecure.
  # https_keypairs:
  #   - key_file: /etc/teleport/privkey.pem
  #     cert_file: /etc/teleport/fullchain.pem

ssh_service:
  enabled: "yes"
  listen_addr: ${DEFAULT_SSH_LISTEN_ADDR}
  labels:
    env: example
  commands:
    - name: hostname
      command: [hostname]
      period: 1m0s
`;
}
