/**
 * @module client/ssh/opensshConfig
 * The OpenSSH client configuration `tsh config` prints, in upstream's shape, so that plain
 * `ssh user@node.<cluster>`, `scp` and `sftp` work with the tsh login: the user key and certificate
 * from ~/.tsh, the cluster host CA from ~/.tsh/known_hosts (certificate host keys only), and every
 * node reached through `tsh proxy ssh` as ProxyCommand (which strips the ".<cluster>" suffix).
 */

/** Inputs of {@link formatOpenSSHConfig}. */
export interface OpenSSHConfigOptions {
  /** Proxy host (the profile name), e.g. "proxy.example.com". */
  proxyHost: string;
  /** Proxy web address for `--proxy`, e.g. "proxy.example.com:3080". */
  webProxyAddr: string;
  cluster: string;
  /** ~/.tsh/known_hosts. */
  knownHostsPath: string;
  /** ~/.tsh/keys/<proxy>/<user>. */
  identityFile: string;
  /** ~/.tsh/keys/<proxy>/<user>-ssh/<cluster>-cert.pub. */
  certificateFile: string;
  /** The command that runs tsh (an absolute path). */
  tshPath: string;
  /** TELEPORT_HOME to pass to the ProxyCommand when it is not the default. */
  teleportHome?: string;
  /** Node port (default 3022). */
  nodePort?: number;
}

/** Host key algorithms OpenSSH may accept: certificates only, so known_hosts' @cert-authority line decides. */
export const OPENSSH_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
];

/** Quotes a value for ssh_config (double quotes; embedded quotes cannot be expressed and are refused). */
function q(value: string): string {
  if (value.includes('"')) throw new Error(`cannot put a path containing a double quote into an OpenSSH config: ${value}`);
  return `"${value}"`;
}

/** The configuration block, ready to append to ~/.ssh/config. */
export function formatOpenSSHConfig(o: OpenSSHConfigOptions): string {
  const env = o.teleportHome ? `env TELEPORT_HOME=${q(o.teleportHome)} ` : '';
  return [
    `# Begin generated Teleport configuration for ${o.proxyHost} by tsh`,
    '',
    `# Common flags for all ${o.cluster} hosts`,
    `Host *.${o.cluster} ${o.proxyHost}`,
    `    UserKnownHostsFile ${q(o.knownHostsPath)}`,
    `    IdentityFile ${q(o.identityFile)}`,
    `    CertificateFile ${q(o.certificateFile)}`,
    `    HostKeyAlgorithms ${OPENSSH_HOST_KEY_ALGORITHMS.join(',')}`,
    '',
    `# Flags for all ${o.cluster} hosts except the proxy`,
    `Host *.${o.cluster} !${o.proxyHost}`,
    `    Port ${o.nodePort ?? 3022}`,
    `    ProxyCommand ${env}${q(o.tshPath)} proxy ssh --cluster=${o.cluster} --proxy=${o.webProxyAddr} %r@%h:%p`,
    '',
    '# End generated Teleport configuration',
    '',
  ].join('\n');
}
