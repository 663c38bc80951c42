import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EmailVerificationService, PasswordResetService, TokenFailure } from '@portico/accounts';
import { AuthSettingsService } from '@portico/auth';
import { Public, TooManyRequestsError } from '@portico/core';
import { SignupService } from '@portico/signup';
import { TenantRef, TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import { field, publicPage } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';

type LinkKind = 'reset' | 'verify';

/** What a link that does not work says, and what to do next. Another tenant's link reads as unknown. */
const PROBLEMS: Record<LinkKind, Record<TokenFailure, { status: number; title: string; message: string }>> = {
  reset: {
    unknown: {
      status: 400,
      title: 'This reset link does not work',
      message: 'It may be incomplete (copy the whole link from the mail), or a newer reset mail replaced it. Ask for a new link below.',
    },
    foreign: {
      status: 400,
      title: 'This reset link does not work',
      message: 'It may be incomplete (copy the whole link from the mail), or a newer reset mail replaced it. Ask for a new link below.',
    },
    expired: { status: 410, title: 'This reset link has expired', message: 'A reset link works for 30 minutes. Ask for a new one below.' },
    used: {
      status: 410,
      title: 'This reset link was already used',
      message: 'Each reset link works once. If you have set your new password, sign in with it; otherwise ask for a new link below.',
    },
  },
  verify: {
    unknown: {
      status: 400,
      title: 'This confirmation link does not work',
      message: 'It may be incomplete (copy the whole link from the mail), or a newer mail replaced it. Sign in to have a new one sent.',
    },
    foreign: {
      status: 400,
      title: 'This confirmation link does not work',
      message: 'It may be incomplete (copy the whole link from the mail), or a newer mail replaced it. Sign in to have a new one sent.',
    },
    expired: {
      status: 410,
      title: 'This confirmation link has expired',
      message: 'A confirmation link works for 24 hours. Sign in and ask for a new one.',
    },
    used: {
      status: 410,
      title: 'This address is already confirmed',
      message: 'The link was used already, so your address is confirmed. Sign in.',
    },
  },
};

function tokenParam(value: unknown): string {
  return typeof value === 'string' && value.length <= 100 ? value : '';
}

/**
 * Getting back in: "forgot password" and the reset link, and the email-verification link with its
 * resend form, globally and on each tenant's pages (framable by its portal like its sign-in page).
 */
@ApiExcludeController()
@Public()
@Controller()
export class AccountRecoveryController {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly verification: EmailVerificationService,
    private readonly tenants: TenantsService,
    private readonly signup: SignupService,
    private readonly settings: AuthSettingsService,
  ) {}

  // --- forgot password

  @Get('password/forgot')
  async forgotPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderForgot(req, res, null, { login: typeof req.query.login === 'string' ? req.query.login.slice(0, 320) : '' });
  }

  @Get('t/:tenantKey/password/forgot')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantForgotPage(@Req() req: Request, @Res() res: Response, @Param('tenantKey') key: string): Promise<void> {
    await this.renderForgot(req, res, await this.tenant(key), {});
  }

  @Post('password/forgot')
  @HttpCode(200)
  forgot(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    return this.askForReset(req, res, null, body);
  }

  @Post('t/:tenantKey/password/forgot')
  @HttpCode(200)
  @UseInterceptors(TenantFramingInterceptor)
  async tenantForgot(@Req() req: Request, @Res() res: Response, @Param('tenantKey') key: string, @Body() body: unknown): Promise<void> {
    return this.askForReset(req, res, await this.tenant(key), body);
  }

  // --- the reset link

  @Get('password/reset')
  resetPage(@Req() req: Request, @Res() res: Response, @Query('token') token: unknown): Promise<void> {
    return this.showReset(req, res, null, tokenParam(token));
  }

  @Get('t/:tenantKey/password/reset')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantResetPage(
    @Req() req: Request,
    @Res() res: Response,
    @Param('tenantKey') key: string,
    @Query('token') token: unknown,
  ): Promise<void> {
    return this.showReset(req, res, await this.tenant(key), tokenParam(token));
  }

  @Post('password/reset')
  @HttpCode(200)
  reset(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    return this.setPassword(req, res, null, body);
  }

  @Post('t/:tenantKey/password/reset')
  @HttpCode(200)
  @UseInterceptors(TenantFramingInterceptor)
  async tenantReset(@Req() req: Request, @Res() res: Response, @Param('tenantKey') key: string, @Body() body: unknown): Promise<void> {
    return this.setPassword(req, res, await this.tenant(key), body);
  }

  // --- email verification

  @Get('email/verify')
  verify(@Req() req: Request, @Res() res: Response, @Query('token') token: unknown): Promise<void> {
    return this.followVerification(req, res, null, tokenParam(token));
  }

  @Get('t/:tenantKey/email/verify')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantVerify(
    @Req() req: Request,
    @Res() res: Response,
    @Param('tenantKey') key: string,
    @Query('token') token: unknown,
  ): Promise<void> {
    return this.followVerification(req, res, await this.tenant(key), tokenParam(token));
  }

  @Post('email/verify/resend')
  @HttpCode(200)
  resend(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    return this.resendVerification(req, res, null, body);
  }

  @Post('t/:tenantKey/email/verify/resend')
  @HttpCode(200)
  @UseInterceptors(TenantFramingInterceptor)
  async tenantResend(@Req() req: Request, @Res() res: Response, @Param('tenantKey') key: string, @Body() body: unknown): Promise<void> {
    return this.resendVerification(req, res, await this.tenant(key), body);
  }

  private async askForReset(req: Request, res: Response, tenant: TenantRef | null, body: unknown): Promise<void> {
    const login = field(body, 'login', 320);
    try {
      await this.resets.request(login, tenant, req.ip ?? null);
    } catch (err) {
      if (!(err instanceof TooManyRequestsError)) throw err;
      res.status(429).setHeader('Retry-After', String(err.retryAfterSeconds));
      return this.renderForgot(req, res, tenant, { login, error: err.message });
    }
    // The same page whether or not the address has an account: it says what happens if it does.
    await this.renderForgot(req, res, tenant, { sent: true, login });
  }

  private async showReset(req: Request, res: Response, tenant: TenantRef | null, token: string): Promise<void> {
    const checked = await this.resets.check(token, tenant);
    if (!checked.ok) return this.linkProblem(req, res, tenant, 'reset', checked.reason);
    await this.renderReset(req, res, tenant, token, {});
  }

  private async setPassword(req: Request, res: Response, tenant: TenantRef | null, body: unknown): Promise<void> {
    const token = tokenParam(field(body, 'token', 100, { required: false }));
    const password = field(body, 'password', 256, { trim: false });
    if (password !== field(body, 'passwordConfirmation', 256, { trim: false, required: false })) {
      res.status(400);
      return this.renderReset(req, res, tenant, token, { error: 'The two passwords do not match. Type the same new password twice.' });
    }
    const result = await this.resets.reset(token, tenant, password, req.ip ?? null);
    if (!result.ok && result.reason === 'password') {
      res.status(400);
      return this.renderReset(req, res, tenant, token, { error: capitalise(result.problem) });
    }
    if (!result.ok) return this.linkProblem(req, res, tenant, 'reset', result.reason);
    res.render(
      'pages/public/password-reset-done',
      publicPage(req, 'Your password is changed', { tenant, loginHref: this.href(tenant, '/login'), email: result.account.email }),
    );
  }

  private async followVerification(req: Request, res: Response, tenant: TenantRef | null, token: string): Promise<void> {
    const result = await this.verification.verify(token, tenant, req.ip ?? null);
    if (!result.ok) return this.linkProblem(req, res, tenant, 'verify', result.reason);
    res.render(
      'pages/public/email-verified',
      publicPage(req, 'Your address is confirmed', { tenant, email: result.email, loginHref: this.href(tenant, '/login') }),
    );
  }

  private async resendVerification(req: Request, res: Response, tenant: TenantRef | null, body: unknown): Promise<void> {
    const login = field(body, 'login', 320);
    try {
      await this.verification.resend(login, tenant, req.ip ?? null);
    } catch (err) {
      if (!(err instanceof TooManyRequestsError)) throw err;
      res.status(429).setHeader('Retry-After', String(err.retryAfterSeconds));
      return renderCheckMail(req, res, tenant, { error: err.message, login });
    }
    renderCheckMail(req, res, tenant, { resent: true, login });
  }

  private linkProblem(req: Request, res: Response, tenant: TenantRef | null, kind: LinkKind, reason: TokenFailure): void {
    const problem = PROBLEMS[kind][reason];
    res.status(problem.status).render(
      'pages/public/account-link-problem',
      publicPage(req, problem.title, {
        tenant,
        problem,
        forgotHref: kind === 'reset' ? this.href(tenant, '/password/forgot') : null,
        loginHref: this.href(tenant, '/login'),
      }),
    );
  }

  private async renderForgot(req: Request, res: Response, tenant: TenantRef | null, data: Record<string, unknown>): Promise<void> {
    res.render(
      'pages/public/password-forgot',
      publicPage(req, 'Forgot your password?', {
        tenant,
        action: this.href(tenant, '/password/forgot'),
        loginHref: this.href(tenant, '/login'),
        signupHref: (await this.signup.isEnabled(tenant)) ? this.href(tenant, '/signup') : null,
        ...data,
      }),
    );
  }

  private async renderReset(
    req: Request,
    res: Response,
    tenant: TenantRef | null,
    token: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    // The form states the policy that applies to this tenant's users.
    const policy = (await this.settings.effective(tenant?.id ?? null)).passwordPolicy;
    res.render(
      'pages/public/password-reset',
      publicPage(req, 'Choose a new password', { tenant, token, policy, action: this.href(tenant, '/password/reset'), ...data }),
    );
  }

  private href(tenant: TenantRef | null, path: string): string {
    return tenantHref(tenant, path);
  }

  private async tenant(key: string): Promise<TenantRef> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant || tenant.status !== 'active') throw new NotFoundException('There is no such page here.');
    return tenant;
  }
}

function tenantHref(tenant: TenantRef | null, path: string): string {
  return tenant ? `/t/${encodeURIComponent(tenant.key)}${path}` : path;
}

/** "Check your inbox": after a sign-up whose address is to be confirmed, and after a resend. */
export function renderCheckMail(req: Request, res: Response, tenant: TenantRef | null, data: Record<string, unknown>): void {
  res.render(
    'pages/public/check-mail',
    publicPage(req, 'Check your inbox', {
      tenant,
      resendAction: tenantHref(tenant, '/email/verify/resend'),
      loginHref: tenantHref(tenant, '/login'),
      ...data,
    }),
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}
