import { auditEvents, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds, type DbKind } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { Phone } from '../support/phone';
import { loginPath, rotateAutologinSecret } from '../support/portal';
import { redisForTests } from '../support/redis';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, realProblems, WebSession } from '../support/web-session';

const PASSWORD = 'Copper-Lynx-93-meadow';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** The pieces of the suite that run against one app (database kind, sessions in the database or Redis). */
function accountSecurity(label: string, kind: DbKind, env: () => Record<string, string>, only: 'all' | 'sessions' = 'all'): void {
  describe(label, () => {
    let t: TestApp;
    let smtp: TestSmtp;
    let problems: string[];
    let ip = 0;
    let users = 0;
    const browser = (userAgent = CHROME_MAC) => {
      const b = new WebSession(t, `10.21.${Math.floor(++ip / 250)}.${ip % 250}`);
      b.agent.set('User-Agent', userAgent);
      return b;
    };
    const newUser = (auth = t.admin, body: Record<string, unknown> = {}) =>
      makeUser(t, auth, { email: `acct-${++users}@lynx.example`, password: PASSWORD, ...body });
    const signedIn = async (email: string, userAgent = CHROME_MAC, password = PASSWORD, page = '/login') => {
      const b = browser(userAgent);
      const res = await b.login(email, password, page);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      return b;
    };
    const stillSignedIn = async (b: WebSession) => (await b.get('/account')).status === 200;
    const settings = (body: Record<string, unknown>) =>
      t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send(body);

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await startTestApp(kind, { TRUST_PROXY: 'loopback', ...env() }, { smtpUrl: smtp.url });
      problems = watchResponses(t);
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });
    afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

    if (only === 'all') {
      it('has a password policy in Global Configuration › Authentication, applied by the user API', async () => {
        const defaults = await t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200);
        expect(defaults.body.passwordPolicy).toEqual({ minLength: 8, disallowCommon: true });
        expect(defaults.body.requireAuthenticatorForAdmins).toBe(false);

        expectError(await settings({ passwordPolicy: { minLength: 7 } }), 400, /passwordPolicy\.minLength must not be less than 8/);
        expectError(await settings({ passwordPolicy: { minLength: 129 } }), 400, /passwordPolicy\.minLength must not be greater than 128/);
        expectError(await settings({ passwordPolicy: { disallowCommon: 'yes' } }), 400, /passwordPolicy\.disallowCommon/);

        const common = await t.http
          .post('/api/v1/users')
          .set('Authorization', t.admin)
          .send({ email: 'common@lynx.example', password: 'qwerty123' });
        expectError(common, 400, /password is one of the most common passwords/);

        const saved = await settings({ passwordPolicy: { minLength: 14, disallowCommon: false } }).expect(200);
        expect(saved.body.passwordPolicy).toEqual({ minLength: 14, disallowCommon: false });
        try {
          const short = await t.http
            .post('/api/v1/users')
            .set('Authorization', t.admin)
            .send({ email: 'short@lynx.example', password: 'Lynx-93-mead' });
          expectError(short, 400, 'password must be at least 14 characters');
          // Common passwords pass now (when long enough); none of the failed creates left a user.
          await settings({ passwordPolicy: { minLength: 8 } }).expect(200);
          await t.http
            .post('/api/v1/users')
            .set('Authorization', t.admin)
            .send({ email: 'common@lynx.example', password: 'qwerty123' })
            .expect(201);
          await settings({ passwordPolicy: { minLength: 14 } }).expect(200);
          expect((await t.http.get('/api/v1/users?email=short@lynx.example').set('Authorization', t.admin)).body.total).toBe(0);

          // A tenant's key gets the same answer, on create and on a password change.
          const tenant = await makeTenant(t);
          expectError(
            await t.http
              .post('/api/v1/users')
              .set('Authorization', tenant.auth)
              .send({ email: 'tshort@lynx.example', password: 'Lynx-93-mead' }),
            400,
            'password must be at least 14 characters',
          );
          const user = await newUser(tenant.auth, { password: 'Copper-Lynx-93-meadow-long' });
          expectError(
            await t.http.patch(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).send({ password: 'Lynx-93-mead' }),
            400,
            'password must be at least 14 characters',
          );
          await t.http
            .patch(`/api/v1/users/${user.id}`)
            .set('Authorization', tenant.auth)
            .send({ password: 'Another-Lynx-93-meadow' })
            .expect(200);
        } finally {
          await settings({ passwordPolicy: { minLength: 8, disallowCommon: true } }).expect(200);
        }
      });

      it('refuses a weak password on the sign-up page, naming the rule', async () => {
        await settings({ signupEnabled: true, passwordPolicy: { minLength: 16 } }).expect(200);
        try {
          const b = browser();
          const form = {
            email: 'weak-signup@lynx.example',
            firstName: 'Weak',
            lastName: 'Password',
            organizationName: 'Weak Passwords Ltd',
            password: 'Copper-Lynx-93',
            passwordConfirmation: 'Copper-Lynx-93',
          };
          const res = await b.submit('/signup', form);
          expect(res.status).toBe(400);
          expect(alertOf(res.text)).toContain('password must be at least 16 characters');
          const common = await b.submit('/signup', { ...form, password: 'iloveyou', passwordConfirmation: 'iloveyou' });
          expect(common.status).toBe(400);
          expect(alertOf(common.text)).toContain('password must be at least');
          const ok = await b.submit('/signup', {
            ...form,
            password: 'Copper-Lynx-93-meadow',
            passwordConfirmation: 'Copper-Lynx-93-meadow',
          });
          expect(ok.status).toBe(303);
          expect((await b.get('/signup')).text).toContain('At least 16 characters. Common passwords are refused.');

          // With verification mails, a taken address answers like a new one: a weak password too.
          await settings({ emailVerification: 'required' }).expect(200);
          const taken = await browser().submit('/signup', { ...form, organizationName: 'Another Org' });
          const fresh = await browser().submit('/signup', { ...form, email: 'fresh-weak@lynx.example', organizationName: 'Another Org' });
          expect([taken.status, fresh.status]).toEqual([400, 400]);
          expect(alertOf(taken.text)).toBe(alertOf(fresh.text));
        } finally {
          await settings({ signupEnabled: false, emailVerification: 'off', passwordPolicy: { minLength: 8 } }).expect(200);
        }
      });

      it('sets the policy and the admin requirement from the console form, with clear errors', async () => {
        const admin = browser();
        expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303);
        const page = await admin.get('/console/settings/authentication');
        expect(page.text).toContain('name="passwordMinLength"');
        const base = {
          password: 'on',
          sessionIdleMinutes: '30',
          maxPasswordFailures: '5',
          maxAuthenticatorFailures: '5',
          baseWaitSeconds: '30',
          maxWaitSeconds: '900',
        };
        const wrong = await admin.submit('/console/settings/authentication', { ...base, passwordMinLength: 'twelve' });
        expect(wrong.status).toBe(400);
        expect(wrong.text).toContain('Minimum password length must be a whole number.');
        const low = await admin.submit('/console/settings/authentication', { ...base, passwordMinLength: '6' });
        expect(low.status).toBe(400);
        expect(low.text).toContain('Minimum password length: must not be less than 8');
        const ok = await admin.submit('/console/settings/authentication', { ...base, passwordMinLength: '12' });
        expect(ok.status).toBe(303);
        const api = await t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200);
        // Unticked boxes are off: common passwords allowed, no authenticator required.
        expect(api.body.passwordPolicy).toEqual({ minLength: 12, disallowCommon: false });
        expect(api.body.requireAuthenticatorForAdmins).toBe(false);
        await settings({ passwordPolicy: { minLength: 8, disallowCommon: true } }).expect(200);
      });

      it('changes the password with the current one, ends the other sessions and keeps this one', async () => {
        const user = await newUser();
        const here = await signedIn(user.email);
        const elsewhere = await signedIn(user.email, FIREFOX_WINDOWS);
        const page = await here.get('/account');
        expect(page.text).toContain('href="/account/password"');
        expect(page.text).toContain('href="/account/sessions"');

        expect((await here.get('/account/password')).text).toContain('At least 8 characters, and not one of the most common passwords.');
        const change = (form: Record<string, string>) => here.submit('/account/password', form);
        const wrong = await change({
          currentPassword: 'Not-the-password-1',
          newPassword: 'Brand-New-Lynx-44',
          newPasswordConfirmation: 'Brand-New-Lynx-44',
        });
        expect(wrong.status).toBe(401);
        expect(alertOf(wrong.text)).toBe('Your current password is not right.');
        const mismatch = await change({
          currentPassword: PASSWORD,
          newPassword: 'Brand-New-Lynx-44',
          newPasswordConfirmation: 'Brand-New-Lynx-45',
        });
        expect(mismatch.status).toBe(400);
        expect(alertOf(mismatch.text)).toBe('The two new passwords do not match.');
        const weak = await change({ currentPassword: PASSWORD, newPassword: 'password1', newPasswordConfirmation: 'password1' });
        expect(weak.status).toBe(400);
        expect(alertOf(weak.text)).toMatch(/^New password is one of the most common passwords/);
        const short = await change({ currentPassword: PASSWORD, newPassword: 'Lynx-4', newPasswordConfirmation: 'Lynx-4' });
        expect(alertOf(short.text)).toBe('New password must be at least 8 characters');
        // Nothing changed so far: both sessions are still signed in.
        expect(await stillSignedIn(elsewhere)).toBe(true);

        const done = await change({
          currentPassword: PASSWORD,
          newPassword: 'Brand-New-Lynx-44',
          newPasswordConfirmation: 'Brand-New-Lynx-44',
        });
        expect(done.status).toBe(303);
        expect(done.headers.location).toBe('/account');
        const after = await here.get('/account');
        expect(after.status).toBe(200);
        expect(after.text).toContain('Your password is changed. 1 other session was signed out.');
        const lost = await elsewhere.get('/account');
        expect(lost.status).toBe(303);
        expect(lost.headers.location).toMatch(/^\/login/);

        expect((await browser().login(user.email, PASSWORD)).status).toBe(401);
        await signedIn(user.email, CHROME_MAC, 'Brand-New-Lynx-44');
        const audited = (await auditEvents(t, { action: 'user.password.changed' })).filter((e) => e.target.id === user.id);
        expect(audited).toHaveLength(1);
        expect(JSON.stringify(audited)).not.toContain('Brand-New-Lynx-44');
      });

      it('explains, instead of a form, that an account signing in through its portal has no password here', async () => {
        const tenant = await makeTenant(t);
        const secret = await rotateAutologinSecret(t, tenant.key);
        const issued = await t.http
          .post('/api/auth/autologin')
          .send({ login: 'portal-only@lynx.example', firstName: 'Portal', lastName: 'Only', token: secret })
          .expect(200);
        const b = browser();
        expect((await b.get(loginPath(issued.body.loginUrl))).headers.location).toBe('/account');
        const page = await b.get('/account/password');
        expect(page.status).toBe(200);
        expect(page.text).toContain('data-testid="no-password"');
        expect(page.text).not.toContain('name="currentPassword"');
        // A form posted anyway changes nothing and explains the same.
        const posted = await b.postRaw('/account/password', {
          _csrf: await b.csrf('/account'),
          currentPassword: 'anything-at-all-1',
          newPassword: 'Brand-New-Lynx-44',
          newPasswordConfirmation: 'Brand-New-Lynx-44',
        });
        expect(posted.text).toContain('data-testid="no-password"');
        expect((await browser().login('portal-only@lynx.example', 'Brand-New-Lynx-44', `/t/${tenant.key}/login`)).status).toBe(401);
        // Its session is listed like any other.
        expect((await b.get('/account/sessions')).text).toContain('data-testid="this-device"');
      });

      it('locks the current-password check like a sign-in', async () => {
        const user = await newUser();
        const b = await signedIn(user.email);
        let last = 0;
        for (let i = 0; i < 5; i++)
          last = (
            await b.submit('/account/password', {
              currentPassword: `Wrong-guess-${i}-lynx`,
              newPassword: 'Brand-New-Lynx-44',
              newPasswordConfirmation: 'Brand-New-Lynx-44',
            })
          ).status;
        expect(last).toBe(429);
        const right = await b.submit('/account/password', {
          currentPassword: PASSWORD,
          newPassword: 'Brand-New-Lynx-44',
          newPasswordConfirmation: 'Brand-New-Lynx-44',
        });
        expect(right.status).toBe(429);
        expect(alertOf(right.text)).toMatch(/Too many failed attempts/);
      });
    }

    it('lists the sessions with browser and address, and signs out one or all the others', async () => {
      const user = await newUser();
      const mac = await signedIn(user.email, CHROME_MAC);
      const pc = await signedIn(user.email, FIREFOX_WINDOWS);
      const phone = await signedIn(user.email, SAFARI_IPHONE);
      const page = await mac.get('/account/sessions');
      expect(page.status).toBe(200);
      const rows = page.text.split('data-testid="session"').slice(1);
      expect(rows).toHaveLength(3);
      // This one first, marked; the others name their browser and address.
      expect(rows[0]).toContain('Chrome on macOS');
      expect(rows[0]).toContain('data-testid="this-device"');
      expect(rows[0]).toContain(mac.ip);
      const pcRow = rows.find((r) => r.includes('Firefox on Windows'))!;
      expect(pcRow).toContain(pc.ip);
      expect(pcRow).not.toContain('this-device');
      expect(rows.some((r) => r.includes('Mobile Safari on iOS') && r.includes(phone.ip!))).toBe(true);

      // Sign out the Windows session.
      const action = /action="(\/account\/sessions\/[\w-]{22}\/sign-out)"/.exec(pcRow)![1];
      const out = await mac.postRaw(action, { _csrf: csrfOf(page.text) });
      expect(out.status).toBe(303);
      expect(await stillSignedIn(pc)).toBe(false);
      expect(await stillSignedIn(phone)).toBe(true);
      const after = await mac.get('/account/sessions');
      expect(after.text).toContain('That session is signed out.');
      expect(after.text.split('data-testid="session"').slice(1)).toHaveLength(2);
      // The same form again: already gone.
      const again = await mac.postRaw(action, { _csrf: csrfOf(after.text) });
      expect(again.status).toBe(303);
      expect((await mac.get('/account/sessions')).text).toContain('That session had already ended');

      // Someone else's session id is nothing to this user.
      const other = await newUser();
      const theirs = await signedIn(other.email, FIREFOX_WINDOWS);
      const theirPage = await theirs.get('/account/sessions');
      const theirAction = /action="(\/account\/sessions\/[\w-]{22}\/sign-out)"/.exec(theirPage.text);
      expect(theirAction).toBeNull();

      const all = await mac.submit('/account/sessions/sign-out-others', {}, '/account/sessions');
      expect(all.status).toBe(303);
      const alone = await mac.get('/account/sessions');
      expect(alone.text).toContain('Signed out of 1 other session.');
      expect(await stillSignedIn(phone)).toBe(false);
      expect(await stillSignedIn(mac)).toBe(true);
      expect(await stillSignedIn(theirs)).toBe(true);
      expect(alone.text.split('data-testid="session"').slice(1)).toHaveLength(1);
      expect(alone.text).not.toContain('Sign out of all other sessions');
      expect((await auditEvents(t, { action: 'user.sessions.ended' })).filter((e) => e.target.id === user.id)).toHaveLength(2);
    });

    it('lists and ends sessions through the API, a tenant only for its own users', async () => {
      const tenantA: TenantFixture = await makeTenant(t);
      const tenantB: TenantFixture = await makeTenant(t);
      const user = await newUser(tenantA.auth);
      const first = await signedIn(user.email, CHROME_MAC, PASSWORD, `/t/${tenantA.key}/login`);
      const second = await signedIn(user.email, FIREFOX_WINDOWS, PASSWORD, `/t/${tenantA.key}/login`);
      const path = `/api/v1/users/${user.id}/sessions`;

      const listed = await t.http.get(path).set('Authorization', tenantA.auth).expect(200);
      expect(listed.body.applications).toEqual([]);
      expect(listed.body.sessions).toHaveLength(2);
      const browsers = listed.body.sessions.map((s: { browser: string }) => s.browser).sort();
      expect(browsers).toEqual(['Chrome on macOS', 'Firefox on Windows']);
      for (const s of listed.body.sessions) {
        expect(s.id).toMatch(/^[\w-]{22}$/);
        expect([first.ip, second.ip]).toContain(s.ip);
        expect(Date.parse(s.signedInAt)).toBeGreaterThan(Date.now() - 60_000);
        expect(Date.parse(s.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);
      }
      // Nothing in it can be used as a cookie.
      expect(JSON.stringify(listed.body)).not.toContain(decodeURIComponent(first.sessionCookie()!).slice(2, 20));
      await t.http.get(path).set('Authorization', t.admin).expect(200);

      // Another tenant's key does not learn the user exists, nor end anything.
      expectError(await t.http.get(path).set('Authorization', tenantB.auth), 404);
      expectError(await t.http.delete(path).set('Authorization', tenantB.auth), 404);
      expect(await stillSignedIn(first)).toBe(true);
      expectError(await t.http.get('/api/v1/users/not-a-uuid/sessions').set('Authorization', t.admin), 400);

      await t.http.delete(path).set('Authorization', tenantA.auth).expect(204);
      expect(await stillSignedIn(first)).toBe(false);
      expect(await stillSignedIn(second)).toBe(false);
      expect((await t.http.get(path).set('Authorization', tenantA.auth).expect(200)).body.sessions).toEqual([]);
      const audit = (await auditEvents(t, { action: 'user.sessions.ended' })).filter((e) => e.target.id === user.id);
      expect(audit.map((e) => e.details)).toEqual([{ which: 'all' }]);
    });

    it('signs a user out everywhere from the console, after a confirmation', async () => {
      const user = await newUser();
      const first = await signedIn(user.email);
      const second = await signedIn(user.email, FIREFOX_WINDOWS);
      const admin = browser();
      expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303);
      const detail = await admin.get(`/console/users/${user.id}`);
      expect(detail.text).toContain(`href="/console/users/${user.id}/sessions/end"`);
      const confirm = await admin.get(`/console/users/${user.id}/sessions/end`);
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('2 sessions end');
      // Only the confirmation's form signs out: the page alone changed nothing.
      expect(await stillSignedIn(first)).toBe(true);
      const done = await admin.postRaw(`/console/users/${user.id}/sessions/end`, { _csrf: csrfOf(confirm.text) });
      expect(done.status).toBe(303);
      expect(done.headers.location).toBe(`/console/users/${user.id}`);
      expect((await admin.get(done.headers.location)).text).toContain(`${user.email} is signed out everywhere.`);
      expect(await stillSignedIn(first)).toBe(false);
      expect(await stillSignedIn(second)).toBe(false);
      expect((await admin.get(`/console/users/${user.id}/sessions/end`)).text).toContain('No session is open now');
      expect((await admin.get('/console/users/00000000-0000-4000-8000-000000000000/sessions/end')).status).toBe(404);
    });

    if (only === 'sessions') return;

    /** Signs in and turns the authenticator on; returns the phone and the recovery codes shown once. */
    async function enroll(b: WebSession): Promise<{ phone: Phone; codes: string[] }> {
      const setup = await b.get('/account/authenticator');
      const phone = new Phone(/data-testid="totp-secret">([A-Z2-7]+)</.exec(setup.text)![1]);
      const res = await b.postRaw('/account/authenticator', { _csrf: csrfOf(setup.text), action: 'enable', code: await phone.code() });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account/authenticator/recovery-codes');
      const shown = await b.get(res.headers.location);
      expect(shown.status).toBe(200);
      expect(shown.text).toContain('Your authenticator app is on.');
      const codes = /data-testid="recovery-codes">([\s\S]*?)<\/pre>/.exec(shown.text)![1].trim().split('\n');
      // Shown once: the page does not show them again.
      const twice = await b.get('/account/authenticator/recovery-codes');
      expect(twice.status).toBe(303);
      expect(twice.headers.location).toBe('/account/authenticator');
      return { phone, codes };
    }

    async function toSecondStep(email: string): Promise<WebSession> {
      const b = browser();
      const res = await b.login(email, PASSWORD);
      expect(res.headers.location).toBe('/login/authenticator');
      return b;
    }

    it('shows ten recovery codes once at enrolment; one signs in once, is audited and mailed', async () => {
      const user = await newUser(t.admin, { firstName: 'Rhea' });
      const b = await signedIn(user.email);
      const { codes } = await enroll(b);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
      expect((await b.get('/account/authenticator')).text).toContain('You have 10 unused recovery codes.');

      const step = await toSecondStep(user.email);
      const form = await step.get('/login/authenticator?recovery=1');
      expect(form.text).toContain('name="recoveryCode"');
      const wrong = await step.postRaw('/login/authenticator', { _csrf: csrfOf(form.text), recoveryCode: 'abcde-fghjk' });
      expect(wrong.status).toBe(401);
      expect(alertOf(wrong.text)).toBe('That recovery code is not right, or it was already used. Each code works once.');
      // Typed as people type: upper case, a space instead of the dash.
      const typed = codes[3].toUpperCase().replace('-', ' ');
      const ok = await step.postRaw('/login/authenticator', { _csrf: csrfOf(wrong.text), recoveryCode: typed });
      expect(ok.status).toBe(303);
      expect(ok.headers.location).toBe('/account');
      expect(await stillSignedIn(step)).toBe(true);

      const mail = await smtp.inbox.waitFor((m) => m.to === user.email && /recovery code/.test(m.subject));
      expect(mail.subject).toBe('A recovery code was used to sign in to Portico');
      expect(mail.text).toContain('you have 9 left');
      expect(mail.text).not.toContain(codes[3]);
      const used = (await auditEvents(t, { action: 'auth.recovery_code.used' })).filter((e) => e.target.id === user.id);
      expect(used).toHaveLength(1);
      expect(used[0].details).toEqual({ remaining: 9 });
      expect(JSON.stringify(await auditEvents(t, {}))).not.toContain(codes[3]);

      // The same code never works twice.
      const again = await toSecondStep(user.email);
      const reuse = await again.submit('/login/authenticator', { recoveryCode: codes[3] }, '/login/authenticator?recovery=1');
      expect(reuse.status).toBe(401);
      expect((await b.get('/account/authenticator')).text).toContain('You have 9 unused recovery codes.');
    });

    it('counts wrong recovery codes against the authenticator lockout', async () => {
      const user = await newUser();
      const { codes } = await enroll(await signedIn(user.email));
      const step = await toSecondStep(user.email);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (await step.submit('/login/authenticator', { recoveryCode: `zzzzz-zzzz${i}` }, '/login/authenticator?recovery=1')).status,
        );
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      const right = await step.submit('/login/authenticator', { recoveryCode: codes[0] }, '/login/authenticator?recovery=1');
      expect(right.status).toBe(429);
      expect(alertOf(right.text)).toMatch(/Too many failed attempts/);
      // Locked out, the right code was not spent.
      t.clock.advance(31_000);
      const later = await toSecondStep(user.email);
      expect((await later.submit('/login/authenticator', { recoveryCode: codes[0] }, '/login/authenticator?recovery=1')).status).toBe(303);
    });

    it('makes new recovery codes with a current code; the old ones stop working', async () => {
      const user = await newUser();
      const b = await signedIn(user.email);
      const { phone, codes: old } = await enroll(b);
      const wrong = await b.submit('/account/authenticator', { action: 'regenerate', code: '000000' });
      expect(wrong.status).toBe(401);
      const res = await b.submit('/account/authenticator', { action: 'regenerate', code: await phone.code() });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account/authenticator/recovery-codes');
      const page = await b.get(res.headers.location);
      expect(page.text).toContain('New recovery codes are ready.');
      const fresh = /data-testid="recovery-codes">([\s\S]*?)<\/pre>/.exec(page.text)![1].trim().split('\n');
      expect(fresh).toHaveLength(10);
      expect(fresh.some((c) => old.includes(c))).toBe(false);
      const download = /href="(data:text\/plain[^"]+)" download="portico-recovery-codes.txt"/.exec(page.text)![1];
      expect(decodeURIComponent(download.replace(/&#x3D;/g, '=').replace(/^data:text\/plain;charset=utf-8,/, ''))).toContain(
        fresh.join('\n'),
      );

      const step = await toSecondStep(user.email);
      expect((await step.submit('/login/authenticator', { recoveryCode: old[0] }, '/login/authenticator?recovery=1')).status).toBe(401);
      expect((await step.submit('/login/authenticator', { recoveryCode: fresh[0] }, '/login/authenticator?recovery=1')).status).toBe(303);

      // Turning the app off drops the codes with it.
      const off = await b.submit('/account/authenticator', { action: 'disable', code: await phone.code() });
      expect(off.status).toBe(303);
      const plain = browser();
      expect((await plain.login(user.email, PASSWORD)).headers.location).toBe('/account');
    });

    it('sends a platform admin without an authenticator to set one up before the console (requireAuthenticatorForAdmins)', async () => {
      await settings({ requireAuthenticatorForAdmins: true }).expect(200);
      try {
        const admin = browser();
        const res = await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe('/account/authenticator');
        const console = await admin.get('/console');
        expect(console.status).toBe(403);
        const viaPublicPage = browser();
        expect((await viaPublicPage.login(ADMIN_EMAIL, ADMIN_PASSWORD)).headers.location).toBe('/account/authenticator');
        expect((await viaPublicPage.get('/console')).status).toBe(403);
        expect(console.text).toContain('Set up an authenticator app before using the console');
        const setup = await admin.get('/account/authenticator');
        expect(setup.text).toContain('Platform administrators must use an authenticator app.');
        const phone = new Phone(/data-testid="totp-secret">([A-Z2-7]+)</.exec(setup.text)![1]);
        const on = await admin.postRaw('/account/authenticator', { _csrf: csrfOf(setup.text), action: 'enable', code: await phone.code() });
        const codes = await admin.get(on.headers.location);
        // The codes first, then on to the console.
        expect(codes.text).toMatch(/href="\/console" data-testid="codes-saved"/);
        expect((await admin.get('/console')).status).toBe(200);

        // The public sign-in page is no way around it.
        const elsewhere = browser();
        const viaLogin = await elsewhere.login(ADMIN_EMAIL, ADMIN_PASSWORD);
        expect(viaLogin.headers.location).toBe('/login/authenticator');

        // Next time the admin has one: the usual second step, no detour.
        const again = browser();
        const next = await again.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
        expect(next.headers.location).toBe('/login/authenticator');
        const done = await again.submit('/login/authenticator', { code: await phone.code() });
        expect(done.headers.location).toBe('/console');
        expect((await again.get('/console')).status).toBe(200);

        // Tidy up for other suites' expectations: the admin signs in with the password alone again.
        const user = await t.http.get(`/api/v1/users?email=${encodeURIComponent(ADMIN_EMAIL)}`).set('Authorization', t.admin);
        await t.http.delete(`/api/v1/users/${user.body.items[0].id}/authenticator`).set('Authorization', t.admin).expect(204);
      } finally {
        await settings({ requireAuthenticatorForAdmins: false }).expect(200);
      }
      const plain = browser();
      expect((await plain.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
    });
  });
}

describe.each(databaseKinds())('account security (%s)', (kind) => {
  accountSecurity('sessions in the database', kind, () => ({}));
});

// Sessions on Redis (REDIS_URL): the same listing, signing out and API. Redis is a real peer: under
// CI=true a missing REDIS_URL or server fails this suite.
const redisUrl = redisForTests('account sessions on Redis');
if (redisUrl) {
  describe('account security (sessions on Redis)', () => {
    accountSecurity('sqlite', 'sqlite', () => ({ REDIS_URL: redisUrl }), 'sessions');
  });
}
