import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { CreateOrganizationDto, OrganizationsService, OrganizationView, UpdateOrganizationDto } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import {
  attempt,
  CONSOLE_PAGE_SIZE,
  filterParam,
  FormBody,
  FormProblem,
  offsetParam,
  optionalText,
  pager,
  parseForm,
  problem,
  tenantKeyChoices,
  text,
} from './forms';
import { OrganizationPages, orgPath } from './organization-page';
import { planFromForm } from './plan-fields';

const LABELS = {
  name: 'Name',
  tenantKey: 'Tenant key',
  externalUid: 'External UID',
  'plan.priceCents': 'Monthly price',
  'plan.currency': 'Currency',
  authMode: 'Sign-in',
  externalLoginProviderId: 'External login provider',
};

/** Console: customer organizations ("sites"), with or without a tenant. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/organizations')
export class ConsoleOrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly tenants: TenantsService,
    private readonly pages: OrganizationPages,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(ctx, req, res, query);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const plan = planFromForm(text(form, 'price'), text(form, 'currency'));
    const parsed = plan.ok
      ? await parseForm(
          CreateOrganizationDto,
          {
            name: text(form, 'name'),
            tenantKey: optionalText(form, 'tenantKey'),
            externalUid: optionalText(form, 'externalUid'),
            plan: plan.plan ?? undefined,
          },
          LABELS,
        )
      : problem(400, plan.error);
    const created = parsed.ok ? await attempt(() => this.organizations.create(ctx, parsed.value)) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, {}, created.problem, form);
    flash(req, 'success', `Organization “${created.value.name}” created with site ID ${created.value.siteId}.`);
    res.redirect(303, '/console/organizations');
  }

  @Get(':id')
  async edit(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Query() query: FormBody,
  ): Promise<void> {
    await this.pages.render(ctx, req, res, await this.organizations.get(ctx, id), { query });
  }

  @Post(':id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const plan = planFromForm(text(form, 'price'), text(form, 'currency'));
    const parsed = plan.ok
      ? await parseForm(
          UpdateOrganizationDto,
          {
            name: text(form, 'name'),
            externalUid: optionalText(form, 'externalUid') ?? null,
            plan: plan.plan,
            // A form without the sign-in fields (an older page) leaves them as they are.
            authMode: 'authMode' in form ? text(form, 'authMode') : undefined,
            externalLoginProviderId: 'authMode' in form ? (optionalText(form, 'externalLoginProviderId') ?? null) : undefined,
          },
          LABELS,
        )
      : problem(400, plan.error);
    const updated = parsed.ok ? await attempt(() => this.organizations.update(ctx, id, parsed.value)) : parsed;
    if (!updated.ok) {
      const org = await this.organizations.get(ctx, id);
      return this.pages.render(ctx, req, res, org, { failure: updated.problem, failed: 'details', form });
    }
    flash(req, 'success', `Organization “${updated.value.name}” saved.`);
    res.redirect(303, orgPath(id));
  }

  @Get(':id/delete')
  async confirmDelete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.organizations.get(ctx, id));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const org = await this.organizations.get(ctx, id);
    const deleted = await attempt(() => this.organizations.delete(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, org, deleted.problem);
    flash(req, 'success', `Organization “${org.name}” (site ID ${org.siteId}) deleted.`);
    res.redirect(303, '/console/organizations');
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
    const page = await this.organizations.list(ctx, { ...filters, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.status(failure?.status ?? 200).render(
      'pages/console/organizations/list',
      consolePage(req, 'Organizations', '/console/organizations', {
        page,
        filters,
        filtered: !!(filters.search || filters.tenantKey),
        pager: pager('/console/organizations', filters, page),
        tenantChoices: await tenantKeyChoices(this.tenants),
        errors: failure?.errors,
        form,
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, org: OrganizationView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete organization ${org.name}`, '/console/organizations', {
        heading: `Delete organization “${org.name}”?`,
        message: `Site ID ${org.siteId} stops existing and every membership in it is removed. The users themselves are kept. It cannot be undone.`,
        action: `${orgPath(org.id)}/delete`,
        confirmLabel: 'Delete organization',
        cancelHref: orgPath(org.id),
        errors: failure?.errors,
      }),
    );
  }
}
