import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EmailVerificationService, PasswordResetService } from '@portico/accounts';
import { AuthenticatorService, UserSessionsService } from '@portico/auth';
import { AuditService, ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import { TenantsService } from '@portico/tenants';
import {
  CreateUserDto,
  MembershipsService,
  SetBillableDto,
  UpdateUserDto,
  UserCredentialsService,
  UsersService,
  UserView,
} from '@portico/users';
import type { Request, Response } from 'express';
import { csrfToken } from '../csrf';
import { safeNext } from '../safe-redirect';
import { consolePage, flash } from './console-page';
import {
  attempt,
  checkbox,
  CONSOLE_PAGE_SIZE,
  filterParam,
  FormBody,
  FormProblem,
  offsetParam,
  optionalText,
  pager,
  Parsed,
  parseForm,
  problem,
  tenantKeyChoices,
  text,
} from './forms';
import { changedFields, errorsByLabel, PASSWORD_LABELS, PROFILE_LABELS } from './user-fields';

const LABELS = {
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  password: 'Password',
  tenantKey: 'Tenant key',
  billable: 'Billable',
};
const LIST = '/console/users';
const detailPath = (id: string) => `${LIST}/${id}`;
/** A session id as the sessions list names it (a digest, never the cookie). */
const SESSION_ID = /^[\w-]{22}$/;

/** Console: people. The list with its billable switches, and each user's page as Keycloak's shows one: profile, sign-in, organizations, sessions, applications, activity. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/users')
export class ConsoleUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly credentials: UserCredentialsService,
    private readonly memberships: MembershipsService,
    private readonly authenticators: AuthenticatorService,
    private readonly sessions: UserSessionsService,
    private readonly oidc: OidcSessions,
    private readonly resets: PasswordResetService,
    private readonly verification: EmailVerificationService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(ctx, req, res, query);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const fields = {
      email: text(form, 'email'),
      firstName: optionalText(form, 'firstName'),
      lastName: optionalText(form, 'lastName'),
      // Passwords are taken as typed: spaces are part of them.
      password: typeof form.password === 'string' && form.password ? form.password : undefined,
      tenantKey: optionalText(form, 'tenantKey'),
      billable: checkbox(form, 'billable'),
    };
    const parsed = await parseForm(CreateUserDto, fields, LABELS);
    const created = parsed.ok ? await attempt(() => this.users.create(ctx, parsed.value, 'console')) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, {}, created.problem, { ...form, password: '' });
    flash(req, 'success', `User ${created.value.email} created${created.value.tenantKey ? ` in tenant ${created.value.tenantKey}` : ''}.`);
    res.redirect(303, LIST);
  }

  /** The billable switch in each row: htmx swaps the row in place; without JavaScript the list reloads. */
  @Post(':id/billable')
  async setBillable(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const back = safeNext(text(form, 'back'), LIST);
    const parsed = await parseForm(
      SetBillableDto,
      { billable: text(form, 'billable') === 'true' ? true : text(form, 'billable') === 'false' ? false : undefined },
      LABELS,
    );
    const updated = parsed.ok ? await attempt(() => this.users.setBillable(ctx, id, parsed.value.billable)) : parsed;
    const htmx = req.get('HX-Request') === 'true';
    if (updated.ok && htmx) {
      res.render('partials/user-row', { layout: false, user: updated.value, csrf: csrfToken(req), back });
      return;
    }
    if (updated.ok) flash(req, 'success', `${updated.value.email} is ${updated.value.billable ? 'now billable' : 'no longer billable'}.`);
    else flash(req, 'error', updated.problem.errors.join(' '));
    if (htmx) {
      // htmx does not swap error answers: send the browser to the list, where the flash explains.
      res.set('HX-Redirect', back).status(204).end();
      return;
    }
    res.redirect(303, back);
  }

  @Get(':id')
  async show(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    await this.render(ctx, req, res, await this.users.get(ctx, id));
  }

  @Post(':id')
  async saveProfile(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const user = await this.users.get(ctx, id);
    const fields = {
      email: text(form, 'email'),
      username: text(form, 'username'),
      // Names may be cleared: '' is a value here, not "leave as is".
      firstName: text(form, 'firstName'),
      lastName: text(form, 'lastName'),
      emailVerified: checkbox(form, 'emailVerified'),
    };
    const parsed = await parseForm(UpdateUserDto, fields, PROFILE_LABELS);
    const saved = parsed.ok ? await attempt(() => this.users.update(ctx, id, parsed.value)) : parsed;
    if (!saved.ok) return this.render(ctx, req, res, user, { profile: saved.problem, form: fields });
    const changed = changedFields(user, saved.value);
    flash(req, 'success', changed.length ? `Saved: ${changed.join(', ')}.` : 'Nothing changed.');
    res.redirect(303, detailPath(id));
  }

  /** The administrator types the new password (the user's policy applies); optionally every sign-in ends with the old one. */
  @Post(':id/password')
  async setPassword(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const user = await this.users.get(ctx, id);
    // Passwords are taken as typed: spaces are part of them.
    const password = typeof form.password === 'string' ? form.password : '';
    const signOut = checkbox(form, 'signOut');
    let saved: Parsed<UserView>;
    if (user.id === ctx.actor.id)
      saved = problem(409, 'This is you: change your own password with your current one, on your account page (/console/me).');
    else if (!password) saved = problem(400, 'Password is required.');
    else {
      const parsed = await parseForm(UpdateUserDto, { password }, PASSWORD_LABELS);
      saved = parsed.ok ? await attempt(() => this.users.update(ctx, id, parsed.value)) : parsed;
    }
    if (!saved.ok) return this.render(ctx, req, res, user, { password: saved.problem, signOut });
    if (signOut) await this.sessions.endEverything(ctx, id);
    flash(
      req,
      'success',
      `New password set for ${user.email}.${signOut ? ' Their sessions ended and their applications must sign them in again.' : ''} Tell them the password yourself: Portico does not mail it.`,
    );
    res.redirect(303, detailPath(id));
  }

  /** The mail of the public "forgot password" flow (§12), sent now. */
  @Post(':id/password-reset')
  async sendPasswordReset(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    if (user.status !== 'active') {
      flash(req, 'error', `${user.email} is disabled: a reset link would not let them sign in. Enable the account first.`);
      return res.redirect(303, detailPath(id));
    }
    const mail = await this.resets.requestFor(ctx, id);
    flash(
      req,
      'success',
      mail === 'password-reset-sso'
        ? `${user.email} has no Portico password: they were mailed how they sign in instead.`
        : `A password reset link was mailed to ${user.email}. It works once, for 30 minutes.`,
    );
    res.redirect(303, detailPath(id));
  }

  @Post(':id/verification')
  async resendVerification(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    const sent = await attempt(() => this.verification.resendFor(ctx, id));
    if (sent.ok) flash(req, 'success', `A verification link was mailed to ${user.email}. It works once, for 24 hours.`);
    else flash(req, 'error', `${sent.problem.errors.join(' ')}.`);
    res.redirect(303, detailPath(id));
  }

  @Post(':id/enable')
  async enable(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.update(ctx, id, { status: 'active' });
    flash(req, 'success', `${user.email} is enabled: they can sign in again.`);
    res.redirect(303, detailPath(id));
  }

  @Get(':id/disable')
  async confirmDisable(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    this.confirm(req, res, user, disabling(user));
  }

  /** Disabled: no sign-in, and every session and application grant ends now rather than at their next request. */
  @Post(':id/disable')
  async disable(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    const disabled =
      user.id === ctx.actor.id
        ? problem(409, 'You are signed in as this user: another administrator has to disable your account.')
        : await attempt(() => this.users.update(ctx, id, { status: 'disabled' }));
    if (!disabled.ok) return this.confirm(req, res, user, disabling(user), disabled.problem);
    await this.sessions.endEverything(ctx, id);
    flash(req, 'success', `${user.email} is disabled and signed out everywhere.`);
    res.redirect(303, detailPath(id));
  }

  @Get(':id/authenticator/reset')
  async confirmAuthenticatorReset(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
  ): Promise<void> {
    const user = await this.users.get(ctx, id);
    this.confirm(req, res, user, authenticatorReset(user));
  }

  /** For a user who lost their phone: the authenticator is removed and the password alone signs in. */
  @Post(':id/authenticator/reset')
  async resetAuthenticator(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    if (!user.authenticatorEnabled) {
      flash(req, 'success', `${user.email} has no authenticator app: nothing to reset.`);
      return res.redirect(303, detailPath(id));
    }
    const reset = await attempt(() => this.authenticators.adminReset(ctx, id));
    if (!reset.ok) return this.confirm(req, res, user, authenticatorReset(user), reset.problem);
    flash(
      req,
      'success',
      `Authenticator app of ${user.email} reset. They now sign in with their password alone until they set up an authenticator app again.`,
    );
    res.redirect(303, detailPath(id));
  }

  /** One session ends (a browser they left signed in); the others and their applications stay. */
  @Post(':id/sessions/:sessionId/end')
  async endSession(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Param('sessionId') sessionId: string,
  ): Promise<void> {
    const user = await this.users.get(ctx, id);
    const ended = SESSION_ID.test(sessionId) && (await this.sessions.endOne(ctx, id, sessionId, req.sessionID));
    if (ended) flash(req, 'success', `That session of ${user.email} has ended.`);
    else flash(req, 'error', 'That session had already ended (or is yours: sign out instead).');
    res.redirect(303, detailPath(id));
  }

  @Get(':id/sessions/end')
  async confirmSignOut(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    const count = (await this.sessions.list(id)).length;
    this.confirm(req, res, user, {
      title: `Sign out ${user.email}`,
      heading: `Sign ${user.email} out everywhere?`,
      message: `${count ? `${count} session${count === 1 ? '' : 's'} end${count === 1 ? 's' : ''}` : 'No session is open now'}, and the applications they let sign them in lose their access (their refresh tokens are revoked). Their password and authenticator stay: they can sign in again.`,
      path: 'sessions/end',
      label: 'Sign out everywhere',
    });
  }

  /** A stolen laptop, a departing employee: every session and application grant ends now. */
  @Post(':id/sessions/end')
  async signOut(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    await this.sessions.endEverything(ctx, id);
    flash(req, 'success', `${user.email} is signed out everywhere.`);
    res.redirect(303, detailPath(id));
  }

  @Get(':id/applications/:clientId/revoke')
  async confirmRevoke(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Param('clientId') clientId: string,
  ): Promise<void> {
    const user = await this.users.get(ctx, id);
    const app = await this.authorizedApplication(ctx, id, clientId);
    this.confirm(req, res, user, {
      title: `Revoke ${app.name} for ${user.email}`,
      heading: `Revoke the access of ${app.name} for ${user.email}?`,
      message: `${app.name} loses every token it holds for ${user.email} now, and has to ask their consent again the next time it signs them in. Their Portico sessions stay.`,
      path: `applications/${encodeURIComponent(app.clientId)}/revoke`,
      label: 'Revoke access',
    });
  }

  @Post(':id/applications/:clientId/revoke')
  async revoke(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Param('clientId') clientId: string,
  ): Promise<void> {
    const user = await this.users.get(ctx, id);
    const app = await this.authorizedApplication(ctx, id, clientId);
    await this.oidc.revokeApplication(ctx, id, app.clientId);
    flash(req, 'success', `${app.name} can no longer sign ${user.email} in without asking again.`);
    res.redirect(303, detailPath(id));
  }

  @Get(':id/delete')
  async confirmDelete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    this.confirm(req, res, user, deletion(user));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    const deleted = await attempt(() => this.users.delete(ctx, id));
    if (!deleted.ok) return this.confirm(req, res, user, deletion(user), deleted.problem);
    flash(req, 'success', `User ${user.email} deleted.`);
    res.redirect(303, LIST);
  }

  /** One of the applications the user authorized, or a 404 (the list is short: one per application). */
  private async authorizedApplication(ctx: RequestContext, userId: string, clientId: string) {
    const app = (await this.oidc.authorizedApplications(ctx, userId)).find((a) => a.clientId === clientId);
    if (!app) throw new NotFoundException('That application has no access to this user');
    return app;
  }

  private async render(
    ctx: RequestContext,
    req: Request,
    res: Response,
    user: UserView,
    failed: { profile?: FormProblem; password?: FormProblem; form?: Record<string, unknown>; signOut?: boolean } = {},
  ): Promise<void> {
    const id = user.id;
    const [hasPassword, organizations, sessions, applications, events] = await Promise.all([
      this.credentials.findById(id).then((account) => !!account?.passwordHash),
      this.memberships.organizationsOf(ctx, id),
      this.sessions.list(id, req.sessionID),
      this.oidc.authorizedApplications(ctx, id),
      this.audit.involving(id, 20),
    ]);
    const profile = errorsByLabel(failed.profile, PROFILE_LABELS);
    const password = errorsByLabel(failed.password, PASSWORD_LABELS);
    const name = `${user.firstName} ${user.lastName}`.trim();
    res.status(failed.profile?.status ?? failed.password?.status ?? 200).render(
      'pages/console/users/detail',
      consolePage(req, name || user.email, LIST, {
        user,
        name,
        self: user.id === ctx.actor.id,
        form: failed.form ?? user,
        fieldErrors: { ...profile.fields, ...password.fields },
        errors: [...profile.general, ...password.general],
        signOut: failed.signOut ?? true,
        hasPassword,
        organizations,
        sessions,
        applications: applications.map((a) => ({ ...a, scopes: a.scopes.join(' ') })),
        events: events.map((e) => ({ ...e, byThem: e.actor.id === id })),
        auditHref: `/console/audit?${new URLSearchParams({ user: user.id }).toString()}`,
      }),
    );
  }

  /** A confirmation page for one user: what happens, the button, and Cancel back to their page. */
  private confirm(req: Request, res: Response, user: UserView, what: Confirmation, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, what.title, LIST, {
        heading: what.heading,
        message: what.message,
        action: `${detailPath(user.id)}/${what.path}`,
        confirmLabel: what.label,
        cancelHref: detailPath(user.id),
        errors: failure?.errors,
      }),
    );
  }

  private async renderList(
    ctx: RequestContext,
    req: Request,
    res: Response,
    query: FormBody,
    failure?: FormProblem,
    form: FormBody = {},
  ): Promise<void> {
    const filters = { search: filterParam(query, 'search'), tenantKey: filterParam(query, 'tenantKey', 63) };
    const page = await this.users.list(ctx, { ...filters, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    const pages = pager(LIST, filters, page);
    res.status(failure?.status ?? 200).render(
      'pages/console/users/list',
      consolePage(req, 'Users', LIST, {
        page,
        filters,
        filtered: !!(filters.search || filters.tenantKey),
        pager: pages,
        back: failure ? LIST : req.originalUrl,
        tenantChoices: await tenantKeyChoices(this.tenants),
        errors: failure?.errors,
        form,
      }),
    );
  }
}

/** What a confirmation page says and where its button posts (below the user's page). */
interface Confirmation {
  title: string;
  heading: string;
  message: string;
  path: string;
  label: string;
}

const disabling = (user: UserView): Confirmation => ({
  title: `Disable ${user.email}`,
  heading: `Disable ${user.email}?`,
  message:
    'They cannot sign in while the account is disabled: every session they have ends now, and the applications they let sign them in lose their access. Their data, memberships and billable flag stay; you can enable the account again.',
  path: 'disable',
  label: 'Disable account',
});

const authenticatorReset = (user: UserView): Confirmation => ({
  title: `Reset authenticator of ${user.email}`,
  heading: `Reset the authenticator app of ${user.email}?`,
  message:
    'Do this when the user has lost access to their authenticator app. Until they set one up again (on their account page), their password alone signs them in. Portico does not tell them: let them know yourself.',
  path: 'authenticator/reset',
  label: 'Reset authenticator',
});

const deletion = (user: UserView): Confirmation => ({
  title: `Delete user ${user.email}`,
  heading: `Delete user ${user.email}?`,
  message: `${user.isPlatformAdmin ? 'This user is a platform administrator. ' : ''}The account, its memberships and its sign-in methods are removed. It cannot be undone.`,
  path: 'delete',
  label: 'Delete user',
});
