import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AppConfig, ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { ExternalLoginSettingsService, ExternalLoginSettingsView, UpdateExternalLoginSettingsDto } from '@portico/external-login';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, checkbox, FormBody, FormProblem, parseForm, text } from './forms';

const PATH = '/console/settings/external-login';
const LABELS = { accessTokenHeader: 'Access-token header', accessToken: 'Access token', allowedIps: 'Allowed addresses' };

/** One address or range per line (commas and spaces work too). */
function addresses(form: FormBody): string[] {
  return text(form, 'allowedIps')
    .split(/[\s,]+/)
    .filter(Boolean);
}

/** Console: Portico as an external login provider for other systems (POST /external-login). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/settings/external-login')
export class ConsoleExternalLoginSettingsController {
  constructor(
    private readonly settings: ExternalLoginSettingsService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.render(req, res, await this.settings.get());
  }

  @Post()
  async save(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const token = typeof form.accessToken === 'string' ? form.accessToken : '';
    const plain = {
      enabled: checkbox(form, 'enabled'),
      accessTokenHeader: text(form, 'accessTokenHeader'),
      accessToken: checkbox(form, 'removeAccessToken') ? null : token || undefined,
      allowedIps: addresses(form),
    };
    const parsed = await parseForm(UpdateExternalLoginSettingsDto, plain, LABELS);
    const saved = parsed.ok ? await attempt(() => this.settings.update(ctx, parsed.value)) : parsed;
    if (!saved.ok) return this.render(req, res, await this.settings.get(), saved.problem, form);
    flash(
      req,
      'success',
      saved.value.enabled ? 'Saved. Portico answers POST /external-login from the next call on.' : 'Saved. POST /external-login is off.',
    );
    res.redirect(303, PATH);
  }

  private render(req: Request, res: Response, current: ExternalLoginSettingsView, failure?: FormProblem, form?: FormBody): void {
    const shown = form
      ? { enabled: checkbox(form, 'enabled'), accessTokenHeader: text(form, 'accessTokenHeader'), allowedIps: addresses(form).join('\n') }
      : { enabled: current.enabled, accessTokenHeader: current.accessTokenHeader, allowedIps: current.allowedIps.join('\n') };
    res.status(failure?.status ?? 200).render(
      'pages/console/external-login/settings',
      consolePage(req, 'Portico as an external login provider', '/console/external-login', {
        current,
        shown,
        endpoint: `${this.config.publicUrl}/external-login`,
        trustProxy: this.config.trustProxy === false ? null : String(this.config.trustProxy),
        unprotected: current.enabled && !current.accessTokenSet && !current.allowedIps.length,
        errors: failure?.errors,
      }),
    );
  }
}
