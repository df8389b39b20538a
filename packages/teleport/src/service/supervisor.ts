/**
 * @module service/supervisor
 * Starts the services of one teleport process (auth, proxy, node, ...) in order, lets them coordinate by
 * broadcasting events ("AuthReady", "ProxyReady", ...), tracks readiness for /readyz, and shuts them down
 * in reverse order: drain first, then force once the timeout passes. Like upstream's process supervisor,
 * one service failing to start stops the whole process, because a half-started node is worse than none.
 *
 * A service's `start` should resolve once it listens (or is otherwise usable) and keep long waits, such as
 * joining a cluster, in the background, reporting readiness with `ctx.ready()`.
 */
import { EventEmitter } from 'node:events';
import { BadParameterError, ConnectionProblemError, RetryError, TeleportError, errorMessage } from '@teleport-ts/api/errors';
import { componentLogger, silentLogger, type Logger } from '../utils/logger.ts';
import { FORCE_SHUTDOWN_TIMEOUT_MS, GRACEFUL_SHUTDOWN_TIMEOUT_MS } from '../config/defaults.ts';

export { installSignalHandlers, type SignalHandlerOptions } from './signals.ts';

/** Events the supervisor broadcasts itself, and the well-known ones services broadcast. */
export const SupervisorEvents = {
  /** Payload `{ service }`: one service became ready. */
  ServiceReady: 'ServiceReady',
  /** Every registered service is ready. */
  TeleportReady: 'TeleportReady',
  /** Payload `{ service, error }`: a running service failed; the process is shutting down. */
  ServiceExited: 'ServiceExited',
  /** Payload `{ graceful }`: shutdown began. */
  TeleportExiting: 'TeleportExiting',
  AuthReady: 'AuthReady',
  ProxyReady: 'ProxyReady',
  NodeReady: 'NodeReady',
  DatabasesReady: 'DatabasesReady',
  AppsReady: 'AppsReady',
  KubernetesReady: 'KubernetesReady',
} as const;

/** What a service gets when it starts. */
export interface ServiceContext {
  /** Aborted when the service must stop at once (forced shutdown, or another service failed to start). */
  signal: AbortSignal;
  /** Logger tagged with the service name as `component`. */
  logger: Logger;
  /** Marks the service ready (again). */
  ready(): void;
  /** Marks the service not ready, with a reason shown by /readyz (e.g. "lost connection to auth"). */
  notReady(reason: string): void;
  /** Same as `Supervisor.broadcast`. */
  broadcast(event: string, payload?: unknown): void;
  /** Same as `Supervisor.waitForEvent`. */
  waitForEvent(event: string, timeoutMs: number): Promise<unknown>;
  /** Reports that the running service died; the supervisor shuts the process down. */
  fail(err: unknown): void;
}

/** A started service. */
export interface ServiceHandle {
  /**
   * Stops the service. Graceful: stop accepting work and wait for sessions to end. Not graceful: close
   * everything now. A forced close may arrive while a graceful one is still draining.
   */
  close(opts: { graceful: boolean }): Promise<void>;
}

/** Starts a service. */
export type ServiceStart = (ctx: ServiceContext) => Promise<ServiceHandle>;

/** Options of `register`. */
export interface RegisterOptions {
  /** "start" (default): ready once `start` resolves. "explicit": only after `ctx.ready()`. */
  readiness?: 'start' | 'explicit';
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Drain connections first (default true). */
  graceful?: boolean;
  /** Total time allowed for draining before the remaining services are closed forcibly. */
  timeoutMs?: number;
  /** How long to wait for one forced close before giving up on it. */
  forceTimeoutMs?: number;
}

/** Lifecycle of a supervisor. */
export type SupervisorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

interface Entry {
  name: string;
  start: ServiceStart;
  readiness: 'start' | 'explicit';
  controller: AbortController;
  handle?: ServiceHandle;
  ready: boolean;
  reason: string;
}

