import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import {
  DECISION_CODES,
  DecisionCode,
  DecisionLogService,
  EntitlementClassDto,
  EntitlementClassesService,
  EntitlementClassView,
  ServerAccessService,
} from '@portico/entitlements';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, CONSOLE_PAGE_SIZE, filterParam, FormBody, formErrors, FormProblem, offsetParam, pager, parseForm, text } from './forms';

export const ENTITLEMENTS = '/console/entitlements';
const LABELS = { name: 'Class name', server: 'Server', realKey: 'Real key' };
const SERVER_LABELS = { server: 'Server', allowedIps: 'Allowed callers' };
const classPath = (id: string) => `${ENTITLEMENTS}/classes/${id}`;

/** The sub-navigation of the entitlements area. */
export function entitlementTabs(active: string): { href: string; label: string; active: boolean }[] {
  return [
    { href: ENTITLEMENTS, label: 'Classes' },
    { href: `${ENTITLEMENTS}/keys`, label: 'Virtual keys' },
    { href: `${ENTITLEMENTS}/import`, label: 'Import' },
    { href: `${ENTITLEMENTS}/sources`, label: 'Delegation' },
    { href: `${ENTITLEMENTS}/servers`, label: 'Caller allow-lists' },
    { href: `${ENTITLEMENTS}/decisions`, label: 'Decisions' },
  ].map((t) => ({ ...t, active: t.href === active }));
}

/** Console: entitlement classes, the caller allow-list per server and the log of recent decisions. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/entitlements')
export class ConsoleEntitlementsController {
  constructor(
    private readonly classes: EntitlementClassesService,
    private readonly access: ServerAccessService,
    private readonly decisions: DecisionLogService,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(req, res, query);
  }

  @Post('classes')
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(EntitlementClassDto, classFields(form), LABELS);
    const created = parsed.ok ? await attempt(() => this.classes.create(ctx, parsed.value), LABELS) : parsed;
    if (!created.ok) return this.renderList(req, res, {}, created.problem, form);
    flash(
      req,
      'success',
      `Class “${created.value.name}” created on ${created.value.server}. Map customer keys onto it under Virtual keys.`,
    );
    res.redirect(303, ENTITLEMENTS);
  }

  @Get('classes/:id')
  async edit(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderEdit(req, res, await this.classes.get(id));
  }

  @Post('classes/:id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const parsed = await parseForm(EntitlementClassDto, classFields(form), LABELS);
    const updated = parsed.ok ? await attempt(() => this.classes.update(ctx, id, parsed.value), LABELS) : parsed;
    if (!updated.ok) return this.renderEdit(req, res, await this.classes.get(id), updated.problem, form);
    flash(req, 'success', `Class “${updated.value.name}” saved. The next check uses it.`);
    res.redirect(303, classPath(id));
  }

  @Get('classes/:id/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.classes.get(id));
  }

  @Post('classes/:id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const cls = await this.classes.get(id);
    const deleted = await attempt(() => this.classes.delete(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, cls, deleted.problem);
    flash(req, 'success', `Class “${cls.name}” deleted.`);
    res.redirect(303, ENTITLEMENTS);
  }

  @Get('servers')
  async servers(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.renderServers(req, res);
  }

  @Post('servers')
  async saveServer(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const server = text(form, 'server');
    const allowedIps = text(form, 'allowedIps')
      .split(/[\s,]+/)
      .filter(Boolean);
    const saved = await attempt(() => this.access.put(ctx, server, { allowedIps }), SERVER_LABELS);
    if (!saved.ok) return this.renderServers(req, res, saved.problem, form);
    flash(
      req,
      'success',
      saved.value.allowedIps.length
        ? `Only ${saved.value.allowedIps.join(', ')} may now check keys for ${saved.value.server}.`
        : `Anyone may now check keys for ${saved.value.server}.`,
    );
    res.redirect(303, `${ENTITLEMENTS}/servers`);
  }

  @Get('decisions')
  async decisionLog(@Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const code = text(query, 'code');
    const filters = {
      code: (DECISION_CODES as readonly string[]).includes(code) ? (code as DecisionCode) : undefined,
      key: filterParam(query, 'key', 255),
      server: filterParam(query, 'server', 255),
    };
    const page = await this.decisions.list({ ...filters, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.render(
      'pages/console/entitlements/decisions',
      consolePage(req, 'Entitlement decisions', ENTITLEMENTS, {
        tabs: entitlementTabs(`${ENTITLEMENTS}/decisions`),
        page: { ...page, items: page.items.map((d) => ({ ...d, granted: d.code === 'VALID' })) },
        filters,
        codes: DECISION_CODES.map((c) => ({ code: c, selected: c === filters.code })),
        filtered: !!(filters.code || filters.key || filters.server),
        pager: pager(`${ENTITLEMENTS}/decisions`, filters, page),
      }),
    );
  }

  private async renderList(req: Request, res: Response, query: FormBody, failure?: FormProblem, form: FormBody = {}): Promise<void> {
    const search = filterParam(query, 'search');
    const page = await this.classes.list({ search, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    const counts = await this.classes.virtualCounts();
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/classes',
      consolePage(req, 'Entitlements', ENTITLEMENTS, {
        tabs: entitlementTabs(ENTITLEMENTS),
        page: { ...page, items: page.items.map((c) => ({ ...c, virtualCount: counts.get(c.id) ?? 0 })) },
        search,
        pager: pager(ENTITLEMENTS, { search }, page),
        ...formErrors(failure),
        form,
      }),
    );
  }

  private renderEdit(req: Request, res: Response, cls: EntitlementClassView, failure?: FormProblem, form?: FormBody): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/class-edit',
      consolePage(req, `Class ${cls.name}`, ENTITLEMENTS, {
        tabs: entitlementTabs(ENTITLEMENTS),
        cls,
        form: form ?? { name: cls.name, server: cls.server, realKey: cls.realKey },
        ...formErrors(failure),
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, cls: EntitlementClassView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete class ${cls.name}`, ENTITLEMENTS, {
        heading: `Delete class “${cls.name}” on ${cls.server}?`,
        message:
          'Repositories asking for this class get “not found” from the next check on. A class that virtual keys still map onto cannot be deleted.',
        action: `${classPath(cls.id)}/delete`,
        confirmLabel: 'Delete class',
        cancelHref: classPath(cls.id),
        errors: failure?.errors,
      }),
    );
  }

  private async renderServers(req: Request, res: Response, failure?: FormProblem, form?: FormBody): Promise<void> {
    const servers = await this.access.overview();
    const sent = form && text(form, 'server');
    // A refused list's message goes beside the form it came from: that server's card, or "Another server".
    const besideCard = servers.some((s) => s.server === sent);
    const { errors, fieldErrors } = formErrors(failure);
    res.status(failure?.status ?? 200).render(
      'pages/console/entitlements/servers',
      consolePage(req, 'Caller allow-lists', ENTITLEMENTS, {
        tabs: entitlementTabs(`${ENTITLEMENTS}/servers`),
        servers: servers.map((s) => ({
          ...s,
          text: form && sent === s.server ? text(form, 'allowedIps') : s.allowedIps.join('\n'),
          restricted: s.allowedIps.length > 0,
          fieldErrors: sent === s.server ? fieldErrors : {},
        })),
        errors,
        fieldErrors: besideCard ? {} : fieldErrors,
        form: besideCard ? {} : (form ?? {}),
      }),
    );
  }
}

function classFields(form: FormBody): Record<string, unknown> {
  return { name: text(form, 'name'), server: text(form, 'server'), realKey: text(form, 'realKey') };
}
