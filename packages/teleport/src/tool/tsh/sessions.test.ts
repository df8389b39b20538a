/**
 * @module tool/tsh/sessions.test
 * `tsh sessions ls` output in text, JSON and YAML.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import { formatSessions } from './sessions.ts';

const tracker = (id: string, created: string, extra: Partial<SessionTracker['spec']> = {}): SessionTracker => ({
  kind: 'session_tracker', version: 'v1', metadata: { name: id },
  spec: {
    session_id: id, kind: 'ssh', state: 'running', created, target_id: 'uuid-1', hostname: 'node1', address: '10.0.0.1:3022',
    login: 'root', host_user: 'alice', cluster_name: 'example.com', interactive: true,
    participants: [{ user: 'alice', mode: 'peer', joined: created }], ...extra,
  },
});

const sessions = [
  tracker('2222', '2026-01-01T10:05:00.123Z', { interactive: false, command: 'tail -f /var/log/syslog', host_user: 'bob', login: 'bob' }),
  tracker('1111', '2026-01-01T10:00:00Z', { participants: [{ user: 'alice', mode: 'peer', joined: '' }, { user: 'carol', mode: 'observer', joined: '' }] }),
];

describe('tsh sessions ls formatting', () => {
  it('prints a table, oldest first', () => {
    assert.equal(formatSessions(sessions, 'text'), [
      'ID   Kind User  Login Hostname Address       Participants            Created              Command',
      '---- ---- ----- ----- -------- ------------- ----------------------- -------------------- -----------------------',
      '1111 ssh  alice root  node1    10.0.0.1:3022 alice, carol (observer) 2026-01-01T10:00:00Z',
      '2222 ssh  bob   bob   node1    10.0.0.1:3022 alice                   2026-01-01T10:05:00Z tail -f /var/log/syslog',
      '',
    ].join('\n'));
  });
  it('prints JSON and YAML', () => {
    assert.deepEqual((JSON.parse(formatSessions(sessions, 'json')) as SessionTracker[]).map((s) => s.metadata.name), ['1111', '2222']);
    assert.equal((parse(formatSessions(sessions.slice(0, 1), 'yaml')) as SessionTracker).spec.command, 'tail -f /var/log/syslog');
    assert.equal(formatSessions([], 'text').split('\n').length, 3);
  });
});