/** Races `promise` against a timer and an optional abort signal, clearing the timer either way. */
async function raceTimeout<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | 'timeout' | 'aborted'> {
  if (signal?.aborted) return 'aborted';
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<'timeout' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
    onAbort = () => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function wrapFailure(name: string, what: string, err: unknown): Error {
  const message = `service "${name}" ${what}: ${errorMessage(err)}`;
  return err instanceof TeleportError ? new TeleportError(err.code, message, { cause: err }) : new Error(message, { cause: err });
}

/** Runs the services of one process; see the module comment. */
export class Supervisor extends EventEmitter {
  private readonly logger: Logger;
  private readonly entries: Entry[] = [];
  private readonly events = new Map<string, unknown>();
  private stateValue: SupervisorState = 'idle';
  private startPromise: Promise<void> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private readonly forceController = new AbortController();
  private failure: Error | undefined;
  private readonly done: Promise<void>;
  private settleDone!: (err?: Error) => void;

  constructor(opts: { logger?: Logger } = {}) {
    super();
    this.logger = opts.logger ?? silentLogger;
    this.done = new Promise<void>((resolve, reject) => {
      this.settleDone = (err) => (err ? reject(err) : resolve());
    });
    this.done.catch(() => undefined); // only callers of wait() care about the failure
  }

  /** Current lifecycle state. */
  get state(): SupervisorState {
    return this.stateValue;
  }

  /** Adds a service; services start in registration order and stop in reverse. */
  register(name: string, start: ServiceStart, opts: RegisterOptions = {}): void {
    if (this.stateValue !== 'idle') throw new BadParameterError(`cannot register service "${name}": the supervisor has already started`);
    if (this.entries.some((e) => e.name === name)) throw new BadParameterError(`service "${name}" is already registered`);
    this.entries.push({ name, start, readiness: opts.readiness ?? 'start', controller: new AbortController(), ready: false, reason: 'starting' });
  }

  /** Names of the registered services, in start order. */
  services(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** Starts every service in order; rejects (after stopping the others) if one fails, naming it. */
  start(): Promise<void> {
    if (this.stateValue !== 'idle') return Promise.reject(new BadParameterError('the supervisor was already started'));
    this.stateValue = 'starting';
    this.startPromise = this.startAll();
    return this.startPromise;
  }

  private async startAll(): Promise<void> {
    for (const entry of this.entries) {
      if (this.stateValue !== 'starting') return; // shutdown was requested meanwhile
      const log = componentLogger(this.logger, entry.name);
      try {
        log.debug('starting service');
        entry.handle = await entry.start(this.contextFor(entry, log));
      } catch (err) {
        if (this.stateValue !== 'starting') return;
        const failure = wrapFailure(entry.name, 'failed to start', err);
        log.error({ err }, 'service failed to start; stopping the others');
        this.failure = failure;
        this.forceController.abort();
        this.shutdownPromise ??= this.stopAll(false, 0, FORCE_SHUTDOWN_TIMEOUT_MS, false);
        await this.shutdownPromise;
        throw failure;
      }
      if (entry.readiness === 'start') this.setReady(entry, true, '');
      else if (entry.reason === 'starting') entry.reason = 'waiting for the service to report ready';
    }
    if (this.stateValue === 'starting') this.stateValue = 'running';
    this.checkAllReady();
  }

  private contextFor(entry: Entry, logger: Logger): ServiceContext {
    return {
      signal: entry.controller.signal,
      logger,
      ready: () => this.setReady(entry, true, ''),
      notReady: (reason) => this.setReady(entry, false, reason),
      broadcast: (event, payload) => this.broadcast(event, payload),
      waitForEvent: (event, timeoutMs) => this.waitForEvent(event, timeoutMs),
      fail: (err) => this.serviceFailed(entry, err),
    };
  }

  private setReady(entry: Entry, ready: boolean, reason: string): void {
    const changed = entry.ready !== ready;
    entry.ready = ready;
    entry.reason = reason;
    if (changed && ready) {
      this.broadcast(SupervisorEvents.ServiceReady, { service: entry.name });
      this.checkAllReady();
    }
  }

  private checkAllReady(): void {
    if (this.isReady() && !this.events.has(SupervisorEvents.TeleportReady)) {
      this.logger.info({ services: this.services() }, 'all services are ready');
      this.broadcast(SupervisorEvents.TeleportReady);
    }
  }

  private serviceFailed(entry: Entry, err: unknown): void {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return;
    this.failure ??= wrapFailure(entry.name, 'exited', err);
    this.logger.error({ component: entry.name, err }, 'service failed; shutting down');
    this.broadcast(SupervisorEvents.ServiceExited, { service: entry.name, error: errorMessage(err) });
    void this.shutdown({ graceful: false });
  }

  /** True while running and every service has reported ready. */
  isReady(): boolean {
    return this.stateValue === 'running' && this.entries.every((e) => e.ready);
  }

  /** Services that are not ready, with the reason each gave. */
  notReady(): Array<{ service: string; reason: string }> {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') {
      return this.entries.map((e) => ({ service: e.name, reason: 'shutting down' }));
    }
    return this.entries.filter((e) => !e.ready).map((e) => ({ service: e.name, reason: e.reason || 'not ready' }));
  }

  /** Records an event and notifies listeners; later `waitForEvent` calls see it at once. */
  broadcast(event: string, payload?: unknown): void {
    if (event === 'error') throw new BadParameterError('"error" is reserved by EventEmitter: pick another event name');
    this.events.set(event, payload);
    this.emit(event, payload);
  }

  /** Resolves with the event's payload, immediately if it was already broadcast; rejects on timeout or shutdown. */
  waitForEvent(event: string, timeoutMs: number): Promise<unknown> {
    if (this.events.has(event)) return Promise.resolve(this.events.get(event));
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off(event, onEvent);
        this.off(SupervisorEvents.TeleportExiting, onExit);
      };
      const onEvent = (payload: unknown): void => {
        cleanup();
        resolve(payload);
      };
      const onExit = (): void => {
        cleanup();
        reject(new ConnectionProblemError(`stopped waiting for "${event}": the process is shutting down`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new RetryError(`timed out after ${timeoutMs}ms waiting for "${event}"`));
      }, timeoutMs);
      this.on(event, onEvent);
      this.once(SupervisorEvents.TeleportExiting, onExit);
    });
  }

  /**
   * Stops every started service in reverse order. Graceful: each may drain until the shared deadline,
   * then it is closed forcibly. Calling again returns the same promise; a non-graceful call forces an
   * ongoing graceful shutdown.
   */
  shutdown(opts: ShutdownOptions = {}): Promise<void> {
    const graceful = opts.graceful ?? true;
    if (!graceful) this.forceController.abort();
    this.shutdownPromise ??= this.stopAll(graceful, opts.timeoutMs ?? GRACEFUL_SHUTDOWN_TIMEOUT_MS,
      opts.forceTimeoutMs ?? FORCE_SHUTDOWN_TIMEOUT_MS, this.stateValue === 'starting');
    return this.shutdownPromise;
  }

  private async stopAll(graceful: boolean, timeoutMs: number, forceTimeoutMs: number, interruptStart: boolean): Promise<void> {
    this.stateValue = 'stopping';
    this.logger.info({ graceful }, 'shutting down');
    this.broadcast(SupervisorEvents.TeleportExiting, { graceful });
    if (interruptStart) {
      for (const e of this.entries) if (!e.handle) e.controller.abort(); // interrupt the start in flight
      await this.startPromise?.catch(() => undefined);
    }
    const deadline = Date.now() + timeoutMs;
    for (const entry of [...this.entries].reverse()) {
      if (entry.handle) await this.stopOne(entry, entry.handle, graceful, deadline, forceTimeoutMs);
      entry.controller.abort();
      entry.ready = false;
    }
    this.stateValue = 'stopped';
    this.logger.info('all services stopped');
    this.settleDone(this.failure);
  }

  private async stopOne(entry: Entry, handle: ServiceHandle, graceful: boolean, deadline: number, forceTimeoutMs: number): Promise<void> {
    const log = componentLogger(this.logger, entry.name);
    if (graceful && !this.forceController.signal.aborted && deadline > Date.now()) {
      const closing = Promise.resolve().then(() => handle.close({ graceful: true })).then(() => 'closed' as const, (err: unknown) => err);
      const outcome = await raceTimeout(closing, deadline - Date.now(), this.forceController.signal);
      if (outcome === 'closed') return log.debug('service stopped');
      if (outcome === 'timeout') log.warn('service did not drain in time; closing it forcibly');
      else if (outcome === 'aborted') log.warn('forced shutdown requested; closing service');
      else log.warn({ err: outcome }, 'graceful close failed; closing forcibly');
    }
    entry.controller.abort();
    const closing = Promise.resolve().then(() => handle.close({ graceful: false })).then(() => 'closed' as const, (err: unknown) => err);
    const outcome = await raceTimeout(closing, forceTimeoutMs);
    if (outcome === 'timeout') log.error(`service did not close within ${forceTimeoutMs}ms; abandoning it`);
    else if (outcome !== 'closed') log.error({ err: outcome }, 'service failed to close');
    else log.debug('service closed');
  }

  /** Resolves once shut down; rejects with the failure if a service failed to start or died. */
  wait(): Promise<void> {
    return this.done;
  }
}
