import { Body, Controller, Get, HttpException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@portico/core';
import { OidcInteractions, type PendingAuthorization } from '@portico/oidc';
import type { Request, Response } from 'express';
import { field, publicPage } from './public-page';

// What each scope means to the person asked, on the consent page.
const SCOPE_TEXT: Record<string, string> = {
  openid: 'Who you are (your Portico account)',
  profile: 'Your name and user name',
  email: 'Your email address',
  organizations: 'Your tenant, your organizations and your role in each',
  offline_access: 'Stay signed in when you are away',
};

/**
 * Where the OpenID Connect provider hands an authorization request over to Portico: sign in on
 * Portico's own pages (or reuse the session: single sign-on), then consent for applications that
 * are not first party, then back to the provider, which answers the application.
 */
@ApiExcludeController()
@Public()
@Controller('interaction')
export class OidcInteractionController {
  constructor(private readonly interactions: OidcInteractions) {}

  @Get(':uid')
  async resume(@Req() req: Request, @Res() res: Response, @Param('uid') uid: string): Promise<void> {
    const pending = await this.pendingOrFail(req, res, uid);
    if (pending.prompt === 'login') return this.login(req, res, pending);
    if (pending.prompt === 'consent') {
      if (pending.firstParty) return continueTo(req, res, await this.interactions.consent(req, res));
      return res.render('pages/public/oidc-consent', publicPage(req, 'Allow access', consentPage(pending)));
    }
    continueTo(req, res, await this.interactions.deny(req, res, 'Portico cannot complete this request'));
  }

  @Post(':uid/consent')
  async decide(@Req() req: Request, @Res() res: Response, @Param('uid') uid: string, @Body() body: unknown): Promise<void> {
    const pending = await this.pendingOrFail(req, res, uid);
    if (pending.prompt !== 'consent') return res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
    const allowed = field(body, 'decision', 10) === 'allow';
    continueTo(
      req,
      res,
      allowed ? await this.interactions.consent(req, res) : await this.interactions.deny(req, res, 'The user did not allow access'),
    );
  }

  /** Single sign-on from the Portico session, unless the request wants a fresh sign-in; otherwise the sign-in page. */
  private async login(req: Request, res: Response, pending: PendingAuthorization): Promise<void> {
    const userId = req.session.userId;
    const authenticatedAt = req.session.authenticatedAt;
    if (userId && authenticatedAt) {
      const authTime = Math.floor(authenticatedAt / 1000);
      // prompt=login and max_age want a sign-in made for this request: one after it started.
      const fresh = authTime >= pending.startedAt;
      const wantsFresh = pending.reasons.includes('login_prompt') && !fresh;
      const tooOld = pending.maxAge !== null && Math.floor(Date.now() / 1000) - authTime > pending.maxAge && !fresh;
      if (!wantsFresh && !tooOld) {
        return continueTo(req, res, await this.interactions.signIn(req, res, pending, userId, authTime, req.session.amr ?? ['pwd']));
      }
    }
    const here = `/interaction/${encodeURIComponent(pending.uid)}`;
    const tenantKey = pending.clientTenantKey ?? pending.requestedTenant;
    const page = tenantKey && /^[a-z0-9][a-z0-9-]{1,62}$/.test(tenantKey) ? `/t/${tenantKey}/login` : '/login';
    const hint = pending.loginHint ? `&login=${encodeURIComponent(pending.loginHint)}` : '';
    res.redirect(303, `${page}?next=${encodeURIComponent(here)}${hint}`);
  }

  private async pendingOrFail(req: Request, res: Response, uid: string): Promise<PendingAuthorization> {
    const pending = await this.interactions.pending(req, res, uid);
    if (!pending)
      throw new HttpException('This sign-in request has expired or is unknown. Go back to the application and start again.', 400);
    return pending;
  }
}

/**
 * Hands the browser back to the provider, which answers the application with a redirect to its
 * own origin. A browser's navigation gets no 303 here: this often ends a form's submission
 * (sign-in, authenticator, consent), and browsers hold a whole redirect chain started by a form to
 * the page's `form-action 'self'`, which would block the hop to the application. A Refresh starts a
 * new navigation, outside that rule; the page's link is there for a browser that ignores it.
 */
function continueTo(req: Request, res: Response, url: string): void {
  if (req.get('sec-fetch-mode') !== 'navigate') return res.redirect(303, url);
  res.setHeader('Refresh', `0;url=${url}`);
  res.render('pages/public/oidc-continue', publicPage(req, 'Continuing', { url }));
}

function consentPage(p: PendingAuthorization): Record<string, unknown> {
  return {
    uid: p.uid,
    clientName: p.clientName,
    scopes: p.scopes.filter((s) => SCOPE_TEXT[s]).map((s) => SCOPE_TEXT[s]),
  };
}
