import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthSettingsService, TenantSettingsView, UpdateTenantSettingsDto } from '@portico/auth';
import { BillingApiCheck, BillingService } from '@portico/billing';
import { AppConfig, ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { OidcClientsService } from '@portico/oidc';
import { PortalService } from '@portico/portal';
import { CreateApiKeyDto, CreateTenantDto, TenantsService, UpdateTenantDto } from '@portico/tenants';
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
  Parsed,
  parseForm,
  problem,
  text,
} from './forms';
import { parseTenantAuthForm, tenantAuthSummary, tenantAuthView } from './tenant-auth-form';
import { INTEGRATION_LABELS, integrationsView, parseIntegrationsForm, relabelIntegrationErrors } from './tenant-integrations-form';
import { parseRateLimitForm, RATE_LIMIT_LABELS, rateLimitView } from './tenant-rate-limit-form';
import { tenantTabs } from './tenant-tabs';

const LABELS = { key: 'Key', name: 'Name', label: 'Label' };
const tenantPath = (key: string) => `/console/tenants/${encodeURIComponent(key)}`;

/** What the tenant page shows besides the saved state: a refused form (as typed) or a billing API check. */
interface DetailExtras {
  problem?: FormProblem;
  form?: FormBody;
  authForm?: FormBody;
  rateForm?: FormBody;
  integrationsProblem?: FormProblem;
  integrationsForm?: FormBody;
  billingCheck?: BillingApiCheck;
}

