import { Injectable } from '@nestjs/common';
import { AuthSettingsService } from '@portico/auth';
import { NotFoundError, RequestContext } from '@portico/core';
import {
  CreateLdapDirectoryDto,
  LdapDirectoryView,
  LdapService,
  LdapTestResultView,
  TestLdapDirectoryDto,
  UpdateLdapDirectoryDto,
} from '@portico/sso';
import { TenantsService, TenantView } from '@portico/tenants';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, FormBody, formErrors, FormProblem, parseForm, problem, text } from './forms';
import {
  directoryFormValues,
  directoryFromCreateForm,
  directoryFromEditForm,
  LDAP_LABELS,
  newDirectoryFormValues,
  PRESET_CHOICES,
  transportBadge,
} from './ldap-directory-form';
import { tenantTabs } from './tenant-tabs';
import { turnOffConfirmation } from './turn-off-confirmation';

export const GLOBAL_AREA = '/console/ldap-directories';
const TEST_LABELS = { username: 'Username', password: 'Password' };

/** Where a directory's pages live: under its tenant's LDAP tab, or under the global directories. */
export interface Scope {
  tenant: TenantView | null;
  base: string;
}

export const scopeOf = (tenant: TenantView | null): Scope => ({
  tenant,
  base: tenant ? `/console/tenants/${encodeURIComponent(tenant.key)}/ldap` : GLOBAL_AREA,
});

/** API field names in a problem, as the form labels them ("searchBase" → "Search base"). */
function worded(errors: string[]): string[] {
  const labels: Record<string, string> = { ...LDAP_LABELS, groupRoleMapping: 'Group mapping', startTls: 'StartTLS', tenantKey: 'Tenant' };
  const names = Object.keys(labels).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`\\b(${names.map((n) => n.replace('.', '\\.')).join('|')})\\b`, 'g');
  return errors
    .flatMap((e) => e.split('; '))
    .map((e) =>
      e.replace(pattern, (name: string, _n: string, offset: number) => (offset === 0 ? labels[name] : midSentence(labels[name]))),
    );
}

// "Search base" reads "search base" inside a sentence; "StartTLS" and "CA certificate" stay as they are.
const midSentence = (label: string) => (/^[A-Z][a-z]/.test(label) ? label[0].toLowerCase() + label.slice(1) : label);

const wordedProblem = (p: FormProblem): FormProblem => ({ ...p, errors: worded(p.errors) });

/**
 * The console's directory pages, for a tenant's LDAP tab and for the global directories alike:
 * list + new form, one directory's settings, its test, its deletion.
 */
@Injectable()
export class LdapDirectoryPages {
  constructor(
    private readonly ldap: LdapService,
    private readonly tenants: TenantsService,
    private readonly authSettings: AuthSettingsService,
  ) {}

  async scope(tenantKey: string | null): Promise<Scope> {
    return scopeOf(tenantKey === null ? null : await this.tenants.get(tenantKey));
  }

  /** The directory, if it belongs to this scope (another tenant's is "not found" here). */
  async directory(scope: Scope, id: string): Promise<LdapDirectoryView> {
    const d = await this.ldap.get(id);
    if (d.tenantKey !== (scope.tenant?.key ?? null)) throw new NotFoundError('LDAP directory');
    return d;
  }

  async list(req: Request, res: Response, scope: Scope, failure?: FormProblem, form?: FormBody): Promise<void> {
    const page = await this.ldap.list({ tenantKey: scope.tenant?.key ?? null, limit: 500 });
    const ldapOn = (await this.authSettings.effective(scope.tenant?.id ?? null)).methods.ldap;
    const others = scope.tenant ? [] : (await this.ldap.list({ limit: 500 })).items.filter((d) => d.tenantKey !== null);
    res.status(failure?.status ?? 200).render(
      scope.tenant ? 'pages/console/tenants/ldap' : 'pages/console/ldap/list',
      this.page(req, scope, scope.tenant ? `Tenant ${scope.tenant.name} · LDAP` : 'LDAP directories', {
        directories: page.items.map((d) => ({ ...d, transportBadge: transportBadge(d) })),
        tenantDirectories: others.map((d) => ({ ...d, transportBadge: transportBadge(d) })),
        ldapOn,
        settingsHref: scope.tenant
          ? `/console/tenants/${encodeURIComponent(scope.tenant.key)}#authentication`
          : '/console/settings/authentication',
        form: newDirectoryFormValues(form),
        presets: PRESET_CHOICES,
        ...formErrors(failure),
      }),
    );
  }

  async create(ctx: RequestContext, req: Request, res: Response, scope: Scope, form: FormBody): Promise<void> {
    const plain = directoryFromCreateForm(form);
    const parsed = plain.ok
      ? await parseForm(CreateLdapDirectoryDto, { ...plain.value, tenantKey: scope.tenant?.key ?? null }, LDAP_LABELS)
      : problem(400, plain.error);
    const created = parsed.ok ? await attempt(() => this.ldap.create(ctx, parsed.value)) : parsed;
    if (!created.ok) return this.list(req, res, scope, wordedProblem(created.problem), form);
    flash(req, 'success', `Directory “${created.value.name}” created. Try it with “Test” below before people sign in through it.`);
    res.redirect(303, `${scope.base}/${created.value.id}`);
  }

