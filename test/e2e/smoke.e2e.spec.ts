import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe.each(databaseKinds())('smoke (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('creates a user as a tenant and reads it back', async () => {
    const tenant = await makeTenant(t);
    const user = await makeUser(t, tenant.auth);
    const res = await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(200);
    expect(res.body).toMatchObject({ id: user.id, tenantKey: tenant.key, billable: false });
  });
});
