import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Clock, ConsoleOnly, Ctx, IdParam, NotFoundError, RequestContext } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { CreateWebhookEndpointDto, ReplayDto, UpdateWebhookEndpointDto, WebhookEndpointView, WebhooksService } from '@portico/webhooks';
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
  parseForm,
  tenantKeyChoices,
  text,
} from './forms';
import {
  attemptDetail,
  attemptRow,
  endpointFromCreateForm,
  endpointFromEditForm,
  endpointState,
  eventChoices,
  formValues,
  messageFilters,
  messageRow,
  prettyPayload,
  testOutcome,
  WEBHOOK_LABELS,
} from './webhooks-form';

const AREA = '/console/webhooks';
const endpointPath = (id: string) => `${AREA}/${id}`;
const VERIFY_HINT = 'Receivers verify signatures with it (for example with the standardwebhooks library).';

interface EditExtras {
  problem?: FormProblem;
  form?: FormBody;
  replayProblem?: FormProblem;
}

/** Console: webhook endpoints, their delivery log, resend and replay, secret rotation. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/webhooks')
export class ConsoleWebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly tenants: TenantsService,
    private readonly clock: Clock,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(ctx, req, res, query);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(CreateWebhookEndpointDto, endpointFromCreateForm(form), WEBHOOK_LABELS);
    const created = parsed.ok ? await attempt(() => this.webhooks.createEndpoint(ctx, parsed.value)) : parsed;
    if (!created.ok) return this.renderList(ctx, req, res, {}, created.problem, form);
    // Shown once through the one-time flash, so reloading the page never creates a second endpoint.
    flash(req, 'success', `Endpoint created. ${VERIFY_HINT}`, { label: 'Signing secret', value: created.value.secret });
    res.redirect(303, endpointPath(created.value.id));
  }

  @Get(':id')
  async edit(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Query() query: FormBody,
  ): Promise<void> {
    await this.renderEdit(ctx, req, res, await this.webhooks.getEndpoint(ctx, id), {}, query);
  }

  @Post(':id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const parsed = await parseForm(UpdateWebhookEndpointDto, endpointFromEditForm(form), WEBHOOK_LABELS);
    const updated = parsed.ok ? await attempt(() => this.webhooks.updateEndpoint(ctx, id, parsed.value)) : parsed;
    if (!updated.ok) return this.renderEdit(ctx, req, res, await this.webhooks.getEndpoint(ctx, id), { problem: updated.problem, form });
    flash(req, 'success', 'Endpoint saved.');
    res.redirect(303, endpointPath(id));
  }

  @Post(':id/rotate-secret')
  async rotate(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const rotated = await this.webhooks.rotateSecret(ctx, id, {});
    flash(req, 'success', `New signing secret set; the previous one signs too for 24 hours. ${VERIFY_HINT}`, {
      label: 'New signing secret',
      value: rotated.secret,
    });
    res.redirect(303, endpointPath(id));
  }

  @Post(':id/replay')
  async replay(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const since = text(form, 'since');
    const parsed = await parseForm(ReplayDto, { since: since ? `${since}${since.length === 16 ? ':00Z' : ''}` : '' }, { since: 'Since' });
    const replayed = parsed.ok ? await attempt(() => this.webhooks.replayFailed(ctx, id, parsed.value.since)) : parsed;
    if (!replayed.ok) return this.renderEdit(ctx, req, res, await this.webhooks.getEndpoint(ctx, id), { replayProblem: replayed.problem });
    flash(
      req,
      'success',
      replayed.value.queued ? `${replayed.value.queued} failed message(s) queued again.` : 'No failed message since then.',
    );
    res.redirect(303, endpointPath(id));
  }

  @Post(':id/test')
  async sendTest(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const sent = await attempt(() => this.webhooks.sendTestEvent(ctx, id));
    if (!sent.ok) {
      flash(req, 'error', `No test event sent: ${sent.problem.errors.join(' ')}`);
      return res.redirect(303, endpointPath(id));
    }
    const outcome = testOutcome(sent.value);
    flash(req, outcome.ok ? 'success' : 'error', outcome.message);
    res.redirect(303, `${endpointPath(id)}/messages/${sent.value.id}`);
  }

  @Get(':id/messages/:messageId')
  async message(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('messageId') messageId: string,
  ): Promise<void> {
    const [endpoint, message] = await Promise.all([this.webhooks.getEndpoint(ctx, id), this.webhooks.getMessageDetail(ctx, messageId)]);
    if (message.endpointId !== id) throw new NotFoundError('Webhook message');
    const attempts = await this.webhooks.listAttempts(ctx, id, { messageId, limit: 50 });
    res.render(
      'pages/console/webhooks/message',
      consolePage(req, `Message ${message.id}`, AREA, {
        endpoint,
        message: messageRow(message),
        payload: prettyPayload(message.payload),
        attempts: attempts.items.map(attemptDetail),
        moreAttempts: attempts.total > attempts.items.length ? attempts.total - attempts.items.length : 0,
      }),
    );
  }

  @Post(':id/messages/:messageId/resend')
  async resend(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('messageId') messageId: string,
  ): Promise<void> {
    // The message must be this endpoint's (a 404 otherwise, as for any id the page did not offer).
    const message = await this.webhooks.getMessage(ctx, messageId);
    if (message.endpointId !== id) throw new NotFoundError('Webhook message');
    const resent = await attempt(() => this.webhooks.resend(ctx, messageId));
    flash(
      req,
      resent.ok ? 'success' : 'error',
      resent.ok ? `Message ${messageId} queued to be sent again.` : resent.problem.errors.join(' '),
    );
    res.redirect(303, endpointPath(id));
  }

  @Get(':id/delete')
  async confirmDelete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    this.renderConfirm(req, res, await this.webhooks.getEndpoint(ctx, id));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const endpoint = await this.webhooks.getEndpoint(ctx, id);
    const deleted = await attempt(() => this.webhooks.deleteEndpoint(ctx, id));
    if (!deleted.ok) return this.renderConfirm(req, res, endpoint, deleted.problem);
    flash(req, 'success', `Endpoint ${endpoint.url} deleted with its delivery log.`);
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
    const search = filterParam(query, 'search');
    const page = await this.webhooks.listEndpoints(ctx, { search, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.status(failure?.status ?? 200).render(
      'pages/console/webhooks/list',
      consolePage(req, 'Webhooks', AREA, {
        page: { ...page, items: page.items.map((e) => ({ ...e, state: endpointState(e) })) },
        pager: pager(AREA, { search }, page),
        search,
        errors: failure?.errors,
        form,
        events: eventChoices(form.events),
        tenantChoices: await tenantKeyChoices(this.tenants),
      }),
    );
  }

  private async renderEdit(
    ctx: RequestContext,
    req: Request,
    res: Response,
    endpoint: WebhookEndpointView,
    extra: EditExtras = {},
    query: FormBody = {},
  ): Promise<void> {
    const filters = messageFilters(query);
    const [messages, attempts] = await Promise.all([
      this.webhooks.listMessages(ctx, endpoint.id, { ...filters.selection, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) }),
      this.webhooks.listAttempts(ctx, endpoint.id, { limit: 10 }),
    ]);
    const form = extra.form ?? formValues(endpoint);
    res.status(extra.problem?.status ?? extra.replayProblem?.status ?? 200).render(
      'pages/console/webhooks/edit',
      consolePage(req, `Webhook ${endpoint.url}`, AREA, {
        endpoint,
        state: endpointState(endpoint),
        form,
        events: eventChoices(form.events),
        errors: extra.problem?.errors,
        replayErrors: extra.replayProblem?.errors,
        messages: { ...messages, items: messages.items.map(messageRow) },
        pager: pager(endpointPath(endpoint.id), filters.selection, messages),
        filters,
        attempts: attempts.items.map(attemptRow),
        replaySince: new Date(this.clock.nowMs() - 86_400_000).toISOString().slice(0, 16),
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, endpoint: WebhookEndpointView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, 'Delete webhook endpoint', AREA, {
        heading: `Delete the endpoint ${endpoint.url}?`,
        message: 'Its messages and delivery log are removed with it; pending deliveries are not sent. It cannot be undone.',
        action: `${endpointPath(endpoint.id)}/delete`,
        confirmLabel: 'Delete endpoint',
        cancelHref: endpointPath(endpoint.id),
        errors: failure?.errors,
      }),
    );
  }
}
