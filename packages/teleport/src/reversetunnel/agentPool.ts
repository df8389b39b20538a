/**
 * @module reversetunnel/agentPool
 * Keeps an agent's tunnels: exactly one per live proxy. It starts from the configured proxy address
 * (the "seed", possibly a load balancer), learns every proxy from the `proxies` control messages, and
 * dials each advertised address expecting that proxy's host id. A tunnel whose proxy is no longer
 * advertised is not redialled once it ends. Failures are retried with exponential backoff and full
 * jitter capped at a few seconds; a proxy that says `reconnect` (graceful shutdown) is redialled at
 * the same address after a short delay, since a restarted proxy comes back there. While no tunnel is
 * up the seed is dialled too, so a proxy that came back with another identity is still found.
 *
 * Events: `change` (the connected proxy ids changed).
 */
import { EventEmitter } from 'node:events';
import { errorMessage } from '@teleport-ts/api/errors';
import type { Logger } from '../utils/logger.ts';
import { componentLogger } from '../utils/logger.ts';
import { TunnelAgent, type TunnelAgentOptions } from './agent.ts';
import type { ProxyEndpoint } from './protocol.ts';

/** Backoff settings: the first retry waits up to `baseMs`, doubling per failure, never over `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Default backoff: 200 ms doubling, capped at 3 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, maxMs: 3_000 };

/** Exponential backoff with full jitter: a uniform delay in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Timer functions, injectable for tests. */
export interface PoolTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: PoolTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Inputs of {@link AgentPool}. */
export interface AgentPoolOptions extends Omit<TunnelAgentOptions, 'addr' | 'expectedProxyId'> {
  /** The configured proxy address (tunnel listener, or web port with `alpn`). */
  proxyAddr: string;
  backoff?: BackoffOptions;
  /** Delay before redialling a proxy that asked agents to reconnect (default 500 ms). */
  reconnectDelayMs?: number;
  random?: () => number;
  timers?: PoolTimers;
}

interface Slot {
  key: string;
  addr: string;
  expectedId?: string;
  attempts: number;
  timer?: unknown;
  agent?: TunnelAgent;
  lastError?: string;
}

const SEED = 'seed';

/** One tunnel per proxy, kept up. */
export class AgentPool extends EventEmitter {
  private readonly logger: Logger;
  private readonly slots = new Map<string, Slot>();
  /** Connected tunnels by proxy host id. */
  private readonly tunnels = new Map<string, TunnelAgent>();
  /** The latest proxy list a proxy announced. */
  private advertised = new Map<string, string>();
  private readonly timers: PoolTimers;
  private readonly random: () => number;
  private closed = false;

  constructor(private readonly opts: AgentPoolOptions) {
    super();
    this.logger = componentLogger(opts.logger, 'tunnel:agent');
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
  }

  /** Starts dialling the configured proxy. */
  start(): void {
    this.ensureSeed();
  }

  /** Host ids of the proxies this agent has a live tunnel to. */
  connectedProxies(): string[] {
    return [...this.tunnels.keys()].sort();
  }

