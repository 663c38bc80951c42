import { Body, Controller, Get, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthenticatorService, LoginService, RecoveryCodesService } from '@portico/auth';
import { BillingService, periodShortLabel } from '@portico/billing';
import { CryptoService, Ctx, formatAmount, RequestContext, SignedIn } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import { MembershipsService, UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import { field, publicPage, refuse } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';
import { formatUtc } from '../dates';

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
    private readonly recoveryCodes: RecoveryCodesService,
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
          since: formatUtc(a.grantedAt),
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
    // The sessions page lists the applications too, and goes back there.
    res.redirect(303, field(req.body, 'back', 20, { required: false }) === 'sessions' ? '/account/sessions' : '/account');
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
      const codes = secret ? await this.authenticators.confirmEnrollment(ctx, ctx.actor.id, secret, code) : null;
      if (!codes) {
        res.status(400);
        return this.renderAuthenticator(ctx, req, res, {
          error: 'That code does not match. Check the time on your phone and enter the code that is shown now.',
        });
      }
      delete req.session.enrollSecret;
      // An administrator made to set up the app goes on to the console afterwards.
      const next = req.session.authenticatorRequired ? '/console' : '/account';
      delete req.session.authenticatorRequired;
      req.session.flash = { kind: 'success', message: 'Your authenticator app is on. You will be asked for a code each time you sign in.' };
      return this.showCodesOnce(req, res, codes, next);
    }
    if (action === 'regenerate' && enabled) {
      const outcome = await this.login.checkAuthenticatorCode(ctx.actor.id, code, req.ip ?? null);
      if (outcome.kind === 'refused') {
        refuse(res, outcome);
        return this.renderAuthenticator(ctx, req, res, { error: outcome.message });
      }
      const codes = await this.recoveryCodes.generate(ctx, ctx.actor.id);
      req.session.flash = { kind: 'success', message: 'New recovery codes are ready. The old ones no longer work.' };
      return this.showCodesOnce(req, res, codes, '/account/authenticator');
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

  /** The codes just made, shown on the next page and then never again. */
  @Get('authenticator/recovery-codes')
  recoveryCodesPage(@Req() req: Request, @Res() res: Response): void {
    const sealed = req.session.recoveryCodes;
    if (!sealed) return res.redirect(303, '/account/authenticator');
    delete req.session.recoveryCodes;
    const { codes, next } = JSON.parse(this.crypto.decrypt(sealed)) as { codes: string[]; next: string };
    const text = `Portico recovery codes for ${req.portico?.actor.label ?? ''}\nEach code signs you in once instead of an authenticator code.\n\n${codes.join('\n')}\n`;
    res.setHeader('Cache-Control', 'no-store');
    res.render(
      'pages/public/account-recovery-codes',
      publicPage(req, 'Your recovery codes', { codes, next, download: `data:text/plain;charset=utf-8,${encodeURIComponent(text)}` }),
    );
  }

  private showCodesOnce(req: Request, res: Response, codes: string[], next: string): void {
    req.session.recoveryCodes = this.crypto.encrypt(JSON.stringify({ codes, next }));
    res.redirect(303, '/account/authenticator/recovery-codes');
  }

  private async renderAuthenticator(ctx: RequestContext, req: Request, res: Response, data: Record<string, unknown>): Promise<void> {
    const required = !!req.session.authenticatorRequired;
    if (await this.authenticators.hasAuthenticator(ctx.actor.id)) {
      const remaining = await this.recoveryCodes.remaining(ctx.actor.id);
      res.render(
        'pages/public/account-authenticator',
        publicPage(req, 'Authenticator app', { enabled: true, remaining, oneLeft: remaining === 1, ...data }),
      );
      return;
    }
    // Keep the seed being enrolled across a mistyped code, so the QR code already scanned stays valid.
    const existing = req.session.enrollSecret ? this.crypto.decrypt(req.session.enrollSecret) : null;
    const enrollment = await this.authenticators.startEnrollment(ctx.actor.label, existing ?? undefined);
    req.session.enrollSecret = this.crypto.encrypt(enrollment.secret);
    res.render(
      'pages/public/account-authenticator',
      publicPage(req, 'Authenticator app', { enabled: false, enrollment, required, ...data }),
    );
  }
}
