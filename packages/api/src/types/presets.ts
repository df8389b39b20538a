/**
 * @module types/presets
 * The preset roles every cluster starts with, as upstream defines them: `access` (use resources),
 * `editor` (change cluster configuration) and `auditor` (read events and recordings). They are built
 * through validation so their defaults match any stored role.
 */
import type { Role, RoleSpec, Rule } from './role.ts';
import { newRole } from './validate/role.ts';

/** Names of the preset roles. */
export const PresetRoleNames = { access: 'access', editor: 'editor', auditor: 'auditor' } as const;

/** Label marking a resource as a preset (upstream's `teleport.internal/resource-type: preset`). */
export const PresetLabel = { key: 'teleport.internal/resource-type', value: 'preset' } as const;

const RO = ['list', 'read'];
const RW = ['list', 'create', 'read', 'update', 'delete'];
const rule = (resources: string, verbs: string[]): Rule => ({ resources: [resources], verbs });
const all = { '*': '*' };

function preset(name: string, description: string, spec: RoleSpec): Role {
  const role = newRole(name, spec);
  role.metadata.description = description;
  role.metadata.labels = { [PresetLabel.key]: PresetLabel.value };
  return role;
}

/** The `access` role: log in to every resource with the user's own traits. */
export function presetAccessRole(): Role {
  return preset(PresetRoleNames.access, 'Access cluster resources', {
    options: {
      max_session_ttl: '30h0m0s',
      forward_agent: true,
      port_forwarding: true,
      record_session: { default: 'best_effort', desktop: true },
    },
    allow: {
      logins: ['{{internal.logins}}'],
      node_labels: { ...all },
      app_labels: { ...all },
      kubernetes_labels: { ...all },
      windows_desktop_labels: { ...all },
      db_labels: { ...all },
      db_names: ['{{internal.db_names}}'],
      db_users: ['{{internal.db_users}}'],
      db_roles: ['{{internal.db_roles}}'],
      kubernetes_groups: ['{{internal.kubernetes_groups}}'],
      kubernetes_users: ['{{internal.kubernetes_users}}'],
      kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
      windows_desktop_logins: ['{{internal.windows_logins}}'],
      rules: [
        rule('event', RO),
        { resources: ['session'], verbs: ['read', 'list'], where: 'contains(session.participants, user.metadata.name)' },
      ],
    },
  });
}

/** The `editor` role: manage users, roles, tokens and cluster configuration. */
export function presetEditorRole(): Role {
  return preset(PresetRoleNames.editor, 'Edit cluster configuration', {
    options: {
      max_session_ttl: '30h0m0s',
      forward_agent: true,
      port_forwarding: true,
      record_session: { default: 'best_effort', desktop: false },
    },
    allow: {
      rules: [
        rule('user', RW),
        rule('role', RW),
        rule('token', RW),
        rule('user_token', RW),
        rule('cert_authority', ['list', 'readnosecrets']),
        rule('cluster_auth_preference', RW),
        rule('session_recording_config', RW),
        rule('cluster_name', RO),
        rule('event', RO),
        rule('session', RO),
        rule('node', RW),
        rule('lock', RW),
        rule('trusted_cluster', RW),
        rule('remote_cluster', RW),
        rule('github', RW),
        rule('oidc', RW),
        rule('saml', RW),
        rule('db', RW),
        rule('app', RW),
        rule('kube_cluster', RW),
        rule('access_request', RW),
      ],
    },
  });
}

/** The `auditor` role: read the audit log and replay recordings; no logins. */
export function presetAuditorRole(): Role {
  return preset(PresetRoleNames.auditor, 'Review cluster events and replay sessions', {
    options: { max_session_ttl: '30h0m0s', record_session: { default: 'best_effort', desktop: false } },
    allow: {
      rules: [rule('session', RO), rule('event', RO), rule('session_tracker', RO)],
    },
  });
}

/** All preset roles, freshly built (callers may modify them). */
export const PRESET_ROLES: Role[] = [presetAccessRole(), presetEditorRole(), presetAuditorRole()];
