import { Body, Controller, Get, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AppConfig, ConsoleOnly, Ctx, Public, RequestContext } from '@portico/core';
import {
  CreateOidcClientDto,
  OidcClientsService,
  OidcConsoleTry,
  UpdateOidcClientDto,
  type ConsoleTryResult,
  type OidcClientView,
} from '@portico/oidc';
import { TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import {
  APPLICATION_LABELS,
  applicationChoices,
  applicationFormValues,
  applicationFromCreateForm,
  applicationFromEditForm,
  errorsByField,
  NEW_APPLICATION_FORM,
} from './applications-form';
import { consolePage, flash } from './console-page';
import {
  attempt,
  CONSOLE_PAGE_SIZE,
  checkbox,
  FormBody,
  FormProblem,
  offsetParam,
  pager,
  parseForm,
  tenantKeyChoices,
  text,
} from './forms';
import { formatUtc } from '../dates';

const AREA = '/console/applications';
const appPath = (clientId: string) => `${AREA}/${encodeURIComponent(clientId)}`;
// Client ids are made by Portico: anything else names no application (404 before any lookup).
const CLIENT_ID = /^pc_[0-9a-f]{24}$/;

function clientIdParam(raw: string): string {
  if (!CLIENT_ID.test(raw)) throw new NotFoundException('OIDC client not found');
  return raw;
}

/** Console: the applications that sign people in through Portico (OpenID Connect clients). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/applications')
export class ConsoleApplicationsController {
  constructor(
    private readonly clients: OidcClientsService,
    private readonly tenants: TenantsService,
    private readonly tries: OidcConsoleTry,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const page = await this.clients.list(ctx, { limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.render(
      'pages/console/applications/list',
      consolePage(req, 'Applications', AREA, {
        page: { ...page, items: page.items.map(row) },
        pager: pager(AREA, {}, page),
        issuer: `${this.config.publicUrl}/oidc`,
      }),
    );
  }

  @Get('new')
  async newForm(@Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    // From a tenant's page: that tenant chosen already.
    await this.renderNew(req, res, { ...NEW_APPLICATION_FORM, tenantKey: text(query, 'tenantKey') });
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(CreateOidcClientDto, applicationFromCreateForm(form), APPLICATION_LABELS);
    const created = parsed.ok ? await attempt(() => this.clients.create(ctx, parsed.value)) : parsed;
    if (!created.ok) return this.renderNew(req, res, form, created.problem);
    const { clientSecret, ...client } = created.value;
    flash(
      req,
      'success',
      `Application “${client.name}” created. Its client ID is ${client.clientId}.`,
      clientSecret ? { label: 'Client secret', value: clientSecret } : undefined,
    );
    res.redirect(303, appPath(client.clientId));
  }

  @Get(':clientId')
  async detail(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('clientId') raw: string): Promise<void> {
    const client = await this.clients.get(ctx, clientIdParam(raw));
    await this.renderDetail(req, res, client, applicationFormValues(client));
  }

  @Post(':clientId')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('clientId') raw: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const clientId = clientIdParam(raw);
    const parsed = await parseForm(UpdateOidcClientDto, applicationFromEditForm(form), APPLICATION_LABELS);
    const updated = parsed.ok ? await attempt(() => this.clients.update(ctx, clientId, parsed.value)) : parsed;
    if (!updated.ok) return this.renderDetail(req, res, await this.clients.get(ctx, clientId), form, updated.problem);
    flash(req, 'success', 'Application saved.');
    res.redirect(303, appPath(clientId));
  }

  @Get(':clientId/rotate-secret')
  async confirmRotate(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('clientId') raw: string,
  ): Promise<void> {
    this.renderConfirmRotate(req, res, await this.clients.get(ctx, clientIdParam(raw)));
  }

  @Post(':clientId/rotate-secret')
  async rotate(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('clientId') raw: string): Promise<void> {
    const client = await this.clients.get(ctx, clientIdParam(raw));
    const rotated = await attempt(() => this.clients.rotateSecret(ctx, client.clientId));
    if (!rotated.ok) return this.renderConfirmRotate(req, res, client, rotated.problem);
    flash(req, 'success', 'New client secret set: the previous one stopped working. Give it to the application now.', {
      label: 'New client secret',
      value: rotated.value.clientSecret,
    });
    res.redirect(303, appPath(client.clientId));
  }

  @Get(':clientId/delete')
  async confirmDelete(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('clientId') raw: string,
  ): Promise<void> {
    this.renderConfirmDelete(req, res, await this.clients.get(ctx, clientIdParam(raw)));
  }

  @Post(':clientId/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('clientId') raw: string): Promise<void> {
    const client = await this.clients.get(ctx, clientIdParam(raw));
    const deleted = await attempt(() => this.clients.delete(ctx, client.clientId));
    if (!deleted.ok) return this.renderConfirmDelete(req, res, client, deleted.problem);
    flash(req, 'success', `Application “${client.name}” deleted: it can no longer sign anyone in.`);
    res.redirect(303, AREA);
  }

  /** Opens the application's authorization flow, answered at the console's own callback (see OidcConsoleTry). */
  @Post(':clientId/try')
  async startTry(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('clientId') raw: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const client = await this.clients.get(ctx, clientIdParam(raw));
    const started = await attempt(() => this.tries.start(ctx, client.clientId, { freshSignIn: checkbox(form, 'freshSignIn') }));
    if (!started.ok) {
      flash(req, 'error', started.problem.errors.join(' '));
      return res.redirect(303, appPath(client.clientId));
    }
    res.redirect(303, started.value);
  }

  private async renderNew(req: Request, res: Response, form: FormBody, failure?: FormProblem): Promise<void> {
    res.status(failure?.status ?? 200).render(
      'pages/console/applications/new',
      consolePage(req, 'New application', AREA, {
        form,
        ...applicationChoices(form),
        ...errorsView(failure),
        tenantChoices: (await tenantKeyChoices(this.tenants)).map((t) => ({ ...t, selected: t.key === form.tenantKey })),
      }),
    );
  }

  private async renderDetail(req: Request, res: Response, client: OidcClientView, form: FormBody, failure?: FormProblem): Promise<void> {
    res.status(failure?.status ?? 200).render(
      'pages/console/applications/edit',
      consolePage(req, `Application ${client.name}`, AREA, {
        client: row(client),
        form,
        ...applicationChoices(form),
        ...errorsView(failure),
        canTry: client.grantTypes.includes('authorization_code'),
      }),
    );
  }

  private renderConfirmRotate(req: Request, res: Response, client: OidcClientView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, 'Rotate client secret', AREA, {
        heading: `Replace the client secret of “${client.name}”?`,
        message:
          'A new secret is shown once. The current one stops working at once: the application cannot redeem codes or refresh tokens until it has the new one.',
        action: `${appPath(client.clientId)}/rotate-secret`,
        confirmLabel: 'Replace the secret',
        cancelHref: appPath(client.clientId),
        errors: failure?.errors,
      }),
    );
  }

  private renderConfirmDelete(req: Request, res: Response, client: OidcClientView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, 'Delete application', AREA, {
        heading: `Delete the application “${client.name}”?`,
        message: `${client.clientId} can no longer sign anyone in, and the tokens it holds stop working. It cannot be undone.`,
        action: `${appPath(client.clientId)}/delete`,
        confirmLabel: 'Delete application',
        cancelHref: appPath(client.clientId),
        errors: failure?.errors,
      }),
    );
  }
}

