import { Body, Controller, Get, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EmailChangeDto, EmailChangeService } from '@portico/accounts';
import { Ctx, DomainException, Public, RequestContext, SignedIn, TooManyRequestsError } from '@portico/core';
import type { Request, Response } from 'express';
import { parseForm } from '../console/forms';
import { field, publicPage } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';

// Account tokens are URL-safe random strings; anything else cannot be one.
const TOKEN = /^[A-Za-z0-9_-]{16,200}$/;

const LINK_PROBLEMS: Record<string, { status: number; title: string; message: string }> = {
  unknown: {
    status: 404,
    title: 'This confirmation link does not work',
    message:
      'The link is not complete or not one Portico sent. Open it again from the mail, or ask for a new one on your account’s email page.',
  },
  foreign: {
    status: 404,
    title: 'This confirmation link does not work here',
    message: 'Open the link exactly as the mail shows it, or ask for a new one on your account’s email page.',
  },
  expired: {
    status: 410,
    title: 'This confirmation link has expired',
    message:
      'Links to confirm a new address work for 24 hours. Ask for a new one on your account’s email page; your address has not changed.',
  },
  used: {
    status: 410,
    title: 'This confirmation link was used already',
    message: 'Each link works once. If you followed it before, your account already has the new address: sign in with it.',
  },
  taken: {
    status: 409,
    title: 'That address cannot be used',
    message:
      'Another account uses this address now, so yours keeps its current address. Choose another address on your account’s email page.',
  },
};

/** `/account/email`: a new address, confirmed from its own mailbox before it replaces the old one. */
@ApiExcludeController()
@SignedIn()
@UseInterceptors(TenantFramingInterceptor)
@Controller('account/email')
export class AccountEmailController {
  constructor(private readonly emailChange: EmailChangeService) {}

  @Get()
  async page(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.render(ctx, req, res, {});
  }

  @Post()
  async submit(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const email = field(body, 'email', 320, { required: false });
    const password = field(body, 'currentPassword', 256, { trim: false, required: false });
    const parsed = await parseForm(EmailChangeDto, { email }, { email: 'New email' });
    if (!parsed.ok) {
      res.status(400);
      return this.render(ctx, req, res, { email, errors: parsed.problem.errors });
    }
    try {
      await this.emailChange.request(ctx, parsed.value.email, password);
    } catch (err) {
      if (!(err instanceof DomainException)) throw err;
      if (err instanceof TooManyRequestsError) res.status(429).setHeader('Retry-After', String(err.retryAfterSeconds));
      else res.status(400);
      return this.render(ctx, req, res, { email, errors: [err.message] });
    }
    req.session.flash = {
      kind: 'success',
      message: `We sent a link to ${parsed.value.email}. Follow it within 24 hours to make it your address; until then your account keeps its current one.`,
    };
    res.redirect(303, '/account');
  }

  /** The link's page: says which address it confirms; nothing changes until the button (mail scanners follow links too). */
  @Get('confirm')
  @Public()
  async confirmPage(@Req() req: Request, @Res() res: Response, @Query('token') token?: unknown): Promise<void> {
    const raw = typeof token === 'string' && TOKEN.test(token) ? token : null;
    const peeked = raw ? await this.emailChange.peek(raw) : ({ ok: false, reason: 'unknown' } as const);
    if (!peeked.ok) return this.problem(req, res, peeked.reason);
    res.render('pages/public/account-email-confirm', publicPage(req, 'Confirm your new address', { email: peeked.email, token: raw }));
  }

  @Post('confirm')
  @Public()
  async confirm(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const token = field(body, 'token', 200);
    const outcome = TOKEN.test(token) ? await this.emailChange.confirm(token, req.ip ?? null) : ({ ok: false, reason: 'unknown' } as const);
    if (!outcome.ok) return this.problem(req, res, outcome.reason);
    const message = `Your email address is now ${outcome.email}. Sign in with it from now on.`;
    if (req.session.userId === outcome.userId) {
      req.session.flash = { kind: 'success', message };
      return res.redirect(303, '/account');
    }
    res.render('pages/public/account-email-confirmed', publicPage(req, 'Address changed', { message }));
  }

  private async render(ctx: RequestContext, req: Request, res: Response, data: Record<string, unknown>): Promise<void> {
    const needsPassword = await this.emailChange.hasPassword(ctx.actor.id);
    res.render(
      'pages/public/account-email',
      publicPage(req, 'Change your email address', { current: ctx.actor.label, needsPassword, ...data }),
    );
  }

  private problem(req: Request, res: Response, reason: string): void {
    const p = LINK_PROBLEMS[reason] ?? LINK_PROBLEMS.unknown;
    res.status(p.status).render('pages/public/link-problem', publicPage(req, p.title, { problem: p }));
  }
}
