import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthSettingsService } from '@portico/auth';
import { ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { ImportIdpMetadataDto, NAME_ID_FORMATS, PutSamlConnectionDto, SamlConnectionView, SamlService } from '@portico/sso';
import { TenantsService } from '@portico/tenants';
import type { Request, Response } from 'express';
import { allowFormTarget } from '../security-headers';
import { consolePage, flash } from './console-page';
import { attempt, checkbox, FormBody, FormProblem, optionalText, parseForm, problem, text } from './forms';
import { tenantTabs } from './tenant-tabs';
import { turnOffConfirmation } from './turn-off-confirmation';

const samlPath = (key: string) => `/console/tenants/${encodeURIComponent(key)}/saml`;

const LABELS = {
  idpEntityId: 'IdP entity ID',
  idpSsoUrl: 'IdP sign-in URL',
  idpCertificates: 'IdP certificates',
  clockSkewSeconds: 'Clock skew',
  defaultOrganizationId: 'Default organization',
  'attributeMapping.email': 'Email attribute',
  'attributeMapping.firstName': 'First-name attribute',
  'attributeMapping.lastName': 'Last-name attribute',
  'attributeMapping.groupUid': 'Group-uid attribute',
  'attributeMapping.groupName': 'Group-name attribute',
  'attributeMapping.groupRole': 'Group-role attribute',
  xml: 'Metadata XML',
  url: 'Metadata URL',
};
const MAPPING_FIELDS = ['email', 'firstName', 'lastName', 'groupUid', 'groupName', 'groupRole'] as const;

/** Splits pasted PEM text into certificates (anything else left over is kept, so validation names it). */
function certificatesFrom(raw: string): string[] {
  const blocks = raw.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const rest = raw.replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, '').trim();
  return rest ? [...blocks, rest] : blocks;
}

