import { RouteKinds } from '@portico/core';
import { framingPolicy, securityHeaders } from './security-headers';

// As the modules declare them in the app: a few of the web module's pages, Swagger UI; the rest is machine.
const routes = new RouteKinds();
routes.declare(['/login', '/t/:tenantKey/login', '/account'], 'page');
routes.declare(['/api/docs', '/api/docs/*'], 'docs');

describe('framingPolicy', () => {
  it("keeps the page policy and lists the tenant's origins as frame-ancestors", () => {
    const policy = framingPolicy(['https://portal.example.com', 'http://127.0.0.1:8080']);
    expect(policy).toBe(
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';form-action 'self';object-src 'none';base-uri 'none';frame-ancestors https://portal.example.com http://127.0.0.1:8080",
    );
    expect(framingPolicy(['https://portal.example.com', 'http://127.0.0.1:8080'])).toBe(policy);
  });

  it('never lets anything but an origin into the header', () => {
    expect(framingPolicy(["https://a.example; script-src 'unsafe-inline'", 'https://b.example'])).toMatch(
      /;frame-ancestors https:\/\/b\.example$/,
    );
    expect(framingPolicy(['javascript:alert(1)'])).toMatch(/;frame-ancestors 'none'$/);
  });
});

describe('securityHeaders', () => {
  function headersOf(path: string): Record<string, string> {
    const headers: Record<string, string> = { 'X-Powered-By': 'Express' };
    const res = {
      locals: {},
      setHeader: (name: string, value: string) => (headers[name] = value),
      removeHeader: (name: string) => delete headers[name],
    };
    let nextCalled = false;
    securityHeaders(routes)({ url: path } as never, res as never, () => (nextCalled = true));
    expect(nextCalled).toBe(true);
    return headers;
  }

  it('sends helmet’s headers with the strict page policy, and no X-Powered-By', () => {
    const headers = headersOf('/login');
    expect(headers['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(headers['Content-Security-Policy']).toContain("script-src 'self'");
    expect(headers['X-Frame-Options']).toBe('DENY');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Referrer-Policy']).toBe('same-origin');
    expect(headers['Strict-Transport-Security']).toMatch(/max-age=\d+/);
    expect(headers['X-Powered-By']).toBeUndefined();
  });

  it('gives only the API docs the looser style policy Swagger UI needs', () => {
    expect(headersOf('/api/docs/index.html')['Content-Security-Policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(headersOf('/account')['Content-Security-Policy']).not.toContain('unsafe-inline');
  });
});

describe('securityHeaders on machine routes', () => {
  function headersOf(path: string): Record<string, string> {
    const headers: Record<string, string> = {};
    const res = {
      locals: {},
      setHeader: (name: string, value: string) => (headers[name] = value),
      removeHeader: (name: string) => delete headers[name],
    };
    securityHeaders(routes)({ url: path } as never, res as never, () => undefined);
    return headers;
  }

  it('answers the API with the short set for programs, uncacheable and unframeable', () => {
    for (const path of ['/api/v1/users/1', '/health', '/t/acme/data/notifications', '/external-login']) {
      const headers = headersOf(path);
      expect(headers).toEqual({
        'Cache-Control': 'no-store',
        'Content-Security-Policy': "default-src 'none';frame-ancestors 'none'",
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Strict-Transport-Security': expect.stringMatching(/^max-age=\d+/),
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
      });
    }
  });

  it('keeps the page set for pages under tenant paths and for Swagger UI', () => {
    expect(headersOf('/t/acme/login')['Content-Security-Policy']).toContain("script-src 'self'");
    expect(headersOf('/t/acme/login')['Cache-Control']).toBeUndefined();
    expect(headersOf('/api/docs')['Content-Security-Policy']).toContain("style-src 'self' 'unsafe-inline'");
  });
});
