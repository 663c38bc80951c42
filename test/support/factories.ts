import { basic, TestApp } from './test-app';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export interface TenantFixture {
  key: string;
  id: string;
  keyId: string;
  secret: string;
  /** Authorization header value for this tenant's API key */
  auth: string;
}

/** A tenant with one API key, made through the API as a platform admin would. */
export async function makeTenant(t: TestApp, key = unique('tenant')): Promise<TenantFixture> {
  const tenant = await t.http
    .post('/api/v1/tenants')
    .set('Authorization', t.admin)
    .send({ key, name: `Tenant ${key}` })
    .expect(201);
  const apiKey = await t.http.post(`/api/v1/tenants/${key}/api-keys`).set('Authorization', t.admin).send({ label: 'test' }).expect(201);
  return {
    key,
    id: tenant.body.id,
    keyId: apiKey.body.keyId,
    secret: apiKey.body.secret,
    auth: basic(apiKey.body.keyId, apiKey.body.secret),
  };
}

export async function makeOrganization(
  t: TestApp,
  auth: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; siteId: number; name: string }> {
  const res = await t.http
    .post('/api/v1/organizations')
    .set('Authorization', auth)
    .send({ name: unique('Org'), ...body })
    .expect(201);
  return res.body;
}

export async function makeUser(t: TestApp, auth: string, body: Record<string, unknown> = {}): Promise<{ id: string; email: string }> {
  const res = await t.http
    .post('/api/v1/users')
    .set('Authorization', auth)
    .send({ email: `${unique('user')}@example.com`, firstName: 'Test', lastName: 'User', ...body })
    .expect(201);
  return res.body;
}
