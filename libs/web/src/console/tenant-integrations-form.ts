import type { TenantSettingsView } from '@portico/auth';
import { isWebOrigin } from '@portico/tenants';
import { checkbox, FormBody, FormProblem, optionalText, problem, text } from './forms';

export const INTEGRATION_LABELS = {
  'billingApi.url': 'Billing API URL',
  'billingApi.username': 'Billing API user name',
  'billingApi.password': 'Billing API password',
  embedOrigins: 'Portal origins',
  dataSharingUrl: 'Data-sharing URL',
};

/** The service names fields as the API does ("billingApi.url: …"); the page names them as its form does. */
export function relabelIntegrationErrors(problem: FormProblem): FormProblem {
  const labels = Object.entries(INTEGRATION_LABELS);
  const relabel = (e: string) => labels.reduce((msg, [path, label]) => (msg.startsWith(path) ? label + msg.slice(path.length) : msg), e);
  return { ...problem, errors: problem.errors.map(relabel) };
}

export interface TenantIntegrationInput {
  embedOrigins: string[];
  billingApi: { url: string; username: string; password?: string; allowPrivateNetwork: boolean } | null;
  dataSharingUrl: string | null;
}

/**
 * The tenant page's Integrations form, as the settings API takes it. The password field is
 * write-only: left blank it keeps the stored one (the API requires one the first time).
 */
export function parseIntegrationsForm(form: FormBody): { ok: true; value: TenantIntegrationInput } | ReturnType<typeof problem> {
  const origins = originLines(form);
  const bad = origins.filter((o) => !isWebOrigin(o));
  const billing = text(form, 'billing');
  const errors = bad.map((o) => `Portal origins: “${o.slice(0, 100)}” is not an origin like https://portal.example.com (no path).`);
  if (!['direct', 'api'].includes(billing)) errors.push('Billing: choose direct charges in Portico or the tenant’s billing API.');
  if (errors.length) return problem(400, ...errors);
  return {
    ok: true,
    value: {
      embedOrigins: origins,
      billingApi:
        billing === 'direct'
          ? null
          : {
              url: text(form, 'billingUrl'),
              username: text(form, 'billingUsername'),
              // Never trimmed: a password may end in a space.
              ...(typeof form.billingPassword === 'string' && form.billingPassword ? { password: form.billingPassword } : {}),
              allowPrivateNetwork: checkbox(form, 'billingAllowPrivateNetwork'),
            },
      dataSharingUrl: optionalText(form, 'dataSharingUrl') ?? null,
    },
  };
}

function originLines(form: FormBody): string[] {
  const raw = typeof form.embedOrigins === 'string' ? form.embedOrigins : '';
  return raw
    .split(/[\r\n]+/)
    .map((line) => line.trim().replace(/\/$/, ''))
    .filter(Boolean);
}

/** The section's locals: the saved settings, or what a refused post sent (never a password). */
export function integrationsView(own: TenantSettingsView, sent?: FormBody): Record<string, unknown> {
  if (sent) {
    return {
      billing: text(sent, 'billing'),
      billingUrl: text(sent, 'billingUrl'),
      billingUsername: text(sent, 'billingUsername'),
      billingAllowPrivateNetwork: checkbox(sent, 'billingAllowPrivateNetwork'),
      passwordSet: own.billingApi?.passwordSet ?? false,
      embedOrigins: typeof sent.embedOrigins === 'string' ? sent.embedOrigins : '',
      dataSharingUrl: text(sent, 'dataSharingUrl'),
      saved: own,
    };
  }
  return {
    billing: own.billingApi ? 'api' : 'direct',
    billingUrl: own.billingApi?.url ?? '',
    billingUsername: own.billingApi?.username ?? '',
    billingAllowPrivateNetwork: own.billingApi?.allowPrivateNetwork ?? false,
    passwordSet: own.billingApi?.passwordSet ?? false,
    embedOrigins: own.embedOrigins.join('\n'),
    dataSharingUrl: own.dataSharingUrl ?? '',
    saved: own,
  };
}
