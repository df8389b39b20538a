/**
 * Tests for the preset roles: they validate, survive a format/parse round trip, and carry
 * upstream's key settings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PRESET_ROLES, presetAccessRole, presetAuditorRole, presetEditorRole } from './presets.ts';
import { validateResource } from './validation.ts';
import { formatResourcesYAML } from './format.ts';
import { parseResources } from './parse.ts';

describe('preset roles', () => {
  it('are access, editor and auditor', () => {
    assert.deepEqual(PRESET_ROLES.map((r) => r.metadata.name), ['access', 'editor', 'auditor']);
  });

  for (const role of PRESET_ROLES) {
    it(`${role.metadata.name} validates unchanged and round-trips`, () => {
      assert.deepEqual(validateResource(structuredClone(role)), role);
      assert.deepEqual(parseResources(formatResourcesYAML([role]), 'p.yaml'), [role]);
      assert.equal(role.spec.options?.max_session_ttl, '30h0m0s');
      assert.equal(role.metadata.labels?.['teleport.internal/resource-type'], 'preset');
    });
  }

  it('access: trait logins, wildcard labels, forwarding on', () => {
    const r = presetAccessRole();
    assert.deepEqual(r.spec.allow?.logins, ['{{internal.logins}}']);
    assert.deepEqual(r.spec.allow?.db_users, ['{{internal.db_users}}']);
    assert.deepEqual(r.spec.allow?.db_names, ['{{internal.db_names}}']);
    assert.deepEqual(r.spec.allow?.kubernetes_groups, ['{{internal.kubernetes_groups}}']);
    assert.deepEqual(r.spec.allow?.windows_desktop_logins, ['{{internal.windows_logins}}']);
    for (const f of ['node_labels', 'db_labels', 'app_labels', 'kubernetes_labels', 'windows_desktop_labels'] as const) {
      assert.deepEqual(r.spec.allow?.[f], { '*': '*' }, f);
    }
    assert.equal(r.spec.options?.forward_agent, true);
    assert.equal(r.spec.options?.port_forwarding, true);
    assert.equal(r.spec.options?.record_session?.default, 'best_effort');
  });

  it('editor: manages users, roles, tokens and cluster config; CAs without secrets', () => {
    const rules = presetEditorRole().spec.allow?.rules ?? [];
    const verbs = (kind: string): string[] => rules.filter((x) => x.resources.includes(kind)).flatMap((x) => x.verbs);
    for (const kind of ['user', 'role', 'token', 'cluster_auth_preference', 'session_recording_config']) {
      assert.deepEqual(verbs(kind).sort(), ['create', 'delete', 'list', 'read', 'update'], kind);
    }
    assert.deepEqual(verbs('cert_authority'), ['list', 'readnosecrets']);
    assert.deepEqual(verbs('cluster_name'), ['list', 'read']);
    assert.equal(presetEditorRole().spec.allow?.logins, undefined);
  });

  it('auditor: reads sessions and events only', () => {
    const r = presetAuditorRole();
    assert.deepEqual(r.spec.allow?.rules?.map((x) => x.resources[0]), ['session', 'event', 'session_tracker']);
    assert.equal(r.spec.allow?.logins, undefined);
    assert.equal(r.spec.allow?.node_labels, undefined);
  });
});
