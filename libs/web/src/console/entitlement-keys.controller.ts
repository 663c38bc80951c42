import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import {
  CreateVirtualEntitlementDto,
  EntitlementClassesService,
  ImportReportView,
  UpdateVirtualEntitlementDto,
  VIRTUAL_STATUSES,
  VirtualEntitlementsService,
  VirtualEntitlementStatus,
  VirtualEntitlementView,
  VirtualImportService,
} from '@portico/entitlements';
import { OrganizationsService } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import 'express-session';
import { safeNext } from '../safe-redirect';
import { consolePage, flash } from './console-page';
import { ENTITLEMENTS, entitlementTabs } from './entitlements.controller';
import { organizationFromField, organizationNameChoices } from './organization-choice';
import {
  attempt,
  CONSOLE_PAGE_SIZE,
  filterParam,
  fieldProblem,
  FormBody,
  formErrors,
  FormProblem,
  offsetParam,
  optionalText,
  pager,
  onField,
  Parsed,
  parseForm,
  problem,
  tenantKeyChoices,
  text,
} from './forms';

declare module 'express-session' {
  interface SessionData {
    /** The report of the last import, shown once on the import page. */
    entitlementImport?: { created: number; updated: number; failed: number; lines: ImportReportView['lines']; more: number };
  }
}

const KEYS = `${ENTITLEMENTS}/keys`;
const IMPORT = `${ENTITLEMENTS}/import`;
const keyPath = (id: string) => `${KEYS}/${id}`;
const LABELS = {
  key: 'Customer key',
  classId: 'Class',
  status: 'Status',
  expiresAt: 'Expires at',
  organizationId: 'Organization',
  tenantKey: 'Tenant key',
};
// Report lines kept for the page after an import: every refusal first, then the others.
const REPORT_LINES = 500;

