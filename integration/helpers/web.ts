/**
 * @module integration/helpers/web
 * Plain HTTPS calls to the proxy's web API that return the status code and decoded body as they are,
 * so tests can assert on the HTTP layer (status class, error JSON) rather than a client's mapping.
 * The test proxy serves a self-signed certificate, so verification is off here (tests only).
 */
import { request } from 'node:https';
import type { WebAPIError } from '../../packages/api/src/webapi.ts';

/** A decoded response. */
export interface WebResponse<T = unknown> {
  status: number;
  /** Parsed JSON body (undefined when the body was not JSON). */
  body: T;
  text: string;
}

/** Sends one request with an optional JSON body to https://<addr><path>. */
export function webRequest<T = unknown>(addr: string, method: string, path: string, body?: unknown): Promise<WebResponse<T>> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const [host, port] = splitAddr(addr);
  return new Promise((resolve, reject) => {
    const req = request({
      host, port, method, path, agent: false, rejectUnauthorized: false,
      headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: json as T, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The error message of a failed web API call, or '' when the body has none. */
export function errorMessageOf(res: WebResponse): string {
  return (res.body as WebAPIError | undefined)?.error?.message ?? '';
}

/** Plain HTTP GET (for the diagnostics endpoint). */
export async function httpGet(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

function splitAddr(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), Number(addr.slice(i + 1))];
}
