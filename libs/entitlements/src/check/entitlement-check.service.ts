import { Injectable } from '@nestjs/common';
import { Clock, CounterMetric, Metrics } from '@portico/core';
import { DecisionLogService, type DecisionRecord } from '../decisions/decision-log.service';
import { DelegationService } from '../delegation/delegation.service';
import { PRINTABLE } from '../dto/validation';
import type { CheckParams } from './check-query';
import { CheckSettingsService } from './check-settings.service';
import type { Decision } from './decision';
import { KeyLookupRepository, KeyRow } from './key-lookup.repository';

const MAX_KEY_LENGTH = 255;

/**
 * The decision behind GET /entitlements/check and POST /api/v1/entitlements/verify: the caller
 * allow-list, then a delegation source if one matches, else the virtual keys, read from the
 * database by an index search on every check (never cached), so that a suspension, an expiry or
 * a deletion counts from the very next check on every instance.
 */
@Injectable()
export class EntitlementCheckService {
  private readonly decisions: CounterMetric<'code' | 'channel'>;

  constructor(
    private readonly keys: KeyLookupRepository,
    private readonly settings: CheckSettingsService,
    private readonly delegation: DelegationService,
    private readonly log: DecisionLogService,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.decisions = metrics.counter({
      name: 'portico_entitlement_decisions_total',
      help: 'Entitlement decisions by code (VALID, NOT_FOUND, SUSPENDED…) and channel (check: GET /entitlements/check, verify: the JSON API)',
      labelNames: ['code', 'channel'],
    });
  }

  /** The public check: the caller's address must be on the server's allow-list, when it has one. */
  async check(params: CheckParams, callerIp: string | null): Promise<Decision> {
    const normal = normalise(params);
    const settings = await this.settings.current();
    const callers = settings.callersOf(normal.server);
    const decision =
      callers && !callers.allows(callerIp)
        ? ({ code: 'CALLER_NOT_ALLOWED', via: 'local' } as Decision)
        : await this.decide(normal, settings);
    this.decided({ channel: 'check', params: normal, callerIp, decision });
    return decision;
  }

  /** The JSON variant, for an authenticated administrator: no allow-list. */
  async verify(params: CheckParams, callerIp: string | null): Promise<Decision> {
    const normal = normalise(params);
    const decision = await this.decide(normal, await this.settings.current());
    this.decided({ channel: 'verify', params: normal, callerIp, decision });
    return decision;
  }

  /** A check that never got as far as a decision (a malformed query), for the log. */
  recordRefusal(problem: string, rawQuery: string, callerIp: string | null): void {
    const detail = `${problem}: ${rawQuery.slice(0, 120)}`;
    this.decided({ channel: 'check', params: {}, callerIp, decision: { code: 'BAD_REQUEST', via: 'local', detail } });
  }

  private decided(entry: DecisionRecord): void {
    this.decisions.inc({ code: entry.decision.code, channel: entry.channel });
    this.log.record(entry);
  }

  private async decide(params: CheckParams, settings: Awaited<ReturnType<CheckSettingsService['current']>>): Promise<Decision> {
    const source = settings.sourceFor(params.server, params.className);
    if (source) return this.delegation.ask(source, params);
    // No stored key is longer or has control characters (PostgreSQL would refuse a NUL in the query).
    if (params.key.length > MAX_KEY_LENGTH || !PRINTABLE.test(params.key)) return { code: 'NOT_FOUND', via: 'local' };
    return this.judge(await this.keys.find(params.key), params, this.clock.nowMs());
  }

  private judge(rows: KeyRow[], params: CheckParams, now: number): Decision {
    if (!rows.length) return { code: 'NOT_FOUND', via: 'local' };
    const onServer = rows.filter((r) => r.server === params.server);
    if (!onServer.length) return { code: 'SERVER_MISMATCH', via: 'local' };
    const ofClass = params.className === null ? onServer : onServer.filter((r) => r.className === params.className);
    if (!ofClass.length) return { code: 'CLASS_MISMATCH', via: 'local' };
    // A key granted for several classes of the server (class omitted) answers the same way each time.
    if (ofClass.length > 1) ofClass.sort((a, b) => (a.className < b.className ? -1 : a.className > b.className ? 1 : 0));
    const expired = (r: KeyRow) => r.expiresAt !== null && r.expiresAt.getTime() <= now;
    const granted = ofClass.find((r) => r.status === 'active' && !expired(r));
    if (granted)
      return { code: 'VALID', via: 'local', entitlement: { server: granted.server, className: granted.className, key: granted.realKey } };
    return { code: ofClass.some((r) => r.status !== 'active') ? 'SUSPENDED' : 'EXPIRED', via: 'local' };
  }
}

/** Host names compare in lower case; the class and the key exactly. */
function normalise(params: CheckParams): CheckParams {
  return { ...params, server: params.server.toLowerCase() };
}
