import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ReceivedMail, startSmtp, TestSmtp } from '../support/smtp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, decode, realProblems, WebSession } from '../support/web-session';

const PASSWORD = 'Marmalade-Heron-47-quay';
const DAY = 24 * 3_600_000;

/** Invitations (API, console, the organization admin's page, the mailed link) against a real SMTP server. */
describe.each(databaseKinds())('invitations (%s)', (kind) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let problems: string[];
  let a: TenantFixture;
  let b: TenantFixture;
  let n = 0;
  let ip = 0;
  const address = (name: string) => `${name}-${++n}@heron.example`;
  const browser = () => new WebSession(t, `10.22.${Math.floor(++ip / 250)}.${(ip % 250) + 1}`);
  const invite = (auth: string, orgId: string, body: Record<string, unknown>) =>
    t.http.post(`/api/v1/organizations/${orgId}/invitations`).set('Authorization', auth).send(body);
  /** The invitation page's path from the mail that reached `to`. */
  const invitationLink = async (to: string): Promise<string> => {
    const mail = await smtp.inbox.waitFor((m) => m.to === to && /invited you/.test(m.subject));
    const link = mail.links.find((l) => l.includes('/invitations/'));
    expect(link).toBeDefined();
    return new URL(link!).pathname;
  };
  const members = async (auth: string, orgId: string) =>
    (await t.http.get(`/api/v1/organizations/${orgId}/members`).set('Authorization', auth).expect(200)).body.items as {
      email: string;
      role: string;
    }[];
  const audit = async (action: string) =>
    (await t.http.get('/api/v1/audit-events').query({ action, limit: 500 }).set('Authorization', t.admin).expect(200)).body.items as {
      details: Record<string, unknown>;
      target: { id: string };
    }[];

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(kind, { SMTP_URL: smtp.url, MAIL_FROM: 'Portico <portico@heron.example>', TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    a = await makeTenant(t);
    b = await makeTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  describe('the API', () => {
    it('lets a tenant invite into its own organization, lists it, and mails a link naming the organization, the tenant and who invited', async () => {
      const org = await makeOrganization(t, a.auth, { name: 'Heron Haulage' });
      const email = address('ida');
      const res = await invite(a.auth, org.id, { email, role: 'admin' }).expect(201);
      expect(res.body).toMatchObject({ id: expect.any(String), email, role: 'admin', status: 'pending', acceptedAt: null });
      const expiresIn = new Date(res.body.expiresAt).getTime() - Date.now();
      expect(expiresIn).toBeGreaterThan(7 * DAY - 60_000);
      expect(expiresIn).toBeLessThanOrEqual(7 * DAY + 60_000);

      const mail = await smtp.inbox.waitFor(email);
      expect(mail.subject).toContain('Heron Haulage');
      expect(mail.subject).toContain(`Tenant ${a.key}`);
      expect(flat(mail.text)).toContain(`invited you to join Heron Haulage on Tenant ${a.key} as admin`);
      expect(mail.links.some((l) => /\/invitations\/[A-Za-z0-9_-]{43}$/.test(l))).toBe(true);

      const list = await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', a.auth).expect(200);
      expect(list.body).toMatchObject({ total: 1, items: [{ id: res.body.id, email, role: 'admin', status: 'pending' }] });
      // The link's token is nowhere in the audit.
      const token = mail.links
        .find((l) => l.includes('/invitations/'))!
        .split('/')
        .pop()!;
      expect(JSON.stringify(await audit('invitation.created'))).not.toContain(token);
      expect(JSON.stringify(await audit('mail.queued'))).not.toContain(token);
    });

    it('answers 409 for a second pending invitation of the same address and for an existing member', async () => {
      const org = await makeOrganization(t, a.auth);
      const email = address('twice');
      await invite(a.auth, org.id, { email }).expect(201);
      expectError(await invite(a.auth, org.id, { email: email.toUpperCase() }), 409, /pending invitation/);
      const member = await makeUser(t, a.auth, { organizationId: org.id, role: 'member' });
      expectError(await invite(a.auth, org.id, { email: member.email }), 409, /already a member/);
    });

    it('answers 400 naming the field for a bad address or role', async () => {
      const org = await makeOrganization(t, a.auth);
      expectError(await invite(a.auth, org.id, { email: 'not-an-address' }), 400, /email/);
      expectError(await invite(a.auth, org.id, { email: `${'x'.repeat(320)}@heron.example` }), 400, /email/);
      expectError(await invite(a.auth, org.id, { email: address('role'), role: 'superuser' }), 400, /role/);
      expectError(await invite(a.auth, org.id, {}), 400, /email/);
      expectError(await t.http.get(`/api/v1/organizations/${org.id}/invitations?status=maybe`).set('Authorization', a.auth), 400, /status/);
      expectError(
        await t.http.delete(`/api/v1/organizations/${org.id}/invitations/nope`).set('Authorization', a.auth),
        400,
        /invitationId/,
      );
    });

    it("keeps tenants apart: tenant B's key gets 404 for tenant A's organization and its invitations", async () => {
      const org = await makeOrganization(t, a.auth);
      const created = await invite(a.auth, org.id, { email: address('apart') }).expect(201);
      expectError(await invite(b.auth, org.id, { email: address('intruder') }), 404);
      expectError(await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', b.auth), 404);
      expectError(await t.http.delete(`/api/v1/organizations/${org.id}/invitations/${created.body.id}`).set('Authorization', b.auth), 404);
      // The platform admin sees every tenant's.
      await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', t.admin).expect(200);
    });

    it('revokes with DELETE (204): the link then says the invitation was withdrawn', async () => {
      const org = await makeOrganization(t, a.auth);
      const email = address('revoked');
      const created = await invite(t.admin, org.id, { email }).expect(201);
      const path = await invitationLink(email);
      await t.http.delete(`/api/v1/organizations/${org.id}/invitations/${created.body.id}`).set('Authorization', a.auth).expect(204);
      const list = await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', a.auth).expect(200);
      expect(list.body.items[0]).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
      const page = await browser().get(path);
      expect(page.status).toBe(410);
      expect(decode(page.text)).toContain('This invitation was withdrawn');
      expect(page.text).not.toContain('name="password"');
      // Revoked, the address may be invited again.
      await invite(a.auth, org.id, { email }).expect(201);
    });
  });

  describe('the link', () => {
    it('creates the account while sign-up is off, joins with the role, signs in, and works only once', async () => {
      const org = await makeOrganization(t, a.auth, { name: 'Heron Harbour' });
      const email = address('newcomer');
      await invite(a.auth, org.id, { email, role: 'admin' }).expect(201);
      const path = await invitationLink(email);
      const person = browser();
      // Sign-up is off (the default): the tenant's sign-up page does not exist.
      expect((await person.get(`/t/${a.key}/signup`)).status).toBe(404);

      const page = await person.get(path);
      expect(page.status).toBe(200);
      expect(words(page.text)).toContain(`invited ${email} to Heron Harbour on Tenant ${a.key} as admin`);
      expect(page.text).toContain('name="password"');
      const weak = await person.submit(path, { firstName: 'Nia', lastName: 'Newcomer', password: 'short', passwordConfirmation: 'short' });
      expect(weak.status).toBe(400);
      expect(alertOf(weak.text)).toMatch(/at least 8 characters/);

      const created = await person.submit(path, {
        firstName: 'Nia',
        lastName: 'Newcomer',
        password: PASSWORD,
        passwordConfirmation: PASSWORD,
      });
      expect(created.status).toBe(303);
      expect(created.headers.location).toBe('/account');
      const account = await person.get('/account');
      expect(decode(account.text)).toContain('you joined Heron Harbour');
      expect(account.text).toContain(email);

      expect(await members(a.auth, org.id)).toEqual([expect.objectContaining({ email, role: 'admin' })]);
      const users = await t.http.get('/api/v1/users').query({ email }).set('Authorization', a.auth).expect(200);
      expect(users.body.items).toEqual([expect.objectContaining({ email, tenantKey: a.key, firstName: 'Nia', emailVerified: true })]);
      const joined = (await audit('membership.created')).filter((e) => e.target.id === users.body.items[0].id);
      expect(joined).toEqual([expect.objectContaining({ details: expect.objectContaining({ organizationId: org.id, role: 'admin' }) })]);
      // Only in tenant A: no direct user, no tenant B user with that address.
      expect((await t.http.get('/api/v1/users').query({ email }).set('Authorization', b.auth).expect(200)).body.total).toBe(0);

      // Single use: the same link, again, in another browser.
      const again = await browser().get(path);
      expect(again.status).toBe(410);
      expect(decode(again.text)).toContain('This invitation was used already');
      const list = await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', a.auth).expect(200);
      expect(list.body.items[0]).toMatchObject({ status: 'accepted', acceptedAt: expect.any(String) });
      // Accepted, it cannot be revoked: the member is removed instead.
      expectError(
        await t.http.delete(`/api/v1/organizations/${org.id}/invitations/${list.body.items[0].id}`).set('Authorization', a.auth),
        409,
        /remove the member/,
      );
      const pending = await t.http.get(`/api/v1/organizations/${org.id}/invitations?status=pending`).set('Authorization', a.auth);
      expect(pending.body.total).toBe(0);
    });

    it('counts the invited address as verified: the account signs in while verification is required', async () => {
      const verification = (emailVerification: string) =>
        t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ emailVerification }).expect(200);
      const org = await makeOrganization(t, a.auth);
      const email = address('verified');
      await invite(a.auth, org.id, { email }).expect(201);
      const path = await invitationLink(email);
      await verification('required');
      try {
        const person = browser();
        const created = await person.submit(path, {
          firstName: 'Vi',
          lastName: 'Verified',
          password: PASSWORD,
          passwordConfirmation: PASSWORD,
        });
        expect(created.status).toBe(303);
        await person.logout();
        const again = await browser().login(email, PASSWORD, `/t/${a.key}/login`);
        expect(again.status).toBe(303);
        expect(again.headers.location).toBe('/account');
      } finally {
        await verification('off');
      }
    });

    it('holds the new account’s password to the configured policy', async () => {
      const policy = (minLength: number) =>
        t.http
          .put('/api/v1/settings/authentication')
          .set('Authorization', t.admin)
          .send({ passwordPolicy: { minLength, disallowCommon: true } })
          .expect(200);
      const org = await makeOrganization(t, a.auth);
      const email = address('strict');
      await invite(a.auth, org.id, { email }).expect(201);
      const path = await invitationLink(email);
      await policy(14);
      try {
        const person = browser();
        expect(words((await person.get(path)).text)).toContain('At least 14 characters');
        const short = 'Quay-Heron-47';
        const refused = await person.submit(path, { firstName: 'Sal', lastName: 'Strict', password: short, passwordConfirmation: short });
        expect(refused.status).toBe(400);
        expect(alertOf(refused.text)).toMatch(/at least 14 characters/);
        expect(await members(a.auth, org.id)).toEqual([]);
        const fine = await person.submit(path, {
          firstName: 'Sal',
          lastName: 'Strict',
          password: PASSWORD,
          passwordConfirmation: PASSWORD,
        });
        expect(fine.status).toBe(303);
      } finally {
        await policy(8);
      }
    });

    it('lets an existing account sign in on its tenant’s page, come back to the invitation, and join', async () => {
      const org = await makeOrganization(t, a.auth, { name: 'Heron Holdings' });
      const user = await makeUser(t, a.auth, { email: address('existing'), password: PASSWORD });
      await invite(a.auth, org.id, { email: user.email }).expect(201);
      const path = await invitationLink(user.email);
      const person = browser();
      const page = await person.get(path);
      expect(page.text).not.toContain('name="password"');
      const signIn = /href="([^"]+)"[^>]*>Sign in to join/.exec(page.text);
      expect(signIn).not.toBeNull();
      const loginUrl = decode(signIn![1]);
      expect(loginUrl.startsWith(`/t/${a.key}/login?next=`)).toBe(true);

      const next = new URL(loginUrl, 'http://x').searchParams.get('next')!;
      const loggedIn = await person.submit(`/t/${a.key}/login`, { login: user.email, password: PASSWORD, next }, loginUrl);
      expect(loggedIn.status).toBe(303);
      expect(loggedIn.headers.location).toBe(path);
      const back = await person.get(path);
      expect(back.text).toContain(`action="${path}/join"`);
      const joined = await person.submit(`${path}/join`, {}, path);
      expect(joined.status).toBe(303);
      expect(decode((await person.get('/account')).text)).toContain('You joined Heron Holdings');
      expect(await members(a.auth, org.id)).toEqual([expect.objectContaining({ email: user.email, role: 'member' })]);
      expect((await person.submit(`${path}/join`, {}, '/account')).status).toBe(410);
    });

    it('tells someone signed in as another account to sign out first, and does not join them', async () => {
      const org = await makeOrganization(t, a.auth);
      const other = await makeUser(t, a.auth, { email: address('other'), password: PASSWORD });
      const email = address('intended');
      await invite(a.auth, org.id, { email }).expect(201);
      const path = await invitationLink(email);
      const person = browser();
      await person.login(other.email, PASSWORD, `/t/${a.key}/login`);
      const page = await person.get(path);
      expect(decode(page.text)).toContain(`You are signed in as ${other.email}, but this invitation is for ${email}`);
      expect(page.text).not.toContain(`action="${path}/join"`);
      expect((await person.submit(`${path}/join`, {}, path)).status).toBe(409);
      expect(await members(a.auth, org.id)).toEqual([]);
      // Signing out from there comes back to the invitation, now offering to create the account.
      const out = await person.submit(`${path}/sign-out`, {}, path);
      expect(out.headers.location).toBe(path);
      expect((await person.get(path)).text).toContain('name="password"');
    });

    it('does not let a tenant B account with the invited address join tenant A’s organization', async () => {
      const org = await makeOrganization(t, a.auth);
      const email = address('twin');
      await makeUser(t, b.auth, { email, password: PASSWORD });
      await invite(a.auth, org.id, { email }).expect(201);
      const path = await invitationLink(email);
      const person = browser();
      await person.login(email, PASSWORD, `/t/${b.key}/login`);
      expect((await person.submit(`${path}/join`, {}, path)).status).toBe(409);
      expect(await members(a.auth, org.id)).toEqual([]);
    });

    it('expires after 7 days with a page saying what to do', async () => {
      const org = await makeOrganization(t, a.auth);
      const email = address('late');
      await invite(a.auth, org.id, { email }).expect(201);
      const path = await invitationLink(email);
      t.clock.advance(7 * DAY + 60_000);
      try {
        const page = await browser().get(path);
        expect(page.status).toBe(410);
        expect(decode(page.text)).toContain('This invitation has expired');
        expect(decode(page.text)).toContain('Ask the person who invited you to send a new one');
        const list = await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', a.auth).expect(200);
        expect(list.body.items[0].status).toBe('expired');
        // Expired, the address may be invited again.
        await invite(a.auth, org.id, { email }).expect(201);
      } finally {
        t.clock.reset();
      }
    });

    it('answers a made-up or mangled link with a page, never a 500', async () => {
      for (const path of [
        '/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        '/invitations/%00',
        `/invitations/${'x'.repeat(3000)}`,
      ]) {
        const page = await browser().get(path);
        expect([400, 404]).toContain(page.status);
      }
      expect(decode((await browser().get('/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).text)).toContain(
        'This invitation link does not work',
      );
    });
  });

  describe("the organization admin's account page", () => {
    it('gives a plain member 403 and no form; an admin sees members, invites and revokes', async () => {
      const org = await makeOrganization(t, a.auth, { name: 'Heron Hall' });
      const admin = await makeUser(t, a.auth, { email: address('boss'), password: PASSWORD, organizationId: org.id, role: 'admin' });
      const member = await makeUser(t, a.auth, { email: address('plain'), password: PASSWORD, organizationId: org.id, role: 'member' });
      const path = `/account/organizations/${org.id}`;

      const m = browser();
      await m.login(member.email, PASSWORD, `/t/${a.key}/login`);
      const refused = await m.get(path);
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain('Send invitation');
      const csrf = await m.csrf('/account');
      expect((await m.postRaw(`${path}/invitations`, { _csrf: csrf, email: address('sneaky') })).status).toBe(403);
      expect((await m.get('/account')).text).not.toContain(`href="${path}"`);

      const boss = browser();
      await boss.login(admin.email, PASSWORD, `/t/${a.key}/login`);
      expect((await boss.get('/account')).text).toContain(`href="${path}"`);
      const page = await boss.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain(member.email);
      expect(page.text).toContain('Send invitation');

      const guest = address('guest');
      const sent = await boss.submit(`${path}/invitations`, { email: guest, role: 'member' }, path);
      expect(sent.status).toBe(303);
      const mail = await smtp.inbox.waitFor(guest);
      expect(flat(mail.text)).toContain('Test User invited you to join Heron Hall');
      const listed = await boss.get(path);
      expect(listed.text).toContain(guest);

      const bad = await boss.submit(`${path}/invitations`, { email: 'nope', role: 'member' }, path);
      expect(bad.status).toBe(400);
      expect(alertOf(bad.text)).toMatch(/email/i);

      const id = (await t.http.get(`/api/v1/organizations/${org.id}/invitations`).set('Authorization', a.auth).expect(200)).body.items[0]
        .id;
      const revoked = await boss.submit(`${path}/invitations/${id}/revoke`, {}, path);
      expect(revoked.status).toBe(303);
      const after = words((await boss.get(path)).text);
      expect(after).toContain(`The invitation of ${guest} is revoked`);
      expect(after).toContain('No pending invitations');

      // Another tenant's organization, or one they are not in: not found.
      const elsewhere = await makeOrganization(t, a.auth);
      expect((await boss.get(`/account/organizations/${elsewhere.id}`)).status).toBe(404);
    });
  });

  describe('the console', () => {
    it("lists an organization's pending invitations, invites by email and revokes", async () => {
      const org = await makeOrganization(t, a.auth);
      const admin = browser();
      await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      const path = `/console/organizations/${org.id}`;
      const email = address('console');
      const sent = await admin.submit(`${path}/invitations`, { email, role: 'owner' }, path);
      expect(sent.status).toBe(303);
      const mail = await smtp.inbox.waitFor(email);
      expect(flat(mail.text)).toContain(`${ADMIN_EMAIL} invited you`);
      const page = await admin.get(path);
      expect(page.text).toContain(email);
      const id = /invitations\/([0-9a-f-]{36})\/revoke/.exec(page.text)![1];
      await admin.submit(`${path}/invitations/${id}/revoke`, {}, path);
      const after = words((await admin.get(path)).text);
      expect(after).toContain(`The invitation of ${email} is revoked`);
      expect(after).toContain('No pending invitations');
    });
  });
});

/** /account/email: the new address confirms itself before it replaces the old one, which is told. */
describe.each(databaseKinds())('change of email address (%s)', (kind) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let problems: string[];
  let tenant: TenantFixture;
  let n = 0;
  const address = (name: string) => `${name}-${++n}@finch.example`;
  const browser = () => new WebSession(t, `10.23.0.${++n}`);
  const confirmPath = (mail: ReceivedMail) => {
    const link = mail.links.find((l) => l.includes('/account/email/confirm?token='))!;
    const url = new URL(link);
    return { path: url.pathname + url.search, token: url.searchParams.get('token')! };
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(kind, { SMTP_URL: smtp.url, MAIL_FROM: 'portico@finch.example', TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('changes the address only after the link mailed to the new one is followed, tells the old one, and the link works once', async () => {
    const old = address('old');
    const user = await makeUser(t, tenant.auth, { email: old, password: PASSWORD });
    const person = browser();
    await person.login(old, PASSWORD, `/t/${tenant.key}/login`);
    expect((await person.get('/account')).text).toContain('href="/account/email"');

    const wrong = await person.submit('/account/email', { email: address('new'), currentPassword: 'not-my-password' });
    expect(wrong.status).toBe(400);
    expect(alertOf(wrong.text)).toContain('The current password is not right');

    const fresh = address('new');
    const asked = await person.submit('/account/email', { email: fresh, currentPassword: PASSWORD });
    expect(asked.status).toBe(303);
    const mail = await smtp.inbox.waitFor(fresh);
    expect(mail.subject).toContain('Confirm your new email address');
    const { path, token } = confirmPath(mail);
    // Nothing changed yet.
    expect((await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(200)).body.email).toBe(old);

    const page = await person.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain(fresh);
    const done = await person.submit('/account/email/confirm', { token }, path);
    expect(done.status).toBe(303);
    expect(decode((await person.get('/account')).text)).toContain(`Your email address is now ${fresh}`);
    const changed = await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(200);
    expect(changed.body).toMatchObject({ email: fresh, username: fresh, emailVerified: true });

    const notice = await smtp.inbox.waitFor(old);
    expect(notice.subject).toContain('Your email address was changed');
    expect(flat(notice.text)).toContain(`from ${old} to ${fresh}`);

    const updated = (await t.http.get('/api/v1/audit-events').query({ action: 'user.updated' }).set('Authorization', t.admin).expect(200))
      .body.items;
    expect(
      updated.some(
        (e: { target: { id: string }; details: { changed: string[] } }) => e.target.id === user.id && e.details.changed.includes('email'),
      ),
    ).toBe(true);
    const everything = await t.http.get('/api/v1/audit-events').query({ limit: 500 }).set('Authorization', t.admin).expect(200);
    expect(JSON.stringify(everything.body)).not.toContain(token);

    // Single use.
    const again = await browser().get(path);
    expect(again.status).toBe(410);
    expect(decode(again.text)).toContain('This confirmation link was used already');
    expect((await browser().submit('/account/email/confirm', { token }, '/login')).status).toBe(410);

    // The new address signs in; the old one no longer does.
    expect((await browser().login(fresh, PASSWORD, `/t/${tenant.key}/login`)).status).toBe(303);
  });

  it('puts the current password behind the sign-in throttle (429 after repeated wrong ones)', async () => {
    const mine = address('guessed');
    await makeUser(t, tenant.auth, { email: mine, password: PASSWORD });
    const person = browser();
    await person.login(mine, PASSWORD, `/t/${tenant.key}/login`);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await person.submit('/account/email', { email: address('taker'), currentPassword: `wrong-${i}-password` })).status);
    expect(statuses.slice(0, 4)).toEqual([400, 400, 400, 400]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    const locked = await person.submit('/account/email', { email: address('taker'), currentPassword: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(alertOf(locked.text)).toMatch(/Too many failed attempts/);
  });

  it('answers a taken address exactly like a free one, and changes nothing', async () => {
    const mine = address('mine');
    await makeUser(t, tenant.auth, { email: mine, password: PASSWORD });
    const taken = (await makeUser(t, tenant.auth, { email: address('taken') })).email;
    const free = address('free');
    const person = browser();
    await person.login(mine, PASSWORD, `/t/${tenant.key}/login`);
    const forTaken = await person.submit('/account/email', { email: taken, currentPassword: PASSWORD });
    const flashTaken = alertOrStatus((await person.get('/account')).text);
    const forFree = await person.submit('/account/email', { email: free, currentPassword: PASSWORD });
    const flashFree = alertOrStatus((await person.get('/account')).text);
    expect(forTaken.status).toBe(forFree.status);
    expect(forTaken.headers.location).toBe(forFree.headers.location);
    expect(flashTaken.replace(taken, 'X')).toBe(flashFree.replace(free, 'X'));
    await smtp.inbox.waitFor(free);
    expect(smtp.inbox.find(taken)).toEqual([]);
    expect(decode((await person.get('/account')).text)).toContain(mine);
  });

  it('expires after 24 hours, and a mangled token gets a page', async () => {
    const mine = address('slow');
    await makeUser(t, tenant.auth, { email: mine, password: PASSWORD });
    const person = browser();
    await person.login(mine, PASSWORD, `/t/${tenant.key}/login`);
    const fresh = address('slow-new');
    await person.submit('/account/email', { email: fresh, currentPassword: PASSWORD });
    const { path } = confirmPath(await smtp.inbox.waitFor(fresh));
    t.clock.advance(DAY + 60_000);
    try {
      const page = await browser().get(path);
      expect(page.status).toBe(410);
      expect(decode(page.text)).toContain('has expired');
    } finally {
      t.clock.reset();
    }
    expect([400, 404]).toContain((await browser().get('/account/email/confirm?token=%00')).status);
    expect((await browser().get('/account/email/confirm')).status).toBe(404);
  });
});

/** A mail's text with its line wrapping undone. */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** A page's text as a person reads it: tags gone, spaces collapsed. */
function words(html: string): string {
  return decode(html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
}

/** The flash a person sees after a redirect. */
function alertOrStatus(html: string): string {
  const m = /role="status"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  return decode(
    (m?.[1] ?? '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}
