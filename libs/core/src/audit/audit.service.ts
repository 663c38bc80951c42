import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { RequestContext } from '../context/request-context';
import { TransactionService } from '../database/transaction.service';
import { insertRows } from '../database/insert-rows';
import { Page, PageQueryDto, toPage } from '../pagination/pagination';
import { SignInMetrics } from '../metrics/sign-in-metrics';
import { AuditEvent } from './audit-event.entity';
import { AuditRepository, AuditSelection } from './audit.repository';
import { AUDIT_EVENT } from './audit-events';
import { OutboxService } from '../events/outbox.service';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  tenant?: { id: string; key: string } | null;
  /** Never a secret: callers pass names and flags, not values. */
  details?: Record<string, unknown>;
}

export interface AuditFilter extends PageQueryDto, AuditSelection {}

class AuditActorView {
  @ApiProperty({ enum: ['platform-admin', 'tenant', 'user', 'system', 'anonymous'], example: 'tenant' }) kind: string;
  @ApiProperty({ description: 'The user, API token or API key id' }) id: string;
  @ApiProperty({ example: 'tenant:acme-portal/tk_3f9a' }) label: string;
}

class AuditTargetView {
  @ApiProperty({ example: 'user' }) type: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
}

export class AuditEventView {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, format: 'date-time' }) at: Date;
  @ApiProperty({ type: AuditActorView }) actor: AuditActorView;
  @ApiProperty({ nullable: true, type: String }) tenantKey: string | null;
  @ApiProperty({ example: 'user.created' }) action: string;
  @ApiProperty({ type: AuditTargetView }) target: AuditTargetView;
  @ApiProperty({ nullable: true, type: String, description: 'The caller’s address' }) ip: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) details: Record<string, unknown> | null;
}

@Injectable()
export class AuditService {
  constructor(
    private readonly tx: TransactionService,
    private readonly signIns: SignInMetrics,
    private readonly repo: AuditRepository,
    private readonly outbox: OutboxService,
  ) {}

  // Set by whoever delivers audit events elsewhere (the webhooks module); cheap and synchronous.
  private streams: (tenantId: string | null) => boolean = () => false;

  /** Which events also go to the outbox as `audit.event`: only those someone subscribed to, so the others cost nothing more. */
  streamWhen(gate: (tenantId: string | null) => boolean): void {
    this.streams = gate;
  }

  /** Records an event inside the caller's transaction, so the change and its audit land together. */
  async record(ctx: RequestContext, entry: AuditEntry): Promise<void> {
    const manager = this.tx.manager;
    const event = manager.create(AuditEvent, {
      actorKind: ctx.actor.kind,
      actorId: ctx.actor.id,
      actorLabel: ctx.actor.label.slice(0, 320),
      tenantId: entry.tenant?.id ?? (ctx.isPlatformAdmin ? null : ctx.tenantId),
      tenantKey: entry.tenant?.key ?? (ctx.actor.kind === 'tenant' ? ctx.actor.tenantKey : null),
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      ip: ctx.ip,
      details: entry.details ?? null,
    });
    // insert, not save (which would SELECT first), and without the read-back of created_at.
    await insertRows(manager, AuditEvent, event);
    if (this.streams(event.tenantId)) {
      const { at, ...view } = auditEventView(event);
      await this.outbox.emit(AUDIT_EVENT, event.tenantId, { ...view, at: at.toISOString() });
    }
  }

  /**
   * An event about a user (or about nobody known) from a sign-in path, which acts as the system
   * under `label`, written in a transaction of its own so the outcome is recorded whatever follows.
   */
  async recordSignIn(
    label: string,
    tenant: AuditEntry['tenant'],
    ip: string | null,
    action: string,
    userId: string | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    const ctx = RequestContext.system(label, tenant?.id ?? null, ip);
    await this.tx.run(() => this.record(ctx, { action, targetType: 'user', targetId: userId, tenant, details }));
    this.signIns.observe(label, action, details);
  }

  /** Which of these exact actions have happened at least once. */
  recordedActions(actions: string[]): Promise<string[]> {
    return this.repo.recordedActions(actions);
  }

  /** Counts of these exact actions per UTC month (`YYYY-MM`) since `since`. */
  monthlyCounts(actions: string[], since: Date): Promise<{ month: string; action: string; count: number }[]> {
    return this.repo.monthlyCounts(actions, since);
  }

  async list(filter: AuditFilter): Promise<Page<AuditEventView>> {
    return toPage(await this.repo.list(filter, filter), filter, auditEventView);
  }

  /** The latest `limit` events a user did or that were done to them, newest first. */
  async involving(userId: string, limit = 20): Promise<AuditEventView[]> {
    return (await this.repo.involving(userId, limit)).map(auditEventView);
  }
}

/** An audit event as the API and the export show it. */
export function auditEventView(e: AuditEvent): AuditEventView {
  return {
    id: e.id,
    at: e.at,
    actor: { kind: e.actorKind, id: e.actorId, label: e.actorLabel },
    tenantKey: e.tenantKey,
    action: e.action,
    target: { type: e.targetType, id: e.targetId },
    ip: e.ip,
    details: e.details,
  };
}
