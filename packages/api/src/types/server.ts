/**
 * @module types/server
 * The node resource (kind node, version v2): an SSH server in the cluster, published by the node
 * service's heartbeat with a TTL so offline nodes disappear. `metadata.name` is the host UUID;
 * static labels are `metadata.labels`, dynamic command labels are `spec.cmd_labels`.
 */
import type { Resource } from './resource.ts';

/** A dynamic label: the output of a command run every `period`. */
export interface CommandLabel {
  command: string[];
  /** Go duration, e.g. "1m0s". */
  period: string;
  /** Last output (trimmed). */
  result: string;
}

/** Node spec. */
export interface ServerSpec {
  /** host:port the proxy dials; empty for nodes reachable only through a reverse tunnel. */
  addr: string;
  /** Node name (hostname) users type in `tsh ssh`. */
  hostname: string;
  /** Dynamic labels by name. */
  cmd_labels?: Record<string, CommandLabel>;
  /** Reached through a reverse tunnel. */
  use_tunnel?: boolean;
  /** Software version of the node. */
  version?: string;
}

/** A node; `sub_kind` is "openssh" for agentless OpenSSH nodes. */
export type Server = Resource<'node', ServerSpec>;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * All labels of a node: static labels plus the current results of command labels. Read-only: a node
 * without command labels gets its own `metadata.labels` back (no copy; auth filters every node of a
 * listing through this).
 */
export function serverLabels(s: Server): Readonly<Record<string, string>> {
  if (!s.spec.cmd_labels) return s.metadata.labels ?? NO_LABELS;
  const out: Record<string, string> = { ...(s.metadata.labels ?? {}) };
  for (const [name, l] of Object.entries(s.spec.cmd_labels ?? {})) out[name] = l.result;
  return out;
}
