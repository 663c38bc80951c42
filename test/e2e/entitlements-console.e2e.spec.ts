import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import {
  check,
  ClassFixture,
  decisions,
  expectRefused,
  makeClass,
  makeVirtual,
  readEntitlement,
  uniqueName,
} from '../support/entitlements';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, decode, WebSession } from '../support/web-session';

const AREA = '/console/entitlements';

/** The console's entitlement pages over HTTP, as an administrator uses them. */
describe.each(databaseKinds())('console entitlements (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;
  let cls: ClassFixture;

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    admin = new WebSession(t);
    const signedIn = await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(signedIn.headers.location).toBe('/console');
    cls = await makeClass(t, { name: 'consoleProduct', server: 'console.example.com' });
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const text = (html: string) => decode(html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));

  it('is in the navigation and every page renders, each form with its CSRF token', async () => {
    const dashboard = await admin.get('/console');
    expect(dashboard.text).toMatch(/<a [^>]*href="\/console\/entitlements"/);
    for (const page of ['', '/keys', '/import', '/sources', '/servers', '/decisions', `/classes/${cls.id}`]) {
      const res = await admin.get(`${AREA}${page}`);
      expect({ page, status: res.status }).toEqual({ page, status: 200 });
      const forms = res.text.match(/<form method="post"/g) ?? [];
      const tokens = res.text.match(/name="_csrf" value="[^"]+"/g) ?? [];
      expect(tokens.length).toBeGreaterThanOrEqual(forms.length);
    }
  });

  it('creates a class, refuses a bad one with the reason, and edits it', async () => {
    const bad = await admin.submit(`${AREA}/classes`, { name: 'x', server: 'not a host!', realKey: 'k' }, AREA);
    expect(bad.status).toBe(400);
    expect(alertOf(bad.text)).toContain('Server');
    const created = await admin.submit(
      `${AREA}/classes`,
      { name: 'Repo <b>Pro</b>', server: 'Pro.Example.com', realKey: 'real-pro' },
      AREA,
    );
    expect(created.status).toBe(303);
    const list = await admin.get(AREA);
    expect(list.text).toContain('Repo &lt;b&gt;Pro&lt;/b&gt;');
    expect(list.text).toContain('pro.example.com');
    const duplicate = await admin.submit(`${AREA}/classes`, { name: 'Repo <b>Pro</b>', server: 'pro.example.com', realKey: 'other' }, AREA);
    expect(duplicate.status).toBe(409);

    const id = /href="\/console\/entitlements\/classes\/([0-9a-f-]{36})">Repo &lt;b&gt;Pro/.exec(list.text)![1];
    const key = uniqueName('pro-customer');
    await makeVirtual(t, tenant.auth, { key, classId: id });
    expect(readEntitlement(await check(t, `server=pro.example.com;key=${key}`)).key).toBe('real-pro');
    const saved = await admin.submit(`${AREA}/classes/${id}`, {
      name: 'Repo <b>Pro</b>',
      server: 'pro.example.com',
      realKey: 'real-pro-2',
    });
    expect(saved.status).toBe(303);
    expect(readEntitlement(await check(t, `server=pro.example.com;key=${key}`)).key).toBe('real-pro-2');
    const emptied = await admin.submit(`${AREA}/classes/${id}`, { name: 'Repo <b>Pro</b>', server: 'pro.example.com', realKey: '' });
    expect(emptied.status).toBe(400);
    expect(alertOf(emptied.text)).toContain('Real key is required.');
  });

  it('adds, searches, suspends and resumes a key; the check follows at once', async () => {
    const key = uniqueName('console-key');
    const added = await admin.submit(`${AREA}/keys`, { key, classId: cls.id, tenantKey: tenant.key, expiresAt: '' }, `${AREA}/keys`);
    expect(added.status).toBe(303);
    readEntitlement(await check(t, `server=console.example.com;key=${key}`));

    const found = await admin.get(`${AREA}/keys?search=${encodeURIComponent(key.slice(-6))}`);
    const rows = found.text.match(/data-testid="key-row"/g) ?? [];
    expect(rows.length).toBe(1);
    expect(found.text).toContain(key);
    const id = /href="\/console\/entitlements\/keys\/([0-9a-f-]{36})"/.exec(found.text)![1];

    // The row's Suspend asks first, naming what stops working, and changes nothing.
    const confirm = await admin.get(`${AREA}/keys/${id}/suspend?back=${encodeURIComponent(`${AREA}/keys?search=${key}`)}`);
    expect(decode(confirm.text)).toContain(`Suspend key “${key}”?`);
    expect(decode(confirm.text)).toContain(`<a href="${AREA}/keys?search=${key}">Cancel</a>`);
    readEntitlement(await check(t, `server=console.example.com;key=${key}`));
    const suspended = await admin.postRaw(`${AREA}/keys/${id}/status`, {
      _csrf: csrfOf(confirm.text),
      status: 'suspended',
      back: `${AREA}/keys?search=${key}`,
    });
    expect(suspended.status).toBe(303);
    expect(suspended.headers.location).toBe(`${AREA}/keys?search=${key}`);
    expectRefused(await check(t, `server=console.example.com;key=${key}`));
    const after = await admin.get(suspended.headers.location);
    expect(after.text).toContain('suspended: the next check answers');

    await admin
      .postRaw(`${AREA}/keys/${id}/status`, { _csrf: csrfOf(after.text), status: 'active', back: 'https://evil.example/' })
      .then((r) => {
        expect(r.headers.location).toBe(`${AREA}/keys`);
      });
    readEntitlement(await check(t, `server=console.example.com;key=${key}`));
  });

  it('edits a key: an expiry in the past ends access at once', async () => {
    const entry = await makeVirtual(t, tenant.auth, { key: uniqueName('expiring'), classId: cls.id });
    const saved = await admin.submit(`${AREA}/keys/${entry.id}`, {
      key: entry.key,
      classId: cls.id,
      status: 'active',
      expiresAt: '2001-01-01T00:00',
      organization: '',
    });
    expect(saved.status).toBe(303);
    expectRefused(await check(t, `server=console.example.com;key=${entry.key}`));
    const page = await admin.get(`${AREA}/keys/${entry.id}`);
    expect(page.text).toContain('2001-01-01T00:00');
    expect(page.text).toContain('expired');
  });

  it('ties a key to an organization chosen by name or site ID, never by its id', async () => {
    const org = await makeOrganization(t, tenant.auth, { name: 'Puffin Press' });
    const key = uniqueName('puffin');
    const created = await admin.submit(
      `${AREA}/keys`,
      { key, classId: cls.id, tenantKey: tenant.key, organization: 'puffin press' },
      `${AREA}/keys`,
    );
    expect(created.status).toBe(303);
    const api = await t.http.get('/api/v1/entitlements/virtual').query({ search: key }).set('Authorization', tenant.auth).expect(200);
    const entry = api.body.items[0] as { id: string; organizationId: string };
    expect(entry.organizationId).toBe(org.id);
    const path = `${AREA}/keys/${entry.id}`;
    const page = await admin.get(path);
    expect(page.text).toContain('name="organization" value="Puffin Press"');
    expect(page.text).not.toContain('name="organizationId"');

    const fields = { key, classId: cls.id, status: 'active', expiresAt: '' };
    const unknown = await admin.submit(path, { ...fields, organization: 'Pelican Press' });
    expect(unknown.status).toBe(400);
    expect(alertOf(unknown.text)).toBe(`No organization is named “Pelican Press” in tenant ${tenant.key}.`);
    expect((await admin.submit(path, { ...fields, organization: String(org.siteId) })).status).toBe(303);
    expect((await admin.submit(path, { ...fields, organization: '' })).status).toBe(303);
    expect(
      (await t.http.get(`/api/v1/entitlements/virtual/${entry.id}`).set('Authorization', tenant.auth).expect(200)).body.organizationId,
    ).toBeNull();
  });

  it('refuses a POST without the CSRF token', async () => {
    const res = await admin.postRaw(`${AREA}/classes`, { name: 'x', server: 'x.example.com', realKey: 'k' });
    expect(res.status).toBe(403);
  });

  it('imports a CSV and shows a report line for every line, refusals with their reason', async () => {
    const k = uniqueName('imp');
    const csv = [
      'key,server,class,status,expiresAt',
      `${k}-1,console.example.com,consoleProduct,active,2099-01-01T00:00:00Z`,
      `${k}-2,,,suspended,`,
      `${k}-3,console.example.com,noSuchClass,,`,
      `${k}-4,console.example.com,consoleProduct,frozen,`,
      `${k}-1,console.example.com,consoleProduct,,`,
      `"${k}-5 ""quoted"", <b>",console.example.com,consoleProduct,,not-a-date`,
      ',console.example.com,consoleProduct,,',
    ].join('\n');
    const page = await admin.get(`${AREA}/import`);
    const res = await admin.postRaw(`${AREA}/import`, { _csrf: csrfOf(page.text), csv, defaultClassId: cls.id, tenantKey: tenant.key });
    expect(res.status).toBe(303);
    const report = await admin.get(`${AREA}/import`);
    const lines = [...report.text.matchAll(/<tr data-testid="import-line"[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => text(m[1]).trim());
    expect(lines).toEqual([
      `2 ${k}-1 created`,
      `3 ${k}-2 created`,
      `4 ${k}-3 refused no class “noSuchClass” on server console.example.com`,
      `5 ${k}-4 refused status must be active or suspended (got “frozen”)`,
      `6 ${k}-1 refused the same key and class as line 2`,
      expect.stringMatching(new RegExp(`^7 ${k}-5 "quoted", <b> refused expiresAt must be an ISO 8601 date`)),
      '8 — refused key is empty',
    ]);
    expect(report.text).not.toContain('<b>"');
    expect(text(report.text)).toContain('2 created');
    readEntitlement(await check(t, `server=console.example.com;key=${k}-1`));
    expectRefused(await check(t, `server=console.example.com;key=${k}-2`));
    // Shown once.
    expect((await admin.get(`${AREA}/import`)).text).not.toContain('data-testid="import-line"');
    // Imported again: updated, not duplicated.
    const again = await admin.get(`${AREA}/import`);
    await admin.postRaw(`${AREA}/import`, {
      _csrf: csrfOf(again.text),
      csv: `key,status\n${k}-2,active`,
      defaultClassId: cls.id,
      tenantKey: tenant.key,
    });
    expect(text((await admin.get(`${AREA}/import`)).text)).toContain(`2 ${k}-2 updated`);
    readEntitlement(await check(t, `server=console.example.com;key=${k}-2`));
  });

  it('refuses an import without a header naming the key column', async () => {
    const page = await admin.get(`${AREA}/import`);
    const res = await admin.postRaw(`${AREA}/import`, { _csrf: csrfOf(page.text), csv: 'foo,bar\n1,2' });
    expect(res.status).toBe(400);
    expect(alertOf(res.text)).toMatch(/Unknown column|must name the columns/);
  });

  it('sets a caller allow-list for a server, shown and enforced at once', async () => {
    const page = await admin.get(`${AREA}/servers`);
    expect(page.text).toContain('console.example.com');
    const bad = await admin.postRaw(`${AREA}/servers`, {
      _csrf: csrfOf(page.text),
      server: 'console.example.com',
      allowedIps: '10.0.0.1\nnot-an-ip',
    });
    expect(bad.status).toBe(400);
    expect(alertOf(bad.text)).toContain('not-an-ip');
    const key = uniqueName('allow');
    await makeVirtual(t, tenant.auth, { key, classId: cls.id });
    const saved = await admin.postRaw(`${AREA}/servers`, {
      _csrf: csrfOf(page.text),
      server: 'console.example.com',
      allowedIps: '203.0.113.0/24\n198.51.100.7',
    });
    expect(saved.status).toBe(303);
    expectRefused(await check(t, `server=console.example.com;key=${key}`));
    expect((await admin.get(`${AREA}/servers`)).text).toContain('203.0.113.0/24\n198.51.100.7');
    await admin.postRaw(`${AREA}/servers`, { _csrf: csrfOf(page.text), server: 'console.example.com', allowedIps: '' });
    readEntitlement(await check(t, `server=console.example.com;key=${key}`));
  });

  it('adds a delegation source, refusing a private http URL unless marked private', async () => {
    const form = { server: 'crm.example.com', className: '', url: 'http://127.0.0.1:9/check', cacheSeconds: '30', timeoutMs: '1000' };
    const refused = await admin.submit(`${AREA}/sources`, form);
    expect(refused.status).toBe(400);
    expect(alertOf(refused.text)).toMatch(/https/);
    const saved = await admin.submit(`${AREA}/sources`, { ...form, allowPrivateNetwork: 'on' });
    expect(saved.status).toBe(303);
    const list = await admin.get(`${AREA}/sources`);
    expect(list.text).toContain('http://127.0.0.1:9/check');
    expect(list.text).toContain('private network');
  });

  it('shows recent decisions with their reason codes, filtered by code and key', async () => {
    const key = uniqueName('logged<&>');
    expectRefused(await check(t, `server=console.example.com;key=${encodeURIComponent(key)};remote_ip=192.0.2.44`));
    expect((await decisions(t, { code: 'NOT_FOUND' })).some((d) => d.key === key)).toBe(true);
    const page = await admin.get(`${AREA}/decisions?code=NOT_FOUND&key=${encodeURIComponent(key)}`);
    const rows = [...page.text.matchAll(/<tr data-testid="decision-row">([\s\S]*?)<\/tr>/g)].map((m) => text(m[1]));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('NOT_FOUND');
    expect(rows[0]).toContain(key);
    expect(rows[0]).toContain('192.0.2.44');
    expect(page.text).not.toContain('logged<&>');
  });

  it('deletes a class only once no key maps onto it', async () => {
    const lonely = await makeClass(t);
    const used = await makeClass(t);
    await makeVirtual(t, tenant.auth, { key: uniqueName('pin'), classId: used.id });
    const refused = await admin.submit(`${AREA}/classes/${used.id}/delete`, {}, `${AREA}/classes/${used.id}/delete`);
    expect(refused.status).toBe(409);
    expect(alertOf(refused.text)).toMatch(/virtual key/);
    const deleted = await admin.submit(`${AREA}/classes/${lonely.id}/delete`, {}, `${AREA}/classes/${lonely.id}/delete`);
    expect(deleted.status).toBe(303);
    expect((await admin.get(`${AREA}/classes/${lonely.id}`)).status).toBe(404);
  });
});
