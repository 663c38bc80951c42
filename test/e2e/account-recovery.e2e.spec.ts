import { AuditEvent } from '@portico/core';
import { DataSource } from 'typeorm';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { startSmtp, TestSmtp, ReceivedMail } from '../support/smtp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, WebSession } from '../support/web-session';

const PASSWORD = 'tidy-lantern-42-orbit';
const NEW_PASSWORD = 'brisk-harbor-77-quill';
let ipCounter = 0;
const nextIp = () => `198.51.100.${(++ipCounter % 250) + 1}`;

/** The words a person reads on a page. */
const textOf = (html: string) =>
  decode(html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
/** The path and query of a mailed link, to follow on the test app. */
const pathOf = (link: string) => {
  const u = new URL(link);
  return `${u.pathname}${u.search}`;
};
const linkIn = (mail: ReceivedMail, path: string) => {
  const found = mail.links.find((l) => new URL(l).pathname.endsWith(path));
  if (!found) throw new Error(`No ${path} link in: ${mail.text}`);
  return found;
};
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

describe.each(databaseKinds())('account recovery and email verification (%s)', (kind) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let tenant: TenantFixture;
  let other: TenantFixture;
  let n = 0;
  const email = (prefix = 'p') => `${prefix}-${kind}-${++n}@example.com`;
  const browser = () => new WebSession(t, nextIp());
  const setGlobal = (body: object) => t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send(body).expect(200);
  const setTenant = (key: string, body: object) =>
    t.http.put(`/api/v1/tenants/${key}/settings`).set('Authorization', t.admin).send(body).expect(200);
  const userByEmail = async (address: string) =>
    (await t.http.get('/api/v1/users').query({ email: address }).set('Authorization', t.admin).expect(200)).body.items[0];
  const signupForm = (address: string, org = `Org ${address}`) => ({
    email: address,
    firstName: 'Ada',
    lastName: 'Lovelace',
    organizationName: org,
    password: PASSWORD,
    passwordConfirmation: PASSWORD,
  });

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' }, { smtpUrl: smtp.url });
    tenant = await makeTenant(t);
    other = await makeTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  describe('settings', () => {
    it('reads and writes emailVerification globally and per tenant (null: as globally set)', async () => {
      expect((await t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200)).body.emailVerification).toBe(
        'off',
      );
      expect((await setGlobal({ emailVerification: 'required' })).body.emailVerification).toBe('required');
      const own = await setTenant(other.key, { emailVerification: 'off' });
      expect(own.body).toMatchObject({ emailVerification: 'off', effective: { emailVerification: 'off' } });
      const inherited = await setTenant(other.key, { emailVerification: null });
      expect(inherited.body).toMatchObject({ emailVerification: null, effective: { emailVerification: 'required' } });
      const bad = await t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ emailVerification: 'maybe' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('emailVerification');
      await setGlobal({ emailVerification: 'off' });
    });

    it('shows emailVerified in the user API: verified unless the call says otherwise', async () => {
      const verified = await makeUser(t, t.admin, { password: PASSWORD });
      expect((await t.http.get(`/api/v1/users/${verified.id}`).set('Authorization', t.admin).expect(200)).body.emailVerified).toBe(true);
      const unverified = await makeUser(t, t.admin, { emailVerified: false });
      expect((await t.http.get(`/api/v1/users/${unverified.id}`).set('Authorization', t.admin).expect(200)).body.emailVerified).toBe(false);
      const patched = await t.http
        .patch(`/api/v1/users/${unverified.id}`)
        .set('Authorization', t.admin)
        .send({ emailVerified: true })
        .expect(200);
      expect(patched.body.emailVerified).toBe(true);
      const bad = await t.http.post('/api/v1/users').set('Authorization', t.admin).send({ email: email(), emailVerified: 'yes' });
      expect(bad.status).toBe(400);
    });
  });

  describe('email verification (required)', () => {
    beforeAll(async () => {
      await setGlobal({ signupEnabled: true, emailVerification: 'required' });
    });
    afterAll(async () => {
      await setGlobal({ signupEnabled: false, emailVerification: 'off' });
    });

    it('signs up, refuses sign-in until the mailed link is followed, and the link works once', async () => {
      const address = email('new');
      const b = browser();
      const signup = await b.submit('/signup', signupForm(address));
      expect(signup.status).toBe(200);
      expect(textOf(signup.text)).toContain(`We sent a mail to ${address}`);
      expect(b.sessionCookie() === null || !(await b.get('/account')).text.includes(address)).toBe(true);
      expect((await userByEmail(address)).emailVerified).toBe(false);

      const mail = await smtp.inbox.waitFor(address);
      expect(mail.subject).toBe('Confirm your email address for Portico');
      const link = linkIn(mail, '/email/verify');
      expect(mail.html).toContain('Confirm my address');
      // The HTML part carries the same link as the text part.
      expect(mail.links).toEqual([link]);

      const early = await b.login(address, PASSWORD);
      expect(early.status).toBe(403);
      expect(textOf(early.text)).toContain('Confirm your email address first');
      expect(early.text).toContain('Resend the verification mail');

      const verified = await b.get(pathOf(link));
      expect(verified.status).toBe(200);
      expect(textOf(verified.text)).toContain(`${address} is confirmed`);
      expect((await userByEmail(address)).emailVerified).toBe(true);
      const again = await b.get(pathOf(link));
      expect(again.status).toBe(410);
      expect(textOf(again.text)).toContain('This address is already confirmed');

      const signedIn = await b.login(address, PASSWORD);
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.location).toBe('/account');
    });

    it('registers through the public sign-up API unverified, with the mail; a tenant key registers verified', async () => {
      const address = email('api');
      const res = await t.http
        .post('/api/auth/register')
        .set('X-Forwarded-For', nextIp())
        .send({ email: address, firstName: 'Ada', lastName: 'L', organizationName: `Org ${address}`, password: PASSWORD })
        .expect(201);
      expect((await t.http.get(`/api/v1/users/${res.body.userId}`).set('Authorization', t.admin).expect(200)).body.emailVerified).toBe(
        false,
      );
      expect((await smtp.inbox.waitFor(address)).subject).toBe('Confirm your email address for Portico');
      const trusted = email('api-key');
      const byKey = await t.http
        .post('/api/auth/register')
        .set('Authorization', tenant.auth)
        .send({ email: trusted, firstName: 'Ada', lastName: 'L', organizationName: `Org ${trusted}`, password: PASSWORD })
        .expect(201);
      expect((await t.http.get(`/api/v1/users/${byKey.body.userId}`).set('Authorization', t.admin).expect(200)).body.emailVerified).toBe(
        true,
      );
    });

    it('answers a sign-up with a taken address exactly like a new one, and mails the owner instead', async () => {
      const taken = email('taken');
      await makeUser(t, t.admin, { email: taken, password: PASSWORD });
      const fresh = email('fresh');
      const a = await browser().submit('/signup', signupForm(taken, `Org A ${n}`));
      const b = await browser().submit('/signup', signupForm(fresh, `Org B ${n}`));
      expect(a.status).toBe(b.status);
      expect(textOf(a.text).replace(taken, 'X')).toBe(textOf(b.text).replace(fresh, 'X'));
      const owner = await smtp.inbox.waitFor(taken);
      expect(owner.subject).toBe('Someone tried to sign up on Portico with your address');
      expect(owner.links.map(pathOf)).toEqual(expect.arrayContaining(['/login', '/password/forgot']));
      // No second account, no organization.
      const users = await t.http.get('/api/v1/users').query({ email: taken }).set('Authorization', t.admin).expect(200);
      expect(users.body.total).toBe(1);
      const orgs = await t.http
        .get('/api/v1/organizations')
        .query({ search: `Org A ${n}` })
        .set('Authorization', t.admin)
        .expect(200);
      expect(orgs.body.items.filter((o: { name: string }) => o.name === `Org A ${n}`)).toEqual([]);
    });

    it('resends the mail (earlier links stop working), with a limit per address (429)', async () => {
      const address = email('resend');
      const b = browser();
      await b.submit('/signup', signupForm(address));
      const first = linkIn(await smtp.inbox.waitFor(address), '/email/verify');
      const resent = await b.submit('/email/verify/resend', { login: address }, '/login');
      expect(resent.status).toBe(200);
      expect(textOf(resent.text)).toContain('a new confirmation mail is on its way');
      await smtp.inbox.waitFor((m) => m.to === address && !m.text.includes(tokenOf(first)));
      expect((await b.get(pathOf(first))).status).toBe(400);
      await b.submit('/email/verify/resend', { login: address }, '/login');
      await b.submit('/email/verify/resend', { login: address }, '/login');
      const limited = await b.submit('/email/verify/resend', { login: address }, '/login');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // An unknown address gets the same answer as a known one.
      const unknown = await browser().submit('/email/verify/resend', { login: 'nobody@example.com' }, '/login');
      expect(unknown.status).toBe(200);
      expect(textOf(unknown.text).replace('nobody@example.com', 'X')).toBe(textOf(resent.text).replace(address, 'X'));
    });

    it("binds a tenant's link to the tenant's own page, and says what happened to a bad link", async () => {
      await setGlobal({ emailVerification: 'off' });
      await setTenant(tenant.key, { signupEnabled: true, emailVerification: 'required' });
      try {
        const address = email('tenant');
        const b = browser();
        const page = await b.submit(`/t/${tenant.key}/signup`, signupForm(address));
        expect(page.status).toBe(200);
        const mail = await smtp.inbox.waitFor(address);
        expect(mail.subject).toBe(`Confirm your email address for Tenant ${tenant.key} (via Portico)`);
        const link = linkIn(mail, '/email/verify');
        expect(new URL(link).pathname).toBe(`/t/${tenant.key}/email/verify`);
        const token = tokenOf(link);
        for (const path of [`/email/verify?token=${token}`, `/t/${other.key}/email/verify?token=${token}`]) {
          const foreign = await b.get(path);
          expect(foreign.status).toBe(400);
          expect(textOf(foreign.text)).toContain('This confirmation link does not work');
        }
        const tampered = await b.get(`/t/${tenant.key}/email/verify?token=${token.slice(0, -2)}xx`);
        expect(tampered.status).toBe(400);
        expect((await b.get(`/t/${tenant.key}/email/verify`)).status).toBe(400);
        expect((await b.get(`/t/${tenant.key}/email/verify?token=${'a'.repeat(5000)}`)).status).toBe(400);
        expect((await b.get(pathOf(link))).status).toBe(200);
        t.clock.advance(25 * 3_600_000);
        const late = email('late');
        await browser().submit(`/t/${tenant.key}/signup`, signupForm(late));
        const lateLink = linkIn(await smtp.inbox.waitFor(late), '/email/verify');
        t.clock.advance(24 * 3_600_000 + 1000);
        const expired = await b.get(pathOf(lateLink));
        expect(expired.status).toBe(410);
        expect(textOf(expired.text)).toContain('This confirmation link has expired');
      } finally {
        t.clock.reset();
        await setTenant(tenant.key, { signupEnabled: null, emailVerification: null });
      }
    });
  });

  describe('forgot password', () => {
    it('gives the same answer for a known and an unknown address, and mails the known one a single-use link', async () => {
      const user = await makeUser(t, t.admin, { password: PASSWORD });
      const known = await browser().submit('/password/forgot', { login: user.email });
      const unknown = await browser().submit('/password/forgot', { login: 'nobody-at-all@example.com' });
      expect(known.status).toBe(200);
      expect(unknown.status).toBe(200);
      expect(textOf(known.text).replace(user.email, 'X')).toBe(textOf(unknown.text).replace('nobody-at-all@example.com', 'X'));
      expect(textOf(known.text)).toContain('a mail is on its way');

      const mail = await smtp.inbox.waitFor(user.email);
      expect(mail.subject).toBe('Reset your password for Portico');
      const link = linkIn(mail, '/password/reset');
      expect(smtp.inbox.find('nobody-at-all@example.com')).toEqual([]);

      // A session signed in with the old password ends with the reset.
      const before = browser();
      expect((await before.login(user.email, PASSWORD)).status).toBe(303);
      expect((await before.get('/account')).status).toBe(200);

      const b = browser();
      const form = await b.get(pathOf(link));
      expect(form.status).toBe(200);
      expect(form.text).toContain('name="password"');
      const mismatch = await b.submit(
        '/password/reset',
        { token: tokenOf(link), password: NEW_PASSWORD, passwordConfirmation: 'other' },
        pathOf(link),
      );
      expect(mismatch.status).toBe(400);
      expect(textOf(mismatch.text)).toContain('The two passwords do not match');
      const weak = await b.submit(
        '/password/reset',
        { token: tokenOf(link), password: 'password', passwordConfirmation: 'password' },
        pathOf(link),
      );
      expect(weak.status).toBe(400);
      const done = await b.submit(
        '/password/reset',
        { token: tokenOf(link), password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD },
        pathOf(link),
      );
      expect(done.status).toBe(200);
      expect(textOf(done.text)).toContain('You are signed out everywhere');

      expect((await before.get('/account')).status).not.toBe(200);
      const used = await b.get(pathOf(link));
      expect(used.status).toBe(410);
      expect(textOf(used.text)).toContain('This reset link was already used');
      const usedPost = await b.submit(
        '/password/reset',
        { token: tokenOf(link), password: PASSWORD, passwordConfirmation: PASSWORD },
        '/password/forgot',
      );
      expect(usedPost.status).toBe(410);
      expect((await browser().login(user.email, PASSWORD)).status).toBe(401);
      expect((await browser().login(user.email, NEW_PASSWORD)).status).toBe(303);

      // Nothing in the audit trail carries the token.
      const audit = await t.app.get(DataSource).getRepository(AuditEvent).find();
      expect(JSON.stringify(audit)).not.toContain(tokenOf(link));
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['user.password_reset_requested', 'user.password_reset', 'mail.sent']),
      );
    });

    it('applies the password policy of Global Configuration › Authentication, and says it on the form', async () => {
      const user = await makeUser(t, t.admin, { password: PASSWORD });
      await setGlobal({ passwordPolicy: { minLength: 24 } });
      try {
        await browser().submit('/password/forgot', { login: user.email });
        const link = linkIn(await smtp.inbox.waitFor(user.email), '/password/reset');
        const b = browser();
        expect(textOf((await b.get(pathOf(link))).text)).toContain('At least 24 characters');
        const short = await b.submit(
          '/password/reset',
          { token: tokenOf(link), password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD },
          pathOf(link),
        );
        expect(short.status).toBe(400);
        expect(textOf(short.text)).toMatch(/at least 24 characters/i);
        // The refused password did not use the link up.
        expect((await b.get(pathOf(link))).status).toBe(200);
      } finally {
        await setGlobal({ passwordPolicy: { minLength: 8 } });
      }
    });

    it('says a link has expired after 30 minutes', async () => {
      const user = await makeUser(t, t.admin, { password: PASSWORD });
      await browser().submit('/password/forgot', { login: user.email });
      const link = linkIn(await smtp.inbox.waitFor(user.email), '/password/reset');
      t.clock.advance(31 * 60_000);
      try {
        const page = await browser().get(pathOf(link));
        expect(page.status).toBe(410);
        expect(textOf(page.text)).toContain('This reset link has expired');
        expect(page.text).toContain('href="/password/forgot"');
      } finally {
        t.clock.reset();
      }
    });

    it("mails an account without a password how it signs in, and keeps tenant A's link off tenant B's pages", async () => {
      const sso = await makeUser(t, tenant.auth, {});
      await browser().submit(`/t/${tenant.key}/password/forgot`, { login: sso.email });
      const ssoMail = await smtp.inbox.waitFor(sso.email);
      expect(ssoMail.subject).toBe(`About your password for Tenant ${tenant.key} (via Portico)`);
      expect(ssoMail.text).toContain('Your account has no password here');
      expect(ssoMail.links.some((l) => l.includes('/password/reset'))).toBe(false);

      const local = await makeUser(t, tenant.auth, { password: PASSWORD });
      // The global page knows no tenant's users: no mail.
      await browser().submit('/password/forgot', { login: local.email });
      const page = await browser().submit(`/t/${tenant.key}/password/forgot`, { login: local.email });
      expect(page.status).toBe(200);
      const mail = await smtp.inbox.waitFor(local.email);
      expect(mail.subject).toBe(`Reset your password for Tenant ${tenant.key} (via Portico)`);
      const link = linkIn(mail, '/password/reset');
      expect(new URL(link).pathname).toBe(`/t/${tenant.key}/password/reset`);
      const token = tokenOf(link);
      for (const path of [`/password/reset?token=${token}`, `/t/${other.key}/password/reset?token=${token}`]) {
        const foreign = await browser().get(path);
        expect(foreign.status).toBe(400);
        expect(textOf(foreign.text)).toContain('This reset link does not work');
      }
      const posted = await browser().submit(
        `/t/${other.key}/password/reset`,
        { token, password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD },
        `/t/${other.key}/password/forgot`,
      );
      expect(posted.status).toBe(400);
      expect((await browser().login(local.email, PASSWORD, `/t/${tenant.key}/login`)).status).toBe(303);
      expect(smtp.inbox.find(local.email)).toHaveLength(1);
    });

    it('limits reset mails per address (429 with Retry-After), known or not', async () => {
      for (const address of [(await makeUser(t, t.admin, { password: PASSWORD })).email, 'limit-unknown@example.com']) {
        for (let i = 0; i < 3; i++) expect((await browser().submit('/password/forgot', { login: address })).status).toBe(200);
        const limited = await browser().submit('/password/forgot', { login: address });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(textOf(limited.text)).toContain('Too many reset mails were asked for');
      }
    });

    it('limits reset mails per client address too, whatever the addresses asked for', async () => {
      const b = browser();
      let status = 200;
      let asked = 0;
      while (status === 200 && asked < 40) {
        status = (await b.submit('/password/forgot', { login: `spray-${asked++}@example.com` })).status;
      }
      expect(status).toBe(429);
      // More than one address's worth (several people share an office's address), but a bounded number.
      expect(asked).toBeGreaterThan(4);
      expect(asked).toBeLessThan(40);
    });

    it('refuses what is not an address in the form (400), never a 500', async () => {
      const b = browser();
      expect((await b.submit('/password/forgot', { login: 'x'.repeat(400) })).status).toBe(400);
      expect((await b.submit('/password/forgot', {})).status).toBe(400);
      expect((await b.get('/t/no-such-tenant/password/forgot')).status).toBe(404);
    });
  });

  describe('POST /api/v1/users/{id}/password-reset', () => {
    it("sends the reset mail (202), for a tenant's own users only", async () => {
      const user = await makeUser(t, tenant.auth, { password: PASSWORD });
      await t.http.post(`/api/v1/users/${user.id}/password-reset`).set('Authorization', tenant.auth).expect(202);
      const mail = await smtp.inbox.waitFor(user.email);
      expect(new URL(linkIn(mail, '/password/reset')).pathname).toBe(`/t/${tenant.key}/password/reset`);
      await t.http.post(`/api/v1/users/${user.id}/password-reset`).set('Authorization', other.auth).expect(404);
      await t.http.post(`/api/v1/users/not-a-uuid/password-reset`).set('Authorization', t.admin).expect(400);
      await t.http.post(`/api/v1/users/${user.id}/password-reset`).expect(401);
    });
  });

  describe('console', () => {
    it('sets emailVerification on Global Configuration › Authentication and on a tenant page', async () => {
      const admin = browser();
      expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
      const page = await admin.get('/console/settings/authentication');
      expect(page.text).toContain('name="emailVerification"');
      const global = {
        password: 'on',
        sessionIdleMinutes: '30',
        maxPasswordFailures: '5',
        maxAuthenticatorFailures: '5',
        baseWaitSeconds: '30',
        maxWaitSeconds: '900',
        passwordMinLength: '8',
        passwordDisallowCommon: 'on',
      };
      const saved = await admin.submit('/console/settings/authentication', { ...global, emailVerification: 'required' });
      expect(saved.status).toBe(303);
      expect((await t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200)).body.emailVerification).toBe(
        'required',
      );
      const wrong = await admin.submit('/console/settings/authentication', { ...global, emailVerification: 'sometimes' });
      expect(wrong.status).toBe(400);
      expect(textOf(wrong.text)).toContain('Email verification');

      const unverified = await makeUser(t, t.admin, { emailVerified: false });
      const users = await admin.get(`/console/users?search=${encodeURIComponent(unverified.email)}`);
      expect(users.text).toContain('data-testid="unverified-badge"');

      const detail = `/console/tenants/${other.key}`;
      const tenantForm = { signup: 'inherit', methods: 'inherit' };
      expect((await admin.submit(`${detail}/settings`, { ...tenantForm, emailVerification: 'off' }, detail)).status).toBe(303);
      const own = await t.http.get(`/api/v1/tenants/${other.key}/settings`).set('Authorization', t.admin).expect(200);
      expect(own.body).toMatchObject({ emailVerification: 'off', effective: { emailVerification: 'off' } });
      expect(textOf((await admin.get(detail)).text)).toContain('Inherit global (currently required)');
      expect((await admin.submit(`${detail}/settings`, { ...tenantForm, emailVerification: 'maybe' }, detail)).status).toBe(400);
      expect((await admin.submit(`${detail}/settings`, { ...tenantForm, emailVerification: 'inherit' }, detail)).status).toBe(303);
      expect(
        (await t.http.get(`/api/v1/tenants/${other.key}/settings`).set('Authorization', t.admin).expect(200)).body.emailVerification,
      ).toBe(null);
      await setGlobal({ emailVerification: 'off' });
    });
  });

  describe('sign-in pages', () => {
    it('link "Forgot password?", and "Create an account" while sign-up is on', async () => {
      const off = await browser().get('/login');
      expect(off.text).toContain('href="/password/forgot"');
      expect(off.text).not.toContain('Create an account');
      await setTenant(tenant.key, { signupEnabled: true });
      try {
        const on = await browser().get(`/t/${tenant.key}/login`);
        expect(on.text).toContain(`href="/t/${tenant.key}/password/forgot"`);
        expect(on.text).toContain(`href="/t/${tenant.key}/signup"`);
      } finally {
        await setTenant(tenant.key, { signupEnabled: null });
      }
      expect((await browser().get('/console/login')).text).toContain('href="/password/forgot"');
    });

    it("lets the tenant's portal frame the tenant's forgot and reset pages, as its sign-in page", async () => {
      await setTenant(tenant.key, { embedOrigins: ['https://portal.example'] });
      try {
        for (const path of [`/t/${tenant.key}/password/forgot`, `/t/${tenant.key}/password/reset?token=${'x'.repeat(43)}`]) {
          const res = await browser().get(path);
          expect(res.headers['content-security-policy']).toContain('frame-ancestors https://portal.example');
          expect(res.headers['x-frame-options']).toBeUndefined();
        }
        expect((await browser().get('/password/forgot')).headers['content-security-policy']).toContain("frame-ancestors 'none'");
      } finally {
        await setTenant(tenant.key, { embedOrigins: [] });
      }
    });
  });
});
