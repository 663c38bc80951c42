import { Body, Controller, Get, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthenticatorService, LoginService } from '@portico/auth';
import { BillingService, periodShortLabel } from '@portico/billing';
import { CryptoService, Ctx, formatAmount, RequestContext, SignedIn } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import { MembershipsService, UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import { field, publicPage, refuse } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';

// A charge's status as its payer reads it (an unknown one may exist at the portal: still being billed).
const ACCOUNT_STATUS = {
  open: 'due',
  submitted: 'billed',
  pending: 'being billed',
  unknown: 'being billed',
  failed: 'not billed yet',
} as const;

/** The signed-in user's own pages: profile, organizations and their charges, and the authenticator app. */
@ApiExcludeController()
@SignedIn()
@UseInterceptors(TenantFramingInterceptor)
@Controller('account')
export class AccountController {
  constructor(
    private readonly users: UsersService,
    private readonly memberships: MembershipsService,
    private readonly authenticators: AuthenticatorService,
    private readonly login: LoginService,
    private readonly crypto: CryptoService,
    private readonly billing: BillingService,
    private readonly oidc: OidcSessions,
  ) {}

  @Get()
  async page(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const user = await this.users.get(ctx, ctx.actor.id);
    const organizations = await this.memberships.organizationsOf(ctx, ctx.actor.id);
    const charges = await this.billing.chargesOfOrganizations(
      ctx,
      organizations.map((o) => o.organization.id),
    );
    const applications = await this.oidc.authorizedApplications(ctx, ctx.actor.id);
    res.render(
      'pages/public/account',
      publicPage(req, 'Your account', {
        user,
        organizations,
        applications: applications.map((a) => ({
          clientId: a.clientId,
          name: a.name,
          scopes: a.scopes.join(', '),
          since: a.grantedAt.toISOString().slice(0, 10),
        })),
        charges: charges.map((c) => ({
          period: periodShortLabel(c.period, 'numeric'),
          organizationName: c.organizationName,
          amount: formatAmount(c.amountCents, c.currency),
          status: c.route === 'tenant' && c.status === 'submitted' ? 'billed by your portal' : ACCOUNT_STATUS[c.status],
        })),
      }),
    );
  }

  /** Withdraws the consent given to an application and ends what it holds (its sessions' tokens). */
  @Post('applications/:clientId/revoke')
  async revokeApplication(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('clientId') clientId: string,
  ): Promise<void> {
    const known = (await this.oidc.authorizedApplications(ctx, ctx.actor.id)).find((a) => a.clientId === clientId);
    if (known) {
      await this.oidc.revokeApplication(ctx, ctx.actor.id, clientId);
      req.session.flash = { kind: 'success', message: `${known.name} can no longer sign you in without asking again.` };
    }
    res.redirect(303, '/account');
  }

  @Get('authenticator')
  async authenticatorPage(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderAuthenticator(ctx, req, res, {});
  }

  @Post('authenticator')
  async authenticatorSubmit(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const action = field(body, 'action', 10);
    const code = field(body, 'code', 20);
    const enabled = await this.authenticators.hasAuthenticator(ctx.actor.id);
    if (action === 'enable' && !enabled) {
      const sealed = req.session.enrollSecret;
      const secret = sealed ? this.crypto.decrypt(sealed) : null;
      if (!secret || !(await this.authenticators.confirmEnrollment(ctx, ctx.actor.id, secret, code))) {
        res.status(400);
        return this.renderAuthenticator(ctx, req, res, {
          error: 'That code does not match. Check the time on your phone and enter the code that is shown now.',
        });
      }
      delete req.session.enrollSecret;
      req.session.flash = { kind: 'success', message: 'Your authenticator app is on. You will be asked for a code each time you sign in.' };
      return res.redirect(303, '/account');
    }
    if (action === 'disable' && enabled) {
      const outcome = await this.login.checkAuthenticatorCode(ctx.actor.id, code, req.ip ?? null);
      if (outcome.kind === 'refused') {
        refuse(res, outcome);
        return this.renderAuthenticator(ctx, req, res, { error: outcome.message });
      }
      await this.authenticators.remove(ctx, ctx.actor.id, 'user.authenticator.disabled');
      req.session.flash = { kind: 'success', message: 'Your authenticator app is off. You sign in with your password alone.' };
      return res.redirect(303, '/account');
    }
    res.redirect(303, '/account/authenticator');
  }

  private async renderAuthenticator(ctx: RequestContext, req: Request, res: Response, data: Record<string, unknown>): Promise<void> {
    if (await this.authenticators.hasAuthenticator(ctx.actor.id)) {
      res.render('pages/public/account-authenticator', publicPage(req, 'Authenticator app', { enabled: true, ...data }));
      return;
    }
    // Keep the seed being enrolled across a mistyped code, so the QR code already scanned stays valid.
    const existing = req.session.enrollSecret ? this.crypto.decrypt(req.session.enrollSecret) : null;
    const enrollment = await this.authenticators.startEnrollment(ctx.actor.label, existing ?? undefined);
    req.session.enrollSecret = this.crypto.encrypt(enrollment.secret);
    res.render('pages/public/account-authenticator', publicPage(req, 'Authenticator app', { enabled: false, enrollment, ...data }));
  }
}
