import { Injectable } from '@nestjs/common';
import { CounterMetric, Metrics } from './metrics.service';

// The audit actions that end a sign-in attempt, whatever the method: their last word is the outcome.
const ENDS_A_SIGN_IN = /^(?:auth\.(?:login|autologin|saml|oidc)|external_login)\.(succeeded|failed|locked|refused)$/;
// The sign-in paths' labels (RequestContext.system) and the methods behind the login form.
const METHODS = new Set(['password', 'ldap', 'external', 'saml', 'oidc', 'autologin', 'external-login']);

/** `portico_sign_ins_total{method, outcome}`, read off the audit events every sign-in path records. */
@Injectable()
export class SignInMetrics {
  private readonly signIns: CounterMetric<'method' | 'outcome'>;

  constructor(metrics: Metrics) {
    this.signIns = metrics.counter({
      name: 'portico_sign_ins_total',
      help: 'Sign-in attempts by method (password, ldap, external, saml, oidc, autologin, external-login) and outcome (succeeded, failed, locked, refused)',
      labelNames: ['method', 'outcome'],
    });
  }

  /** `label` is the sign-in path's name (`login` for the login form, whose method is in the details). */
  observe(label: string, action: string, details: Record<string, unknown>): void {
    const outcome = ENDS_A_SIGN_IN.exec(action)?.[1];
    if (!outcome) return;
    const named = label === 'login' ? (typeof details.method === 'string' ? details.method : 'password') : label;
    this.signIns.inc({ method: METHODS.has(named) ? named : 'other', outcome });
  }
}
