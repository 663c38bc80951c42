import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app';

/** A new autologin secret for the tenant, as the platform admin rotates it. */
export async function rotateAutologinSecret(t: TestApp, tenantKey: string): Promise<string> {
  const res = await t.http.post(`/api/v1/tenants/${tenantKey}/autologin-secret`).set('Authorization', t.admin).expect(201);
  return res.body.secret as string;
}

export interface JwtOptions {
  iss?: string;
  sub?: string;
  jti?: string | null;
  /** seconds from now; null: no exp claim */
  expiresIn?: number | null;
  alg?: string;
}

/** An autologin JWT as a portal signs it: HS256 with the tenant's secret, iss = tenant key. */
export function autologinJwt(secret: string, tenantKey: string, opts: JwtOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
    .setIssuer(opts.iss ?? tenantKey)
    .setIssuedAt(now);
  if (opts.sub) jwt.setSubject(opts.sub);
  if (opts.jti !== null) jwt.setJti(opts.jti ?? randomUUID());
  if (opts.expiresIn !== null) jwt.setExpirationTime(now + (opts.expiresIn ?? 120));
  return jwt.sign(new TextEncoder().encode(secret));
}

/** The path of an autologin answer's loginUrl (the test app listens elsewhere than PUBLIC_URL). */
export function loginPath(loginUrl: string): string {
  const url = new URL(loginUrl);
  return url.pathname + url.search;
}
