import { periodLabel } from '@portico/billing';
import { barChart, BarChart } from './billing-chart';

/** Audit actions that end a sign-in, by outcome: the sign-in chart counts them per month. */
const SIGN_IN_PATHS = ['auth.login', 'auth.autologin', 'auth.saml', 'auth.oidc', 'external_login'];
export const SIGN_IN_SUCCEEDED = SIGN_IN_PATHS.map((p) => `${p}.succeeded`);
export const SIGN_IN_REFUSED = SIGN_IN_PATHS.flatMap((p) => ['failed', 'locked', 'refused'].map((o) => `${p}.${o}`));

/** Audit actions that say a getting-started step was done once. */
export const STEP_ACTIONS = {
  apiKey: ['tenant.api_key.created'],
  signIn: [
    'settings.authentication.updated',
    'saml.connection.updated',
    'ldap_directory.created',
    'oidc.connection.updated',
    'external_login_provider.created',
  ],
  application: ['oidc_client.created'],
};

export interface ChecklistFacts {
  tenants: number;
  organizations: number;
  webhookEndpoints: number;
  recorded: Set<string>;
  firstTenantKey: string | null;
}

export interface ChecklistStep {
  label: string;
  hint: string;
  href: string;
  done: boolean;
}

/** The getting-started steps of a fresh install, each ticked once it has been done. */
export function checklist(f: ChecklistFacts): { steps: ChecklistStep[]; done: number; complete: boolean } {
  const any = (actions: string[]) => actions.some((a) => f.recorded.has(a));
  const steps: ChecklistStep[] = [
    { label: 'Create a tenant', hint: 'a partner portal that calls the API', href: '/console/tenants', done: f.tenants > 0 },
    {
      label: 'Create an API key',
      hint: 'the tenant’s portal signs its API calls with it',
      href: f.firstTenantKey ? `/console/tenants/${encodeURIComponent(f.firstTenantKey)}` : '/console/tenants',
      done: any(STEP_ACTIONS.apiKey),
    },
    { label: 'Create an organization', hint: 'a customer whose people sign in', href: '/console/organizations', done: f.organizations > 0 },
    {
      label: 'Configure sign-in',
      hint: 'methods, or a SAML, LDAP, OpenID Connect or external provider',
      href: '/console/settings/authentication',
      done: any(STEP_ACTIONS.signIn),
    },
    {
      label: 'Add a webhook endpoint',
      hint: 'so portals hear about users and charges',
      href: '/console/webhooks',
      done: f.webhookEndpoints > 0,
    },
    {
      label: 'Register an application',
      hint: 'a product that signs people in with Portico',
      href: '/console/applications',
      done: any(STEP_ACTIONS.application),
    },
  ];
  const done = steps.filter((s) => s.done).length;
  return { steps, done, complete: done === steps.length };
}

/** Sign-ins per month, succeeded beside refused or failed, from the audit log's monthly counts. */
export function signInChart(counts: { month: string; action: string; count: number }[], periods: string[]): BarChart {
  const succeeded = new Set(SIGN_IN_SUCCEEDED);
  const sum = (period: string, ok: boolean) =>
    counts.filter((c) => c.month === period && succeeded.has(c.action) === ok).reduce((total, c) => total + c.count, 0);
  const chart = barChart({
    id: 'chart-sign-ins',
    caption: 'Sign-ins',
    title: 'Sign-ins per month, succeeded and refused',
    periods,
    series: [
      { label: 'Succeeded', cls: 'ok', value: (p) => sum(p, true) },
      { label: 'Failed or refused', cls: 'bad', value: (p) => sum(p, false) },
    ],
    format: (n) => String(n),
    whole: true,
  });
  const active = chart.months.filter((m) => m.bars.some((b) => b.height > 0));
  const summary = active.length
    ? `Sign-ins, ${periodLabel(periods[0])} to ${periodLabel(periods[periods.length - 1])}: ${active
        .map((m) => `${m.label}: ${m.bars[0].text} succeeded, ${m.bars[1].text} failed or refused`)
        .join('; ')}.`
    : 'No sign-ins in these months.';
  return { ...chart, summary };
}
