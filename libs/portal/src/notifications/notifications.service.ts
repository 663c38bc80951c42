import { Injectable, Logger } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  CryptoService,
  DomainException,
  InvalidInputError,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { callerTenant, TenantRef } from '@portico/tenants';
import { PortalDirectory, RecordOutcome } from '../directory/portal-directory';
import { retryOnRace } from '../portal-context';
import { InboundReceipts } from './inbound-receipts';
import { Collection, parseEnvelope, parseOrganization, parsePerson, recordId, RecordResult } from './notification-records';

export const NOTIFICATIONS_ROUTE = 'data.notifications';
// A sender's webhook-id names one delivery for as long as it retries (Standard Webhooks: about a day and
// a half); identical content without an id is taken for a retry only shortly, since a portal may mean
// to send the same data again later (after a group was deleted, say).
const KEEP_BY_ID_MS = 7 * 24 * 3_600_000;
const KEEP_BY_CONTENT_MS = 10 * 60_000;
const WEBHOOK_ID = /^[\x21-\x7e]{1,255}$/;

export type NotificationResults = Record<string, RecordResult[]>;

export interface NotificationAnswer {
  success: true;
  /** True when this delivery was applied before: nothing changed now. */
  duplicate: boolean;
  results: NotificationResults;
}

/**
 * Data-sharing notifications from a tenant's portal: `organizations` and `people` are upserted
 * through the identity map, each record in its own transaction (a rejected record leaves nothing
 * behind, and does not stop the others); other collections are answered as unsupported.
 */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger('PortalNotifications');

  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly crypto: CryptoService,
    private readonly receipts: InboundReceipts,
    private readonly directory: PortalDirectory,
  ) {}

  async receive(ctx: RequestContext, body: unknown, webhookId: string | undefined): Promise<NotificationAnswer> {
    const tenant = callerTenant(ctx);
    if (!tenant) throw new Error('Notifications are received only with a tenant key (the route is @TenantKeyed)');
    if (webhookId !== undefined && !WEBHOOK_ID.test(webhookId))
      throw new InvalidInputError('The webhook-id header must be 1 to 255 visible ASCII characters');
    const collections = parseEnvelope(body);
    const receiptKey = webhookId ? `id:${webhookId}` : `sha256:${this.crypto.hashToken(JSON.stringify(body))}`;
    const claim = await this.receipts.claim(tenant.id, NOTIFICATIONS_ROUTE, receiptKey, webhookId ? KEEP_BY_ID_MS : KEEP_BY_CONTENT_MS);
    if (claim.kind === 'in-progress') throw new ConflictError('This notification is being applied right now. Send it again in a moment.');
    if (claim.kind === 'duplicate') return { success: true, duplicate: true, results: asRepeated(claim.results as NotificationResults) };
    const applied = new Map<string, RecordResult[]>();
    try {
      // Organizations first: people name them in group_id, in the same notification or an earlier one.
      for (const collection of [...collections].sort((a, b) => rank(a) - rank(b)))
        applied.set(collection.name, await this.apply(ctx, tenant, collection));
    } catch (err) {
      await this.receipts.release(claim.receiptId);
      throw err;
    }
    // In the order the collections were sent (fromEntries also keeps a "__proto__" collection a plain key).
    const results: NotificationResults = Object.fromEntries(collections.map((c) => [c.name, applied.get(c.name)!]));
    await this.receipts.complete(claim.receiptId, results);
    await this.tx.run(() =>
      this.audit.record(ctx, {
        action: 'portal.notification.applied',
        targetType: 'tenant',
        targetId: tenant.id,
        tenant,
        details: { receipt: webhookId ? 'webhook-id' : 'content', counts: countByStatus(results) },
      }),
    );
    return { success: true, duplicate: false, results };
  }

  private async apply(ctx: RequestContext, tenant: TenantRef, collection: Collection): Promise<RecordResult[]> {
    const results: RecordResult[] = [];
    for (const record of collection.records) {
      if (collection.name === 'organizations') results.push(await this.oneRecord(record, () => this.organization(ctx, tenant, record)));
      else if (collection.name === 'people') results.push(await this.oneRecord(record, () => this.person(ctx, tenant, record)));
      else
        results.push({
          id: recordId(record),
          status: 'rejected',
          reason: `The collection "${collection.name}" is not supported: Portico takes organizations and people`,
        });
    }
    return results;
  }

  /** One record, in its own transaction, retried when it lost a race to a concurrent delivery. */
  private async oneRecord(record: unknown, upsert: () => Promise<RecordResult>): Promise<RecordResult> {
    try {
      return await retryOnRace(() => this.tx.run(upsert));
    } catch (err) {
      const id = recordId(record);
      if (err instanceof DomainException) return { id, status: 'rejected', reason: err.message };
      this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      return { id, status: 'rejected', reason: 'The record could not be applied because of an error on our side; send it again later' };
    }
  }

  private async organization(ctx: RequestContext, tenant: TenantRef, record: unknown): Promise<RecordResult> {
    const parsed = parseOrganization(record);
    if (!parsed.ok) return { id: recordId(record), status: 'rejected', reason: parsed.reason };
    const { id, name } = parsed.value;
    const { org, outcome } = await this.directory.upsertOrganization(ctx, tenant, { groupUid: id, name }, { rename: true });
    return { id, status: outcome, localId: org.id };
  }

  private async person(ctx: RequestContext, tenant: TenantRef, record: unknown): Promise<RecordResult> {
    const parsed = parsePerson(record);
    if (!parsed.ok) return { id: recordId(record), status: 'rejected', reason: parsed.reason };
    const p = parsed.value;
    // The group is checked first, so a person whose group is unknown is not created half-way.
    const org = p.groupId ? await this.directory.findOrganization(ctx, tenant, p.groupId) : null;
    if (p.groupId && !org)
      return {
        id: p.id,
        status: 'rejected',
        reason: `group_id "${p.groupId}" names no organization of this tenant: send it in "organizations" first`,
      };
    const { user, outcome } = await this.directory.upsertUser(
      ctx,
      tenant,
      { userUid: p.id, email: p.email, firstName: p.firstName, lastName: p.lastName },
      'notification',
    );
    const membership: RecordOutcome = org
      ? await this.directory.ensureMembership(ctx, org.id, user.id, p.role, { setRole: true })
      : 'unchanged';
    const status: RecordOutcome =
      outcome === 'created' ? 'created' : outcome === 'updated' || membership !== 'unchanged' ? 'updated' : 'unchanged';
    return { id: p.id, status, localId: user.id };
  }
}

function rank(collection: Collection): number {
  return collection.name === 'organizations' ? 0 : collection.name === 'people' ? 1 : 2;
}

/** A repeated delivery changes nothing: applied records are unchanged now; rejected ones stay rejected. */
function asRepeated(first: NotificationResults): NotificationResults {
  return Object.fromEntries(
    Object.entries(first).map(([name, records]) => [
      name,
      records.map((r) =>
        r.status === 'rejected'
          ? r
          : {
              id: r.id,
              status: 'unchanged' as const,
              ...(r.localId ? { localId: r.localId } : {}),
              reason: 'Repeated delivery: already applied',
            },
      ),
    ]),
  );
}

function countByStatus(results: NotificationResults): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(results).flat()) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
