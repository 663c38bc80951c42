import { textProblem } from '@portico/core';
import { auditEvents, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { GROUPS, PEOPLE, SERVICE_DN, Slapd, slapdPresent, SUFFIX } from '../support/slapd';
import { startTestApp, TestApp } from '../support/test-app';
import { realProblems, WebSession } from '../support/web-session';

const run = slapdPresent('LDAP sign-in fuzz e2e');
const PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
// Every sign-in of the fuzz uses a real person's password: a name that slipped into the filter would sign them in.
const PASSWORD = PEOPLE.ada.password;

/** Names that have broken LDAP filters, DN handling or servers elsewhere. */
function fuzzNames(): string[] {
  const pairs = PUNCTUATION.flatMap((a) => PUNCTUATION.map((b) => `${a}${b}`));
  return [
    ...PUNCTUATION,
    ...PUNCTUATION.map((p) => `ada${p}`),
    ...PUNCTUATION.map((p) => `${p}ada`),
    // Every pair, in a handful of logins, and long runs of each.
    ...Array.from({ length: 8 }, (_, i) => pairs.slice(i * 132, (i + 1) * 132).join('')),
    ...PUNCTUATION.map((p) => p.repeat(64)),
    PUNCTUATION.join(''),
    [...PUNCTUATION].reverse().join(''),
    // Classic injections.
    '*',
    '*)(uid=*',
    '*)(|(uid=*',
    'ada)(|(uid=*',
    'ada*',
    '*ada*',
    'a*a',
    '*)(objectClass=*))(&(uid=ada',
    '\\2a',
    '\\2a)(uid=\\2a',
    'ada\\00',
    '\\',
    '\\\\',
    ')',
    '((((((((((',
    '))))))))))',
    'uid=ada,ou=people,dc=portico,dc=test',
    'cn=admin,dc=portico,dc=test',
    '%2a',
    '${jndi:ldap://127.0.0.1/x}',
    // Control characters, whitespace and an embedded NUL.
    'ada\u0000',
    '\u0000',
    'ada\tada',
    'ada\r\nuid: grace',
    '\u0007\u001b[2J',
    // Long names: at and around the form's limit.
    'a'.repeat(300),
    '*'.repeat(320),
    `${'('.repeat(160)}${')'.repeat(160)}`,
    'ü'.repeat(320),
    // Beyond ASCII.
    'ädä',
    'Ada\u0301',
    'ada\u200b',
    '\u202eada',
    '日本語の名前',
    'имя',
    'اسم',
    '😀',
    '😀'.repeat(100),
    '\ud800',
    '\uffff',
  ];
}

/** The login form against a real slapd, with every ASCII punctuation character, sequences, long and non-ASCII names. */
(run ? describe : describe.skip).each(databaseKinds())('LDAP sign-in fuzz (%s)', (kind) => {
  let t: TestApp;
  let slapd: Slapd;
  let problems: string[];
  let tenant: TenantFixture;
  let ip = 0;
  const browser = () => new WebSession(t, `10.11.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`);

  beforeAll(async () => {
    slapd = await Slapd.start({ users: Object.values(PEOPLE), groups: Object.values(GROUPS) });
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    await t.http
      .put('/api/v1/settings/authentication')
      .set('Authorization', t.admin)
      .send({ methods: { password: true, saml: false, ldap: true, external: false }, lockout: { maxPasswordFailures: 100 } })
      .expect(200);
    await t.http
      .post('/api/v1/ldap-directories')
      .set('Authorization', t.admin)
      .send({
        tenantKey: tenant.key,
        name: 'Fuzzed',
        url: slapd.ldapsUrl,
        bindDn: SERVICE_DN,
        bindPassword: slapd.servicePassword,
        // The whole tree, where a wildcard would find many people; users are created as they sign in.
        searchBase: SUFFIX,
        caCertificate: slapd.pki.ca,
        jitProvisioning: true,
        timeoutMs: 3000,
      })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('never signs anyone in, never answers 500 and always answers', async () => {
    await slapd.settle();
    const searchesBefore = slapd.searchFilters().length;
    const answers: { login: string; status: number }[] = [];
    for (const login of fuzzNames()) {
      const b = browser();
      const csrf = await b.csrf(`/t/${tenant.key}/login`);
      const res = await b.postRaw(`/t/${tenant.key}/login`, { _csrf: csrf, login, password: PASSWORD });
      answers.push({ login, status: res.status });
      expect((await b.get('/account')).status).toBe(303);
    }
    const unexpected = answers.filter((a) => ![400, 401].includes(a.status));
    expect(unexpected).toEqual([]);
    // The form refuses only what it must: empty after trimming, longer than 320 characters, or
    // holding control characters other than tab and line breaks (no text, refused as input).
    const refused = answers.filter((a) => a.status === 400).map((a) => a.login);
    expect(refused.every((l) => !l.trim() || l.trim().length > 320 || textProblem(l) === 'control')).toBe(true);
    expect(answers.filter((a) => textProblem(a.login) === 'control').map((a) => a.status)).toEqual([400, 400, 400]);
    expect(answers.filter((a) => a.status === 401).length).toBeGreaterThan(fuzzNames().length - 10);
    // Nobody was created or linked.
    expect((await t.http.get('/api/v1/users').query({ tenantKey: tenant.key }).set('Authorization', t.admin).expect(200)).body.total).toBe(
      0,
    );

    // The directory received each name as a value: no filter grew a wildcard or another condition.
    await slapd.settle();
    const filters = slapd.searchFilters().slice(searchesBefore);
    expect(filters.length).toBeGreaterThan(fuzzNames().length - 10);
    for (const filter of filters) expect(filter).toMatch(/^\(&\(objectClass=inetOrgPerson\)\(uid=[^()*]*\)\)$/);
  });

  it('still signs the real person in afterwards, and audited every attempt as a failure', async () => {
    const b = browser();
    expect((await b.login('ada', PASSWORD, `/t/${tenant.key}/login`)).status).toBe(303);
    expect((await b.get('/account')).status).toBe(200);
    const failed = await auditEvents(t, { action: 'auth.login.failed', tenantKey: tenant.key });
    expect(failed.length).toBeGreaterThan(fuzzNames().length - 10);
    // A login holding a NUL or another control character names no one: it was refused as input, before any lookup.
    expect(failed.filter((e) => e.details?.method !== 'ldap').map((e) => e.details?.reason)).toEqual([]);
    expect(JSON.stringify(failed)).not.toContain(PASSWORD);
  });

  it('answers the console test action the same way', async () => {
    const directories = await t.http.get('/api/v1/ldap-directories').set('Authorization', t.admin).expect(200);
    const id = directories.body.items[0].id as string;
    const names = fuzzNames().filter((n) => n.trim() && n.trim().length <= 320);
    const testLogin = (username: string) =>
      t.http.post(`/api/v1/ldap-directories/${id}/test`).set('Authorization', t.admin).send({ username, password: PASSWORD });
    for (const username of names.filter((n) => !textProblem(n))) {
      const res = await testLogin(username);
      expect({ username, status: res.status, outcome: res.body.outcome }).toEqual({ username, status: 200, outcome: 'not-found' });
    }
    // JSON can carry what a form cannot, a lone surrogate: neither it nor a control character is text (400 naming the field).
    for (const username of names.filter((n) => textProblem(n))) {
      const res = await testLogin(username);
      expect({ username, status: res.status, message: res.body.message }).toMatchObject({ status: 400, message: /^username / });
    }
  });
});
