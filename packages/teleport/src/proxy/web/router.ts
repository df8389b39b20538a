/**
 * @module proxy/web/router
 * A minimal method + path router with `:param` segments; enough for the web API without a framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadParameterError } from '@teleport-ts/api/errors';

/** A route handler. */
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

/** Routes requests to handlers. */
export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route; `pattern` segments starting with ':' capture a parameter. */
  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the handler for a request, or undefined. `allowed` lists methods when only the path matched. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | { allowed: string[] } | undefined {
    const segs = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      const ok = r.parts.every((p, i) => {
        const s = segs[i] as string;
        if (p.startsWith(':')) {
          params[p.slice(1)] = decodeSegment(s);
          return true;
        }
        return p === s;
      });
      if (!ok) continue;
      if (r.method === method) return { handler: r.handler, params };
      allowed.push(r.method);
    }
    return allowed.length ? { allowed } : undefined;
  }
}

/** Decodes one %-escaped path segment; a malformed escape is the client's mistake (400), not a 500. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadParameterError(`malformed %-escape in the URL path segment "${segment.slice(0, 64)}"`);
  }
}
