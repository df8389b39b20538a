/**
 * @module types/validate/clusterName
 * Validation of the cluster_name singleton (v2): both the name and the cluster id are required.
 */
import { SingletonNames } from '../resource.ts';
import type { ClusterName } from '../clusterConfig.ts';
import { type Ctx, type Obj, checkKeys, readMap, readString } from './common.ts';
import { readEnvelope } from './metadata.ts';

/** Validates a cluster_name document (kind already known). */
export function validateClusterName(ctx: Ctx, value: Obj): ClusterName {
  const env = readEnvelope(ctx, value, {
    kind: 'cluster_name', versions: ['v2'], singletonName: SingletonNames.clusterName,
  });
  const spec = readMap(ctx, env.spec, ['spec']);
  checkKeys(ctx, spec, ['spec'], ['cluster_name', 'cluster_id']);
  return {
    kind: 'cluster_name',
    version: env.version,
    metadata: env.metadata,
    spec: {
      cluster_name: readString(ctx, spec.cluster_name, ['spec', 'cluster_name']),
      cluster_id: readString(ctx, spec.cluster_id, ['spec', 'cluster_id']),
    },
  };
}

/** Builds a validated cluster_name resource. */
export function newClusterName(clusterName: string, clusterId: string): ClusterName {
  return validateClusterName({}, { kind: 'cluster_name', spec: { cluster_name: clusterName, cluster_id: clusterId } });
}
