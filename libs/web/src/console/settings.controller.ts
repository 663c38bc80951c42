import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuthSettingsService, UpdateAuthSettingsDto } from '@portico/auth';
import { ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, checkbox, fieldProblem, FormBody, formErrors, FormProblem, parseForm, text } from './forms';
import { methodsFrom } from './tenant-auth-form';

const PATH = '/console/settings/authentication';
const LABELS = {
  sessionIdleMinutes: 'Idle timeout (minutes)',
  'lockout.maxPasswordFailures': 'Wrong passwords before lockout',
  'lockout.maxAuthenticatorFailures': 'Wrong codes before lockout',
  'lockout.baseWaitSeconds': 'First lockout (seconds)',
  'lockout.maxWaitSeconds': 'Longest lockout (seconds)',
  'passwordPolicy.minLength': 'Minimum password length',
  emailVerification: 'Email verification',
};

const WHOLE_NUMBER = /^-?\d{1,15}$/;
// Each number's form field and its place in the DTO (where its errors are kept).
const NUMBER_FIELDS: [string, keyof typeof LABELS][] = [
  ['sessionIdleMinutes', 'sessionIdleMinutes'],
  ['maxPasswordFailures', 'lockout.maxPasswordFailures'],
  ['maxAuthenticatorFailures', 'lockout.maxAuthenticatorFailures'],
  ['baseWaitSeconds', 'lockout.baseWaitSeconds'],
  ['maxWaitSeconds', 'lockout.maxWaitSeconds'],
  ['passwordMinLength', 'passwordPolicy.minLength'],
];

const int = (form: FormBody, name: string) => {
  const raw = text(form, name);
  return WHOLE_NUMBER.test(raw) ? Number(raw) : raw;
};

/**
 * Text that is no whole number gets its own message: the DTO checks the range first and would
 * answer "abc" with "must not be greater than 1440".
 */
function notWholeNumbers(form: FormBody, refused?: FormProblem): FormProblem | null {
  const wrong = NUMBER_FIELDS.filter(([name]) => text(form, name) !== '' && !WHOLE_NUMBER.test(text(form, name))).map(([, path]) => path);
  if (!wrong.length) return null;
  const fields: Record<string, string[]> = Object.fromEntries(wrong.map((path) => [path, [`${LABELS[path]} must be a whole number.`]]));
  const others = Object.entries(refused?.fields ?? {}).filter(([path]) => !fields[path]);
  return {
    status: 400,
    errors: [...Object.values(fields), ...others.map(([, messages]) => messages)].flat(),
    fields: { ...fields, ...Object.fromEntries(others) },
  };
}

// What the form sent, to show again after a refused save.
function typed(form: FormBody) {
  return {
    methods: methodsFrom(form),
    signupEnabled: checkbox(form, 'signupEnabled'),
    sessionIdleMinutes: text(form, 'sessionIdleMinutes'),
    lockout: {
      maxPasswordFailures: text(form, 'maxPasswordFailures'),
      maxAuthenticatorFailures: text(form, 'maxAuthenticatorFailures'),
      baseWaitSeconds: text(form, 'baseWaitSeconds'),
      maxWaitSeconds: text(form, 'maxWaitSeconds'),
    },
    passwordPolicy: { minLength: text(form, 'passwordMinLength'), disallowCommon: checkbox(form, 'passwordDisallowCommon') },
    requireAuthenticatorForAdmins: checkbox(form, 'requireAuthenticatorForAdmins'),
    emailVerification: text(form, 'emailVerification'),
  };
}

/** Email verification, when the form has it (a form from before it existed leaves it as it is). */
function verificationField(form: FormBody) {
  return form.emailVerification === undefined ? {} : { emailVerification: text(form, 'emailVerification') };
}

/**
 * The password and administrator fields, when the form has them (a form from before they existed
 * leaves them as they are rather than switching the checkboxes off).
 */
function passwordFields(form: FormBody) {
  if (form.passwordMinLength === undefined) return {};
  return {
    passwordPolicy: { minLength: int(form, 'passwordMinLength'), disallowCommon: checkbox(form, 'passwordDisallowCommon') },
    requireAuthenticatorForAdmins: checkbox(form, 'requireAuthenticatorForAdmins'),
  };
}

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
      methods: methodsFrom(form),
      signupEnabled: checkbox(form, 'signupEnabled'),
      sessionIdleMinutes: int(form, 'sessionIdleMinutes'),
      lockout: {
        maxPasswordFailures: int(form, 'maxPasswordFailures'),
        maxAuthenticatorFailures: int(form, 'maxAuthenticatorFailures'),
        baseWaitSeconds: int(form, 'baseWaitSeconds'),
        maxWaitSeconds: int(form, 'maxWaitSeconds'),
      },
      ...passwordFields(form),
      ...verificationField(form),
    };
    const parsed = await parseForm(UpdateAuthSettingsDto, plain, LABELS);
    const wrongFormat = notWholeNumbers(form, parsed.ok ? undefined : parsed.problem);
    const checked = wrongFormat
      ? { ok: false as const, problem: wrongFormat }
      : parsed.ok && plain.lockout.baseWaitSeconds > plain.lockout.maxWaitSeconds
        ? fieldProblem(
            400,
            'lockout.baseWaitSeconds',
            `${LABELS['lockout.baseWaitSeconds']} must not be longer than ${LABELS['lockout.maxWaitSeconds'].toLowerCase()}.`,
          )
        : parsed;
    const saved = checked.ok ? await attempt(() => this.settings.updateGlobal(ctx, checked.value)) : checked;
    if (!saved.ok) return this.render(req, res, saved.problem, form);
    // Saved all the same (an administrator may mean it), but never with a green "saved".
    if (!Object.values(saved.value.methods).some(Boolean))
      flash(
        req,
        'warning',
        'Saved, but every sign-in method is off: from the next request on, nobody can sign in except platform administrators (to the console, with their password) and tenants that choose their own methods.',
      );
    else flash(req, 'success', 'Authentication settings saved. They apply from the next request on.');
    res.redirect(303, PATH);
  }

  private async render(req: Request, res: Response, failure?: FormProblem, form?: FormBody): Promise<void> {
    // After a refused save the form shows what was typed, so one wrong number does not undo the rest.
    const shown = form ? typed(form) : await this.settings.global();
    if (failure) res.status(failure.status);
    // `auth`, not `settings`: Express reserves that local for the app settings, where hbs finds the views.
    res.render('pages/console/settings-authentication', consolePage(req, 'Authentication', PATH, { auth: shown, ...formErrors(failure) }));
  }
}
