import { Body, Controller, Get, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthSettingsService, PasswordChangeService, SessionInfo, UserSessionsService } from '@portico/auth';
import { Ctx, RequestContext, SignedIn } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import type { Request, Response } from 'express';
import { field, publicPage } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';
import { formatUtc } from '../dates';

/** "3 minutes ago", "yesterday"…: when a session was last used, as people say it. */
export function ago(at: Date | null, now = Date.now()): string {
  if (!at) return 'unknown';
  const seconds = Math.max(0, Math.round((now - at.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

const day = (d: Date | null) => formatUtc(d) || 'unknown';

/** The signed-in user's password and sessions (/account/password, /account/sessions). */
@ApiExcludeController()
@SignedIn()
@UseInterceptors(TenantFramingInterceptor)
@Controller('account')
export class AccountSecurityController {
  constructor(
    private readonly passwords: PasswordChangeService,
    private readonly sessions: UserSessionsService,
    private readonly oidc: OidcSessions,
    private readonly settings: AuthSettingsService,
  ) {}

  @Get('password')
  async passwordPage(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderPassword(ctx, req, res, {});
  }

  @Post('password')
  async changePassword(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    if (!(await this.passwords.hasPassword(ctx.actor.id))) return this.renderPassword(ctx, req, res, {});
    const current = field(body, 'currentPassword', 256, { trim: false, required: false });
    const next = field(body, 'newPassword', 256, { trim: false, required: false });
    const repeated = field(body, 'newPasswordConfirmation', 256, { trim: false, required: false });
    const missing = !current ? 'Current password is required.' : !next ? 'New password is required.' : null;
    const mismatch = next !== repeated ? 'The two new passwords do not match.' : null;
    if (missing || mismatch) {
      res.status(400);
      return this.renderPassword(ctx, req, res, { error: missing ?? mismatch });
    }
    const result = await this.passwords.change(ctx, ctx.actor.id, current, next, req.sessionID);
    if (!result.ok) {
      res.status(result.status);
      if (result.retryAfterSeconds) res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return this.renderPassword(ctx, req, res, { error: result.message });
    }
    const others = result.otherSessionsEnded;
    req.session.flash = {
      kind: 'success',
      message: `Your password is changed.${others ? ` ${others} other session${others === 1 ? ' was' : 's were'} signed out.` : ''}`,
    };
    res.redirect(303, '/account');
  }

  @Get('sessions')
  async sessionsPage(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const sessions = await this.sessions.list(ctx.actor.id, req.sessionID);
    const applications = await this.oidc.authorizedApplications(ctx, ctx.actor.id);
    res.render(
      'pages/public/account-sessions',
      publicPage(req, 'Your sessions', {
        wide: true,
        sessions: sessions.map((s: SessionInfo) => ({
          id: s.id,
          browser: s.browser,
          userAgent: s.userAgent,
          ip: s.ip ?? 'unknown',
          signedIn: day(s.signedInAt),
          lastSeen: s.current ? 'now' : ago(s.lastSeenAt ?? s.signedInAt),
          current: s.current,
        })),
        others: sessions.some((s) => !s.current),
        applications: applications.map((a) => ({
          clientId: a.clientId,
          name: a.name,
          scopes: a.scopes.join(', '),
          since: formatUtc(a.grantedAt),
        })),
      }),
    );
  }

  @Post('sessions/sign-out-others')
  async signOutOthers(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const ended = await this.sessions.endOthers(ctx, ctx.actor.id, req.sessionID);
    req.session.flash = {
      kind: 'success',
      message: ended ? `Signed out of ${ended} other session${ended === 1 ? '' : 's'}.` : 'There were no other sessions.',
    };
    res.redirect(303, '/account/sessions');
  }

  @Post('sessions/:id/sign-out')
  async signOutOne(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const ended = /^[\w-]{22}$/.test(id) && (await this.sessions.endOne(ctx, ctx.actor.id, id, req.sessionID));
    req.session.flash = ended
      ? { kind: 'success', message: 'That session is signed out.' }
      : { kind: 'error', message: 'That session had already ended, or it is this one (use Sign out for this one).' };
    res.redirect(303, '/account/sessions');
  }

  private async renderPassword(ctx: RequestContext, req: Request, res: Response, data: Record<string, unknown>): Promise<void> {
    const hasPassword = await this.passwords.hasPassword(ctx.actor.id);
    const policy = (await this.settings.effective(ctx.tenantId)).passwordPolicy;
    res.render('pages/public/account-password', publicPage(req, 'Change your password', { hasPassword, policy, ...data }));
  }
}
