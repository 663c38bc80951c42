import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthenticatorService, UserSessionsService } from '@portico/auth';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { CreateUserDto, SetBillableDto, UsersService, UserView } from '@portico/users';
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
  parseForm,
  tenantKeyChoices,
  text,
} from './forms';

const LABELS = {
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  password: 'Password',
  tenantKey: 'Tenant key',
  billable: 'Billable',
};
const LIST = '/console/users';

/** Console: people, their tenant, billable flag and authenticator app. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/users')
export class ConsoleUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly authenticators: AuthenticatorService,
    private readonly sessions: UserSessionsService,
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

  @Get(':id/authenticator/reset')
  async confirmAuthenticatorReset(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
  ): Promise<void> {
    this.renderResetConfirm(req, res, await this.users.get(ctx, id));
  }

  /** For a user who lost their phone: the authenticator is removed and the password alone signs in. */
  @Post(':id/authenticator/reset')
  async resetAuthenticator(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    if (!user.authenticatorEnabled) {
      flash(req, 'success', `${user.email} has no authenticator app: nothing to reset.`);
      return res.redirect(303, LIST);
    }
    const reset = await attempt(() => this.authenticators.adminReset(ctx, id));
    if (!reset.ok) return this.renderResetConfirm(req, res, user, reset.problem);
    flash(
      req,
      'success',
      `Authenticator app of ${user.email} reset. They now sign in with their password alone until they set up an authenticator app again.`,
    );
    res.redirect(303, LIST);
  }

  @Get(':id/sessions/end')
  async confirmSignOut(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    const count = (await this.sessions.list(id)).length;
    res.render(
      'pages/console/confirm',
      consolePage(req, `Sign out ${user.email}`, LIST, {
        heading: `Sign ${user.email} out everywhere?`,
        message: `${count ? `${count} session${count === 1 ? '' : 's'} end${count === 1 ? 's' : ''}` : 'No session is open now'}, and the applications they let sign them in lose their access (their refresh tokens are revoked). Their password and authenticator stay: they can sign in again.`,
        action: `${LIST}/${user.id}/sessions/end`,
        confirmLabel: 'Sign out everywhere',
        cancelHref: LIST,
      }),
    );
  }

  /** A stolen laptop, a departing employee: every session and application grant ends now. */
  @Post(':id/sessions/end')
  async signOut(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    await this.sessions.endEverything(ctx, id);
    flash(req, 'success', `${user.email} is signed out everywhere.`);
    res.redirect(303, LIST);
  }

  @Get(':id/delete')
  async confirmDelete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.users.get(ctx, id));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const user = await this.users.get(ctx, id);
    const deleted = await attempt(() => this.users.delete(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, user, deleted.problem);
    flash(req, 'success', `User ${user.email} deleted.`);
    res.redirect(303, LIST);
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

  private renderResetConfirm(req: Request, res: Response, user: UserView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Reset authenticator of ${user.email}`, LIST, {
        heading: `Reset the authenticator app of ${user.email}?`,
        message:
          'Do this when the user has lost access to their authenticator app. Until they set one up again (on their account page), their password alone signs them in. Portico does not tell them: let them know yourself.',
        action: `${LIST}/${user.id}/authenticator/reset`,
        confirmLabel: 'Reset authenticator',
        cancelHref: LIST,
        errors: failure?.errors,
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, user: UserView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete user ${user.email}`, LIST, {
        heading: `Delete user ${user.email}?`,
        message: `${user.isPlatformAdmin ? 'This user is a platform administrator. ' : ''}The account, its memberships and its sign-in methods are removed. It cannot be undone.`,
        action: `${LIST}/${user.id}/delete`,
        confirmLabel: 'Delete user',
        cancelHref: LIST,
        errors: failure?.errors,
      }),
    );
  }
}
