import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuditService, ConsoleOnly } from '@portico/core';
import type { Request, Response } from 'express';
import { consolePage } from './console-page';
import { CONSOLE_PAGE_SIZE, filterParam, FormBody, offsetParam, pager } from './forms';

// Suggestions for the action filter; modules add their own actions and any can be typed.
const KNOWN_ACTIONS = [
  'tenant.created',
  'tenant.updated',
  'tenant.suspended',
  'tenant.reactivated',
  'tenant.deleted',
  'tenant.api_key.created',
  'tenant.api_key.revoked',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.billable_changed',
  'membership.created',
  'membership.deleted',
];

/** Console: every write through the console or the API, newest first. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/audit')
export class ConsoleAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const filters = { tenantKey: filterParam(query, 'tenantKey', 64), action: filterParam(query, 'action', 64) };
    const page = await this.audit.list({ ...filters, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.render(
      'pages/console/audit',
      consolePage(req, 'Audit log', '/console/audit', {
        page,
        filters,
        filtered: !!(filters.tenantKey || filters.action),
        pager: pager('/console/audit', filters, page),
        actions: KNOWN_ACTIONS,
      }),
    );
  }
}
