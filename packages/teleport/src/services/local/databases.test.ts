/**
 * Database storage: db resources are plain records; db_servers live per host under
 * /db_servers/<host_id>/<name> and expire with their heartbeat TTL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { isAlreadyExists, isErrorCode, isNotFound } from '@teleport-ts/api/errors';
import type { Database, DatabaseServer } from '@teleport-ts/api/types/database';
import { MemoryBackend } from '../../backend/memory.ts';
import { DatabasesService } from './databases.ts';

const db = (name: string): Database => ({ kind: 'db', version: 'v3', metadata: { name, labels: { env: 'dev' } }, spec: { protocol: 'postgres', uri: 'localhost:5432' } });
const server = (hostId: string, name: string, expires: Date): DatabaseServer => ({
  kind: 'db_server', version: 'v3', metadata: { name, expires: expires.toISOString() },
  spec: { host_id: hostId, hostname: `host-${hostId}`, version: '1.0.0', database: db(name) },
});

describe('DatabasesService', () => {
  it('creates, lists, replaces and deletes db resources', async () => {
    const s = new DatabasesService(new MemoryBackend({ clock: new FakeClock(), pollIntervalMs: 0 }));
    await s.createDatabase(db('pg'));
    await assert.rejects(s.createDatabase(db('pg')), (e) => isAlreadyExists(e) && /db 'pg' already exists/.test((e as Error).message));
    await s.upsertDatabase({ ...db('pg'), spec: { protocol: 'postgres', uri: 'other:5432' } });
    assert.equal((await s.getDatabase('pg')).spec.uri, 'other:5432');
    await s.createDatabase(db('my'));
    assert.deepEqual((await s.listDatabases()).map((d) => d.metadata.name), ['my', 'pg']);
    await s.deleteDatabase('pg');
    await assert.rejects(s.getDatabase('pg'), (e) => isNotFound(e) && /db 'pg' not found/.test((e as Error).message));
  });

  it('keeps db_servers per host until their TTL runs out', async () => {
    const clock = new FakeClock();
    const s = new DatabasesService(new MemoryBackend({ clock, pollIntervalMs: 0 }));
    await s.upsertDatabaseServer(server('h1', 'pg', new Date(clock.nowMs() + 60_000)));
    await s.upsertDatabaseServer(server('h2', 'pg', new Date(clock.nowMs() + 600_000)));
    assert.deepEqual((await s.listDatabaseServers()).map((d) => `${d.spec.host_id}/${d.metadata.name}`), ['h1/pg', 'h2/pg']);
    assert.equal((await s.getDatabaseServer('h2/pg')).spec.hostname, 'host-h2');
    clock.advance(120_000);
    assert.deepEqual((await s.listDatabaseServers()).map((d) => d.spec.host_id), ['h2']);
    await s.deleteDatabaseServer('h2/pg');
    assert.equal((await s.listDatabaseServers()).length, 0);
    await assert.rejects(s.getDatabaseServer('pg'), (e) => isErrorCode(e, 'bad_parameter') && /<host_id>\/<database name>/.test((e as Error).message));
  });
});
