/**
 * @module types/userToken
 * Invite and password-reset tokens (kind user_token, sub_kind "invite" | "reset"). The token id is
 * `metadata.name`; it is a secret and is only shown to the admin who created it and to the proxy.
 */
import type { Resource } from './resource.ts';

/** user_token spec. */
export interface UserTokenSpec {
  user: string;
  /** Where the user completes the flow, e.g. https://proxy:3080/web/invite/<token>. */
  url: string;
  /** RFC 3339 creation time. */
  created: string;
}

/** An invite or reset token. */
export type UserToken = Resource<'user_token', UserTokenSpec>;

/** Invite tokens live 1h by default, at most 48h; reset tokens 8h by default, at most 24h. */
export const UserTokenTTL = {
  inviteDefaultMs: 3600_000,
  inviteMaxMs: 48 * 3600_000,
  resetDefaultMs: 8 * 3600_000,
  resetMaxMs: 24 * 3600_000,
} as const;
