import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AdminApiTokenView, ApiTokensService, CreateAdminApiTokenDto } from '@portico/auth';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import { adminTabs } from './administrator-tabs';
import { consolePage, flash } from './console-page';
import { attempt, FormBody, FormProblem, parseForm, text } from './forms';

const LIST = '/console/api-tokens';

/** Console: platform-admin API tokens (Authorization: Bearer), so scripts need no ADMIN_API_TOKEN restart. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/api-tokens')
export class ConsoleApiTokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderList(ctx, req, res);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(CreateAdminApiTokenDto, { name: text(form, 'name') }, { name: 'Name' });
    const created = parsed.ok ? await attempt(() => this.tokens.create(ctx, parsed.value.name)) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, created.problem, form);
    flash(
      req,
      'success',
      `API token “${created.value.token.name}” created. Send it as Authorization: Bearer <token>; it acts as a platform administrator.`,
      { label: 'API token', value: created.value.secret },
    );
    res.redirect(303, LIST);
  }

  @Get(':id/revoke')
  async confirmRevoke(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderRevokeConfirm(req, res, await this.tokens.find(ctx, id));
  }

  @Post(':id/revoke')
  async revoke(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const token = await this.tokens.find(ctx, id);
    const done = await attempt(() => this.tokens.revoke(ctx, id));
    if (!done.ok) return this.renderRevokeConfirm(req, res, token, done.problem);
    flash(req, 'success', `API token “${token.name}” revoked: requests sending it are refused from now on.`);
    res.redirect(303, LIST);
  }

  private async renderList(ctx: RequestContext, req: Request, res: Response, failure?: FormProblem, form: FormBody = {}): Promise<void> {
    res.status(failure?.status ?? 200).render(
      'pages/console/administrators/api-tokens',
      consolePage(req, 'API tokens', '/console/administrators', {
        tabs: adminTabs(LIST),
        tokens: await this.tokens.list(ctx),
        errors: failure?.errors,
        form,
      }),
    );
  }

  private renderRevokeConfirm(req: Request, res: Response, token: AdminApiTokenView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Revoke API token ${token.name}`, '/console/administrators', {
        heading: `Revoke the API token “${token.name}”?`,
        message: `Every script or system sending this token gets 401 from its next request on. It cannot be undone: make a new token for them.${
          token.fromEnvironment
            ? ' This token comes from ADMIN_API_TOKEN: it is registered again when Portico restarts with that variable set.'
            : ''
        }`,
        action: `${LIST}/${token.id}/revoke`,
        confirmLabel: 'Revoke token',
        cancelHref: LIST,
        errors: failure?.errors,
      }),
    );
  }
}
