import { Injectable, Logger } from '@nestjs/common';
import { BoundedMap, Clock, OutboundHttpService } from '@portico/core';
import type { CheckParams } from '../check/check-query';
import { formatCheckQuery } from '../check/check-query';
import type { SourceConfig } from '../check/check-settings.service';
import type { Decision } from '../check/decision';
import { parseEntitlementDocument } from '../check/entitlement-document';

interface Cached {
  expiresAt: number;
  decision: Decision;
}

const MAX_CACHED = 100_000;
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * Asks an EntitlementSource (a CRM, say) in the check endpoint's own format. Only a well-formed 200
 * document naming the same server grants; a 404 denies; grants and denials are cached for the
 * source's cacheSeconds, failures (timeouts, other statuses, malformed answers) never are.
 * Concurrent identical checks share one call.
 */
@Injectable()
export class DelegationService {
  private readonly logger = new Logger('EntitlementDelegation');
  private readonly cache = new BoundedMap<string, Cached>(MAX_CACHED);
  private readonly inFlight = new Map<string, Promise<Decision>>();

  constructor(
    private readonly http: OutboundHttpService,
    private readonly clock: Clock,
  ) {}

  ask(source: SourceConfig, params: CheckParams): Promise<Decision> {
    // remote_ip is passed on but is no part of the answer's identity: a source should decide by key.
    const id = `${source.id}\u0000${source.url}\u0000${params.server}\u0000${params.className ?? ''}\u0000${params.key}`;
    const cached = this.cache.get(id);
    if (cached && cached.expiresAt > this.clock.nowMs()) return Promise.resolve(cached.decision);
    if (cached) this.cache.delete(id);
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.call(source, params)
        .then(({ decision, cacheable }) => {
          if (cacheable && source.cacheSeconds > 0) this.remember(id, decision, source.cacheSeconds);
          return decision;
        })
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  /** After a source changed: nothing it answered before is reused. */
  forget(): void {
    this.cache.clear();
  }

  private remember(id: string, decision: Decision, seconds: number): void {
    this.cache.set(id, { expiresAt: this.clock.nowMs() + seconds * 1000, decision });
  }

  private async call(source: SourceConfig, params: CheckParams): Promise<{ decision: Decision; cacheable: boolean }> {
    const separator = /[?;&]$/.test(source.url) ? '' : source.url.includes('?') ? ';' : '?';
    const result = await this.http.send({
      url: `${source.url}${separator}${formatCheckQuery(params)}`,
      method: 'GET',
      headers: { accept: 'application/xml' },
      timeoutMs: source.timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
      // A source an administrator marked as private (a CRM on this network) may also use plain http.
      allowPrivateNetwork: source.allowPrivateNetwork,
      allowHttp: source.allowPrivateNetwork,
    });
    const failed = (detail: string) => {
      this.logger.warn(`Entitlement source ${source.id} for ${source.server}: ${detail}`);
      return { decision: { code: 'SOURCE_ERROR', via: 'source', detail } as Decision, cacheable: false };
    };
    if (!result.ok) return failed(`${result.error}: ${result.message}`);
    if (result.status === 404) return { decision: { code: 'NOT_FOUND', via: 'source' }, cacheable: true };
    if (result.status !== 200) return failed(`answered HTTP ${result.status}`);
    const entitlement = parseEntitlementDocument(result.body);
    if (!entitlement) return failed('answered a malformed entitlement document');
    if (entitlement.server.toLowerCase() !== params.server) return failed('answered a document for another server');
    return { decision: { code: 'VALID', via: 'source', entitlement }, cacheable: true };
  }
}
