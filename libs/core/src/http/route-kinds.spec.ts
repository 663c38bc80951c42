import type { IncomingMessage } from 'node:http';
import { RouteKinds } from './route-kinds';

const request = (method: string, url: string) => ({ method, url }) as IncomingMessage;

describe('RouteKinds', () => {
  const routes = new RouteKinds();
  routes.declare('/t/:tenantKey/saml/consume', 'cross-site-page');
  routes.declare('/t/:tenantKey/saml/*', 'page');
  routes.declare(['/login', '/t/:tenantKey/login'], 'page');
  routes.declare('/entitlements/check', 'own', { methods: ['GET', 'HEAD'] });
  routes.declare('/oidc/*', 'machine', { readsOwnBody: true });
  const kind = (method: string, url: string) => routes.of(request(method, url)).kind;

  it('makes a route nobody declared a machine route, tenant-keyed ones included', () => {
    expect(kind('POST', '/t/acme/data/notifications')).toBe('machine');
    expect(kind('GET', '/t/acme/metadata')).toBe('machine');
    expect(kind('GET', '/api/v1/users?limit=1')).toBe('machine');
  });

  it('matches parameters as one segment, a trailing /* as any rest, and the first declaration first', () => {
    expect(kind('POST', '/t/acme/saml/consume')).toBe('cross-site-page');
    expect(kind('GET', '/t/acme/saml/init?next=/account')).toBe('page');
    expect(kind('GET', '/t/acme/saml')).toBe('page');
    expect(kind('GET', '/t/acme/login/')).toBe('page');
    expect(kind('GET', '/t/a/b/login')).toBe('machine');
    expect(kind('GET', '/loginx')).toBe('machine');
  });

  it('limits a declaration to its methods', () => {
    expect(kind('GET', '/entitlements/check?server=s')).toBe('own');
    expect(kind('HEAD', '/entitlements/check')).toBe('own');
    expect(kind('POST', '/entitlements/check')).toBe('machine');
  });

  it('says which routes read their own body', () => {
    expect(routes.of(request('POST', '/oidc/token')).readsOwnBody).toBe(true);
    expect(routes.of(request('POST', '/login')).readsOwnBody).toBe(false);
  });

  it('decides a request once', () => {
    const late = new RouteKinds();
    const req = request('GET', '/account');
    expect(late.of(req).kind).toBe('machine');
    late.declare('/account', 'page');
    expect(late.of(req).kind).toBe('machine');
    expect(late.of(request('GET', '/account')).kind).toBe('page');
  });
});
