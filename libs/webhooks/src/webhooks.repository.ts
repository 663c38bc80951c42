import { Injectable } from '@nestjs/common';
import { Page, PageQueryDto, pruneRows, RequestContext, scopedList, tenantWhere, TransactionService } from '@portico/core';
import { In, IsNull, LessThan, MoreThan, MoreThanOrEqual } from 'typeorm';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { WebhookMessage } from './entities/webhook-message.entity';

const REPLAY_CHUNK = 500;
const INSERT_CHUNK = 200;

/** A message after one attempt: the changes to write (which release its claim). */
export interface MessageSettlement {
  message: WebhookMessage;
  changes: Partial<WebhookMessage>;
}

/**
 * Every query of the webhooks domain: endpoints, messages and attempts. Statements run in the
 * ambient transaction when the caller is inside `tx.run`.
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly tx: TransactionService) {}

  // Endpoints

  listEndpoints(ctx: RequestContext, query: PageQueryDto & { search?: string }): Promise<Page<WebhookEndpoint>> {
    const qb = this.tx.manager.createQueryBuilder(WebhookEndpoint, 'e').orderBy('e.created_at', 'ASC').addOrderBy('e.id', 'ASC');
    if (query.search) {
      // lower() on both sides: SQLite's LIKE ignores case and PostgreSQL's does not.
      const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere("(lower(e.url) LIKE :pattern ESCAPE '\\' OR lower(e.description) LIKE :pattern ESCAPE '\\')", { pattern });
    }
    return scopedList(ctx, qb, query, { tenantColumn: 'e.tenant_id' }, (rows) => rows);
  }

  /** How many of the caller's endpoints exist, are failing (enabled, failed since their last success) and are disabled. */
  async endpointHealth(ctx: RequestContext): Promise<{ total: number; failing: number; disabled: number }> {
    const m = this.tx.manager;
    const scope = tenantWhere(ctx);
    const [total, failing, disabled] = await Promise.all([
      m.countBy(WebhookEndpoint, scope),
      m.countBy(WebhookEndpoint, { ...scope, enabled: true, consecutiveFailures: MoreThan(0) }),
      m.countBy(WebhookEndpoint, { ...scope, enabled: false }),
    ]);
    return { total, failing, disabled };
  }

  /** The endpoint if the caller may see it. */
  findEndpoint(ctx: RequestContext, id: string): Promise<WebhookEndpoint | null> {
    return this.tx.manager.findOneBy(WebhookEndpoint, { id, ...tenantWhere(ctx) });
  }

  /** The endpoint by id, for work already confined to the caller's tenant. */
  endpointById(id: string): Promise<WebhookEndpoint> {
    return this.tx.manager.findOneByOrFail(WebhookEndpoint, { id });
  }

  endpointsByIds(ids: string[]): Promise<WebhookEndpoint[]> {
    return this.tx.manager.findBy(WebhookEndpoint, { id: In(ids) });
  }

  /** Enabled endpoints of these tenants, and with `tenantless` those of no tenant. */
  enabledEndpoints(tenantIds: string[], tenantless: boolean): Promise<WebhookEndpoint[]> {
    const where = [];
    if (tenantIds.length) where.push({ enabled: true, tenantId: In(tenantIds) });
    if (tenantless) where.push({ enabled: true, tenantId: IsNull() });
    return where.length ? this.tx.manager.find(WebhookEndpoint, { where }) : Promise.resolve([]);
  }

  /** Enabled endpoints (their tenant only) subscribed to `event`; there are few endpoints, so the list is filtered here. */
  async enabledSubscribers(event: string): Promise<Pick<WebhookEndpoint, 'tenantId'>[]> {
    const rows = await this.tx.manager.find(WebhookEndpoint, { select: { tenantId: true, events: true }, where: { enabled: true } });
    return rows.filter((e) => e.events.includes(event));
  }

  async createEndpoint(fields: Partial<WebhookEndpoint>): Promise<WebhookEndpoint> {
    const endpoint = this.tx.manager.create(WebhookEndpoint, fields);
    await this.tx.manager.save(endpoint);
    return endpoint;
  }

  async saveEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    await this.tx.manager.save(endpoint);
  }

  /** With its messages and attempts (database cascade). */
  async deleteEndpoint(id: string): Promise<void> {
    await this.tx.manager.delete(WebhookEndpoint, { id });
  }

  async updateEndpoint(id: string, changes: Partial<WebhookEndpoint>): Promise<void> {
    await this.tx.manager.update(WebhookEndpoint, { id }, changes);
  }

  /** Lengthens the endpoint's failure streak, which started `now` unless it already had. */
  async addEndpointFailures(id: string, failures: number, now: Date): Promise<void> {
    await this.tx.manager
      .createQueryBuilder()
      .update(WebhookEndpoint)
      .set({
        consecutiveFailures: () => `consecutive_failures + ${Math.trunc(failures)}`,
        failingSince: () => 'COALESCE(failing_since, :now)',
      })
      .where('id = :id', { id, now })
      .execute();
  }

  // Messages

  /** The message if the caller may see it. */
  findMessage(ctx: RequestContext, id: string): Promise<WebhookMessage | null> {
    return this.tx.manager.findOneBy(WebhookMessage, { id, ...tenantWhere(ctx) });
  }

  /** The endpoint's messages, newest first (the caller has already checked the endpoint). */
  listMessages(
    ctx: RequestContext,
    endpointId: string,
    query: PageQueryDto & { status?: string; eventType?: string },
  ): Promise<Page<WebhookMessage>> {
    const qb = this.tx.manager
      .createQueryBuilder(WebhookMessage, 'm')
      .where('m.endpoint_id = :endpointId', { endpointId })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC');
    if (query.status) qb.andWhere('m.status = :status', { status: query.status });
    if (query.eventType) qb.andWhere('m.event_type = :eventType', { eventType: query.eventType });
    return scopedList(ctx, qb, query, {}, (rows) => rows);
  }

  /** The endpoint's attempts, newest first, each with its message's event type. */
  listAttempts(
    ctx: RequestContext,
    endpointId: string,
    query: PageQueryDto & { messageId?: string },
  ): Promise<Page<{ attempt: WebhookAttempt; eventType: string }>> {
    const qb = this.tx.manager
      .createQueryBuilder(WebhookAttempt, 'a')
      .where('a.endpoint_id = :endpointId', { endpointId })
      .orderBy('a.at', 'DESC')
      .addOrderBy('a.id', 'DESC');
    if (query.messageId) qb.andWhere('a.message_id = :messageId', { messageId: query.messageId });
    return scopedList(ctx, qb, query, {}, async (rows) => {
      const types = await this.eventTypes(rows.map((r) => r.messageId));
      return rows.map((attempt) => ({ attempt, eventType: types.get(attempt.messageId) ?? '' }));
    });
  }

  private async eventTypes(messageIds: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(messageIds)];
    if (!unique.length) return new Map();
    const rows = await this.tx.manager.find(WebhookMessage, { select: { id: true, eventType: true }, where: { id: In(unique) } });
    return new Map(rows.map((r) => [r.id, r.eventType]));
  }

  /** Inserts the messages, skipping ids that exist (a batch seen twice), a chunk per transaction. */
  async insertMessages(messages: Partial<WebhookMessage>[]): Promise<void> {
    const rows = messages.map((fields) => this.tx.manager.create(WebhookMessage, fields));
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      await this.tx.run((m) => m.createQueryBuilder().insert().into(WebhookMessage).values(chunk).orIgnore().execute());
    }
  }

  async updateMessage(id: string, changes: Partial<WebhookMessage>): Promise<void> {
    await this.tx.manager.update(WebhookMessage, { id }, changes);
  }

  async updateMessages(ids: string[], changes: Partial<WebhookMessage>): Promise<void> {
    for (let i = 0; i < ids.length; i += REPLAY_CHUNK) {
      await this.tx.manager.update(WebhookMessage, { id: In(ids.slice(i, i + REPLAY_CHUNK)) }, changes);
    }
  }

  async failedMessageIds(endpointId: string, since: Date): Promise<string[]> {
    const rows = await this.tx.manager.find(WebhookMessage, {
      select: { id: true },
      where: { endpointId, status: 'failed', createdAt: MoreThanOrEqual(since) },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Takes the messages that are due and held by nobody until `lockedUntil`, and reads back exactly
   * those (the claim token tells them apart from ones another worker took).
   */
  async claimMessages(ids: string[], now: Date, lockedUntil: Date, token: string): Promise<WebhookMessage[]> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(WebhookMessage)
      .set({ lockedUntil, claimToken: token })
      .where('id IN (:...ids) AND status = :pending AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until < :now)', {
        ids,
        pending: 'pending',
        now,
      })
      .execute();
    if (!result.affected) return [];
    return this.tx.manager.findBy(WebhookMessage, { id: In(ids), claimToken: token });
  }

  /** Pending messages nobody is sending: a lease that expired, or never claimed since `lostBefore`. */
  async overdueMessageIds(now: Date, lostBefore: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.tx.manager
      .createQueryBuilder(WebhookMessage, 'm')
      .select('m.id', 'id')
      // An expired lease means its sender died mid-attempt (a finished attempt clears it).
      .where(
        'm.status = :pending AND ((m.locked_until IS NOT NULL AND m.locked_until < :now) OR (m.locked_until IS NULL AND m.next_attempt_at <= :lost))',
        { pending: 'pending', now, lost: lostBefore },
      )
      .orderBy('m.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany();
    return rows.map((r) => r.id);
  }

  /** How many messages wait for delivery (pending: due or scheduled for a retry), and when the oldest was made. */
  async waitingMessages(): Promise<{ count: number; oldest: Date | null }> {
    const m = this.tx.manager;
    const [count, oldest] = await Promise.all([
      m.countBy(WebhookMessage, { status: 'pending' }),
      m.findOne(WebhookMessage, { select: { id: true, createdAt: true }, where: { status: 'pending' }, order: { createdAt: 'ASC' } }),
    ]);
    return { count, oldest: oldest?.createdAt ?? null };
  }

  /** Deletes messages delivered or failed for good before `before`, with their attempts (cascade). */
  pruneFinishedMessages(before: Date): Promise<number> {
    return pruneRows(this.tx, WebhookMessage, [
      { status: 'succeeded', deliveredAt: LessThan(before) },
      { status: 'failed', failedAt: LessThan(before) },
    ]);
  }

  /** Writes each message's state after its attempt. */
  async settleMessages(rows: MessageSettlement[]): Promise<void> {
    const m = this.tx.manager;
    // PostgreSQL: one statement for the batch; SQLite is in-process, so row by row costs little.
    if (!this.tx.isPostgres || rows.length < 2) {
      for (const { message, changes } of rows) await m.update(WebhookMessage, { id: message.id }, changes);
      return;
    }
    const params: unknown[] = [];
    const types = ['uuid', 'varchar', 'int', 'int', 'timestamp', 'int', 'varchar', 'int', 'timestamp', 'timestamp'];
    const tuples = rows.map(({ message, changes: u }) => {
      const values = [
        message.id,
        u.status ?? message.status,
        u.attempts,
        u.scheduleStep ?? message.scheduleStep,
        u.nextAttemptAt,
        u.lastStatusCode,
        u.lastError,
        u.lastDurationMs,
        u.deliveredAt ?? null,
        u.failedAt ?? null,
      ];
      const start = params.push(...values) - values.length;
      return `(${types.map((t, i) => `$${start + i + 1}::${t}`).join(', ')})`;
    });
    await m.query(
      `UPDATE webhook_messages AS m SET status = v.status, attempts = v.attempts, schedule_step = v.step, next_attempt_at = v.next,
         last_status_code = v.code, last_error = v.err, last_duration_ms = v.dur, delivered_at = v.delivered, failed_at = v.failed,
         locked_until = NULL, claim_token = NULL, updated_at = now()
       FROM (VALUES ${tuples.join(', ')}) AS v(id, status, attempts, step, next, code, err, dur, delivered, failed)
       WHERE m.id = v.id`,
      params,
    );
  }

  // Attempts

  async insertAttempts(attempts: Partial<WebhookAttempt>[]): Promise<void> {
    if (!attempts.length) return;
    const m = this.tx.manager;
    await m.insert(
      WebhookAttempt,
      attempts.map((a) => ({ ...m.create(WebhookAttempt, {}), ...a })),
    );
  }
}