/** Console: partner portals (tenants), their status, API keys and authentication overrides. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/tenants')
export class ConsoleTenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly authSettings: AuthSettingsService,
    private readonly portal: PortalService,
    private readonly oidcClients: OidcClientsService,
    private readonly billing: BillingService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderList(req, res, query);
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(CreateTenantDto, { key: text(form, 'key'), name: text(form, 'name') }, LABELS);
    const created = parsed.ok ? await attempt(() => this.tenants.create(ctx, parsed.value)) : parsed;
    if (!created.ok) return this.renderList(req, res, {}, created.problem, form);
    flash(req, 'success', `Tenant “${created.value.name}” (${created.value.key}) created. Create an API key for its portal below.`);
    res.redirect(303, tenantPath(created.value.key));
  }

  @Get(':key')
  async detail(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    await this.renderDetail(ctx, req, res, key);
  }

  @Post(':key')
  async rename(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const parsed = await parseForm(UpdateTenantDto, { name: text(form, 'name') }, LABELS);
    const updated = parsed.ok ? await attempt(() => this.tenants.update(ctx, key, parsed.value)) : parsed;
    if (!updated.ok) return this.renderDetail(ctx, req, res, key, { problem: updated.problem, form });
    flash(req, 'success', `Tenant renamed to “${updated.value.name}”.`);
    res.redirect(303, tenantPath(key));
  }

  /** Suspending takes the portal's integration down: the first click only asks. */
  @Get(':key/suspend')
  async confirmSuspend(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const tenant = await this.tenants.get(key);
    res.render(
      'pages/console/confirm',
      consolePage(req, `Suspend tenant ${tenant.name}`, '/console/tenants', {
        heading: `Suspend tenant “${tenant.name}”?`,
        message: `Its API keys are refused at once (its portal's calls fail with 403), and its sign-in and sign-up pages, /t/${tenant.key}/login and /t/${tenant.key}/signup, answer 404 “not found”: its users cannot sign in. Nothing is deleted; reactivating the tenant restores everything.`,
        action: `${tenantPath(tenant.key)}/status`,
        fields: [{ name: 'status', value: 'suspended' }],
        confirmLabel: 'Suspend tenant',
        cancelHref: tenantPath(tenant.key),
      }),
    );
  }

  @Post(':key/status')
  async setStatus(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const parsed = await parseForm(UpdateTenantDto, { status: text(form, 'status') }, { status: 'Status' });
    const updated = parsed.ok ? await attempt(() => this.tenants.update(ctx, key, parsed.value)) : parsed;
    if (!updated.ok) return this.renderDetail(ctx, req, res, key, { problem: updated.problem });
    const suspended = updated.value.status === 'suspended';
    flash(
      req,
      'success',
      suspended
        ? 'Tenant suspended: its API keys are refused and its sign-in and sign-up pages answer “not found” until it is reactivated.'
        : 'Tenant reactivated: its API keys and its sign-in pages work again.',
    );
    res.redirect(303, tenantPath(key));
  }

  /** The tenant's overrides of Global Configuration › Authentication ("inherit" stores null). */
  @Post(':key/settings')
  async saveAuthSettings(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const saved = await this.saveSettings(ctx, key, parseTenantAuthForm(form));
    if (!saved.ok) return this.renderDetail(ctx, req, res, key, { problem: saved.problem, authForm: form });
    // Saved all the same (an administrator may mean it), but never with a green "saved".
    const nobody = !Object.values(saved.value.effective.methods).some(Boolean);
    flash(
      req,
      nobody ? 'warning' : 'success',
      `${nobody ? 'Saved, but nobody in this tenant can sign in now.' : 'Authentication settings saved.'} ${tenantAuthSummary(saved.value)}`,
    );
    res.redirect(303, tenantPath(key));
  }

  /** The tenant's own API rate limit, or the global default (null). */
  @Post(':key/rate-limit')
  async saveRateLimit(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const saved = await this.saveSettings(ctx, key, parseRateLimitForm(form), RATE_LIMIT_LABELS);
    if (!saved.ok) return this.renderDetail(ctx, req, res, key, { problem: saved.problem, rateForm: form });
    const limit = saved.value.rateLimit ?? this.config.rateLimits.api;
    const rate = limit.perSecond ? `${limit.perSecond} calls a second and ${limit.burst} more in any 10 seconds` : 'no limit';
    flash(
      req,
      'success',
      `API rate limit saved: ${rate}${saved.value.rateLimit ? '' : ' (the global default)'}. It applies within seconds.`,
    );
    res.redirect(303, tenantPath(key));
  }

  /** Billing API, portal origins allowed to frame Portico, data-sharing URL (the password field is write-only). */
  @Post(':key/integrations')
  async saveIntegrations(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const saved = await this.saveSettings(ctx, key, parseIntegrationsForm(form), INTEGRATION_LABELS);
    if (!saved.ok)
      return this.renderDetail(ctx, req, res, key, {
        integrationsProblem: relabelIntegrationErrors(saved.problem),
        integrationsForm: form,
      });
    const { billingApi, embedOrigins } = saved.value;
    const billing = billingApi ? `bills go to ${billingApi.url}/account/bills` : 'its organizations are billed directly in Portico';
    const framing = embedOrigins.length ? `${embedOrigins.length} portal origin(s) may frame its pages` : 'no portal may frame its pages';
    flash(req, 'success', `Integrations saved: ${billing}; ${framing}.`);
    res.redirect(303, `${tenantPath(key)}#integrations`);
  }

  /** Checks the saved billing API without billing anything (see BillingService.checkTenantBillingApi). */
  @Post(':key/billing-api/test')
  async testBillingApi(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const checked = await attempt(() => this.billing.checkTenantBillingApi(ctx, key));
    if (!checked.ok) return this.renderDetail(ctx, req, res, key, { integrationsProblem: checked.problem });
    await this.renderDetail(ctx, req, res, key, { billingCheck: checked.value });
  }

  @Post(':key/api-keys')
  async createApiKey(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const parsed = await parseForm(CreateApiKeyDto, { label: optionalText(form, 'label') }, LABELS);
    const created = parsed.ok ? await attempt(() => this.tenants.createApiKey(ctx, key, parsed.value)) : parsed;
    if (!created.ok) return this.renderDetail(ctx, req, res, key, { problem: created.problem, form });
    flash(
      req,
      'success',
      `API key ${created.value.keyId} created. The portal signs in with HTTP Basic: the key id as user name, the secret as password.`,
      {
        label: `Secret for ${created.value.keyId}`,
        value: created.value.secret,
      },
    );
    res.redirect(303, tenantPath(key));
  }

  @Get(':key/api-keys/:keyId/revoke')
  async confirmRevoke(@Req() req: Request, @Res() res: Response, @Param('key') key: string, @Param('keyId') keyId: string): Promise<void> {
    const tenant = await this.tenants.get(key);
    const apiKey = await this.tenants.getApiKey(key, keyId);
    res.render(
      'pages/console/confirm',
      consolePage(req, `Revoke API key ${apiKey.keyId}`, '/console/tenants', {
        heading: `Revoke API key ${apiKey.keyId}${apiKey.label ? ` (“${apiKey.label}”)` : ''}?`,
        message: `It stops working at once: every call ${tenant.name}'s portal makes with it is refused with 401. Make sure the portal already uses another key. A revoked key cannot be restored.`,
        action: `${tenantPath(tenant.key)}/api-keys/${encodeURIComponent(apiKey.keyId)}/revoke`,
        confirmLabel: 'Revoke API key',
        cancelHref: tenantPath(tenant.key),
      }),
    );
  }

  @Post(':key/api-keys/:keyId/revoke')
  async revokeApiKey(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Param('keyId') keyId: string,
  ): Promise<void> {
    const revoked = await attempt(() => this.tenants.revokeApiKey(ctx, key, keyId));
    if (!revoked.ok) return this.renderDetail(ctx, req, res, key, { problem: revoked.problem });
    flash(req, 'success', `API key ${keyId} revoked: it stops working at once.`);
    res.redirect(303, tenantPath(key));
  }

  @Get(':key/autologin-secret')
  async confirmReplaceSecret(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const tenant = await this.tenants.get(key);
    res.render(
      'pages/console/confirm',
      consolePage(req, `Replace the autologin secret of ${tenant.name}`, '/console/tenants', {
        heading: `Replace the autologin secret of “${tenant.name}”?`,
        message:
          'A new secret is shown once. The current one stops working at once: the portal’s autologin calls are refused with 401 until it is given the new secret.',
        action: `${tenantPath(tenant.key)}/autologin-secret`,
        confirmLabel: 'Replace the secret',
        cancelHref: `${tenantPath(tenant.key)}#autologin`,
      }),
    );
  }

  @Post(':key/autologin-secret')
  async rotateAutologinSecret(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
  ): Promise<void> {
    const rotated = await attempt(() => this.portal.rotateAutologinSecret(ctx, key));
    if (!rotated.ok) return this.renderDetail(ctx, req, res, key, { problem: rotated.problem });
    flash(req, 'success', 'New autologin secret set; the previous one, if any, stopped working. Give it to the portal now.', {
      label: 'Autologin secret',
      value: rotated.value.secret,
    });
    res.redirect(303, tenantPath(key));
  }

  @Get(':key/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const tenant = await this.tenants.get(key);
    this.renderConfirm(req, res, tenant);
  }

  @Post(':key/delete')
  async delete(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const tenant = await this.tenants.get(key);
    const deleted =
      text(form, 'confirm') === tenant.key
        ? await attempt(() => this.tenants.delete(ctx, key))
        : problem(400, `Type the tenant key “${tenant.key}” to confirm.`);
    if (!deleted.ok) return this.renderConfirm(req, res, tenant, deleted.problem);
    flash(req, 'success', `Tenant “${tenant.name}” (${tenant.key}) deleted, with everything it owned.`);
    res.redirect(303, '/console/tenants');
  }

  /** One section of the tenant's settings: its form's values, checked as the settings API checks them, then saved. */
  private async saveSettings(
    ctx: RequestContext,
    key: string,
    chosen: Parsed<object>,
    labels?: Record<string, string>,
  ): Promise<Parsed<TenantSettingsView>> {
    const parsed = chosen.ok ? await parseForm(UpdateTenantSettingsDto, { ...chosen.value }, labels) : chosen;
    return parsed.ok ? attempt(() => this.authSettings.updateTenant(ctx, key, parsed.value)) : parsed;
  }

  private async renderList(req: Request, res: Response, query: FormBody, failure?: FormProblem, form: FormBody = {}): Promise<void> {
    const search = filterParam(query, 'search');
    const page = await this.tenants.list({ search, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.status(failure?.status ?? 200).render(
      'pages/console/tenants/list',
      consolePage(req, 'Tenants', '/console/tenants', {
        page,
        search,
        pager: pager('/console/tenants', { search }, page),
        errors: failure?.errors,
        form,
      }),
    );
  }

  private async renderDetail(ctx: RequestContext, req: Request, res: Response, key: string, extra: DetailExtras = {}): Promise<void> {
    const tenant = await this.tenants.get(key);
    const apiKeys = await this.tenants.listApiKeys(key, { limit: 500 });
    const autologinSetAt = await this.portal.autologinSecretRotatedAt(tenant.id);
    const applications = await this.oidcClients.list(ctx, { limit: 500 }, { tenantKey: tenant.key });
    const settings = await this.authSettings.forTenant(key);
    const auth = tenantAuthView(settings, await this.authSettings.global(), extra.authForm);
    const rateLimit = rateLimitView(settings, this.config.rateLimits.api, extra.rateForm);
    const status = extra.problem?.status ?? extra.integrationsProblem?.status ?? (extra.billingCheck?.ok === false ? 400 : 200);
    res.status(status).render(
      'pages/console/tenants/detail',
      consolePage(req, `Tenant ${tenant.name}`, '/console/tenants', {
        tenant,
        tabs: tenantTabs(tenant.key, 'overview'),
        autologinSetAt,
        suspended: tenant.status === 'suspended',
        apiKeys: apiKeys.items,
        apiKeysHidden: apiKeys.total - apiKeys.items.length,
        applications: applications.items,
        applicationsHidden: applications.total - applications.items.length,
        auth,
        rateLimit,
        integrations: integrationsView(settings, extra.integrationsForm),
        integrationErrors: extra.integrationsProblem?.errors,
        billingCheck: extra.billingCheck,
        errors: extra.problem?.errors,
        form: { name: tenant.name, ...extra.form },
      }),
    );
  }

  private renderConfirm(req: Request, res: Response, tenant: { key: string; name: string }, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      consolePage(req, `Delete tenant ${tenant.name}`, '/console/tenants', {
        heading: `Delete tenant “${tenant.name}”?`,
        message:
          'This deletes the tenant with its API keys, organizations, users and settings. Partner portals using its keys stop working at once. It cannot be undone.',
        action: `${tenantPath(tenant.key)}/delete`,
        confirmLabel: 'Delete tenant permanently',
        cancelHref: tenantPath(tenant.key),
        typeToConfirm: tenant.key,
        errors: failure?.errors,
      }),
    );
  }
}
