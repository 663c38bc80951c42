import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { LoginService } from '@portico/auth';
import { Public } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import { SignupService } from '@portico/signup';
import { LdapService, SamlService, TenantOidcService } from '@portico/sso';
import { TenantRef, TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import { safeNext } from '../safe-redirect';
import { field, finishPasswordStep, publicPage, refuse, signOut, startSession, withAuthenticatorAmr } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';

// The second step must follow the first within this time.
const PENDING_MS = 5 * 60_000;

/**
 * The site (organization site ID) a portal's link names, `?site=1001`: carried through the form so
 * a site that delegates to an external provider can vouch for people Portico does not know yet.
 */
function siteParam(value: unknown): string {
  return typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? value.trim() : '';
}

/** `?login=` prefills the login field (an application's OpenID Connect login_hint passes through it). */
function loginParam(value: unknown): string {
  return typeof value === 'string' && value.length <= 320 ? value.trim() : '';
}

@ApiExcludeController()
@Public()
@Controller()
export class LoginController {
  constructor(
    private readonly login: LoginService,
    private readonly tenants: TenantsService,
    private readonly ldap: LdapService,
    private readonly saml: SamlService,
    private readonly tenantOidc: TenantOidcService,
    private readonly oidcSessions: OidcSessions,
    private readonly signup: SignupService,
  ) {}

  /** The front page: your account when signed in, otherwise (through the guard's redirect) the sign-in page. */
  @Get()
  home(@Res() res: Response): void {
    res.redirect(303, '/account');
  }

  @Get('login')
  async page(@Req() req: Request, @Res() res: Response, @Query('next') next?: string): Promise<void> {
    const ldap = await this.ldap.servesLoginPage(null);
    await this.render(req, res, null, {
      next: safeNext(next, '/account'),
      site: siteParam(req.query.site),
      ldap,
      login: loginParam(req.query.login),
    });
  }

  @Get('t/:tenantKey/login')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantPage(
    @Req() req: Request,
    @Res() res: Response,
    @Param('tenantKey') key: string,
    @Query('next') next?: string,
  ): Promise<void> {
    const tenant = await this.tenant(key);
    const target = safeNext(next, '/account');
    const ldap = await this.ldap.servesLoginPage(tenant.id);
    await this.render(req, res, tenant, {
      next: target,
      site: siteParam(req.query.site),
      ldap,
      sso: await this.ssoLink(tenant, target),
      oidc: await this.oidcLink(tenant, target),
      login: loginParam(req.query.login),
    });
  }

  @Post('login')
  submit(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    return this.signIn(req, res, null, body);
  }

  @Post('t/:tenantKey/login')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantSubmit(@Req() req: Request, @Res() res: Response, @Param('tenantKey') key: string, @Body() body: unknown): Promise<void> {
    return this.signIn(req, res, await this.tenant(key), body);
  }

  @Get('login/authenticator')
  @UseInterceptors(TenantFramingInterceptor)
  authenticatorPage(@Req() req: Request, @Res() res: Response): void {
    if (!this.pending(req)) return res.redirect(303, '/login');
    this.renderSecondStep(req, res, req.query.recovery === '1');
  }

  @Post('login/authenticator')
  @UseInterceptors(TenantFramingInterceptor)
  async authenticatorSubmit(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const pending = this.pending(req);
    if (!pending) return res.redirect(303, '/login');
    // A recovery code instead of the app's code (a lost phone): its own field.
    const recovery = field(body, 'recoveryCode', 40, { required: false });
    const outcome = recovery
      ? await this.login.withRecoveryCode(pending.userId, recovery, req.ip ?? null)
      : await this.login.withAuthenticator(pending.userId, field(body, 'code', 20), req.ip ?? null);
    if (outcome.kind === 'refused') {
      refuse(res, outcome);
      return this.renderSecondStep(req, res, !!recovery, outcome.message);
    }
    if (outcome.kind !== 'signed-in') return res.redirect(303, '/login');
    await startSession(req, outcome.account.id, withAuthenticatorAmr(pending.amr));
    res.redirect(303, pending.next);
  }

  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    // A tenant's user goes back to the tenant's sign-in page, which its portal may frame.
    const account = await this.login.sessionAccount(req.session.userId);
    const tenant = account?.tenantId ? await this.tenants.findById(account.tenantId) : null;
    const page = tenant?.status === 'active' ? `/t/${tenant.key}/login` : '/login';
    const destination = req.session.userId ? `${page}?signedOut=1` : '/login';
    await signOut(req, res, this.oidcSessions);
    res.redirect(303, destination);
  }

  private async signIn(req: Request, res: Response, tenant: TenantRef | null, body: unknown): Promise<void> {
    const login = field(body, 'login', 320);
    const password = field(body, 'password', 256, { trim: false });
    const next = safeNext(field(body, 'next', 2000, { required: false }) || undefined, '/account');
    const site = siteParam(field(body, 'site', 9, { required: false }));
    const outcome = await this.login.withPassword(tenant, login, password, req.ip ?? null, { siteId: site ? Number(site) : null });
    // The page shown again after a refusal still offers the directory and single sign-on.
    const refused = outcome.kind === 'refused';
    const ldap = refused && (await this.ldap.servesLoginPage(tenant?.id ?? null));
    const sso = refused && tenant ? await this.ssoLink(tenant, next) : null;
    const oidc = refused && tenant ? await this.oidcLink(tenant, next) : null;
    const unverified = outcome.kind === 'refused' && !!outcome.unverified;
    const links = await this.links(tenant);
    await finishPasswordStep(req, res, outcome, next, (error) =>
      this.show(req, res, tenant, { next, login, error, site, ldap, sso, oidc, unverified, ...links }),
    );
  }

  /** The tenant's SAML sign-in, when it is on: offered beside the password form. */
  private async ssoLink(tenant: TenantRef, next: string): Promise<string | null> {
    return (await this.saml.offersSignIn(tenant))
      ? `/t/${encodeURIComponent(tenant.key)}/saml/init?next=${encodeURIComponent(next)}`
      : null;
  }

  /** The tenant's own OpenID provider, when it is on: "Sign in with {name}". */
  private async oidcLink(tenant: TenantRef, next: string): Promise<{ href: string; name: string } | null> {
    const offer = await this.tenantOidc.offersSignIn(tenant);
    return offer ? { href: `${new URL(offer.href).pathname}?next=${encodeURIComponent(next)}`, name: offer.name } : null;
  }

  private renderSecondStep(req: Request, res: Response, recovery: boolean, error?: string): void {
    const title = recovery ? 'Enter a recovery code' : 'Enter your authenticator code';
    res.render('pages/public/authenticator', publicPage(req, title, { recovery, error }));
  }

  private pending(req: Request): { userId: string; next: string; amr?: string[] } | null {
    const pending = req.session.pending;
    if (!pending || Date.now() - pending.at > PENDING_MS) return null;
    return pending;
  }

  /** "Forgot password?", "Create an account" while sign-up is open, and where an unverified account asks for its mail again. */
  private async links(tenant: TenantRef | null): Promise<Record<string, string | null>> {
    const base = tenant ? `/t/${encodeURIComponent(tenant.key)}` : '';
    return {
      forgotHref: `${base}/password/forgot`,
      signupHref: (await this.signup.isEnabled(tenant)) ? `${base}/signup` : null,
      resendAction: `${base}/email/verify/resend`,
    };
  }

  private async render(req: Request, res: Response, tenant: TenantRef | null, data: Record<string, unknown>): Promise<void> {
    this.show(req, res, tenant, { ...(await this.links(tenant)), ...data });
  }

  private show(req: Request, res: Response, tenant: TenantRef | null, data: Record<string, unknown>): void {
    const signedOut = req.query.signedOut === '1';
    // An account form was sent after the session ended (see the error filter).
    const expired = req.query.expired === '1';
    res.render(
      'pages/public/login',
      publicPage(req, 'Sign in', { tenant, action: tenant ? `/t/${tenant.key}/login` : '/login', signedOut, expired, ...data }),
    );
  }

  private async tenant(key: string): Promise<TenantRef> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant || tenant.status !== 'active') throw new NotFoundException('There is no sign-in page here.');
    return tenant;
  }
}
