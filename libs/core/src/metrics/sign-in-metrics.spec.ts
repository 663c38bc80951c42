import { AppConfig } from '../config/app-config';
import { TestClock } from '../time/clock';
import { Metrics } from './metrics.service';
import { SignInMetrics } from './sign-in-metrics';

describe('SignInMetrics', () => {
  it('reads method and outcome off the audit events of every sign-in path, and nothing else', async () => {
    const metrics = new Metrics(
      new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', METRICS_PORT: '9464' }),
      new TestClock(),
    );
    const signIns = new SignInMetrics(metrics);
    signIns.observe('login', 'auth.login.succeeded', {});
    signIns.observe('login', 'auth.login.failed', { method: 'ldap' });
    signIns.observe('login', 'auth.login.locked', { waitSeconds: 4 });
    signIns.observe('saml', 'auth.saml.refused', {});
    signIns.observe('oidc', 'auth.login.succeeded', {});
    signIns.observe('external-login', 'external_login.failed', { reason: 'disabled' });
    signIns.observe('autologin', 'auth.autologin.refused', {});
    // Not a sign-in's end: the first step of two, a tested configuration, a revoked consent.
    signIns.observe('login', 'auth.recovery_code.used', {});
    signIns.observe('saml', 'auth.saml.tested', {});
    signIns.observe('tenant:acme/tk_1', 'oidc.authorization.revoked', {});
    // A label outside the known methods stays bounded.
    signIns.observe('someone-new', 'auth.login.failed', {});
    const lines = (await metrics.render()).body.split('\n').filter((l) => l.startsWith('portico_sign_ins_total{'));
    expect(lines.sort()).toEqual(
      [
        'portico_sign_ins_total{method="password",outcome="succeeded"} 1',
        'portico_sign_ins_total{method="ldap",outcome="failed"} 1',
        'portico_sign_ins_total{method="password",outcome="locked"} 1',
        'portico_sign_ins_total{method="saml",outcome="refused"} 1',
        'portico_sign_ins_total{method="oidc",outcome="succeeded"} 1',
        'portico_sign_ins_total{method="external-login",outcome="failed"} 1',
        'portico_sign_ins_total{method="autologin",outcome="refused"} 1',
        'portico_sign_ins_total{method="other",outcome="failed"} 1',
      ].sort(),
    );
  });
});
