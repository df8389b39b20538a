/**
 * @module srv/db/targets
 * The databases one database service serves, from two sources: teleport.yaml (`db_service.databases`,
 * static, possibly with a password) and dynamic `db` resources (optionally only those matching the
 * `db_service.resources` label selectors). Each becomes a {@link ServedDatabase}: the engine's
 * {@link DatabaseTarget}, the `db` resource published in the service's db_server heartbeat, and the
 * TLS settings for the upstream connection. A static database wins over a dynamic one of the same name.
 */
import { readFile } from 'node:fs/promises';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { Database, DatabaseTLS } from '@teleport-ts/api/types/database';
import type { DatabaseConfig, DatabaseResourceSelector } from '../../config/serviceConfigTypes.ts';
import { matchLabels } from '../../services/rbac/labels.ts';
import type { DatabaseTarget } from './common/engine.ts';
import { readDatabasePassword } from './password.ts';

/** Label every database from teleport.yaml carries, as upstream marks them. */
export const ORIGIN_LABEL = 'teleport.dev/origin';

/** A database this service serves. */
export interface ServedDatabase {
  target: DatabaseTarget;
  /** The `db` resource announced in the db_server record (no password, ever). */
  resource: Database;
  tls: DatabaseTLS;
  /** True for databases from teleport.yaml. */
  static: boolean;
}

/** Builds the served database of a teleport.yaml entry: reads its CA file and password. */
export async function servedFromConfig(c: DatabaseConfig, env: NodeJS.ProcessEnv = process.env): Promise<ServedDatabase> {
  let caCert: string | undefined;
  if (c.tls.caCertFile) {
    try {
      caCert = await readFile(c.tls.caCertFile, 'utf8');
    } catch (err) {
      throw new BadParameterError(`database "${c.name}": cannot read tls.ca_cert_file ${c.tls.caCertFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!caCert.includes('-----BEGIN CERTIFICATE-----')) {
      throw new BadParameterError(`database "${c.name}": tls.ca_cert_file ${c.tls.caCertFile} holds no PEM certificate`);
    }
  }
  const password = await readDatabasePassword({ name: c.name, ...(c.passwordFile && { passwordFile: c.passwordFile }), ...(c.passwordEnv && { passwordEnv: c.passwordEnv }) }, env);
  const labels = { ...c.labels, [ORIGIN_LABEL]: 'config' };
  const tls: DatabaseTLS = { mode: c.tls.mode, ...(caCert && { ca_cert: caCert }), ...(c.tls.serverName && { server_name: c.tls.serverName }) };
  return {
    target: { name: c.name, protocol: c.protocol, uri: c.uri, labels, ...(password !== undefined && { password }) },
    resource: {
      kind: 'db', version: 'v3',
      metadata: { name: c.name, ...(c.description && { description: c.description }), labels },
      spec: { protocol: c.protocol, uri: c.uri, tls },
    },
    tls,
    static: true,
  };
}

/** Builds the served database of a dynamic `db` resource. */
export function servedFromResource(db: Database): ServedDatabase {
  const labels = { ...(db.metadata.labels ?? {}), [ORIGIN_LABEL]: 'dynamic' };
  const tls: DatabaseTLS = db.spec.tls ?? { mode: 'verify-full' };
  const { revision: _r, expires: _e, ...metadata } = db.metadata;
  return {
    target: { name: db.metadata.name, protocol: db.spec.protocol, uri: db.spec.uri, labels },
    resource: { kind: 'db', version: 'v3', metadata: { ...metadata, labels }, spec: { ...db.spec, tls } },
    tls,
    static: false,
  };
}

/** True when a dynamic db should be served: no selectors means every one. */
export function selectedBy(selectors: readonly DatabaseResourceSelector[] | undefined, db: Database): boolean {
  if (!selectors) return true;
  const labels = db.metadata.labels ?? {};
  return selectors.some((s) => matchLabels(s.labels, labels).matched);
}
