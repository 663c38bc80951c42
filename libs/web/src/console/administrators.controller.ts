import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { UserSessionsService } from '@portico/auth';
import { ConsoleOnly, CryptoService, Ctx, IdParam, NotFoundError, RequestContext } from '@portico/core';
import { CreateUserDto, UsersService, UserView } from '@portico/users';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { adminTabs } from './administrator-tabs';
import { attempt, FormBody, FormProblem, optionalText, parseForm, text } from './forms';

const LIST = '/console/administrators';
const LABELS = { email: 'Email', firstName: 'First name', lastName: 'Last name', password: 'Password' };

/** Console: the people who administer Portico. The users facade keeps one of them active at all times. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/administrators')
export class ConsoleAdministratorsController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: UserSessionsService,
    private readonly crypto: CryptoService,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderList(ctx, req, res);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    // Passwords are taken as typed; none typed: Portico makes one and shows it once.
    const typed = typeof form.password === 'string' && form.password ? form.password : undefined;
    const password = typed ?? this.crypto.randomToken(12);
    const fields = {
      email: text(form, 'email'),
      firstName: optionalText(form, 'firstName'),
      lastName: optionalText(form, 'lastName'),
      password,
      isPlatformAdmin: true,
    };
    const parsed = await parseForm(CreateUserDto, fields, LABELS);
    const created = parsed.ok ? await attempt(() => this.users.create(ctx, parsed.value, 'console')) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, created.problem, { ...form, password: '' });
    const who = created.value.email;
    if (typed) flash(req, 'success', `${who} is a platform administrator now and signs in at /console/login with the password you chose.`);
    else
      flash(req, 'success', `${who} is a platform administrator now. Give them this password; they sign in at /console/login.`, {
        label: `Password of ${who}`,
        value: password,
      });
    res.redirect(303, LIST);
  }

  @Get(':id/disable')
  async confirmDisable(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.admin(ctx, id), 'disable');
  }

  @Post(':id/disable')
  async disable(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const admin = await this.admin(ctx, id);
    const done = await attempt(() => this.users.update(ctx, id, { status: 'disabled' }));
    if (!done.ok) return this.renderConfirm(req, res, admin, 'disable', done.problem);
    flash(req, 'success', `${admin.email} is disabled and can no longer sign in.`);
    res.redirect(303, LIST);
  }

  /** Enabling takes nothing away from anyone: no confirmation. */
  @Post(':id/enable')
  async enable(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const admin = await this.admin(ctx, id);
    await this.users.update(ctx, id, { status: 'active' });
    flash(req, 'success', `${admin.email} is enabled and can sign in again.`);
    res.redirect(303, LIST);
  }

  @Get(':id/delete')
  async confirmDelete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.admin(ctx, id), 'delete');
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const admin = await this.admin(ctx, id);
    const done = await attempt(() => this.users.delete(ctx, id));
    if (!done.ok) return this.renderConfirm(req, res, admin, 'delete', done.problem);
    flash(req, 'success', `Administrator ${admin.email} deleted.`);
    res.redirect(303, LIST);
  }

  /** A platform administrator by id; anyone else is not found here. */
  private async admin(ctx: RequestContext, id: string): Promise<UserView> {
    const user = await this.users.get(ctx, id);
    if (!user.isPlatformAdmin) throw new NotFoundError('Administrator');
    return user;
  }

  private async renderList(ctx: RequestContext, req: Request, res: Response, failure?: FormProblem, form: FormBody = {}): Promise<void> {
    const admins = await this.users.listPlatformAdmins(ctx);
    const rows = await Promise.all(
      admins.map(async (a) => {
        const signedIn = (await this.sessions.list(a.id)).map((s) => s.signedInAt?.getTime() ?? 0);
        const latest = signedIn.length ? Math.max(...signedIn) : 0;
        return {
          ...a,
          name: `${a.firstName} ${a.lastName}`.trim(),
          you: a.id === ctx.actor.id,
          latestSession: latest ? new Date(latest) : null,
        };
      }),
    );
    res.status(failure?.status ?? 200).render(
      'pages/console/administrators/list',
      consolePage(req, 'Administrators', LIST, {
        tabs: adminTabs(LIST),
        admins: rows,
        activeCount: rows.filter((a) => a.status === 'active').length,
        errors: failure?.errors,
        form,
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, admin: UserView, kind: 'disable' | 'delete', failure?: FormProblem): void {
    const self =
      admin.id === req.portico?.actor.id ? `This is you: ${kind === 'disable' ? 'your session ends' : 'you are signed out'} at once. ` : '';
    const text = {
      disable: {
        verb: 'Disable',
        message:
          'They can no longer sign in to the console or use their sessions. Their account stays, and another administrator can enable it again.',
      },
      delete: {
        verb: 'Delete',
        message: 'The account and its sign-in methods are removed. It cannot be undone; the audit log keeps what they did.',
      },
    }[kind];
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `${text.verb} ${admin.email}`, LIST, {
        heading: `${text.verb} administrator ${admin.email}?`,
        message: `${self}${text.message}`,
        action: `${LIST}/${admin.id}/${kind}`,
        confirmLabel: `${text.verb} administrator`,
        cancelHref: LIST,
        errors: failure?.errors,
      }),
    );
  }
}
