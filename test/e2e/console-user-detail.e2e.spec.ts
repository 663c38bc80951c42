import { EmailVerificationService } from '@portico/accounts';
import { RequestContext } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import type { Grant } from 'oidc-provider';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, startTestApp, TestApp } from '../support/test-app';
import { alertOf, consoleAdmin, csrfOf, decode, WebSession } from '../support/web-session';

const PASSWORD = 'Velvet-Otter-42-river';
const NEW_PASSWORD = 'Copper-Kettle-77-dune';
const CSRF_REFUSED = 'This form has expired or did not come from Portico';
const NOBODY = '00000000-0000-4000-8000-000000000000';
let ipCounter = 0;

/** The words a person reads on a page. */
const textOf = (html: string) =>
  decode(html.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
/** The texts shown under one field of the page. */
const fieldErrors = (html: string, field: string) =>
  [...html.matchAll(new RegExp(`data-testid="error-${field}">([^<]*)<`, 'g'))].map((m) => decode(m[1]));

/** The console's user page over HTTP: every action, what it changes, and what it refuses. */
describe.each(databaseKinds())('console user page (%s)', (kind) => {
  let t: TestApp;
  let tenant: TenantFixture;
  let other: TenantFixture;
  let admin: WebSession;
  let adminId: string;
  const page = (id: string) => `/console/users/${id}`;
  const apiUser = async (id: string) => (await t.http.get(`/api/v1/users/${id}`).set('Authorization', t.admin).expect(200)).body;
  const newUser = (body: Record<string, unknown> = {}) => makeUser(t, tenant.auth, { password: PASSWORD, ...body });
  const signedIn = async (email: string, password = PASSWORD) => {
    const person = new WebSession(t, `198.51.100.${++ipCounter}`);
    expect((await person.login(email, password, `/t/${tenant.key}/login`)).status).toBe(303);
    return person;
  };
  const stillSignedIn = async (person: WebSession) => (await person.get('/account')).status === 200;
  /** Follows a console action's redirect and returns the page's flash. */
  const flashAfter = async (done: { status: number; headers: Record<string, string> }, id: string) => {
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(page(id));
    const shown = await admin.get(page(id));
    return decode(/role="status">\s*<p>([^<]*)<\/p>/.exec(shown.text)?.[1] ?? '');
  };
  const mailbox = async () => textOf((await admin.get('/console/mail')).text);

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    tenant = await makeTenant(t);
    other = await makeTenant(t);
    admin = await consoleAdmin(t, '203.0.113.9');
    adminId = (await t.http.get('/api/v1/users').query({ email: ADMIN_EMAIL }).set('Authorization', t.admin).expect(200)).body.items[0].id;
  });
  afterAll(async () => t?.close());

  it('opens from the list and shows the user, their organizations and their activity; an unknown id is a 404', async () => {
    const user = await newUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const org = await makeOrganization(t, tenant.auth, { name: 'Analytical Engines' });
    await t.http
      .put(`/api/v1/organizations/${org.id}/members/${user.id}`)
      .set('Authorization', tenant.auth)
      .send({ role: 'admin' })
      .expect(200);
    const list = await admin.get(`/console/users?search=${encodeURIComponent(user.email)}`);
    expect(list.text).toContain(`<a href="${page(user.id)}">${user.email}</a>`);

    const shown = await admin.get(page(user.id));
    expect(shown.status).toBe(200);
    const words = textOf(shown.text);
    expect(words).toContain(`Ada Lovelace active`);
    expect(words).toContain(`Tenant ${tenant.key}`);
    expect(shown.text).toContain(`<a href="/console/organizations/${org.id}">Analytical Engines</a>`);
    expect(words).toContain('admin (site administrator)');
    expect(words).toContain('membership.created');
    // The log filtered by the user: what was done to their account too, not only what they did.
    const involving = `/console/audit?user=${user.id}`;
    expect(decode(shown.text)).toContain(`href="${involving}"`);
    const log = textOf((await admin.get(involving)).text);
    expect(log).toContain(`Events involving ${user.email} : what they did and what was done to their account. Show every user's events`);
    expect(log).toContain('membership.created');
    expect(log).not.toContain('organization.created');
    expect((await admin.get('/console/audit?user=not-a-uuid')).status).toBe(400);
    const api = await t.http.get('/api/v1/audit-events').query({ userId: user.id }).set('Authorization', t.admin).expect(200);
    expect(api.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['user.created', 'membership.created']));
    for (const e of api.body.items as { actor: { id: string }; target: { type: string; id: string } }[])
      expect(e.actor.id === user.id || (e.target.type === 'user' && e.target.id === user.id)).toBe(true);
    await t.http.get('/api/v1/audit-events').query({ userId: 'nope' }).set('Authorization', t.admin).expect(400);

    expect((await admin.get(page(NOBODY))).status).toBe(404);
    expect((await admin.get('/console/users/not-a-uuid')).status).toBe(400);
    for (const path of ['', '/password-reset', '/verification', '/disable', '/enable', '/sessions/end', '/delete']) {
      const res = await admin.postRaw(`${page(NOBODY)}${path}`, { _csrf: await admin.csrf(page(user.id)) });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  it('edits the profile, says under each field what is wrong, and refuses a taken email with a 409', async () => {
    const user = await newUser();
    const taken = await newUser();
    const form = { email: user.email, username: user.email, firstName: 'Grace', lastName: 'Hopper', emailVerified: 'on' };
    expect(await flashAfter(await admin.submit(page(user.id), form), user.id)).toBe('Saved: first name, last name.');
    expect(await apiUser(user.id)).toMatchObject({ firstName: 'Grace', lastName: 'Hopper', email: user.email });
    const events = textOf((await admin.get(page(user.id))).text);
    expect(events).toMatch(/user\.updated admin@portico\.test/);

    const bad = await admin.submit(page(user.id), { ...form, email: 'not an address', username: '' });
    expect(bad.status).toBe(400);
    expect(fieldErrors(bad.text, 'email')).toEqual(['Email: must be a valid email address']);
    expect(fieldErrors(bad.text, 'username')).toEqual(['Username is required.']);
    expect(bad.text).toContain('value="not an address"');

    const clash = await admin.submit(page(user.id), { ...form, email: taken.email.toUpperCase() });
    expect(clash.status).toBe(409);
    expect(fieldErrors(clash.text, 'email')).toEqual(['A user with this email already exists in this tenant']);
    expect((await apiUser(user.id)).email).toBe(user.email);

    const forged = await admin.postRaw(page(user.id), { ...form, firstName: 'Mallory' });
    expect(forged.status).toBe(403);
    expect(decode(forged.text)).toContain(CSRF_REFUSED);
    expect((await apiUser(user.id)).firstName).toBe('Grace');
  });

  it('sets a password the policy accepts, and ends their sessions when asked', async () => {
    const user = await newUser();
    const person = await signedIn(user.email);
    const weak = await admin.submit(`${page(user.id)}/password`, { password: 'short', signOut: 'on' }, page(user.id));
    expect(weak.status).toBe(400);
    expect(fieldErrors(weak.text, 'password')[0]).toMatch(/^Password: /);
    expect(await stillSignedIn(person)).toBe(true);

    const set = await admin.submit(`${page(user.id)}/password`, { password: NEW_PASSWORD, signOut: 'on' }, page(user.id));
    expect(await flashAfter(set, user.id)).toContain(`New password set for ${user.email}. Their sessions ended`);
    expect(await stillSignedIn(person)).toBe(false);
    await signedIn(user.email, NEW_PASSWORD);

    const own = await admin.submit(`${page(adminId)}/password`, { password: NEW_PASSWORD }, page(adminId));
    expect(own.status).toBe(409);
    expect(alertOf(own.text)).toBe('This is you: change your own password with your current one, on your account page (/console/me).');
  });

  it('mails a password reset or, without a Portico password, how they sign in; resends verification only while unverified', async () => {
    const user = await newUser({ emailVerified: false });
    const sso = await makeUser(t, tenant.auth);
    expect(await flashAfter(await admin.submit(`${page(user.id)}/password-reset`, {}, page(user.id)), user.id)).toBe(
      `A password reset link was mailed to ${user.email}. It works once, for 30 minutes.`,
    );
    expect(await flashAfter(await admin.submit(`${page(sso.id)}/password-reset`, {}, page(sso.id)), sso.id)).toBe(
      `${sso.email} has no Portico password: they were mailed how they sign in instead.`,
    );
    const shown = textOf((await admin.get(page(user.id))).text);
    expect(shown).toContain('Email not verified Resend verification mail');
    expect(await flashAfter(await admin.submit(`${page(user.id)}/verification`, {}, page(user.id)), user.id)).toBe(
      `A verification link was mailed to ${user.email}. It works once, for 24 hours.`,
    );
    const mails = await mailbox();
    expect(mails).toMatch(new RegExp(`${user.email} \\S.*password-reset`));
    expect(mails).toContain(`${sso.email}`);
    expect(mails).toMatch(new RegExp(`${user.email} \\S.*verify-email`));

    const verified = await newUser();
    expect(await flashAfter(await admin.submit(`${page(verified.id)}/verification`, {}, page(verified.id)), verified.id)).toBe(
      `${verified.email} is verified already.`,
    );
    // The facade answers only for users the caller may see: another tenant's key finds nobody.
    const otherTenant = new RequestContext(
      { kind: 'tenant', id: other.keyId, label: `tenant:${other.key}`, tenantId: other.id, tenantKey: other.key },
      other.id,
    );
    await expect(t.app.get(EmailVerificationService).resendFor(otherTenant, user.id)).rejects.toThrow('User not found');
    await t.http.post(`/api/v1/users/${user.id}/password-reset`).set('Authorization', other.auth).expect(404);
  });

  it('disables only after the confirmation, which ends their sessions; enables again; never yourself', async () => {
    const user = await newUser();
    const person = await signedIn(user.email);
    const confirm = await admin.get(`${page(user.id)}/disable`);
    expect(textOf(confirm.text)).toContain(`Disable ${user.email}? They cannot sign in while the account is disabled`);
    expect(confirm.text).toContain(`href="${page(user.id)}">Cancel</a>`);
    expect((await apiUser(user.id)).status).toBe('active');
    expect(await stillSignedIn(person)).toBe(true);

    const done = await admin.postRaw(`${page(user.id)}/disable`, { _csrf: csrfOf(confirm.text) });
    expect(await flashAfter(done, user.id)).toBe(`${user.email} is disabled and signed out everywhere.`);
    expect((await apiUser(user.id)).status).toBe('disabled');
    expect(await stillSignedIn(person)).toBe(false);

    expect(await flashAfter(await admin.submit(`${page(user.id)}/enable`, {}, page(user.id)), user.id)).toBe(
      `${user.email} is enabled: they can sign in again.`,
    );
    await signedIn(user.email);

    const self = await admin.submit(`${page(adminId)}/disable`, {}, `${page(adminId)}/disable`);
    expect(self.status).toBe(409);
    expect(textOf(self.text)).toContain('You are signed in as this user');
    expect((await apiUser(adminId)).status).toBe('active');
  });

  it('lists sessions with their address, ends one, then all after a confirmation', async () => {
    const user = await newUser();
    const first = await signedIn(user.email);
    const second = await signedIn(user.email);
    const shown = await admin.get(page(user.id));
    const rows = [...shown.text.matchAll(/data-testid="user-session"[\s\S]*?<\/tr>/g)].map((m) => textOf(m[0]));
    expect(rows).toHaveLength(2);
    expect(rows.join(' ')).toMatch(/198\.51\.100\.\d+ \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const ends = [...shown.text.matchAll(/action="(\/console\/users\/[^"]+\/sessions\/[\w-]{22}\/end)"/g)].map((m) => m[1]);
    expect(ends).toHaveLength(2);

    expect(await flashAfter(await admin.postRaw(ends[0], { _csrf: csrfOf(shown.text) }), user.id)).toBe(
      `That session of ${user.email} has ended.`,
    );
    expect([await stillSignedIn(first), await stillSignedIn(second)].sort()).toEqual([false, true]);
    expect(await flashAfter(await admin.postRaw(ends[0], { _csrf: csrfOf(shown.text) }), user.id)).toContain(
      'That session had already ended',
    );

    const confirm = await admin.get(`${page(user.id)}/sessions/end`);
    expect(textOf(confirm.text)).toContain('1 session ends');
    expect(confirm.text).toContain(`href="${page(user.id)}">Cancel</a>`);
    const done = await admin.postRaw(`${page(user.id)}/sessions/end`, { _csrf: csrfOf(confirm.text) });
    expect(await flashAfter(done, user.id)).toBe(`${user.email} is signed out everywhere.`);
    expect([await stillSignedIn(first), await stillSignedIn(second)]).toEqual([false, false]);
  });

  it('returns to the user page from the authenticator reset and the delete confirmation', async () => {
    const user = await newUser();
    const reset = await admin.get(`${page(user.id)}/authenticator/reset`);
    expect(reset.text).toContain(`href="${page(user.id)}">Cancel</a>`);
    expect(await flashAfter(await admin.postRaw(`${page(user.id)}/authenticator/reset`, { _csrf: csrfOf(reset.text) }), user.id)).toBe(
      `${user.email} has no authenticator app: nothing to reset.`,
    );
    const confirm = await admin.get(`${page(user.id)}/delete`);
    expect(confirm.text).toContain(`href="${page(user.id)}">Cancel</a>`);
    const deleted = await admin.postRaw(`${page(user.id)}/delete`, { _csrf: csrfOf(confirm.text) });
    expect(deleted.headers.location).toBe('/console/users');
    expect((await admin.get(page(user.id))).status).toBe(404);
  });

  it('lists the applications the user authorized and revokes one after a confirmation', async () => {
    const user = await newUser();
    const client = (
      await t.http
        .post('/api/v1/oidc/clients')
        .set('Authorization', tenant.auth)
        .send({ name: 'Ledger App', redirectUris: ['https://ledger.example/cb'], grantTypes: ['authorization_code'] })
        .expect(201)
    ).body;
    // The consent the provider keeps when the user allows the application on its consent page.
    const grant = { accountId: user.id, clientId: client.clientId, getOIDCScope: () => 'openid email', getOIDCClaims: () => [] };
    await t.app.get(OidcSessions).rememberConsent(grant as unknown as Grant);

    const shown = await admin.get(page(user.id));
    expect(textOf(shown.text)).toContain('Ledger App openid email');
    const revokeHref = `${page(user.id)}/applications/${client.clientId}/revoke`;
    expect(shown.text).toContain(`href="${revokeHref}"`);
    const confirm = await admin.get(revokeHref);
    expect(textOf(confirm.text)).toContain(`Revoke the access of Ledger App for ${user.email}?`);
    expect(textOf((await admin.get(page(user.id))).text)).toContain('Ledger App');
    expect(await flashAfter(await admin.postRaw(revokeHref, { _csrf: csrfOf(confirm.text) }), user.id)).toBe(
      `Ledger App can no longer sign ${user.email} in without asking again.`,
    );
    expect(textOf((await admin.get(page(user.id))).text)).toContain('No application may sign them in without asking.');
    expect((await admin.get(revokeHref)).status).toBe(404);
  });
});
