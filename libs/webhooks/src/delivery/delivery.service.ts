import { Injectable, Logger } from '@nestjs/common';
import {
  AppConfig,
  Clock,
  CounterMetric,
  CryptoService,
  JobQueue,
  Metrics,
  OutboundHttpService,
  OutboundResult,
  TransactionService,
} from '@portico/core';
import { randomUUID } from 'node:crypto';
import { WebhookEndpoint } from '../entities/webhook-endpoint.entity';
import { WebhookMessage } from '../entities/webhook-message.entity';
import { WebhooksRepository } from '../webhooks.repository';
import { DELIVER_JOB, deliverJobs, DISABLE_AFTER_MS, LEASE_MARGIN_MS, RESPONSE_BODY_LIMIT } from './constants';
import { loggedRequestHeaders, loggedResponseHeaders } from './delivery-log';
import { Verdict, verdict } from './retry-policy';
import { signedHeaders } from './signing';

interface Attempted {
  message: WebhookMessage;
  endpoint: WebhookEndpoint;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
  verdict: Verdict;
}

/**
 * One delivery attempt of each of a few messages: claim them (so two workers never send one at
 * once), sign and send them side by side, record every attempt in one transaction, and schedule
 * the next attempts or settle the messages and their endpoints.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger('Webhooks');
  private readonly deliveries: CounterMetric<'outcome'>;

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: WebhooksRepository,
    private readonly crypto: CryptoService,
    private readonly http: OutboundHttpService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.deliveries = metrics.counter({
      name: 'portico_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: succeeded, retrying (failed, tried again later), failed (no tries left), gone (410), endpoint_disabled',
      labelNames: ['outcome'],
    });
    const waiting = metrics.sharedRead(() => repo.waitingMessages());
    metrics.scrapedGauge({
      name: 'portico_webhook_messages_waiting',
      help: 'Webhook messages waiting for delivery (due now or scheduled for a retry)',
      read: async () => [{ value: (await waiting()).count }],
    });
    metrics.scrapedGauge({
      name: 'portico_webhook_oldest_waiting_seconds',
      help: 'Age of the oldest webhook message still waiting for delivery (0 when none waits)',
      read: async () => {
        const { oldest } = await waiting();
        return [{ value: oldest ? Math.max(0, (clock.nowMs() - oldest.getTime()) / 1000) : 0 }];
      },
    });
  }

  async deliver(messageIds: string[]): Promise<void> {
    const messages = await this.claim(messageIds);
    if (!messages.length) return;
    const endpoints = new Map((await this.repo.endpointsByIds([...new Set(messages.map((m) => m.endpointId))])).map((e) => [e.id, e]));
    const secrets = new Map<string, string[]>();
    const attempts: Promise<Attempted>[] = [];
    const orphans: WebhookMessage[] = [];
    for (const message of messages) {
      const endpoint = endpoints.get(message.endpointId);
      if (!endpoint?.enabled) {
        orphans.push(message);
        continue;
      }
      if (!secrets.has(endpoint.id)) secrets.set(endpoint.id, this.secretsOf(endpoint));
      attempts.push(this.send(message, endpoint, secrets.get(endpoint.id)!));
    }
    const attempted = await Promise.all(attempts);
    await this.record(attempted, orphans);
    for (const a of attempted) this.deliveries.inc({ outcome: OUTCOMES[a.verdict.kind] });
    if (orphans.length) this.deliveries.inc({ outcome: 'endpoint_disabled' }, orphans.length);
    const retries = attempted.filter((a) => a.verdict.kind === 'retry');
    for (const a of retries) {
      const delayMs = a.verdict.kind === 'retry' ? a.verdict.delayMs : 0;
      await this.jobs
        .enqueueMany(
          DELIVER_JOB,
          deliverJobs([a.message.id], String(a.message.attempts + 1)).map((j) => ({ ...j, options: { ...j.options!, delayMs } })),
        )
        // The message stays pending in the database: the sweeper queues it again.
        .catch((err: unknown) => this.logger.warn(`Could not queue the next attempt of ${a.message.id}: ${String(err)}`));
    }
  }

  /**
   * Takes the messages that are due and held by nobody, under a lease that outlives one request,
   * and reads back exactly those (the claim token tells them apart from ones another worker took).
   */
  private claim(ids: string[]): Promise<WebhookMessage[]> {
    const now = this.clock.now();
    return this.repo.claimMessages(ids, now, new Date(now.getTime() + this.config.webhookTimeoutMs + LEASE_MARGIN_MS), randomUUID());
  }

  private secretsOf(endpoint: WebhookEndpoint): string[] {
    const secrets = [this.crypto.decrypt(endpoint.secretSealed)];
    if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > this.clock.now()) {
      secrets.push(this.crypto.decrypt(endpoint.previousSecretSealed));
    }
    return secrets;
  }

  private async send(message: WebhookMessage, endpoint: WebhookEndpoint, secrets: string[]): Promise<Attempted> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Portico-Webhooks/1',
      ...signedHeaders(secrets, message.id, Math.floor(this.clock.nowMs() / 1000), message.payload),
    };
    const result = await this.http.send({
      url: endpoint.url,
      method: 'POST',
      headers,
      body: message.payload,
      timeoutMs: this.config.webhookTimeoutMs,
      maxBytes: RESPONSE_BODY_LIMIT,
      truncateBody: true,
      keepAlive: true,
      allowPrivateNetwork: endpoint.allowPrivateNetwork,
      allowHttp: endpoint.allowPrivateNetwork,
    });
    const statusCode = result.ok ? result.status : null;
    return {
      message,
      endpoint,
      statusCode,
      durationMs: result.durationMs,
      error: describeFailure(result),
      responseBody: result.ok ? result.body : null,
      requestHeaders: loggedRequestHeaders(headers),
      responseHeaders: result.ok ? loggedResponseHeaders(result.headers) : null,
      verdict: verdict(
        { statusCode, retryAfter: result.ok ? result.headers['retry-after'] : undefined },
        message.scheduleStep,
        this.config.webhookRetrySchedule,
        this.clock.nowMs(),
      ),
    };
  }

  /** Every attempt of the batch and its consequences, in one transaction (one commit). */
  private async record(attempted: Attempted[], orphans: WebhookMessage[]): Promise<void> {
    const now = this.clock.now();
    await this.tx.run(async () => {
      await this.repo.insertAttempts(
        attempted.map((a) => ({
          messageId: a.message.id,
          endpointId: a.endpoint.id,
          tenantId: a.message.tenantId,
          attempt: a.message.attempts + 1,
          statusCode: a.statusCode,
          durationMs: a.durationMs,
          error: a.error,
          responseBody: a.responseBody,
          requestHeaders: a.requestHeaders,
          responseHeaders: a.responseHeaders,
          at: now,
        })),
      );
      await this.repo.settleMessages(attempted.map((a) => ({ message: a.message, changes: messageUpdate(a, now) })));
      if (orphans.length) {
        await this.repo.updateMessages(
          orphans.map((o) => o.id),
          {
            status: 'failed',
            failedAt: now,
            nextAttemptAt: null,
            lockedUntil: null,
            claimToken: null,
            lastError: 'The endpoint is disabled',
          },
        );
      }
      await this.settleEndpoints(attempted, now);
    });
  }

  /** Per endpoint: a success ends the failure streak; failures lengthen it, and 410 or days of failures disable it. */
  private async settleEndpoints(attempted: Attempted[], now: Date): Promise<void> {
    const byEndpoint = new Map<string, Attempted[]>();
    for (const a of attempted) byEndpoint.set(a.endpoint.id, [...(byEndpoint.get(a.endpoint.id) ?? []), a]);
    for (const [id, list] of byEndpoint) {
      const endpoint = list[0].endpoint;
      const failures = list.filter((a) => a.verdict.kind !== 'succeeded');
      if (!failures.length) {
        if (endpoint.consecutiveFailures || endpoint.failingSince)
          await this.repo.updateEndpoint(id, { consecutiveFailures: 0, failingSince: null });
        continue;
      }
      await this.repo.addEndpointFailures(id, failures.length, now);
      const gone = failures.some((a) => a.verdict.kind === 'gone');
      const since = endpoint.failingSince ?? now;
      const last = failures[failures.length - 1].error ?? 'unknown';
      const reason = gone
        ? 'The endpoint answered 410 Gone, which asks for no more deliveries. Fix the receiver, then enable the endpoint again.'
        : now.getTime() - since.getTime() >= DISABLE_AFTER_MS
          ? `Every delivery failed for ${Math.round(DISABLE_AFTER_MS / 86_400_000)} days (failing since ${since.toISOString()}; last error: ${last}). Fix the receiver, then enable the endpoint again.`
          : null;
      if (!reason) continue;
      await this.repo.updateEndpoint(id, { enabled: false, disabledReason: reason.slice(0, 500), disabledAt: now });
      this.logger.warn(`Webhook endpoint ${id} disabled: ${reason}`);
    }
  }
}

