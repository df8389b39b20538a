/**
 * @module service/supervisor.test
 * Start order, events, readiness, failure propagation, shutdown order and timeouts, signal handling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { isErrorCode, BadParameterError } from '@teleport-ts/api/errors';
import { silentLogger } from '../utils/logger.ts';
import { Supervisor, SupervisorEvents, installSignalHandlers, type ServiceContext, type ServiceHandle } from './supervisor.ts';

/** A service that records its lifecycle into `log`. */
function fake(log: string[], name: string, opts: { drainMs?: number; forceMs?: number; onStart?: (ctx: ServiceContext) => Promise<void> | void } = {}) {
  return async (ctx: ServiceContext): Promise<ServiceHandle> => {
    log.push(`start ${name}`);
    await opts.onStart?.(ctx);
    return {
      close: async ({ graceful }) => {
        log.push(`close ${name} ${graceful ? 'graceful' : 'force'}`);
        await delay(graceful ? (opts.drainMs ?? 0) : (opts.forceMs ?? 0), undefined, { ref: false });
        log.push(`closed ${name} ${graceful ? 'graceful' : 'force'}`);
      },
    };
  };
}

test('services start in order and stop in reverse order', async () => {
  const log: string[] = [];
  const sup = new Supervisor({ logger: silentLogger });
  for (const name of ['auth', 'proxy', 'node']) sup.register(name, fake(log, name));
  assert.deepEqual(sup.services(), ['auth', 'proxy', 'node']);
  await sup.start();
  assert.equal(sup.state, 'running');
  await sup.shutdown({ graceful: true });
  assert.equal(sup.state, 'stopped');
  assert.deepEqual(log, [
    'start auth', 'start proxy', 'start node',
    'close node graceful', 'closed node graceful', 'close proxy graceful', 'closed proxy graceful', 'close auth graceful', 'closed auth graceful',
  ]);
  await sup.wait();
});

test('events: broadcast reaches waiters, and late waiters see the last payload', async () => {
  const sup = new Supervisor();
  const order: string[] = [];
  sup.register('auth', async (ctx) => {
    setImmediate(() => ctx.broadcast(SupervisorEvents.AuthReady, { addr: '127.0.0.1:3025' }));
    return { close: async () => undefined };
  });
  sup.register('proxy', async (ctx) => {
    void ctx.waitForEvent(SupervisorEvents.AuthReady, 1000).then((p) => order.push(`proxy saw ${JSON.stringify(p)}`));
    return { close: async () => undefined };
  });
  await sup.start();
  assert.deepEqual(await sup.waitForEvent(SupervisorEvents.AuthReady, 1000), { addr: '127.0.0.1:3025' });
  await delay(1);
  assert.deepEqual(order, ['proxy saw {"addr":"127.0.0.1:3025"}']);
  assert.deepEqual(await sup.waitForEvent(SupervisorEvents.AuthReady, 0), { addr: '127.0.0.1:3025' });
  await assert.rejects(sup.waitForEvent('NeverHappens', 10), (err: Error) => isErrorCode(err, 'retry') && /NeverHappens/.test(err.message));
  assert.throws(() => sup.broadcast('error'), BadParameterError);
  const pending = sup.waitForEvent('Later', 10_000);
  await sup.shutdown();
  await assert.rejects(pending, /shutting down/);
});

test('readiness: start-resolved and explicit ready() both count; TeleportReady fires once all are ready', async () => {
  const sup = new Supervisor();
  let nodeCtx: ServiceContext | undefined;
  sup.register('auth', async () => ({ close: async () => undefined }));
  sup.register('node', async (ctx) => {
    nodeCtx = ctx;
    return { close: async () => undefined };
  }, { readiness: 'explicit' });
  let teleportReady = 0;
  sup.on(SupervisorEvents.TeleportReady, () => teleportReady++);
  assert.equal(sup.isReady(), false);
  await sup.start();
  assert.equal(sup.isReady(), false);
  assert.deepEqual(sup.notReady(), [{ service: 'node', reason: 'waiting for the service to report ready' }]);
  nodeCtx?.ready();
  assert.equal(sup.isReady(), true);
  assert.equal(teleportReady, 1);
  nodeCtx?.notReady('lost connection to auth');
  assert.equal(sup.isReady(), false);
  assert.deepEqual(sup.notReady(), [{ service: 'node', reason: 'lost connection to auth' }]);
  nodeCtx?.ready();
  assert.equal(teleportReady, 1, 'TeleportReady is broadcast only once');
  await sup.shutdown();
  assert.equal(sup.isReady(), false);
});

test('a service that fails to start stops the others and the error names it', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  let nodeStarted = false;
  let authSignal: AbortSignal | undefined;
  sup.register('auth', fake(log, 'auth', { onStart: (ctx) => void (authSignal = ctx.signal) }));
  sup.register('proxy', async () => {
    throw new BadParameterError('listen tcp 0.0.0.0:3080: address already in use');
  });
  sup.register('node', async () => {
    nodeStarted = true;
    return { close: async () => undefined };
  });
  await assert.rejects(sup.start(), (err: Error) => {
    assert.equal(err.message, 'service "proxy" failed to start: listen tcp 0.0.0.0:3080: address already in use');
    assert.ok(isErrorCode(err, 'bad_parameter'));
    assert.ok(err.cause instanceof BadParameterError);
    return true;
  });
  assert.equal(nodeStarted, false);
  assert.deepEqual(log, ['start auth', 'close auth force', 'closed auth force']);
  assert.equal(authSignal?.aborted, true);
  assert.equal(sup.state, 'stopped');
  await assert.rejects(sup.wait(), /service "proxy" failed to start/);
});

