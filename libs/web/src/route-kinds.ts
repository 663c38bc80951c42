// What kind of route a path is, decided in one place for the middleware that treat kinds
// differently: sessions and CSRF (machine routes and static files need neither) and security
// headers (machine routes answer JSON or XML, not pages).

// Called by other systems with the Authorization header (or with nothing): no browser form posts to
// them, so a forged cross-site request carries no credentials there, and they read no session.
const MACHINE = [
  /^\/api\//,
  /^\/health(\/|$)/,
  /^\/external-login$/,
  /^\/entitlements\/check$/,
  // The OpenID Connect provider's protocol routes (its interaction pages are under /interaction).
  /^\/oidc(\/|$)/,
  // Tenant-keyed machine routes (HTTP Basic with the tenant's API key): the manifest, account
  // webhooks and data-sharing notifications.
  /^\/t\/[^/]+\/metadata$/,
  /^\/t\/[^/]+\/account\/groups\//,
  /^\/t\/[^/]+\/data\/notifications$/,
];

// Static files and the browser's own favicon probe. With rolling sessions every response that
// passes the session middleware re-sends the cookie, so a stylesheet or favicon answered after a
// sign-in's redirect would put the old, signed-out session id back in the browser.
const STATIC = [/^\/assets\//, /^\/favicon\.ico$/];

/** Swagger UI and its assets: a page, under /api/. */
export function isApiDocsPath(path: string): boolean {
  return path.startsWith('/api/docs');
}

/** A route other systems call (the JSON API, health checks, tenant-keyed webhooks), not a page. */
export function isMachinePath(path: string): boolean {
  return MACHINE.some((re) => re.test(path));
}

/** Routes that need no session and no CSRF token: machine routes and static files. */
export function isStatelessPath(path: string): boolean {
  return isMachinePath(path) || STATIC.some((re) => re.test(path));
}
