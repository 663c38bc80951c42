import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { EntitlementSourceDto, EntitlementSourcesService, EntitlementSourceView } from '@portico/entitlements';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { ENTITLEMENTS, entitlementTabs } from './entitlements.controller';
import { attempt, checkbox, fieldProblem, FormBody, formErrors, FormProblem, optionalText, parseForm, text } from './forms';

const SOURCES = `${ENTITLEMENTS}/sources`;
const sourcePath = (id: string) => `${SOURCES}/${id}`;
const LABELS = { server: 'Server', className: 'Class', url: 'URL', cacheSeconds: 'Cache (seconds)', timeoutMs: 'Timeout (ms)' };

/** Console: delegation of checks to an external service (a CRM), per server and optionally per class. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/entitlements/sources')
export class ConsoleEntitlementSourcesController {
  constructor(private readonly sources: EntitlementSourcesService) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderList(req, res);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const fields = sourceFields(form);
    const parsed = fields.ok ? await parseForm(EntitlementSourceDto, fields.value, LABELS) : fields;
    const created = parsed.ok ? await attempt(() => this.sources.create(ctx, parsed.value), LABELS) : parsed;
    if (!created.ok) return this.renderList(req, res, created.problem, form);
    flash(
      req,
      'success',
      `Checks for ${created.value.server}${created.value.className ? ` (class ${created.value.className})` : ''} are now asked of ${created.value.url}.`,
    );
    res.redirect(303, SOURCES);
  }

  @Get(':id')
  async edit(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderEdit(req, res, await this.sources.get(id));
  }

  @Post(':id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const fields = sourceFields(form);
    const parsed = fields.ok ? await parseForm(EntitlementSourceDto, fields.value, LABELS) : fields;
    const updated = parsed.ok ? await attempt(() => this.sources.update(ctx, id, parsed.value), LABELS) : parsed;
    if (!updated.ok) return this.renderEdit(req, res, await this.sources.get(id), updated.problem, form);
    flash(req, 'success', 'Source saved. Cached answers were dropped: the next check asks it afresh.');
    res.redirect(303, sourcePath(id));
  }

  @Get(':id/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.sources.get(id));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const source = await this.sources.get(id);
    const deleted = await attempt(() => this.sources.delete(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, source, deleted.problem);
    flash(req, 'success', `Checks for ${source.server} are answered from Portico's own virtual keys again.`);
    res.redirect(303, SOURCES);
  }

  private async renderList(req: Request, res: Response, failure?: FormProblem, form: FormBody = {}): Promise<void> {
    const page = await this.sources.list({ limit: 500 });
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/sources',
      consolePage(req, 'Delegation sources', ENTITLEMENTS, {
        tabs: entitlementTabs(SOURCES),
        page,
        ...formErrors(failure),
        form: { cacheSeconds: '60', timeoutMs: '3000', ...form },
      }),
    );
  }

  private renderEdit(req: Request, res: Response, source: EntitlementSourceView, failure?: FormProblem, form?: FormBody): void {
    const values = form ?? {
      server: source.server,
      className: source.className ?? '',
      url: source.url,
      cacheSeconds: String(source.cacheSeconds),
      timeoutMs: String(source.timeoutMs),
      allowPrivateNetwork: source.allowPrivateNetwork ? 'on' : '',
    };
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/source-edit',
      consolePage(req, `Source for ${source.server}`, ENTITLEMENTS, {
        tabs: entitlementTabs(SOURCES),
        source,
        form: values,
        ...formErrors(failure),
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, source: EntitlementSourceView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete source for ${source.server}`, ENTITLEMENTS, {
        heading: `Stop delegating checks for ${source.server}${source.className ? ` (class ${source.className})` : ''}?`,
        message:
          'From the next check on, Portico answers from its own virtual keys for this server. The external service is no longer asked.',
        action: `${sourcePath(source.id)}/delete`,
        confirmLabel: 'Delete source',
        cancelHref: sourcePath(source.id),
        errors: failure?.errors,
      }),
    );
  }
}

function sourceFields(form: FormBody): { ok: true; value: Record<string, unknown> } | { ok: false; problem: FormProblem } {
  const whole = (name: string): number | undefined | null => {
    const raw = text(form, name);
    if (!raw) return undefined;
    return /^\d{1,9}$/.test(raw) ? Number(raw) : null;
  };
  const cacheSeconds = whole('cacheSeconds');
  const timeoutMs = whole('timeoutMs');
  if (cacheSeconds === null) return fieldProblem(400, 'cacheSeconds', 'Cache (seconds) must be a whole number.');
  if (timeoutMs === null) return fieldProblem(400, 'timeoutMs', 'Timeout (ms) must be a whole number.');
  return {
    ok: true,
    value: {
      server: text(form, 'server'),
      className: optionalText(form, 'className') ?? null,
      url: text(form, 'url'),
      cacheSeconds,
      timeoutMs,
      allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
    },
  };
}