test('graceful shutdown drains until the shared deadline, then forces the rest', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  sup.register('auth', fake(log, 'auth', { drainMs: 5 }));
  sup.register('proxy', fake(log, 'proxy', { drainMs: 10_000 }));
  sup.register('node', fake(log, 'node', { drainMs: 5 }));
  await sup.start();
  const started = Date.now();
  await sup.shutdown({ graceful: true, timeoutMs: 100 });
  const took = Date.now() - started;
  assert.ok(took >= 90 && took < 2000, `took ${took}ms`);
  assert.deepEqual(log.slice(3), [
    'close node graceful', 'closed node graceful',
    'close proxy graceful', 'close proxy force', 'closed proxy force',
    'close auth force', 'closed auth force', // the deadline passed: no time left to drain auth
  ]);
});

test('a hung forced close is abandoned after forceTimeoutMs', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  sup.register('auth', fake(log, 'auth'));
  sup.register('stuck', fake(log, 'stuck', { forceMs: 60_000, drainMs: 60_000 }));
  await sup.start();
  const started = Date.now();
  await sup.shutdown({ graceful: false, forceTimeoutMs: 50 });
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(log.slice(2), ['close stuck force', 'close auth force', 'closed auth force']);
});

test('a second non-graceful shutdown call forces an ongoing graceful one', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  sup.register('proxy', fake(log, 'proxy', { drainMs: 60_000 }));
  await sup.start();
  const first = sup.shutdown({ graceful: true, timeoutMs: 60_000 });
  await delay(10);
  const second = sup.shutdown({ graceful: false });
  assert.equal(first, second);
  await first;
  assert.deepEqual(log, ['start proxy', 'close proxy graceful', 'close proxy force', 'closed proxy force']);
});

test('a close that rejects is retried forcibly', async () => {
  const sup = new Supervisor();
  const calls: boolean[] = [];
  sup.register('db', async () => ({
    close: async ({ graceful }) => {
      calls.push(graceful);
      if (graceful) throw new Error('drain failed');
    },
  }));
  await sup.start();
  await sup.shutdown();
  assert.deepEqual(calls, [true, false]);
});

test('ctx.fail() from a running service shuts everything down and wait() rejects', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  let nodeCtx: ServiceContext | undefined;
  sup.register('auth', fake(log, 'auth'));
  sup.register('node', fake(log, 'node', { onStart: (ctx) => void (nodeCtx = ctx) }));
  await sup.start();
  const exited = sup.waitForEvent(SupervisorEvents.ServiceExited, 1000);
  nodeCtx?.fail(new Error('heartbeat loop crashed'));
  assert.deepEqual(await exited, { service: 'node', error: 'heartbeat loop crashed' });
  await assert.rejects(sup.wait(), /service "node" exited: heartbeat loop crashed/);
  assert.deepEqual(log.slice(2), ['close node force', 'closed node force', 'close auth force', 'closed auth force']);
});

test('shutdown during start interrupts the service being started', async () => {
  const sup = new Supervisor();
  const log: string[] = [];
  sup.register('auth', fake(log, 'auth'));
  sup.register('slow', async (ctx) => {
    await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    return { close: async () => undefined };
  });
  sup.register('never', fake(log, 'never'));
  const starting = sup.start();
  await delay(5);
  await sup.shutdown({ graceful: true, timeoutMs: 100 });
  await starting;
  assert.deepEqual(log, ['start auth', 'close auth graceful', 'closed auth graceful']);
  await sup.wait();
});

test('registration rules', async () => {
  const sup = new Supervisor();
  sup.register('auth', async () => ({ close: async () => undefined }));
  assert.throws(() => sup.register('auth', async () => ({ close: async () => undefined })), /already registered/);
  await sup.start();
  assert.throws(() => sup.register('late', async () => ({ close: async () => undefined })), /already started/);
  await assert.rejects(sup.start(), /already started/);
  await sup.shutdown();
});

test('signal handlers: SIGTERM drains, a second SIGTERM forces, then exit 0', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  sup.register('proxy', fake(log, 'proxy', { drainMs: 60_000 }));
  await sup.start();
  const emitter = new EventEmitter();
  const codes: number[] = [];
  const exited = new Promise<void>((resolve) => {
    installSignalHandlers(sup, silentLogger, { emitter: emitter as unknown as NodeJS.Process, exit: (c) => (codes.push(c), resolve()) });
  });
  emitter.emit('SIGTERM', 'SIGTERM');
  await delay(10);
  assert.deepEqual(log, ['start proxy', 'close proxy graceful']);
  emitter.emit('SIGINT', 'SIGINT');
  await exited;
  assert.deepEqual(codes, [0]);
  assert.deepEqual(log.slice(2), ['close proxy force', 'closed proxy force']);
});

test('signal handlers: SIGQUIT is a fast shutdown; uninstall removes the listeners', async () => {
  const log: string[] = [];
  const sup = new Supervisor();
  sup.register('node', fake(log, 'node', { drainMs: 60_000 }));
  await sup.start();
  const emitter = new EventEmitter();
  let code: number | undefined;
  const uninstall = installSignalHandlers(sup, silentLogger, { emitter: emitter as unknown as NodeJS.Process, exit: (c) => void (code = c) });
  assert.equal(emitter.listenerCount('SIGTERM'), 1);
  emitter.emit('SIGQUIT', 'SIGQUIT');
  await sup.wait();
  await delay(1);
  assert.equal(code, 0);
  assert.deepEqual(log, ['start node', 'close node force', 'closed node force']);
  uninstall();
  assert.equal(emitter.listenerCount('SIGTERM') + emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGQUIT'), 0);
});
