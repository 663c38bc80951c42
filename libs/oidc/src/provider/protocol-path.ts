/** The provider's own routes (under /oidc): it reads their bodies itself and they need no Portico session or CSRF token. */
export function isOidcProtocolPath(url: string | undefined): boolean {
  return url !== undefined && (url === '/oidc' || url.startsWith('/oidc/') || url.startsWith('/oidc?'));
}
