import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthSettingsService } from '@portico/auth';
import { Clock, ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import {
  CLIENT_AUTH_METHODS,
  PutTenantOidcDto,
  rememberOidcSignIn,
  takeOidcTestResult,
  TenantOidcService,
  TenantOidcView,
} from '@portico/sso';
import { TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, checkbox, FormBody, FormProblem, parseForm, problem, text } from './forms';
import { tenantTabs } from './tenant-tabs';
import { turnOffConfirmation } from './turn-off-confirmation';

const oidcPath = (key: string) => `/console/tenants/${encodeURIComponent(key)}/oidc`;

const LABELS = {
  displayName: 'Button name',
  issuer: 'Issuer',
  clientId: 'Client ID',
  clientSecret: 'Client secret',
  scopes: 'Scopes',
  tokenEndpointAuthMethod: 'Client authentication',
  defaultOrganizationId: 'Default organization',
  'claimMapping.email': 'Email claim',
  'claimMapping.firstName': 'First-name claim',
  'claimMapping.lastName': 'Last-name claim',
  'claimMapping.groupUid': 'Group-uid claim',
  'claimMapping.groupName': 'Group-name claim',
  'claimMapping.groupRole': 'Group-role claim',
};
const MAPPING_FIELDS = ['email', 'firstName', 'lastName', 'groupUid', 'groupName', 'groupRole'] as const;

const USER_ACTIONS: Record<string, string> = {
  linked: 'sign in the user already linked to this subject',
  'link-by-email': 'link this subject to the existing user with the same verified email',
  create: 'create the user',
  refuse: 'refuse the sign-in',
};
const REFUSALS: Record<string, string> = {
  'email-unverified': 'a user with this email exists, but the provider does not say the address is verified (email_verified is not true)',
  'no-account': 'no user is linked or has this email, and just-in-time provisioning is off',
  'no-email': 'the provider sent no usable email, so no user can be created',
};

/** Console: a tenant's OpenID Connect tab (the provider, what to register there, claim mapping, test sign-in). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/tenants/:key/oidc')
export class ConsoleTenantOidcController {
  constructor(
    private readonly oidc: TenantOidcService,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly authSettings: AuthSettingsService,
    private readonly clock: Clock,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    await this.render(req, res, key);
  }

  @Post()
  async save(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const secret = typeof form.clientSecret === 'string' ? form.clientSecret.trim() : '';
    const plain = {
      displayName: text(form, 'displayName') || null,
      issuer: text(form, 'issuer') || null,
      clientId: text(form, 'clientId') || null,
      // Left empty, the stored secret stays; "remove" clears it.
      clientSecret: checkbox(form, 'removeClientSecret') ? null : secret || undefined,
      tokenEndpointAuthMethod: text(form, 'tokenEndpointAuthMethod') || undefined,
      scopes: text(form, 'scopes').replace(/\s+/g, ' '),
      allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
      enabled: checkbox(form, 'enabled'),
      jitProvisioning: checkbox(form, 'jitProvisioning'),
      defaultOrganizationId: text(form, 'defaultOrganizationId') || null,
      claimMapping: Object.fromEntries(MAPPING_FIELDS.map((f) => [f, text(form, `map_${f}`)])),
    };
    const parsed = await parseForm(PutTenantOidcDto, plain, LABELS);
    if (parsed.ok && (await this.askBeforeTurningOff(req, res, key, form))) return;
    const saved = parsed.ok ? await attempt(() => this.oidc.put(ctx, key, parsed.value)) : parsed;
    if (!saved.ok) return this.render(req, res, key, { problem: saved.problem, form });
    flash(
      req,
      'success',
      saved.value.enabled
        ? `OpenID Connect settings saved. "Sign in with ${saved.value.buttonName}" is on.`
        : 'OpenID Connect settings saved. Sign-in through the provider is off.',
    );
    res.redirect(303, oidcPath(key));
  }

  private async askBeforeTurningOff(req: Request, res: Response, key: string, form: FormBody): Promise<boolean> {
    const [tenant, current] = await Promise.all([this.tenants.get(key), this.oidc.get(key)]);
    const question = turnOffConfirmation({
      wasOn: current.enabled,
      form,
      heading: `Turn off OpenID Connect sign-in for “${tenant.name}”?`,
      message: `From the next request on, the “Sign in with ${current.buttonName}” button leaves this tenant's sign-in page and its users can no longer sign in through the provider. Users with a Portico password or another method keep signing in that way. The other settings in the form are saved as well.`,
      confirmLabel: 'Turn off OpenID Connect sign-in',
      action: oidcPath(key),
      cancelHref: oidcPath(key),
      secrets: ['clientSecret'],
    });
    if (!question) return false;
    res
      .status(200)
      .render('pages/console/confirm', consolePage(req, `Turn off OpenID Connect · ${tenant.name}`, '/console/tenants', question));
    return true;
  }

  /** Starts a test sign-in (the page opens it in a new window): checked like a real one, shown, nothing created. */
  @Post('test')
  async test(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const started = await this.oidc.startTest(key);
    if (started.kind === 'refused') return this.render(req, res, key, { testProblem: problem(400, started.message).problem });
    rememberOidcSignIn(req.session, started.pending, this.clock.nowMs());
    // A form's redirect chain is held to the page's form-action 'self', which would block the hop to
    // the provider: a browser starts a new navigation from a Refresh instead (as the OIDC provider's pages do).
    if (req.get('sec-fetch-mode') !== 'navigate') return res.redirect(303, started.url);
    // Stored before the page goes out: the Refresh may come back from the provider at once.
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err as Error) : resolve())));
    res.setHeader('Refresh', `0;url=${started.url}`);
    res.render(
      'pages/console/tenants/oidc-continue',
      consolePage(req, 'Opening the identity provider', '/console/tenants', { url: started.url }),
    );
  }

  @Get('test/:resultId')
  async testResult(
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Param('resultId') resultId: string,
  ): Promise<void> {
    const tenant = await this.tenants.get(key);
    const result = takeOidcTestResult(req.session, resultId, tenant.id);
    res.status(result ? 200 : 404).render(
      'pages/console/tenants/oidc-test',
      consolePage(req, `OpenID Connect test sign-in · ${tenant.name}`, '/console/tenants', {
        tenant,
        tabs: tenantTabs(tenant.key, 'oidc'),
        result,
        userAction: result ? USER_ACTIONS[result.preview.user] : null,
        refusal: result?.preview.refusal ? (REFUSALS[result.preview.refusal] ?? result.preview.refusal) : null,
        claims: result
          ? Object.entries(result.claims).map(([name, value]) => ({
              name,
              value: typeof value === 'string' ? value : JSON.stringify(value),
            }))
          : [],
      }),
    );
  }

  private async render(
    req: Request,
    res: Response,
    key: string,
    extra: { problem?: FormProblem; form?: FormBody; testProblem?: FormProblem } = {},
  ): Promise<void> {
    const tenant = await this.tenants.get(key);
    const view = await this.oidc.get(key);
    const effective = await this.authSettings.effective(tenant.id);
    const orgs = await this.organizations.list(RequestContext.system('console'), { tenantKey: tenant.key, limit: 500 });
    const status = extra.problem?.status ?? extra.testProblem?.status ?? 200;
    const form = extra.form ? formFromPost(extra.form) : formFromView(view);
    res.status(status).render(
      'pages/console/tenants/oidc',
      consolePage(req, `OpenID Connect · ${tenant.name}`, '/console/tenants', {
        tenant,
        tabs: tenantTabs(tenant.key, 'oidc'),
        oidc: view,
        methodOn: effective.methods.oidc,
        organizations: orgs.items.map((o) => ({ id: o.id, name: o.name, selected: o.id === form.defaultOrganizationId })),
        authMethods: CLIENT_AUTH_METHODS.map((m) => ({ value: m, selected: m === form.tokenEndpointAuthMethod })),
        form,
        errors: extra.problem?.errors,
        testErrors: extra.testProblem?.errors,
      }),
    );
  }
}

