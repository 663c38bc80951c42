import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuditExporter, AuditSelection, AuditService, ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UsersService } from '@portico/users';
import { isUUID } from 'class-validator';
import type { Request, Response } from 'express';
import { auditRow } from './audit-targets';
import { consolePage } from './console-page';
import { CONSOLE_PAGE_SIZE, filterParam, FormBody, offsetParam, pager, tenantKeyChoices } from './forms';

// Suggestions for the action filter (a prefix: `user.` finds every user event); any can be typed.
const KNOWN_ACTIONS = [
  'tenant.',
  'tenant.created',
  'tenant.updated',
  'tenant.suspended',
  'tenant.reactivated',
  'tenant.deleted',
  'tenant.api_key.created',
  'tenant.api_key.revoked',
  'organization.',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'user.',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.billable_changed',
  'membership.',
  'invitation.',
  'auth.',
  'auth.login.',
  'external_login.',
  'external_login_provider.',
  'ldap_directory.',
  'saml.',
  'oidc.',
  'oidc_client.',
  'settings.',
  'entitlement_class.',
  'entitlement_source.',
  'virtual_entitlement.',
  'webhook_endpoint.',
  'webhook_message.',
  'billing.',
  'mail.',
];

interface AuditFilters {
  /** As typed, for the form, the pager and the download links. */
  shown: Record<'tenantKey' | 'action' | 'actor' | 'user' | 'since' | 'until', string | undefined>;
  selection: AuditSelection;
  problems: string[];
}

/** Console: every write through the console or the API, newest first, and its download. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/audit')
export class ConsoleAuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly exporter: AuditExporter,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const filters = auditFilters(query);
    await this.render(ctx, req, res, filters, filters.problems.length ? 400 : 200, offsetParam(query));
  }

  /** The same export as the API's, with the page's filters (CSV unless NDJSON is asked for). */
  @Get('export')
  async export(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const filters = auditFilters(query);
    if (filters.problems.length) return this.render(ctx, req, res, filters, 400, 0);
    await this.exporter.stream(filters.selection, filterParam(query, 'format', 8) === 'ndjson' ? 'ndjson' : 'csv', res);
  }

  private async render(
    ctx: RequestContext,
    req: Request,
    res: Response,
    filters: AuditFilters,
    status: number,
    offset: number,
  ): Promise<void> {
    const selection = filters.problems.length ? { ...filters.selection, since: undefined, until: undefined } : filters.selection;
    const page = await this.audit.list({ ...selection, limit: CONSOLE_PAGE_SIZE, offset });
    const query = new URLSearchParams(Object.entries(filters.shown).filter((e): e is [string, string] => !!e[1])).toString();
    res.status(status).render(
      'pages/console/audit',
      consolePage(req, 'Audit log', '/console/audit', {
        page: { ...page, items: page.items.map(auditRow) },
        filters: filters.shown,
        userFilter: filters.selection.userId ? await this.userFilter(ctx, filters) : undefined,
        tenantChoices: await tenantKeyChoices(this.tenants),
        problems: filters.problems,
        filtered: Object.values(filters.shown).some(Boolean),
        pager: pager('/console/audit', filters.shown, page),
        actions: KNOWN_ACTIONS,
        exportCsv: `/console/audit/export?${query ? `${query}&` : ''}format=csv`,
        exportNdjson: `/console/audit/export?${query ? `${query}&` : ''}format=ndjson`,
      }),
    );
  }

  /** The user the log is filtered by, as people know them, and the address without that filter. */
  private async userFilter(ctx: RequestContext, filters: AuditFilters): Promise<{ label: string; href?: string; clearHref: string }> {
    const id = filters.selection.userId as string;
    // A deleted user's events stay in the log: shown by id then.
    const user = await this.users.get(ctx, id).catch(() => null);
    const rest = new URLSearchParams(Object.entries({ ...filters.shown, user: undefined }).filter((e): e is [string, string] => !!e[1]));
    return {
      label: user ? user.email : id,
      href: user ? `/console/users/${user.id}` : undefined,
      clearHref: `/console/audit${rest.size ? `?${rest.toString()}` : ''}`,
    };
  }
}

function auditFilters(query: FormBody): AuditFilters {
  const shown = {
    tenantKey: filterParam(query, 'tenantKey', 64),
    action: filterParam(query, 'action', 64),
    actor: filterParam(query, 'actor', 320),
    user: filterParam(query, 'user', 64),
    since: filterParam(query, 'since', 40),
    until: filterParam(query, 'until', 40),
  };
  const problems: string[] = [];
  const since = moment(shown.since, 'From', problems);
  const until = moment(shown.until, 'To', problems);
  const userId = shown.user && isUUID(shown.user) ? shown.user : undefined;
  if (shown.user && !userId) problems.push('The user filter must be a user id from a user page.');
  return {
    shown,
    selection: { tenantKey: shown.tenantKey, actionPrefix: shown.action, actor: shown.actor, userId, since, until },
    problems,
  };
}

/** A time from the form's date-time field (UTC, to the minute) or an ISO 8601 time with its zone. */
function moment(value: string | undefined, label: string, problems: string[]): Date | undefined {
  if (!value) return undefined;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`;
  const date = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?)?/.test(value) ? new Date(zoned) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    problems.push(`${label} must be a date and time such as 2026-01-31T14:00 (UTC)`);
    return undefined;
  }
  return date;
}
