import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  AuthenticatorService,
  AuthSettingsService,
  LoginService,
  PasswordChangeService,
  RecoveryCodesService,
  refuse,
} from '@portico/auth';
import { ConsoleOnly, CryptoService, Ctx, RequestContext } from '@portico/core';
import { UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import { adminTabs } from './administrator-tabs';
import { consolePage, flash } from './console-page';
import { FormBody, text } from './forms';

const ME = '/console/me';

type Problems = { password?: { field: string; message: string }; authenticator?: string };

/** Console: the signed-in administrator's own password and authenticator app. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/me')
export class ConsoleMeController {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordChangeService,
    private readonly authenticators: AuthenticatorService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly login: LoginService,
    private readonly settings: AuthSettingsService,
    private readonly crypto: CryptoService,
  ) {}

  @Get()
  async page(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.render(ctx, req, res);
  }

  @Post('password')
  async changePassword(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    // Passwords are taken as typed: spaces are part of them.
    const raw = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).slice(0, 256) : '');
    const [current, next, repeated] = [raw('currentPassword'), raw('newPassword'), raw('newPasswordConfirmation')];
    const missing = !current
      ? { field: 'currentPassword', message: 'Current password is required.' }
      : !next
        ? { field: 'newPassword', message: 'New password is required.' }
        : next !== repeated
          ? { field: 'newPasswordConfirmation', message: 'The two new passwords do not match.' }
          : null;
    if (missing) return this.render(ctx, req, res, 400, { password: missing });
    const result = await this.passwords.change(ctx, ctx.actor.id, current, next, req.sessionID);
    if (!result.ok) {
      if (result.retryAfterSeconds) res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return this.render(ctx, req, res, result.status, { password: { field: result.field, message: result.message } });
    }
    const others = result.otherSessionsEnded;
    flash(
      req,
      'success',
      `Your password is changed.${others ? ` ${others} other session${others === 1 ? ' was' : 's were'} signed out.` : ''}`,
    );
    res.redirect(303, ME);
  }

  @Post('authenticator')
  async authenticator(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const action = text(form, 'action');
    const code = text(form, 'code').slice(0, 20);
    const enabled = await this.authenticators.hasAuthenticator(ctx.actor.id);
    if (action === 'enable' && !enabled) {
      const sealed = req.session.enrollSecret;
      const secret = sealed ? this.crypto.decrypt(sealed) : null;
      const codes = secret ? await this.authenticators.confirmEnrollment(ctx, ctx.actor.id, secret, code) : null;
      if (!codes)
        return this.render(ctx, req, res, 400, {
          authenticator: 'That code does not match. Check the time on your phone and enter the code that is shown now.',
        });
      delete req.session.enrollSecret;
      flash(req, 'success', 'Your authenticator app is on. You will be asked for a code each time you sign in.');
      // The account pages show new recovery codes once, then send the reader on (here, back to the console).
      req.session.recoveryCodes = this.crypto.encrypt(JSON.stringify({ codes, next: ME }));
      return res.redirect(303, '/account/authenticator/recovery-codes');
    }
    if (action === 'disable' && enabled) {
      if ((await this.settings.global()).requireAuthenticatorForAdmins)
        return this.render(ctx, req, res, 409, {
          authenticator: 'Platform administrators must use an authenticator app (Authentication settings): it cannot be turned off.',
        });
      const outcome = await this.login.checkAuthenticatorCode(ctx.actor.id, code, ctx.ip);
      if (outcome.kind === 'refused') {
        refuse(res, outcome);
        return this.render(ctx, req, res, outcome.status, { authenticator: outcome.message });
      }
      await this.authenticators.remove(ctx, ctx.actor.id, 'user.authenticator.disabled');
      flash(req, 'success', 'Your authenticator app is off. You sign in with your password alone.');
    }
    res.redirect(303, ME);
  }

  private async render(ctx: RequestContext, req: Request, res: Response, status = 200, problems: Problems = {}): Promise<void> {
    const me = await this.users.get(ctx, ctx.actor.id);
    const enabled = await this.authenticators.hasAuthenticator(me.id);
    let enrollment: Awaited<ReturnType<AuthenticatorService['startEnrollment']>> | null = null;
    if (!enabled) {
      // The seed being enrolled survives a mistyped code, so the QR code already scanned stays valid.
      const existing = req.session.enrollSecret ? this.crypto.decrypt(req.session.enrollSecret) : null;
      enrollment = await this.authenticators.startEnrollment(me.email, existing ?? undefined);
      req.session.enrollSecret = this.crypto.encrypt(enrollment.secret);
    }
    const remaining = enabled ? await this.recoveryCodes.remaining(me.id) : 0;
    res.setHeader('Cache-Control', 'no-store');
    res.status(status).render(
      'pages/console/administrators/me',
      consolePage(req, 'Your account', '/console/administrators', {
        tabs: adminTabs(ME),
        me,
        hasPassword: await this.passwords.hasPassword(me.id),
        policy: (await this.settings.global()).passwordPolicy,
        passwordError: problems.password,
        authenticator: { enabled, enrollment, remaining, error: problems.authenticator },
      }),
    );
  }
}
