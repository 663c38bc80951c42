import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, CryptoService, JobQueue, OutboundHttpService, OutboundResult, TransactionService } from '@portico/core';
import { EntityManager } from 'typeorm';
import { WebhookAttempt } from '../entities/webhook-attempt.entity';
import { WebhookEndpoint } from '../entities/webhook-endpoint.entity';
import { WebhookMessage } from '../entities/webhook-message.entity';
import { DELIVER_JOB, DeliverJob, DISABLE_AFTER_MS, LEASE_MARGIN_MS, RESPONSE_BODY_LIMIT } from './constants';
import { Verdict, verdict } from './retry-policy';
import { signedHeaders } from './signing';

interface Attempted {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  verdict: Verdict;
}

/**
 * One delivery attempt of one message: claim it (so two workers never send it at once), sign and
 * send it, record the attempt, and schedule the next one or settle the message and the endpoint.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly tx: TransactionService,
    private readonly crypto: CryptoService,
    private readonly http: OutboundHttpService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async deliver(messageId: string): Promise<void> {
    if (!(await this.claim(messageId))) return;
    const m = this.tx.manager;
    const message = await m.findOneBy(WebhookMessage, { id: messageId });
    const endpoint = message && (await m.findOneBy(WebhookEndpoint, { id: message.endpointId }));
    if (!message || !endpoint) return;
    if (!endpoint.enabled) {
      await m.update(
        WebhookMessage,
        { id: message.id },
        { status: 'failed', failedAt: new Date(), nextAttemptAt: null, lockedUntil: null, lastError: 'The endpoint is disabled' },
      );
      return;
    }
    const attempted = await this.send(message, endpoint);
    await this.record(message, endpoint, attempted);
    if (attempted.verdict.kind === 'retry') {
      const job: DeliverJob = { messageId };
      await this.jobs
        .enqueue(DELIVER_JOB, job, { jobId: `${messageId}.${message.attempts + 1}`, delayMs: attempted.verdict.delayMs })
        // The message stays pending in the database: the sweeper queues it again.
        .catch((err: unknown) => this.logger.warn(`Could not queue the next attempt of ${messageId}: ${String(err)}`));
    }
  }

  /** Takes the message if it is due and nobody holds it; the lease outlives one request. */
  private async claim(id: string): Promise<boolean> {
    const now = new Date();
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(WebhookMessage)
      .set({ lockedUntil: new Date(now.getTime() + this.config.webhookTimeoutMs + LEASE_MARGIN_MS) })
      .where('id = :id AND status = :pending AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until < :now)', {
        id,
        pending: 'pending',
        now,
      })
      .execute();
    return !!result.affected;
  }

  private async send(message: WebhookMessage, endpoint: WebhookEndpoint): Promise<Attempted> {
    const secrets = [this.crypto.decrypt(endpoint.secretSealed)];
    if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date()) {
      secrets.push(this.crypto.decrypt(endpoint.previousSecretSealed));
    }
    const result = await this.http.send({
      url: endpoint.url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Portico-Webhooks/1',
        ...signedHeaders(secrets, message.id, Math.floor(Date.now() / 1000), message.payload),
      },
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
      statusCode,
      durationMs: result.durationMs,
      error: describeFailure(result),
      responseBody: result.ok ? result.body : null,
      verdict: verdict(
        { statusCode, retryAfter: result.ok ? result.headers['retry-after'] : undefined },
        message.scheduleStep,
        this.config.webhookRetrySchedule,
        Date.now(),
      ),
    };
  }

  private async record(message: WebhookMessage, endpoint: WebhookEndpoint, a: Attempted): Promise<void> {
    const now = new Date();
    const v = a.verdict;
    await this.tx.run(async (m) => {
      await m.insert(WebhookAttempt, {
        ...m.create(WebhookAttempt, {}),
        messageId: message.id,
        endpointId: endpoint.id,
        tenantId: message.tenantId,
        attempt: message.attempts + 1,
        statusCode: a.statusCode,
        durationMs: a.durationMs,
        error: a.error,
        responseBody: a.responseBody,
        at: now,
      });
      await m.update(
        WebhookMessage,
        { id: message.id },
        {
          attempts: message.attempts + 1,
          lastStatusCode: a.statusCode,
          lastError: a.error,
          lastDurationMs: a.durationMs,
          lockedUntil: null,
          ...(v.kind === 'succeeded' ? { status: 'succeeded' as const, deliveredAt: now, nextAttemptAt: null } : {}),
          ...(v.kind === 'retry' ? { scheduleStep: v.step, nextAttemptAt: new Date(now.getTime() + v.delayMs) } : {}),
          ...(v.kind === 'failed' || v.kind === 'gone' ? { status: 'failed' as const, failedAt: now, nextAttemptAt: null } : {}),
        },
      );
      if (v.kind === 'succeeded') {
        if (endpoint.consecutiveFailures || endpoint.failingSince) {
          await m.update(WebhookEndpoint, { id: endpoint.id }, { consecutiveFailures: 0, failingSince: null });
        }
        return;
      }
      await this.recordFailure(m, endpoint, now, v.kind === 'gone', a.error);
    });
  }

  private async recordFailure(m: EntityManager, endpoint: WebhookEndpoint, now: Date, gone: boolean, error: string | null): Promise<void> {
    await m
      .createQueryBuilder()
      .update(WebhookEndpoint)
      .set({ consecutiveFailures: () => 'consecutive_failures + 1', failingSince: () => 'COALESCE(failing_since, :now)' })
      .where('id = :id', { id: endpoint.id, now })
      .execute();
    const since = endpoint.failingSince ?? now;
    const reason = gone
      ? 'The endpoint answered 410 Gone, which asks for no more deliveries. Fix the receiver, then enable the endpoint again.'
      : now.getTime() - since.getTime() >= DISABLE_AFTER_MS
        ? `Every delivery failed for ${Math.round(DISABLE_AFTER_MS / 86_400_000)} days (failing since ${since.toISOString()}; last error: ${error ?? 'unknown'}). Fix the receiver, then enable the endpoint again.`
        : null;
    if (!reason) return;
    await m
      .createQueryBuilder()
      .update(WebhookEndpoint)
      .set({ enabled: false, disabledReason: reason.slice(0, 500), disabledAt: now })
      .where('id = :id', { id: endpoint.id })
      .execute();
    this.logger.warn(`Webhook endpoint ${endpoint.id} disabled: ${reason}`);
  }
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