/** Console: a tenant's SAML tab (configuration, what to hand the IdP, SP certificate rotation, test login). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/tenants/:key/saml')
export class ConsoleTenantSamlController {
  constructor(
    private readonly saml: SamlService,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly authSettings: AuthSettingsService,
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
    const skew = text(form, 'clockSkewSeconds');
    const plain = {
      enabled: checkbox(form, 'enabled'),
      idpEntityId: text(form, 'idpEntityId') || null,
      idpSsoUrl: text(form, 'idpSsoUrl') || null,
      idpCertificates: certificatesFrom(text(form, 'idpCertificates')),
      jitProvisioning: checkbox(form, 'jitProvisioning'),
      allowIdpInitiated: checkbox(form, 'allowIdpInitiated'),
      defaultOrganizationId: text(form, 'defaultOrganizationId') || null,
      clockSkewSeconds: /^\d{1,6}$/.test(skew) ? Number(skew) : skew,
      nameIdFormat: optionalText(form, 'nameIdFormat'),
      attributeMapping: Object.fromEntries(MAPPING_FIELDS.map((f) => [f, text(form, `map_${f}`)])),
    };
    const parsed = await parseForm(PutSamlConnectionDto, plain, LABELS);
    if (parsed.ok && (await this.askBeforeTurningOff(req, res, key, form))) return;
    const saved = parsed.ok ? await attempt(() => this.saml.put(ctx, key, parsed.value)) : parsed;
    if (!saved.ok) return this.render(req, res, key, { problem: saved.problem, form });
    flash(
      req,
      'success',
      saved.value.enabled ? 'SAML settings saved. Sign-in through the IdP is on.' : 'SAML settings saved. Sign-in through the IdP is off.',
    );
    res.redirect(303, samlPath(key));
  }

  private async askBeforeTurningOff(req: Request, res: Response, key: string, form: FormBody): Promise<boolean> {
    const [tenant, current] = await Promise.all([this.tenants.get(key), this.saml.get(key)]);
    const question = turnOffConfirmation({
      wasOn: current.enabled,
      form,
      heading: `Turn off SAML sign-in for “${tenant.name}”?`,
      message: `From the next request on, this tenant's users can no longer sign in through the IdP (${current.idpEntityId ?? 'SAML'}), from its sign-in page or from the IdP's own portal. Users with a Portico password or another method keep signing in that way. The other settings in the form are saved as well.`,
      confirmLabel: 'Turn off SAML sign-in',
      action: samlPath(key),
      cancelHref: samlPath(key),
    });
    if (!question) return false;
    res.status(200).render('pages/console/confirm', consolePage(req, `Turn off SAML · ${tenant.name}`, '/console/tenants', question));
    return true;
  }

  @Post('import')
  async import(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const xml = typeof form.xml === 'string' ? form.xml.trim() : '';
    const url = text(form, 'url');
    const parsed = await parseForm(
      ImportIdpMetadataDto,
      { xml: xml || undefined, url: url || undefined, allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork') },
      LABELS,
    );
    const done = parsed.ok ? await attempt(() => this.saml.importMetadata(ctx, key, parsed.value)) : parsed;
    if (!done.ok)
      return this.render(req, res, key, {
        importProblem: done.problem,
        importForm: { url, allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork') },
      });
    flash(
      req,
      'success',
      `IdP metadata imported: ${done.value.idpEntityId}, ${done.value.idpCertificates.length} certificate(s). Check the settings below, then enable sign-in.`,
    );
    res.redirect(303, samlPath(key));
  }

  @Get('rotate')
  async confirmRotate(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const tenant = await this.tenants.get(key);
    res.render(
      'pages/console/confirm',
      consolePage(req, `Rotate the SP certificate · ${tenant.name}`, '/console/tenants', {
        heading: `Rotate the SAML SP certificate of “${tenant.name}”?`,
        message:
          'A new key signs every AuthnRequest from this moment. An IdP that checks request signatures refuses sign-ins until it has the new certificate: give it the new one, or point it at the metadata URL, which lists both. The tenant’s users cannot sign in through SAML at such an IdP until then.',
        action: `${samlPath(tenant.key)}/rotate`,
        confirmLabel: 'Rotate SP certificate',
        cancelHref: samlPath(tenant.key),
      }),
    );
  }

  @Post('rotate')
  async rotate(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const done = await attempt(() => this.saml.rotateSpCertificate(ctx, key));
    if (!done.ok) return this.render(req, res, key, { problem: done.problem });
    flash(
      req,
      'success',
      `New SP certificate ${done.value.spCertificateDetails.fingerprintSha256}. Give it to the IdP now: AuthnRequests are signed with the new key from this moment.`,
    );
    res.redirect(303, samlPath(key));
  }

  @Get('sp-certificate.pem')
  async certificate(@Res() res: Response, @Param('key') key: string): Promise<void> {
    const view = await this.saml.get(key);
    res.type('application/x-pem-file').attachment(`portico-sp-${view.tenantKey}.pem`).send(view.spCertificate);
  }

  /** Starts a test login: the IdP's answer is checked like a real one, shown here, and creates nothing. */
  @Post('test')
  async test(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    const started = await this.saml.startTest(key);
    if (started.kind === 'refused') return this.render(req, res, key, { testProblem: problem(400, started.message).problem });
    res.redirect(303, started.url);
  }

  @Get('test/:resultId')
  async testResult(
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Param('resultId') resultId: string,
  ): Promise<void> {
    const tenant = await this.tenants.get(key);
    const result = await this.saml.testResult(key, resultId);
    res.status(result ? 200 : 404).render(
      'pages/console/tenants/saml-test',
      consolePage(req, `SAML test login · ${tenant.name}`, '/console/tenants', {
        tenant,
        tabs: tenantTabs(tenant.key, 'saml'),
        result,
        attributes: result ? Object.entries(result.attributes).map(([name, values]) => ({ name, values: values.join(', ') })) : [],
      }),
    );
  }

  private async render(
    req: Request,
    res: Response,
    key: string,
    extra: { problem?: FormProblem; form?: FormBody; importProblem?: FormProblem; importForm?: FormBody; testProblem?: FormProblem } = {},
  ): Promise<void> {
    const tenant = await this.tenants.get(key);
    const view = await this.saml.get(key);
    const effective = await this.authSettings.effective(tenant.id);
    const orgs = await this.organizations.list(RequestContext.system('console'), { tenantKey: tenant.key, limit: 500 });
    const status = extra.problem?.status ?? extra.importProblem?.status ?? extra.testProblem?.status ?? 200;
    const form = extra.form ? formFromPost(extra.form) : formFromView(view);
    // "Start a test login" is answered by a redirect to the IdP, which the page's form-action must allow.
    if (view.idpSsoUrl) allowFormTarget(res, view.idpSsoUrl);
    res.status(status).render(
      'pages/console/tenants/saml',
      consolePage(req, `SAML · ${tenant.name}`, '/console/tenants', {
        tenant,
        tabs: tenantTabs(tenant.key, 'saml'),
        saml: view,
        methodOn: effective.methods.saml,
        expiring: view.idpCertificateDetails.filter((c) => c.expiresSoon),
        spExpiring: view.spCertificateDetails.expiresSoon,
        organizations: orgs.items.map((o) => ({ id: o.id, name: o.name, selected: o.id === form.defaultOrganizationId })),
        nameIdFormats: NAME_ID_FORMATS.map((f) => ({ value: f, selected: f === form.nameIdFormat })),
        form,
        errors: extra.problem?.errors,
        importErrors: extra.importProblem?.errors,
        importForm: extra.importForm ?? {},
        testErrors: extra.testProblem?.errors,
      }),
    );
  }
}

function formFromView(v: SamlConnectionView): Record<string, unknown> {
  return {
    enabled: v.enabled,
    idpEntityId: v.idpEntityId ?? '',
    idpSsoUrl: v.idpSsoUrl ?? '',
    idpCertificates: v.idpCertificates.join(''),
    jitProvisioning: v.jitProvisioning,
    allowIdpInitiated: v.allowIdpInitiated,
    defaultOrganizationId: v.defaultOrganizationId ?? '',
    clockSkewSeconds: String(v.clockSkewSeconds),
    nameIdFormat: v.nameIdFormat,
    map: v.attributeMapping,
  };
}

function formFromPost(f: FormBody): Record<string, unknown> {
  return {
    enabled: checkbox(f, 'enabled'),
    idpEntityId: text(f, 'idpEntityId'),
    idpSsoUrl: text(f, 'idpSsoUrl'),
    idpCertificates: text(f, 'idpCertificates'),
    jitProvisioning: checkbox(f, 'jitProvisioning'),
    allowIdpInitiated: checkbox(f, 'allowIdpInitiated'),
    defaultOrganizationId: text(f, 'defaultOrganizationId'),
    clockSkewSeconds: text(f, 'clockSkewSeconds'),
    nameIdFormat: text(f, 'nameIdFormat'),
    map: Object.fromEntries(MAPPING_FIELDS.map((k) => [k, text(f, `map_${k}`)])),
  };
}
