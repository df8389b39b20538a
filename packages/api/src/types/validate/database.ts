/**
 * @module types/validate/database
 * Validation of `db` (v3) and `db_server` (v3) documents. A db's uri must be host:port, its TLS mode
 * one of verify-full, verify-ca, insecure, and a CA certificate must at least look like PEM.
 */
import type { Database, DatabaseServer, DatabaseTLS } from '../database.ts';
import { DatabaseProtocols, DatabaseTLSModes } from '../database.ts';
import type { FieldPath } from '../../yamlSource.ts';
import {
  type Ctx, type Obj, checkKeys, compact, fail, isObj, nameProblem, optEnum, optString, readMap, readString, typeName,
} from './common.ts';
import { readEnvelope, readMetadata } from './metadata.ts';

const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

function readURI(ctx: Ctx, v: unknown, path: FieldPath): string {
  const uri = readString(ctx, v, path);
  const m = hostPort.exec(uri);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    fail(ctx, path, `"${uri}" is not host:port: write the database address like "db.example.com:5432" (no scheme or path)`);
  }
  return uri;
}

function readTLS(ctx: Ctx, v: unknown, path: FieldPath): DatabaseTLS | undefined {
  if (v === undefined || v === null) return undefined;
  const tls = readMap(ctx, v, path);
  checkKeys(ctx, tls, path, ['mode', 'ca_cert', 'server_name']);
  const caCert = optString(ctx, tls.ca_cert, [...path, 'ca_cert']);
  if (caCert && !caCert.includes('-----BEGIN CERTIFICATE-----')) {
    fail(ctx, [...path, 'ca_cert'], 'expected a PEM certificate ("-----BEGIN CERTIFICATE-----")');
  }
  return compact({
    mode: optEnum(ctx, tls.mode, [...path, 'mode'], DatabaseTLSModes) ?? 'verify-full',
    ca_cert: caCert || undefined,
    server_name: optString(ctx, tls.server_name, [...path, 'server_name']) || undefined,
  });
}

function readSpec(ctx: Ctx, v: unknown, path: FieldPath): Database['spec'] {
  const spec = readMap(ctx, v, path);
  checkKeys(ctx, spec, path, ['protocol', 'uri', 'tls']);
  if (spec.protocol === undefined || spec.protocol === null) fail(ctx, [...path, 'protocol'], `required field is missing: use ${DatabaseProtocols.join(' or ')}`);
  const protocol = optEnum(ctx, spec.protocol, [...path, 'protocol'], DatabaseProtocols) as Database['spec']['protocol'];
  return compact({
    protocol,
    uri: readURI(ctx, spec.uri, [...path, 'uri']),
    tls: readTLS(ctx, spec.tls, [...path, 'tls']),
  });
}

/** Validates a db document. */
export function validateDatabase(ctx: Ctx, value: Obj): Database {
  const env = readEnvelope(ctx, value, { kind: 'db', versions: ['v3'] });
  return { kind: 'db', version: env.version, metadata: env.metadata, spec: readSpec(ctx, env.spec, ['spec']) };
}

function readHostId(ctx: Ctx, v: unknown): string {
  const id = readString(ctx, v, ['spec', 'host_id']);
  const problem = nameProblem(id);
  if (problem) fail(ctx, ['spec', 'host_id'], problem);
  return id;
}

/** Validates a db_server document (written by database services with their heartbeat). */
export function validateDatabaseServer(ctx: Ctx, value: Obj): DatabaseServer {
  const env = readEnvelope(ctx, value, { kind: 'db_server', versions: ['v3'] });
  const spec = readMap(ctx, env.spec, ['spec']);
  checkKeys(ctx, spec, ['spec'], ['host_id', 'hostname', 'version', 'database']);
  const dbPath = ['spec', 'database'];
  const raw = spec.database;
  if (!isObj(raw)) fail(ctx, dbPath, `expected a db resource, got ${typeName(raw)}`);
  checkKeys(ctx, raw, dbPath, ['kind', 'version', 'metadata', 'spec']);
  if (raw.kind !== undefined && raw.kind !== 'db') fail(ctx, [...dbPath, 'kind'], `expected "db", got ${JSON.stringify(raw.kind)}`);
  const database: Database = {
    kind: 'db',
    version: 'v3',
    metadata: readMetadata({ doc: undefined }, raw.metadata),
    spec: readSpec(ctx, raw.spec, [...dbPath, 'spec']),
  };
  if (database.metadata.name !== env.metadata.name) {
    fail(ctx, ['metadata', 'name'], `must be the database's name "${database.metadata.name}"`);
  }
  return {
    kind: 'db_server',
    version: env.version,
    metadata: env.metadata,
    spec: {
      host_id: readHostId(ctx, spec.host_id),
      hostname: readString(ctx, spec.hostname, ['spec', 'hostname']),
      version: optString(ctx, spec.version, ['spec', 'version']) ?? '',
      database,
    },
  };
}
