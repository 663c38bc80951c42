import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { checkLiteralHost, guardedLookup, OutboundAddressError } from './address-policy';

export interface OutboundRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Bytes of response body kept; a longer body is a failure (`tooLarge`). */
  maxBytes?: number;
  /** Loopback/private/link-local destinations are refused unless an administrator allowed them. */
  allowPrivateNetwork?: boolean;
  /** Plain http:// is refused unless allowed (private providers on the same host). */
  allowHttp?: boolean;
  /** Mutual TLS and a private CA. */
  tls?: { cert?: string; key?: string; ca?: string };
  /** A longer body is cut at maxBytes instead of failing (a delivery log keeps the start of an answer). */
  truncateBody?: boolean;
  /**
   * Reuse connections (keep-alive) from a pool shared by calls with the same policy: for senders
   * of many calls (webhooks). Each new connection still goes through the address check.
   */
  keepAlive?: boolean;
}

export type OutboundResult =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: string; durationMs: number }
  | { ok: false; error: 'refused' | 'timeout' | 'network' | 'tooLarge' | 'invalidUrl'; message: string; durationMs: number };

/**
 * The one way Portico calls out: URL and address policy, timeout, no redirects followed, bounded
 * response size. Never throws for a failed call; the result says what happened.
 */
@Injectable()
export class OutboundHttpService implements OnApplicationShutdown {
  private readonly pools = new Map<string, Agent>();

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  async send(req: OutboundRequest): Promise<OutboundResult> {
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { ok: false, error: 'invalidUrl', message: 'The URL is not valid', durationMs: took() };
    }
    const policyProblem = urlProblem(url, req);
    if (policyProblem) return { ok: false, error: 'refused', message: policyProblem, durationMs: took() };
    const timeoutMs = req.timeoutMs ?? 5000;
    const maxBytes = req.maxBytes ?? 64 * 1024;
    const pooled = !!req.keepAlive && !req.tls;
    const dispatcher = pooled ? this.pool(!!req.allowPrivateNetwork, timeoutMs) : agent(!!req.allowPrivateNetwork, timeoutMs, req.tls);
    // Cleared when the call ends: AbortSignal.timeout would keep a timer per call alive for the whole
    // timeout, thousands of them for a sender of many calls.
    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await request(url, {
        method: req.method ?? 'GET',
        headers: req.headers,
        body: req.body,
        dispatcher,
        signal: abort.signal,
        maxRedirections: 0,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > maxBytes && req.truncateBody) {
          chunks.push((chunk as Buffer).subarray(0, (chunk as Buffer).length - (size - maxBytes)));
          res.body.destroy();
          break;
        }
        if (size > maxBytes) {
          res.body.destroy();
          return { ok: false, error: 'tooLarge', message: `The response is larger than ${maxBytes} bytes`, durationMs: took() };
        }
        chunks.push(chunk as Buffer);
      }
      return { ok: true, status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), durationMs: took() };
    } catch (err) {
      return { ok: false, ...describeFailure(err, abort.signal.aborted), durationMs: took() };
    } finally {
      clearTimeout(deadline);
      if (!pooled) void dispatcher.close().catch(() => undefined);
    }
  }

  private pool(allowPrivate: boolean, timeoutMs: number): Agent {
    const key = `${allowPrivate}:${timeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = agent(allowPrivate, timeoutMs, undefined, { keepAliveTimeout: 4_000, pipelining: 1 });
      this.pools.set(key, pool);
    }
    return pool;
  }
}

function agent(allowPrivate: boolean, timeoutMs: number, tls: OutboundRequest['tls'], extra: Agent.Options = {}): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(allowPrivate) as unknown as LookupFunction, timeout: timeoutMs, ...(tls ?? {}) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    ...extra,
  });
}

/** Why a URL may not be called at all, or null. Useful at save time too. */
export function urlProblem(url: URL, opts: Pick<OutboundRequest, 'allowHttp' | 'allowPrivateNetwork'>): string | null {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.allowHttp)) return 'Only https:// URLs may be called';
  if (url.username || url.password) return 'Credentials in the URL are not allowed';
  try {
    checkLiteralHost(url.hostname, !!opts.allowPrivateNetwork);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

function describeFailure(err: unknown, timedOut: boolean): { error: 'refused' | 'timeout' | 'network'; message: string } {
  const e = err as { code?: string; message?: string; cause?: unknown };
  const cause = (e?.cause ?? err) as { code?: string; message?: string };
  if (
    err instanceof OutboundAddressError ||
    cause instanceof OutboundAddressError ||
    cause?.code === 'EPRIVATEADDRESS' ||
    e?.code === 'EPRIVATEADDRESS'
  ) {
    return { error: 'refused', message: (cause as Error).message ?? 'Refused: private address' };
  }
  if (
    timedOut ||
    e?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e?.code === 'UND_ERR_BODY_TIMEOUT' ||
    e?.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e?.code === 'UND_ERR_ABORTED'
  ) {
    return { error: 'timeout', message: 'The destination did not answer in time' };
  }
  return { error: 'network', message: cause?.message ?? e?.message ?? 'The request failed' };
}