function formFromView(v: TenantOidcView): Record<string, unknown> {
  return {
    displayName: v.displayName ?? '',
    issuer: v.issuer ?? '',
    clientId: v.clientId ?? '',
    tokenEndpointAuthMethod: v.tokenEndpointAuthMethod,
    scopes: v.scopes,
    allowPrivateNetwork: v.allowPrivateNetwork,
    enabled: v.enabled,
    jitProvisioning: v.jitProvisioning,
    defaultOrganizationId: v.defaultOrganizationId ?? '',
    map: v.claimMapping,
  };
}

function formFromPost(f: FormBody): Record<string, unknown> {
  return {
    displayName: text(f, 'displayName'),
    issuer: text(f, 'issuer'),
    clientId: text(f, 'clientId'),
    tokenEndpointAuthMethod: text(f, 'tokenEndpointAuthMethod'),
    scopes: text(f, 'scopes'),
    allowPrivateNetwork: checkbox(f, 'allowPrivateNetwork'),
    enabled: checkbox(f, 'enabled'),
    jitProvisioning: checkbox(f, 'jitProvisioning'),
    defaultOrganizationId: text(f, 'defaultOrganizationId'),
    map: Object.fromEntries(MAPPING_FIELDS.map((k) => [k, text(f, `map_${k}`)])),
  };
}
