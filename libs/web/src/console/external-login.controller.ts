import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import {
  CreateExternalLoginProviderDto,
  ExternalLoginProvidersService,
  ExternalLoginProviderView,
  ExternalLoginTestResultView,
  TestExternalLoginProviderDto,
  UpdateExternalLoginProviderDto,
} from '@portico/external-login';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { circuitSummary, PROVIDER_LABELS, providerFormValues, providerFromCreateForm, providerFromEditForm } from './external-login-form';
import { attempt, CONSOLE_PAGE_SIZE, FormBody, formErrors, FormProblem, offsetParam, pager, parseForm, problem, text } from './forms';

const AREA = '/console/external-login';
const providerPath = (id: string) => `${AREA}/${id}`;
const TEST_LABELS = { siteId: 'Organization', username: 'Username', password: 'Password' };
/** The assigned organizations a provider's page lists (and its test form offers by name). */
const ASSIGNED_SHOWN = 200;

/** Console: external login providers (create, edit, delete, test, breaker state). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/external-login')
export class ConsoleExternalLoginController {
  constructor(
    private readonly providers: ExternalLoginProvidersService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(ctx, req, res, query);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(CreateExternalLoginProviderDto, providerFromCreateForm(form), PROVIDER_LABELS);
    const created = parsed.ok ? await attempt(() => this.providers.create(ctx, parsed.value), PROVIDER_LABELS) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, {}, created.problem, form);
    flash(
      req,
      'success',
      `Provider “${created.value.name}” created. Assign it to organizations on their pages, then try it with “Test provider”.`,
    );
    res.redirect(303, providerPath(created.value.id));
  }

  @Get(':id')
  async edit(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    await this.renderEdit(ctx, req, res, await this.providers.get(id));
  }

  @Post(':id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const parsed = await parseForm(UpdateExternalLoginProviderDto, providerFromEditForm(form), PROVIDER_LABELS);
    const updated = parsed.ok ? await attempt(() => this.providers.update(ctx, id, parsed.value), PROVIDER_LABELS) : parsed;
    if (!updated.ok) return this.renderEdit(ctx, req, res, await this.providers.get(id), { problem: updated.problem, form });
    flash(req, 'success', `Provider “${updated.value.name}” saved.`);
    res.redirect(303, providerPath(id));
  }

  @Post(':id/test')
  async test(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const provider = await this.providers.get(id);
    const site = text(form, 'site');
    const password = typeof form.password === 'string' ? form.password : '';
    const siteId = /^\d{1,9}$/.test(site) ? Number(site) : await this.siteIdByName(ctx, id, site);
    const parsed = !site
      ? problem(400, 'Organization is required: choose one assigned to this provider, or type a site ID.')
      : siteId === null
        ? problem(400, `No organization named “${site}” is assigned to this provider: choose one from the list, or type a site ID.`)
        : await parseForm(TestExternalLoginProviderDto, { siteId, username: text(form, 'username'), password }, TEST_LABELS);
    const tested = parsed.ok ? await attempt(() => this.providers.test(ctx, id, parsed.value)) : parsed;
    // The password typed for the test is never put back on the page.
    const testForm = { site, username: text(form, 'username') };
    if (!tested.ok) return this.renderEdit(ctx, req, res, provider, { testProblem: tested.problem, testForm });
    await this.renderEdit(ctx, req, res, await this.providers.get(id), { testResult: tested.value, testForm });
  }

  @Get(':id/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.providers.get(id));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const provider = await this.providers.get(id);
    const deleted = await attempt(() => this.providers.delete(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, provider, deleted.problem);
    flash(req, 'success', `Provider “${provider.name}” deleted.`);
    res.redirect(303, AREA);
  }

  private async renderList(
    ctx: RequestContext,
    req: Request,
    res: Response,
    query: FormBody,
    failure?: FormProblem,
    form: FormBody = {},
  ): Promise<void> {
    const page = await this.providers.list({ limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    const assigned = await this.organizations.countByLoginProvider(
      ctx,
      page.items.map((p) => p.id),
    );
    const items = page.items.map((p) => ({ ...p, circuitSummary: circuitSummary(p.circuit), organizations: assigned.get(p.id) ?? 0 }));
    res.status(failure?.status ?? 200).render(
      'pages/console/external-login/list',
      consolePage(req, 'External login', AREA, {
        page: { ...page, items },
        pager: pager(AREA, {}, page),
        ...formErrors(failure),
        form: { accessTokenHeader: 'x-access-token', timeoutMs: '5000', ...form, accessToken: '', clientKey: '' },
      }),
    );
  }

  private async renderEdit(
    ctx: RequestContext,
    req: Request,
    res: Response,
    provider: ExternalLoginProviderView,
    extra: {
      problem?: FormProblem;
      form?: FormBody;
      testProblem?: FormProblem;
      testResult?: ExternalLoginTestResultView;
      testForm?: FormBody;
    } = {},
  ): Promise<void> {
    const status = extra.problem?.status ?? extra.testProblem?.status ?? 200;
    const form = extra.form ? { ...extra.form, accessToken: '', clientKey: '' } : providerFormValues(provider);
    const organizations = await this.assigned(ctx, provider.id);
    const assignedTotal = (await this.organizations.countByLoginProvider(ctx, [provider.id])).get(provider.id) ?? 0;
    res.status(status).render(
      'pages/console/external-login/edit',
      consolePage(req, `Provider ${provider.name}`, AREA, {
        provider,
        circuit: circuitSummary(provider.circuit),
        form,
        ...formErrors(extra.problem),
        testErrors: extra.testProblem?.errors,
        testResult: extra.testResult,
        testForm: extra.testForm ?? {},
        organizations,
        assignedTotal,
        assignedMore: assignedTotal - organizations.length,
      }),
    );
  }

  private async assigned(ctx: RequestContext, providerId: string): Promise<(OrganizationRef & { signsIn: boolean })[]> {
    const orgs = await this.organizations.withLoginProvider(ctx, providerId, ASSIGNED_SHOWN);
    return orgs.map((o) => ({ ...o, signsIn: o.authMode === 'external' }));
  }

  /** The site ID of the organization named `name` (any case) among those assigned to the provider, or null. */
  private async siteIdByName(ctx: RequestContext, providerId: string, name: string): Promise<number | null> {
    if (!name) return null;
    const wanted = name.toLowerCase();
    const org = (await this.organizations.withLoginProvider(ctx, providerId, ASSIGNED_SHOWN)).find((o) => o.name.toLowerCase() === wanted);
    return org?.siteId ?? null;
  }

  private renderConfirm(req: Request, res: Response, provider: ExternalLoginProviderView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete provider ${provider.name}`, AREA, {
        heading: `Delete provider “${provider.name}”?`,
        message: 'Its settings and secrets are removed. Organizations still assigned to it must be moved first. It cannot be undone.',
        action: `${providerPath(provider.id)}/delete`,
        confirmLabel: 'Delete provider',
        cancelHref: providerPath(provider.id),
        errors: failure?.errors,
      }),
    );
  }
}