/** Console: virtual keys (customer keys mapped onto a class), with search, suspend/resume and CSV import. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/entitlements')
export class ConsoleEntitlementKeysController {
  constructor(
    private readonly virtual: VirtualEntitlementsService,
    private readonly importer: VirtualImportService,
    private readonly classes: EntitlementClassesService,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get('keys')
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(ctx, req, res, query);
  }

  @Post('keys')
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await this.parseKeyForm(ctx, CreateVirtualEntitlementDto, form, optionalText(form, 'tenantKey') ?? null, (found) => ({
      status: optionalText(form, 'status'),
      expiresAt: found.expiresAt ?? undefined,
      organizationId: found.organizationId ?? undefined,
      tenantKey: optionalText(form, 'tenantKey'),
    }));
    const created = parsed.ok ? await attempt(() => this.virtual.create(ctx, parsed.value), LABELS) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, {}, created.problem, form);
    flash(req, 'success', `Key “${created.value.key}” now opens ${created.value.className} on ${created.value.server}.`);
    res.redirect(303, `${KEYS}?search=${encodeURIComponent(created.value.key)}`);
  }

  @Get('keys/:id')
  async edit(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    await this.renderEdit(ctx, req, res, await this.virtual.get(ctx, id));
  }

  @Post('keys/:id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const entry = await this.virtual.get(ctx, id);
    const parsed = await this.parseKeyForm(ctx, UpdateVirtualEntitlementDto, form, entry.tenantKey, (found) => ({
      status: text(form, 'status'),
      ...found,
    }));
    const updated = parsed.ok ? await attempt(() => this.virtual.update(ctx, id, parsed.value), LABELS) : parsed;
    if (!updated.ok) return this.renderEdit(ctx, req, res, entry, updated.problem, form);
    flash(req, 'success', `Key “${updated.value.key}” saved. The next check uses it.`);
    res.redirect(303, keyPath(id));
  }

  @Get('keys/:id/suspend')
  async confirmSuspend(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Query() query: FormBody,
  ): Promise<void> {
    const entry = await this.virtual.get(ctx, id);
    const back = backTo(text(query, 'back'));
    res.render(
      'pages/console/confirm',
      consolePage(req, `Suspend key ${entry.key}`, ENTITLEMENTS, {
        heading: `Suspend key “${entry.key}”?`,
        message: `The next check of it answers “not found”: the customer can no longer open ${entry.className} on ${entry.server} until you resume the key. Nothing is deleted.`,
        action: `${keyPath(entry.id)}/status`,
        fields: [
          { name: 'status', value: 'suspended' },
          { name: 'back', value: back },
        ],
        confirmLabel: 'Suspend key',
        cancelHref: back,
      }),
    );
  }

  /** Suspend (after its confirmation) or resume from the list; back to the same filtered page. */
  @Post('keys/:id/status')
  async setStatus(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const status = text(form, 'status');
    const updated = (VIRTUAL_STATUSES as string[]).includes(status)
      ? await attempt(() => this.virtual.update(ctx, id, { status: status as VirtualEntitlementStatus }))
      : problem(400, 'Status must be active or suspended.');
    if (!updated.ok) return this.renderList(ctx, req, res, {}, updated.problem);
    flash(
      req,
      'success',
      updated.value.status === 'suspended'
        ? `Key “${updated.value.key}” suspended: the next check answers “not found”.`
        : `Key “${updated.value.key}” resumed: it opens ${updated.value.className} again.`,
    );
    res.redirect(303, backTo(text(form, 'back')));
  }

  @Get('keys/:id/delete')
  async confirmDelete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.virtual.get(ctx, id));
  }

  @Post('keys/:id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const entry = await this.virtual.get(ctx, id);
    const deleted = await attempt(() => this.virtual.delete(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, entry, deleted.problem);
    flash(req, 'success', `Key “${entry.key}” deleted: the next check answers “not found”.`);
    res.redirect(303, KEYS);
  }

  @Get('import')
  async importPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    const report = req.session.entitlementImport;
    delete req.session.entitlementImport;
    await this.renderImport(req, res, report);
  }

  @Post('import')
  async import(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const csv = typeof form.csv === 'string' ? form.csv : '';
    const imported = csv.trim()
      ? await attempt(() =>
          this.importer.import(ctx, {
            csv,
            defaultClassId: optionalText(form, 'defaultClassId'),
            tenantKey: optionalText(form, 'tenantKey'),
          }),
        )
      : problem(400, 'Paste the CSV or choose a file first.');
    if (!imported.ok) return this.renderImport(req, res, undefined, imported.problem, form);
    const { created, updated, failed, lines } = imported.value;
    const kept = [...lines.filter((l) => l.result === 'error'), ...lines.filter((l) => l.result !== 'error')]
      .slice(0, REPORT_LINES)
      .sort((a, b) => a.line - b.line);
    req.session.entitlementImport = { created, updated, failed, lines: kept, more: lines.length - kept.length };
    flash(req, failed ? 'error' : 'success', `Import done: ${created} created, ${updated} updated, ${failed} refused.`);
    res.redirect(303, IMPORT);
  }

  /**
   * The key form through `cls`: its expiry and its organization (by name, within `tenantKey`) read
   * first, each refusal beside its field; `fields` adds what differs between create and edit.
   */
  private async parseKeyForm<T extends object>(
    ctx: RequestContext,
    cls: new () => T,
    form: FormBody,
    tenantKey: string | null,
    fields: (found: { expiresAt: Date | null; organizationId: string | null }) => Record<string, unknown>,
  ): Promise<Parsed<T>> {
    const expiresAt = expiryFromForm(text(form, 'expiresAt'));
    const org = await organizationFromField(this.organizations, ctx, text(form, 'organization'), tenantKey);
    if (!org.ok) return onField(org, 'organizationId');
    if (!expiresAt.ok) return expiresAt;
    const found = { expiresAt: expiresAt.value, organizationId: org.value?.id ?? null };
    return parseForm(cls, { key: text(form, 'key'), classId: text(form, 'classId'), ...fields(found) }, LABELS);
  }

  private async renderList(
    ctx: RequestContext,
    req: Request,
    res: Response,
    query: FormBody,
    failure?: FormProblem,
    form: FormBody = {},
  ): Promise<void> {
    const status = text(query, 'status');
    const filters = {
      search: filterParam(query, 'search', 255),
      classId: /^[0-9a-f-]{36}$/i.test(text(query, 'classId')) ? text(query, 'classId').toLowerCase() : undefined,
      status: (VIRTUAL_STATUSES as string[]).includes(status) ? (status as VirtualEntitlementStatus) : undefined,
      tenantKey: filterParam(query, 'tenantKey', 63),
    };
    const page = await this.virtual.list(ctx, { ...filters, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    const classes = await this.classes.all();
    const here = pager(KEYS, filters, { ...page, total: page.total });
    const back = `${KEYS}?${new URLSearchParams(Object.entries({ ...filters, offset: String(page.offset || '') }).filter(([, v]) => v) as [string, string][]).toString()}`;
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/keys',
      consolePage(req, 'Virtual keys', ENTITLEMENTS, {
        tabs: entitlementTabs(KEYS),
        page: { ...page, items: page.items.map((v) => ({ ...v, suspended: v.status === 'suspended' })) },
        filters,
        filtered: !!(filters.search || filters.classId || filters.status || filters.tenantKey),
        classes: classes.map((c) => ({ ...c, selected: c.id === filters.classId, chosen: c.id === text(form, 'classId') })),
        statuses: VIRTUAL_STATUSES.map((s) => ({ value: s, selected: s === filters.status })),
        tenantChoices: await tenantKeyChoices(this.tenants),
        organizationNames: await organizationNameChoices(this.organizations, ctx),
        pager: here,
        back,
        ...formErrors(failure),
        form,
      }),
    );
  }

  private async renderEdit(
    ctx: RequestContext,
    req: Request,
    res: Response,
    entry: VirtualEntitlementView,
    failure?: FormProblem,
    form?: FormBody,
  ): Promise<void> {
    const values = form ?? {
      key: entry.key,
      classId: entry.classId,
      status: entry.status,
      expiresAt: entry.expiresAt ? entry.expiresAt.toISOString().slice(0, 16) : '',
      organization: entry.organizationId ? ((await this.organizations.find(ctx, entry.organizationId))?.name ?? '') : '',
    };
    const classes = await this.classes.all();
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/key-edit',
      consolePage(req, `Key ${entry.key}`, ENTITLEMENTS, {
        tabs: entitlementTabs(KEYS),
        entry,
        form: values,
        classes: classes.map((c) => ({ ...c, chosen: c.id === values.classId })),
        statuses: VIRTUAL_STATUSES.map((s) => ({ value: s, chosen: s === values.status })),
        organizationNames: await organizationNameChoices(this.organizations, ctx),
        ...formErrors(failure),
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, entry: VirtualEntitlementView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete key ${entry.key}`, ENTITLEMENTS, {
        heading: `Delete key “${entry.key}”?`,
        message: `It stops opening ${entry.className} on ${entry.server} with the next check. Suspending keeps it for later instead.`,
        action: `${keyPath(entry.id)}/delete`,
        confirmLabel: 'Delete key',
        cancelHref: keyPath(entry.id),
        errors: failure?.errors,
      }),
    );
  }

  private async renderImport(
    req: Request,
    res: Response,
    report?: Request['session']['entitlementImport'],
    failure?: FormProblem,
    form: FormBody = {},
  ): Promise<void> {
    const classes = await this.classes.all();
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/import',
      consolePage(req, 'Import virtual keys', ENTITLEMENTS, {
        tabs: entitlementTabs(IMPORT),
        classes: classes.map((c) => ({ ...c, chosen: c.id === text(form, 'defaultClassId') })),
        tenantChoices: await tenantKeyChoices(this.tenants),
        report: report && { ...report, lines: report.lines.map((l) => ({ ...l, error: l.result === 'error' })) },
        errors: failure?.errors,
        form,
      }),
    );
  }
}

/** `datetime-local` gives no zone: the form says UTC, so the value is read as UTC. Empty: never expires. */
function expiryFromForm(value: string): { ok: true; value: Date | null } | { ok: false; problem: FormProblem } {
  if (!value) return { ok: true, value: null };
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? `${value}T00:00:00Z`
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)
      ? `${value}Z`
      : value;
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? fieldProblem(400, 'expiresAt', 'Expires at must be a date and time such as 2030-12-31 23:59.')
    : { ok: true, value: date };
}

/** Only back to the keys list, whatever the form says. */
function backTo(back: string): string {
  const path = safeNext(back, KEYS);
  return path.startsWith(`${KEYS}?`) ? path : KEYS;
}
