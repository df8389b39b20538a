/**
 * @module reversetunnel/constants
 * Names and timings both ends of the reverse tunnel must agree on.
 */

/** TLS ALPN protocol that routes a connection on the web port (3080) to the tunnel server. */
export const ALPN_REVERSE_TUNNEL = 'teleport-reversetunnel';

/**
 * The streamlocal "socket path" the agent asks the proxy to forward to it
 * (`streamlocal-forward@openssh.com`). ssh2 clients accept only server-initiated channels they asked
 * for, so the proxy's transport channels are `forwarded-streamlocal@openssh.com` channels to this path.
 */
export const TRANSPORT_SOCKET = '@teleport-transport';

/** Subsystem the agent requests on its control channel (a `session` channel). */
export const CONTROL_SUBSYSTEM = 'teleport-control';

/**
 * SSH keepalive on both ends: a peer that stops answering (a frozen host, a dropped NAT mapping) is
 * given up after interval x (count + 1), about 20 s; a killed process closes TCP at once.
 */
export const KEEPALIVE_INTERVAL_MS = 5_000;
/** Unanswered keepalives tolerated before the connection is dropped. */
export const KEEPALIVE_COUNT_MAX = 3;

/** How long a dial waits for the other side's first frame. */
export const DIAL_TIMEOUT_MS = 10_000;
