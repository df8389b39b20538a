/**
 * @module types/token
 * Join (provision) tokens: kind token, version v2. The token value is `metadata.name`; list APIs
 * mask it for callers that may not read secrets.
 */
import type { Resource } from './resource.ts';

/** System roles a token can grant (what the joining agent becomes). */
export const SystemRoles = ['Auth', 'Proxy', 'Node', 'Db', 'App', 'Kube', 'Bot', 'WindowsDesktop', 'Admin', 'Instance'] as const;
/** A system role name. */
export type SystemRole = (typeof SystemRoles)[number];

/** Provision token spec. */
export interface ProvisionTokenSpec {
  roles: SystemRole[];
  join_method?: 'token' | string;
  bot_name?: string;
  /** Extension: how many times the token may be used; absent means until it expires (upstream's behaviour). */
  max_uses?: number;
  /** Extension: uses so far. */
  uses?: number;
  /** Labels applied to agents that join with this token. */
  suggested_labels?: Record<string, string>;
}

/** A join token. */
export type ProvisionToken = Resource<'token', ProvisionTokenSpec>;