  async detail(
    req: Request,
    res: Response,
    scope: Scope,
    d: LdapDirectoryView,
    extra: { problem?: FormProblem; form?: FormBody; testProblem?: FormProblem; testResult?: LdapTestResultView; testForm?: FormBody } = {},
  ): Promise<void> {
    const status = extra.problem?.status ?? extra.testProblem?.status ?? 200;
    const ldapOn = (await this.authSettings.effective(scope.tenant?.id ?? null)).methods.ldap;
    res.status(status).render(
      'pages/console/ldap/directory',
      this.page(req, scope, `Directory ${d.name}`, {
        directory: d,
        transportBadge: transportBadge(d),
        ldapOn,
        action: `${scope.base}/${d.id}`,
        form: extra.form ? { ...extra.form, bindPassword: '' } : directoryFormValues(d),
        presets: PRESET_CHOICES,
        mappingCount: Object.keys(d.groupRoleMapping).length,
        ...formErrors(extra.problem),
        testErrors: extra.testProblem?.errors,
        testResult: extra.testResult,
        testForm: extra.testForm ?? {},
      }),
    );
  }

  async update(ctx: RequestContext, req: Request, res: Response, scope: Scope, id: string, form: FormBody): Promise<void> {
    const d = await this.directory(scope, id);
    const plain = directoryFromEditForm(form);
    const parsed = plain.ok ? await parseForm(UpdateLdapDirectoryDto, plain.value, LDAP_LABELS) : problem(400, plain.error);
    const question = parsed.ok
      ? turnOffConfirmation({
          wasOn: d.enabled,
          form,
          heading: `Turn off directory “${d.name}”?`,
          message: `From the next request on, nobody can sign in through it${d.linkedUsers ? `: the ${d.linkedUsers} Portico user${d.linkedUsers === 1 ? '' : 's'} it checks need a Portico password or another directory${scope.tenant ? ` of “${scope.tenant.name}”` : ''} until it is on again` : ''}. The other settings in the form are saved as well.`,
          confirmLabel: 'Turn off directory',
          action: `${scope.base}/${id}`,
          cancelHref: `${scope.base}/${id}`,
          secrets: ['bindPassword'],
        })
      : null;
    if (question)
      return void res.status(200).render('pages/console/confirm', this.page(req, scope, `Turn off directory ${d.name}`, question));
    const updated = parsed.ok ? await attempt(() => this.ldap.update(ctx, id, parsed.value)) : parsed;
    if (!updated.ok) return this.detail(req, res, scope, d, { problem: wordedProblem(updated.problem), form });
    flash(req, 'success', `Directory “${updated.value.name}” saved.`);
    res.redirect(303, `${scope.base}/${id}`);
  }

  async test(ctx: RequestContext, req: Request, res: Response, scope: Scope, id: string, form: FormBody): Promise<void> {
    const d = await this.directory(scope, id);
    const password = typeof form.password === 'string' && form.password !== '' ? form.password : undefined;
    const parsed = await parseForm(TestLdapDirectoryDto, { username: text(form, 'username'), password }, TEST_LABELS);
    const tested = parsed.ok ? await attempt(() => this.ldap.test(ctx, id, parsed.value)) : parsed;
    // The password typed for the test is never put back on the page.
    const testForm = { username: text(form, 'username') };
    if (!tested.ok) return this.detail(req, res, scope, d, { testProblem: tested.problem, testForm });
    await this.detail(req, res, scope, d, { testResult: tested.value, testForm });
  }

  confirmDelete(req: Request, res: Response, scope: Scope, d: LdapDirectoryView, failure?: FormProblem): void {
    res.status(failure?.status ?? 200).render(
      'pages/console/confirm',
      this.page(req, scope, `Delete directory ${d.name}`, {
        heading: `Delete directory “${d.name}”?`,
        message: `Its settings and bind password are removed. The ${d.linkedUsers} Portico user${d.linkedUsers === 1 ? '' : 's'} it checks stay, but can no longer sign in through it (they need a Portico password or another directory). It cannot be undone.`,
        action: `${scope.base}/${d.id}/delete`,
        confirmLabel: 'Delete directory',
        cancelHref: `${scope.base}/${d.id}`,
        errors: failure?.errors,
      }),
    );
  }

  async delete(ctx: RequestContext, req: Request, res: Response, scope: Scope, id: string): Promise<void> {
    const d = await this.directory(scope, id);
    const deleted = await attempt(() => this.ldap.delete(ctx, id));
    if (!deleted.ok) return this.confirmDelete(req, res, scope, d, deleted.problem);
    flash(req, 'success', `Directory “${d.name}” deleted.`);
    res.redirect(303, scope.base);
  }

  private page(req: Request, scope: Scope, title: string, data: Record<string, unknown>): Record<string, unknown> {
    return consolePage(req, title, scope.tenant ? '/console/tenants' : GLOBAL_AREA, {
      scope,
      tenant: scope.tenant,
      tabs: scope.tenant ? tenantTabs(scope.tenant.key, 'ldap') : null,
      suspended: scope.tenant?.status === 'suspended',
      ...data,
    });
  }
}
