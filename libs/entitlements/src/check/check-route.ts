import { Logger } from '@nestjs/common';
import type { ReservingLimiter, RateVerdict } from '@portico/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parseCheckQuery } from './check-query';
import { entitlementDocument } from './entitlement-document';
import type { EntitlementCheckService } from './entitlement-check.service';

export const CHECK_PATH = '/entitlements/check';

/**
 * `GET /entitlements/check?server=S;class=C;key=K;remote_ip=IP`, the repository-compatible check.
 * A valid key answers 200 with the entitlement document; every other outcome is a 404 with an
 * empty body, so a caller learns nothing about why.
 *
 * Repositories call it on every access, so it has its own lane: declared `own`, it skips everything
 * the other routes pass (per-request logging, security headers, body parsers, sessions, CSRF, the
 * Nest router and its guard), so it costs about what a bare framework route costs. The decision
 * log records every check instead of the request log; errors go to the application log.
 * Its own per-address limit (`limiter`, higher than the other doors') is decided mostly locally.
 */
export function entitlementCheckRoute(checks: EntitlementCheckService, limiter: ReservingLimiter | null): RequestHandler {
  const logger = new Logger('EntitlementCheck');
  return (req: Request, res: Response, next: NextFunction) => {
    const url = req.url;
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    if (path !== CHECK_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const query = mark < 0 ? '' : url.slice(mark + 1);
    if (!limiter) return void answer(checks, logger, req, res, query);
    const verdict = limiter.consume(req.ip ?? 'unknown');
    if (!(verdict instanceof Promise)) return void admit(verdict);
    verdict.then(admit, next);

    function admit(v: RateVerdict): void {
      if (v.allowed) void answer(checks, logger, req, res, query);
      else refuse(limiter!, res, v);
    }
  };
}

function refuse(limiter: ReservingLimiter, res: Response, verdict: RateVerdict): void {
  limiter.door.describe(res, verdict);
  res.writeHead(429, { 'cache-control': 'no-store', 'content-length': '0' }).end();
}

async function answer(checks: EntitlementCheckService, logger: Logger, req: Request, res: Response, rawQuery: string): Promise<void> {
  // A dual-stack socket reports IPv4 callers as ::ffff:a.b.c.d: logged and matched as IPv4.
  const ip = req.ip ?? null;
  const callerIp = ip?.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  let body: string | null = null;
  try {
    const parsed = parseCheckQuery(rawQuery);
    if (!parsed.ok) {
      checks.recordRefusal(parsed.problem, rawQuery, callerIp);
    } else {
      const decision = await checks.check(parsed.params, callerIp);
      if (decision.entitlement) body = entitlementDocument(decision.entitlement);
    }
  } catch (err) {
    // The contract has no other answer than 404; the failure is for the operators' logs.
    logger.error(`Entitlement check failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (body === null) {
    res.writeHead(404, { ...headers, 'content-length': '0' }).end();
  } else {
    res.writeHead(200, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
  }
}
