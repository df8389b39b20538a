/**
 * @module proxy/ssh/recordingConfig
 * Whether the proxy terminates a client's SSH connection to a node instead of piping bytes: when
 * the cluster's session_recording_config says `proxy`/`proxy-sync`, and always for agentless
 * OpenSSH nodes (node sub_kind "openssh"), which cannot record themselves - for those, node
 * recording modes become their proxy counterparts. The mode is kept current by watching the
 * resource; before the first snapshot it is read directly.
 */
import type { RecordingMode, SessionRecordingConfig } from '@teleport-ts/api/types/clusterConfig';
import type { Server } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';
import { ResourceCache, type WatchSource } from './resourceCache.ts';

/** The cluster mode that applies to sessions on `node`; node modes turn into proxy modes for OpenSSH nodes. */
export function effectiveRecordingMode(clusterMode: RecordingMode, node: Server): RecordingMode {
  if (node.sub_kind !== 'openssh') return clusterMode;
  if (clusterMode === 'node') return 'proxy';
  if (clusterMode === 'node-sync') return 'proxy-sync';
  return clusterMode;
}

/** True when the proxy must terminate SSH for `node` (it records, or the node is agentless). */
export function proxyTerminates(clusterMode: RecordingMode, node: Server): boolean {
  return node.sub_kind === 'openssh' || clusterMode === 'proxy' || clusterMode === 'proxy-sync';
}

/** The cluster's session recording mode, watched. */
export class RecordingConfigCache {
  private readonly cache: ResourceCache<SessionRecordingConfig>;

  constructor(private readonly source: WatchSource, logger: Logger) {
    this.cache = new ResourceCache<SessionRecordingConfig>({ source, kind: 'session_recording_config', logger });
  }

  /** Settles once the first snapshot is loaded. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  /** The current mode; asks auth when no snapshot was loaded yet. Defaults to "node" (the cluster default). */
  async mode(): Promise<RecordingMode> {
    if (this.cache.hasSnapshot) return this.cache.values()[0]?.spec.mode ?? 'node';
    const [cfg] = await this.source.listResources<SessionRecordingConfig>('session_recording_config');
    return cfg?.spec.mode ?? 'node';
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