  /** Resolves once at least `n` tunnels are up; rejects after `timeoutMs` (default 10 s). */
  waitForProxies(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.tunnels.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onChange = (): void => {
        if (this.tunnels.size < n) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${n} tunnel(s); connected: ${this.connectedProxies().join(', ') || 'none'}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('change', onChange);
      };
      this.on('change', onChange);
    });
  }

  /** Stops every tunnel and retry. */
  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots.values()) {
      if (slot.timer !== undefined) this.timers.clearTimeout(slot.timer);
      slot.agent?.close();
    }
    for (const agent of this.tunnels.values()) agent.close();
    this.slots.clear();
    this.tunnels.clear();
  }

  private ensureSeed(): void {
    if (this.closed || this.tunnels.size > 0 || this.slots.has(SEED)) return;
    const slot: Slot = { key: SEED, addr: this.opts.proxyAddr, attempts: 0 };
    this.slots.set(SEED, slot);
    this.dial(slot);
  }

  private schedule(slot: Slot, delayMs: number): void {
    if (this.closed) return;
    slot.timer = this.timers.setTimeout(() => {
      slot.timer = undefined;
      if (this.slots.get(slot.key) === slot) this.dial(slot);
    }, delayMs);
  }

  private dial(slot: Slot): void {
    if (this.closed) return;
    const { proxyAddr: _seed, backoff: _b, reconnectDelayMs: _r, random: _rand, timers: _t, ...agentOpts } = this.opts;
    const agent = new TunnelAgent({ ...agentOpts, addr: slot.addr, ...(slot.expectedId !== undefined && { expectedProxyId: slot.expectedId }) });
    slot.agent = agent;
    let reconnectAsked = false;
    agent.on('proxies', (list: ProxyEndpoint[]) => this.onProxies(list));
    agent.on('reconnect', (reason: string) => {
      reconnectAsked = true;
      this.logger.info({ proxy: agent.proxyId, addr: slot.addr }, `proxy asked to reconnect: ${reason}`);
      agent.close();
    });
    agent.start().then(() => {
      const id = agent.proxyId ?? '';
      if (this.closed) return agent.close();
      if (this.tunnels.has(id)) {
        // Another slot (the seed, or an advertised address) already reached this proxy.
        this.logger.debug({ proxy: id, addr: slot.addr }, 'already connected to this proxy; dropping the duplicate');
        this.slots.delete(slot.key);
        agent.close();
        return;
      }
      slot.attempts = 0;
      slot.lastError = undefined;
      this.tunnels.set(id, agent);
      // From now on this tunnel is tracked under its proxy id, whatever slot dialled it.
      this.slots.delete(slot.key);
      const own: Slot = { key: `id:${id}`, addr: slot.addr, expectedId: id, attempts: 0, agent };
      const prev = this.slots.get(own.key);
      if (prev?.timer !== undefined) this.timers.clearTimeout(prev.timer);
      prev?.agent?.close();
      this.slots.set(own.key, own);
      this.logger.info({ proxy: id, addr: slot.addr }, 'reverse tunnel connected');
      agent.once('close', (err?: Error) => this.onTunnelClosed(own, id, agent, reconnectAsked ? undefined : err, reconnectAsked));
      this.emit('change');
      this.ensureSeed();
    }, (err: unknown) => {
      if (this.closed || this.slots.get(slot.key) !== slot) return;
      const msg = errorMessage(err);
      if (msg !== slot.lastError) this.logger.warn({ addr: slot.addr }, `reverse tunnel failed: ${msg}; retrying`);
      slot.lastError = msg;
      slot.agent = undefined;
      if (slot.expectedId !== undefined && this.advertised.size > 0 && !this.advertised.has(slot.expectedId)) {
        this.slots.delete(slot.key); // no longer advertised: that proxy is gone
        this.ensureSeed();
        return;
      }
      this.retry(slot);
    });
  }

  private onTunnelClosed(slot: Slot, id: string, agent: TunnelAgent, err: Error | undefined, reconnectAsked: boolean): void {
    if (this.tunnels.get(id) === agent) {
      this.tunnels.delete(id);
      this.emit('change');
    }
    if (this.closed || this.slots.get(slot.key) !== slot) return;
    slot.agent = undefined;
    this.logger.info({ proxy: id, err: err?.message }, 'reverse tunnel closed');
    if (!reconnectAsked && this.advertised.size > 0 && !this.advertised.has(id)) {
      this.slots.delete(slot.key); // the proxy is gone for good
    } else {
      const addr = this.advertised.get(id);
      if (addr !== undefined) slot.addr = addr;
      if (reconnectAsked) this.schedule(slot, (this.opts.reconnectDelayMs ?? 500) + backoffDelay(0, this.backoff(), this.random));
      else this.retry(slot);
    }
    this.ensureSeed();
  }

  private retry(slot: Slot): void {
    const delay = backoffDelay(slot.attempts, this.backoff(), this.random);
    slot.attempts++;
    this.schedule(slot, delay);
  }

  private backoff(): BackoffOptions {
    return this.opts.backoff ?? DEFAULT_BACKOFF;
  }

  private onProxies(list: ProxyEndpoint[]): void {
    if (this.closed) return;
    // Agents that reach proxies by ALPN dial each proxy's web port; the rest its tunnel listener.
    this.advertised = new Map(list.map((p) => [p.host_id, this.opts.alpn ? p.web_addr ?? p.addr : p.addr]));
    for (const [id, addr] of this.advertised) {
      const key = `id:${id}`;
      if (this.tunnels.has(id) || this.slots.has(key)) continue;
      const slot: Slot = { key, addr, expectedId: id, attempts: 0 };
      this.slots.set(key, slot);
      this.logger.info({ proxy: id, addr }, 'learned of a proxy; connecting');
      this.dial(slot);
    }
  }
}
