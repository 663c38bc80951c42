import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthSettingsService, UpdateAuthSettingsDto } from '@portico/auth';
import { ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, checkbox, FormBody, FormProblem, parseForm, text } from './forms';

const PATH = '/console/settings/authentication';
const LABELS = {
  sessionIdleMinutes: 'Idle timeout (minutes)',
  'lockout.maxPasswordFailures': 'Wrong passwords before lockout',
  'lockout.maxAuthenticatorFailures': 'Wrong codes before lockout',
  'lockout.baseWaitSeconds': 'First lockout (seconds)',
  'lockout.maxWaitSeconds': 'Longest lockout (seconds)',
};

const int = (form: FormBody, name: string) => {
  const raw = text(form, name);
  return /^-?\d{1,9}$/.test(raw) ? Number(raw) : raw;
};

/** Console: Global Configuration › Authentication. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/settings/authentication')
export class ConsoleSettingsController {
  constructor(private readonly settings: AuthSettingsService) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.render(req, res);
  }

  @Post()
  async save(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const plain = {
      methods: { password: checkbox(form, 'password'), saml: checkbox(form, 'saml'), ldap: checkbox(form, 'ldap'), external: checkbox(form, 'external') },
      signupEnabled: checkbox(form, 'signupEnabled'),
      sessionIdleMinutes: int(form, 'sessionIdleMinutes'),
      lockout: {
        maxPasswordFailures: int(form, 'maxPasswordFailures'),
        maxAuthenticatorFailures: int(form, 'maxAuthenticatorFailures'),
        baseWaitSeconds: int(form, 'baseWaitSeconds'),
        maxWaitSeconds: int(form, 'maxWaitSeconds'),
      },
    };
    const parsed = await parseForm(UpdateAuthSettingsDto, plain, LABELS);
    const saved = parsed.ok ? await attempt(() => this.settings.updateGlobal(ctx, parsed.value)) : parsed;
    if (!saved.ok) return this.render(req, res, saved.problem, form);
    flash(req, 'success', 'Authentication settings saved. They apply from the next request on.');
    res.redirect(303, PATH);
  }

  private async render(req: Request, res: Response, problem?: FormProblem, form?: FormBody): Promise<void> {
    const current = await this.settings.global();
    if (problem) res.status(problem.status);
    res.render(
      'pages/console/settings-authentication',
      consolePage(req, 'Authentication', PATH, { settings: current, errors: problem?.errors, values: form ?? null }),
    );
  }
}
