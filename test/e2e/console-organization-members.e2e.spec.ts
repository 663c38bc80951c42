import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

/** The members of an organization as the console manages them, and what it refuses. */
describe.each(databaseKinds())('console: organization members (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let a: TenantFixture;
  let b: TenantFixture;

  const errorsOf = (html: string) =>
    [...(/data-testid="form-errors"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  const members = async (orgId: string) =>
    (
      (await t.http.get(`/api/v1/organizations/${orgId}/members`).set('Authorization', t.admin).expect(200)).body.items as {
        userId: string;
        role: string;
      }[]
    )
      .map(({ userId, role }) => ({ userId, role }))
      // Members who joined in the same second (SQLite keeps whole seconds) may list in either order.
      .sort((x, y) => x.userId.localeCompare(y.userId));

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    a = await makeTenant(t);
    b = await makeTenant(t);
    admin = new WebSession(t);
    await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it("offers only the organization's tenant's users, adds, changes the role and removes after a confirmation", async () => {
    const org = await makeOrganization(t, a.auth, { name: 'Osprey Mills' });
    const path = `/console/organizations/${org.id}`;
    const mine = await makeUser(t, a.auth, { email: 'lin.osprey@mills.example', firstName: 'Lin' });
    const theirs = await makeUser(t, b.auth, { email: 'lin.osprey@other.example', firstName: 'Lin' });

    const found = decode((await admin.get(`${path}?find=LIN.OSPREY`)).text);
    expect(found).toContain(mine.email);
    expect(found).not.toContain(theirs.email);
    // The htmx fragment answers the same search, without the layout.
    const fragment = await admin.get(`${path}/members/candidates?find=osprey`);
    expect(fragment.status).toBe(200);
    expect(fragment.text).toContain(`value="${mine.id}"`);
    expect(fragment.text).not.toContain(theirs.id);
    expect(fragment.text).not.toContain('<nav');

    expect((await admin.submit(`${path}/members`, { userId: mine.id, role: 'admin' }, path)).status).toBe(303);
    expect(await members(org.id)).toEqual([{ userId: mine.id, role: 'admin' }]);
    // A member is no longer offered; adding twice says so.
    expect(decode((await admin.get(`${path}?find=osprey`)).text)).toContain('or they are already members');
    const twice = await admin.submit(`${path}/members`, { userId: mine.id, role: 'member' }, path);
    expect(twice.status).toBe(409);
    expect(errorsOf(twice.text)).toEqual(['The user is already a member of this organization']);

    expect((await admin.submit(`${path}/members/${mine.id}/role`, { role: 'owner' }, path)).status).toBe(303);
    expect(await members(org.id)).toEqual([{ userId: mine.id, role: 'owner' }]);

    // The only owner can be neither removed nor given another role; the page says why, before any confirmation.
    const lastOwner =
      'Osprey Mills must keep an owner and this is its only one: make another member an owner first, or delete the organization';
    const refusedAsk = await admin.get(`${path}/members/${mine.id}/remove`);
    expect(refusedAsk.status).toBe(409);
    expect(errorsOf(refusedAsk.text)).toEqual([lastOwner]);
    const refusedRemove = await admin.submit(`${path}/members/${mine.id}/remove`, {}, path);
    expect(refusedRemove.status).toBe(409);
    expect(errorsOf(refusedRemove.text)).toEqual([lastOwner]);
    const refusedDemote = await admin.submit(`${path}/members/${mine.id}/role`, { role: 'member' }, path);
    expect(refusedDemote.status).toBe(409);
    expect(errorsOf(refusedDemote.text)).toEqual([lastOwner]);
    const other = await makeUser(t, a.auth, { organizationId: org.id, role: 'owner' });
    expect(await members(org.id)).toEqual(
      [
        { userId: mine.id, role: 'owner' },
        { userId: other.id, role: 'owner' },
      ].sort((x, y) => x.userId.localeCompare(y.userId)),
    );

    const asked = await admin.get(`${path}/members/${mine.id}/remove`);
    expect(asked.status).toBe(200);
    expect(decode(asked.text)).toContain('Remove lin.osprey@mills.example from “Osprey Mills”?');
    expect(await members(org.id)).toHaveLength(2);
    expect((await admin.submit(`${path}/members/${mine.id}/remove`, {}, path)).status).toBe(303);
    expect(await members(org.id)).toEqual([{ userId: other.id, role: 'owner' }]);
    const gone = await admin.submit(`${path}/members/${mine.id}/remove`, {}, path);
    expect(gone.status).toBe(404);
    expect(errorsOf(gone.text)).toEqual(['That user is not a member of Osprey Mills (any more).']);
  });

  it("refuses another tenant's user, an unknown role and a form without its CSRF token, in words", async () => {
    const org = await makeOrganization(t, a.auth, { name: 'Heron Works' });
    const path = `/console/organizations/${org.id}`;
    const mine = await makeUser(t, a.auth);
    const theirs = await makeUser(t, b.auth);
    const direct = await makeUser(t, t.admin);

    for (const stranger of [theirs, direct]) {
      const refused = await admin.submit(`${path}/members`, { userId: stranger.id, role: 'member' }, path);
      expect(refused.status).toBe(400);
      expect(errorsOf(refused.text)).toEqual([`Only users of tenant ${a.key} can join Heron Works. Search for them by email or name.`]);
    }
    // A direct customer takes only users without a tenant.
    const directOrg = await makeOrganization(t, t.admin, { name: 'Direct Dairy' });
    const refused = await admin.submit(`/console/organizations/${directOrg.id}/members`, { userId: mine.id }, path);
    expect(refused.status).toBe(400);
    expect(errorsOf(refused.text)[0]).toContain('Only users without a tenant can join Direct Dairy');
    expect((await admin.submit(`/console/organizations/${directOrg.id}/members`, { userId: direct.id }, path)).status).toBe(303);

    const badRole = await admin.submit(`${path}/members`, { userId: mine.id, role: 'superuser' }, path);
    expect(badRole.status).toBe(400);
    expect(errorsOf(badRole.text)).toEqual(['Role: must be one of the following values: owner, admin, member']);
    const noUser = await admin.submit(`${path}/members`, { userId: 'not-a-uuid' }, path);
    expect(noUser.status).toBe(400);
    expect(await members(org.id)).toEqual([]);

    expect((await admin.submit(`${path}/members`, { userId: mine.id }, path)).status).toBe(303);
    const badChange = await admin.submit(`${path}/members/${mine.id}/role`, { role: 'god' }, path);
    expect(badChange.status).toBe(400);
    expect(errorsOf(badChange.text)).toEqual(['Role: must be one of the following values: owner, admin, member']);

    // Without the form's token nothing changes.
    expect((await admin.postRaw(`${path}/members`, { userId: theirs.id, role: 'owner' })).status).toBe(403);
    expect((await admin.postRaw(`${path}/members/${mine.id}/role`, { role: 'owner' })).status).toBe(403);
    expect((await admin.postRaw(`${path}/members/${mine.id}/remove`, {})).status).toBe(403);
    expect(await members(org.id)).toEqual([{ userId: mine.id, role: 'member' }]);
  });

  it('escapes a search and keeps a bad invitation on the page with a 400', async () => {
    const org = await makeOrganization(t, a.auth);
    const path = `/console/organizations/${org.id}`;
    const page = await admin.get(`${path}?find=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;');

    const bad = await admin.submit(`${path}/invitations`, { email: 'not an address', role: 'admin' }, path);
    expect(bad.status).toBe(400);
    expect(errorsOf(bad.text)[0]).toMatch(/^Email: /);
    expect(bad.text).toContain('value="not an address"');
  });
});
