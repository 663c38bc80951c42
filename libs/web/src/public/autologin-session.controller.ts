import { Controller, ForbiddenException, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DomainException, ErrorCode, Public } from '@portico/core';
import { PortalService } from '@portico/portal';
import type { Request, Response } from 'express';
import { safeNext } from '../safe-redirect';
import { EXTERNAL_AMR, startSession } from './public-page';
import { TenantFraming } from './tenant-framing';

/**
 * The autologin landing: a portal sends the browser (often inside its own frame) to the one-time
 * link it got from POST /api/auth/autologin. The session starts exactly as after a password sign-in.
 */
@ApiExcludeController()
@Public()
@Controller('auth/session')
export class AutologinSessionController {
  constructor(
    private readonly portal: PortalService,
    private readonly framing: TenantFraming,
  ) {}

  @Get(':sessionId')
  async redeem(
    @Req() req: Request,
    @Res() res: Response,
    @Param('sessionId') sessionId: string,
    @Query('next') next?: unknown,
  ): Promise<void> {
    // A HEAD (a link checker, a prefetch) must not spend the one-time link.
    if (req.method === 'HEAD') return void res.status(200).end();
    const destination = safeNext(typeof next === 'string' ? next : undefined, '/account');
    const { outcome, tenantId } = await this.portal.redeemAutologin(sessionId, req.ip ?? null);
    if (tenantId) await this.framing.apply(req, res, tenantId);
    if (outcome.kind === 'refused') {
      if (outcome.status === 410) throw new DomainException(ErrorCode.Gone, outcome.message);
      throw new ForbiddenException(outcome.message);
    }
    if (outcome.kind !== 'signed-in') throw new ForbiddenException('Signing in through this link is not possible.');
    // The portal vouched for the person (a link signed with its secret): an external method, as with SAML.
    await startSession(req, outcome.account.id, EXTERNAL_AMR);
    res.redirect(303, destination);
  }
}