const OUTCOMES: Record<Verdict['kind'], string> = { succeeded: 'succeeded', retry: 'retrying', failed: 'failed', gone: 'gone' };

function messageUpdate(a: Attempted, now: Date): Partial<WebhookMessage> {
  const v = a.verdict;
  const common = {
    attempts: a.message.attempts + 1,
    lastStatusCode: a.statusCode,
    lastError: a.error,
    lastDurationMs: a.durationMs,
    lockedUntil: null,
    claimToken: null,
  };
  if (v.kind === 'succeeded') return { ...common, status: 'succeeded', deliveredAt: now, nextAttemptAt: null };
  if (v.kind === 'retry') return { ...common, scheduleStep: v.step, nextAttemptAt: new Date(now.getTime() + v.delayMs) };
  return { ...common, status: 'failed', failedAt: now, nextAttemptAt: null };
}

function describeFailure(result: OutboundResult): string | null {
  if (!result.ok) return result.message.slice(0, 500);
  const code = result.status;
  if (code >= 200 && code < 300) return null;
  if (code >= 300 && code < 400) {
    const location = result.headers.location;
    return `HTTP ${code}: redirects are not followed${location ? ` (to ${String(location).slice(0, 300)})` : ''}; point the endpoint at the final URL`;
  }
  if (code === 410) return 'HTTP 410 Gone: the endpoint was disabled';
  return `HTTP ${code}`;
}
