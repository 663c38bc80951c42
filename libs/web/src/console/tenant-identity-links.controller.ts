import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { CreateIdentityLinkDto, IdentityLinkView, IdentityMapService, LINKED_ENTITY_TYPES } from '@portico/identity-map';
import { OrganizationsService } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import { UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import {
  attempt,
  CONSOLE_PAGE_SIZE,
  filterParam,
  FormBody,
  FormProblem,
  offsetParam,
  pager,
  Parsed,
  parseForm,
  problem,
  text,
} from './forms';
import { organizationFromField } from './organization-choice';
import { tenantTabs } from './tenant-tabs';

const LABELS = { provider: 'Provider', entityType: 'Type', localId: 'User or organization', foreignId: 'Foreign id' };
const tabPath = (key: string) => `/console/tenants/${encodeURIComponent(key)}/identity-links`;

/** Console: a tenant's identity map (its own ids for Portico's users and organizations), one tab of the tenant page. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/tenants/:key/identity-links')
export class ConsoleTenantIdentityLinksController {
  constructor(
    private readonly identityMap: IdentityMapService,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get()
  async list(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Query() query: FormBody,
  ): Promise<void> {
    await this.render(ctx, req, res, key, query);
  }

  @Post()
  async create(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const fields = { provider: text(form, 'provider'), entityType: text(form, 'entityType') };
    const record = await this.recordOf(ctx, key, fields.entityType, text(form, 'record'));
    const parsed = record.ok
      ? await parseForm(
          CreateIdentityLinkDto,
          { ...fields, localId: record.value, foreignId: rawText(form, 'foreignId'), tenantKey: key },
          LABELS,
        )
      : record;
    const created = parsed.ok ? await attempt(() => this.identityMap.create(ctx, parsed.value)) : parsed;
    if (!created.ok) return this.render(ctx, req, res, key, {}, created.problem, form);
    flash(req, 'success', `Linked ${created.value.provider} id “${created.value.foreignId}” to the ${created.value.entityType}.`);
    res.redirect(303, tabPath(key));
  }

  @Get(':id/delete')
  async confirmRemove(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @IdParam() id: string,
  ): Promise<void> {
    const link = await this.identityMap.get(ctx, id, key);
    res.render(
      'pages/console/confirm',
      consolePage(req, 'Delete identity link', '/console/tenants', {
        heading: `Delete the link of ${link.provider} id “${link.foreignId}”?`,
        message: `The ${link.entityType} stays in Portico, but the portal's calls that name it by this ${link.provider} id (account and data-sharing webhooks) no longer reach it until the link is made again.`,
        action: `${tabPath(key)}/${link.id}/delete`,
        confirmLabel: 'Delete link',
        cancelHref: tabPath(key),
      }),
    );
  }

  @Post(':id/delete')
  async remove(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @IdParam() id: string,
  ): Promise<void> {
    const removed = await attempt(() => this.identityMap.remove(ctx, id, key));
    if (!removed.ok) return this.render(ctx, req, res, key, {}, removed.problem);
    flash(req, 'success', 'Link deleted. The Portico record itself is unchanged.');
    res.redirect(303, tabPath(key));
  }

  private async render(
    ctx: RequestContext,
    req: Request,
    res: Response,
    key: string,
    query: FormBody,
    failure?: FormProblem,
    form: FormBody = {},
  ): Promise<void> {
    const tenant = await this.tenants.get(key);
    const filters = {
      provider: filterParam(query, 'provider', 64),
      entityType: LINKED_ENTITY_TYPES.find((t) => t === text(query, 'entityType')),
      foreignId: filterParam(query, 'foreignId', 255),
    };
    const listed = await attempt(() =>
      this.identityMap.list(ctx, { ...filters, tenantKey: key, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) }),
    );
    const page = listed.ok ? listed.value : { items: [], total: 0, limit: CONSOLE_PAGE_SIZE, offset: 0 };
    const errors = [...(failure?.errors ?? []), ...(listed.ok ? [] : listed.problem.errors)];
    res.status(failure?.status ?? (listed.ok ? 200 : listed.problem.status)).render(
      'pages/console/tenants/identity-links',
      consolePage(req, `Identity links of ${tenant.name}`, '/console/tenants', {
        tenant,
        tabs: tenantTabs(tenant.key, 'identity-links'),
        page: { ...page, items: await this.describe(ctx, page.items) },
        pager: pager(tabPath(key), filters, page),
        filters,
        filtered: Object.values(filters).some(Boolean),
        entityTypes: LINKED_ENTITY_TYPES,
        errors: errors.length ? errors : undefined,
        form: { provider: 'portal', entityType: 'user', ...form },
      }),
    );
  }

  /** The record the form names as people know it: a user of the tenant by email, an organization by name or site ID. */
  private async recordOf(ctx: RequestContext, key: string, entityType: string, value: string): Promise<Parsed<string | undefined>> {
    if (!value) return { ok: true, value: undefined };
    if (entityType === 'organization') {
      const org = await organizationFromField(this.organizations, ctx, value, key);
      return org.ok ? { ok: true, value: org.value?.id } : org;
    }
    const [user] = (await this.users.list(ctx, { email: value, tenantKey: key, limit: 1 })).items;
    return user ? { ok: true, value: user.id } : problem(400, `No user of tenant ${key} has the email ${value}.`);
  }

  /** Each link with what its Portico record is called, so the page can be read without looking ids up. */
  private async describe(
    ctx: RequestContext,
    links: IdentityLinkView[],
  ): Promise<(IdentityLinkView & { label: string | null; href: string | null })[]> {
    const orgs = new Map(
      (
        await this.organizations.findMany(
          ctx,
          links.filter((l) => l.entityType === 'organization').map((l) => l.localId),
        )
      ).map((o) => [o.id, o.name]),
    );
    return Promise.all(
      links.map(async (l) => {
        if (l.entityType === 'organization') {
          const name = orgs.get(l.localId) ?? null;
          return { ...l, label: name, href: name ? `/console/organizations/${l.localId}` : null };
        }
        const email = (await this.users.find(ctx, l.localId))?.email ?? null;
        return { ...l, label: email, href: email ? `/console/users?search=${encodeURIComponent(email)}` : null };
      }),
    );
  }
}

/** A foreign id is taken exactly as typed (an id with spaces is still that id); empty is missing. */
function rawText(form: FormBody, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
