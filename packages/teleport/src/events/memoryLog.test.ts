/**
 * @module events/memoryLog.test
 * Runs the AuditLog contract against the in-memory log.
 */
import { runAuditLogSuite, SUITE_CLUSTER_NAME } from './auditLogSuite.ts';
import { MemoryAuditLog } from './memoryLog.ts';

runAuditLogSuite('memory', async (clock) => new MemoryAuditLog({ clusterName: SUITE_CLUSTER_NAME, clock }));
