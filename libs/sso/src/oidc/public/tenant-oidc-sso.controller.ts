import { Controller, Get, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EXTERNAL_AMR, finishPasswordStep } from '@portico/auth';
import { Clock, Public } from '@portico/core';
import type { Request, Response } from 'express';
import { keepTestResult, rememberPending, takePending } from '../login/oidc-pending';
import type { OidcRefusal } from '../login/tenant-oidc-login';
import { TenantOidcService } from '../tenant-oidc.service';

/** The tenant's OpenID Connect endpoints browsers use: sign-in start and the provider's redirect back. */
@ApiTags('tenant-oidc')
@Public()
@Controller('t/:tenantKey/oidc')
export class TenantOidcSsoController {
  constructor(
    private readonly oidc: TenantOidcService,
    private readonly clock: Clock,
  ) {}

  @Get('init')
  @ApiOperation({
    summary: 'Start an OpenID Connect sign-in',
    description: 'Redirects to the provider (code flow, PKCE, state and nonce); ?next=/path to come back to',
  })
  async init(@Param('tenantKey') key: string, @Query('next') next: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const outcome = await this.oidc.startLogin(key, typeof next === 'string' ? next : undefined);
    if (outcome.kind === 'refused') return refusalPage(res, outcome);
    rememberPending(req.session, outcome.pending, this.clock.nowMs());
    res.redirect(302, outcome.url);
  }

  @Get('jwks')
  @ApiOperation({
    summary: "Portico's client-authentication keys (JWKS)",
    description: "Portico's public key for the tenant's private_key_jwt client authentication; empty until that method is chosen",
  })
  async jwks(@Param('tenantKey') key: string): Promise<{ keys: Record<string, unknown>[] }> {
    const jwks = await this.oidc.clientJwks(key);
    if (!jwks) throw new NotFoundException('There is no tenant with this key.');
    return jwks;
  }

  @Get('callback')
  @ApiOperation({
    summary: 'Finish an OpenID Connect sign-in (redirect URI)',
    description: "The provider's authorization response (code, state, iss)",
  })
  async callback(@Param('tenantKey') key: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query.length > 8_192 ? '' : query);
    const state = params.get('state');
    const take = (tenantId: string) => (state ? takePending(req.session, state, tenantId, this.clock.nowMs()) : null);
    const result = await this.oidc.callback(key, { query, params, take, ip: req.ip ?? null });
    if (result.kind === 'refused') return refusalPage(res, result);
    if (result.kind === 'test') {
      keepTestResult(req.session, result.result);
      res.redirect(303, `/console/tenants/${encodeURIComponent(result.tenantKey)}/oidc/test/${result.result.id}`);
      return;
    }
    await finishPasswordStep(
      req,
      res,
      result.outcome,
      result.next,
      (message) => refusalPage(res, { kind: 'refused', status: 403, message }),
      EXTERNAL_AMR,
    );
  }
}

function refusalPage(res: Response, refusal: OidcRefusal): void {
  res.status(refusal.status).render('pages/error', {
    layout: 'layouts/public',
    title: 'Sign-in refused',
    error: { statusCode: refusal.status, error: 'Sign-in refused', message: refusal.message },
  });
}