/** The try's answer. Public: the person who signed in may not be the admin who started it (their sign-in replaced the session). */
@ApiExcludeController()
@Public()
@Controller('console/applications')
export class ConsoleApplicationTryController {
  constructor(private readonly tries: OidcConsoleTry) {}

  @Get(':clientId/try/callback')
  async callback(@Req() req: Request, @Res() res: Response, @Param('clientId') raw: string, @Query() query: FormBody): Promise<void> {
    const clientId = clientIdParam(raw);
    // The code is redeemed at this very process, on the address this request came in on.
    const address = req.socket.localAddress ?? '127.0.0.1';
    const selfBase = `http://${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort}`;
    const result = await attempt(() => this.tries.finish(clientId, query, selfBase));
    res.status(result.ok ? 200 : result.problem.status).render('pages/console/applications/try-result', {
      layout: 'layouts/public',
      title: 'Try sign-in',
      wide: true,
      clientId,
      ...(result.ok ? tryView(result.value) : { failure: { error: 'invalid_request', description: result.problem.errors.join(' ') } }),
    });
  }
}

function errorsView(failure?: FormProblem): Record<string, unknown> {
  const { general, fields } = errorsByField(failure?.errors);
  return { errors: general.length ? general : undefined, fieldErrors: fields };
}

/** A list row: the type a person reads, and the tenant said plainly. */
function row(c: OidcClientView): Record<string, unknown> {
  return { ...c, type: c.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential' };
}

const TIME_CLAIMS = new Set(['iat', 'exp', 'auth_time', 'updated_at', 'nbf']);

function claimRows(claims: Record<string, unknown>): { name: string; value: string; when: string | null }[] {
  return Object.entries(claims).map(([name, value]) => ({
    name,
    value: typeof value === 'string' ? value : JSON.stringify(value),
    when: TIME_CLAIMS.has(name) && typeof value === 'number' ? formatUtc(value * 1000) : null,
  }));
}

function tryView(r: ConsoleTryResult): Record<string, unknown> {
  if (!r.ok) return { failure: { error: r.error, description: r.description } };
  return {
    idToken: claimRows(r.idToken as Record<string, unknown>),
    idTokenHeader: r.idTokenHeader,
    userinfo: claimRows(r.userinfo),
    scope: r.scope,
  };
}
