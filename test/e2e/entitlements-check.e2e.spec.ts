import { AppConfig } from '@portico/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../apps/server/src/create-app';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import {
  check,
  ClassFixture,
  decisions,
  expectRefused,
  makeClass,
  makeVirtual,
  rawGet,
  readEntitlement,
  uniqueName,
} from '../support/entitlements';
import { makeTenant, TenantFixture } from '../support/factories';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

// Copied from the reference document, character for character.
const REFERENCE_DOCTYPE =
  '<!DOCTYPE entitlement [ <!ELEMENT entitlement (server, class, key)> <!ELEMENT server (#PCDATA)> <!ELEMENT class (#PCDATA)> <!ELEMENT key (#PCDATA)> ]>';
const enc = encodeURIComponent;

/** GET /entitlements/check as a repository calls it: the contract of product.md §7. */
describe.each(databaseKinds())('entitlement check endpoint (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let product: ClassFixture;
  let other: ClassFixture;
  let elsewhere: ClassFixture;
  const customer = 'w45tv-23xda-e4dd2-11zgv';
  const past = new Date(Date.now() - 60_000).toISOString();
  const future = new Date(Date.now() + 86_400_000).toISOString();

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    product = await makeClass(t, { name: 'myProduct', server: 'rm.example.com', realKey: '03d59e663c1af9ac33a9949d1193505a8460731e' });
    other = await makeClass(t, { name: 'otherProduct', server: 'rm.example.com' });
    elsewhere = await makeClass(t, { name: 'myProduct', server: 'other.example.com' });
    await makeVirtual(t, tenant.auth, { key: customer, classId: product.id });
    await makeVirtual(t, tenant.auth, { key: 'suspended-customer', classId: product.id, status: 'suspended' });
    await makeVirtual(t, tenant.auth, { key: 'expired-customer', classId: product.id, expiresAt: past });
    await makeVirtual(t, tenant.auth, { key: 'renewed-customer', classId: product.id, expiresAt: future });
    await makeVirtual(t, tenant.auth, { key: 'elsewhere-customer', classId: elsewhere.id });
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  it('answers a valid key with the reference document: declaration, DOCTYPE and the real key', async () => {
    const res = await check(t, `server=rm.example.com;class=myProduct;key=${customer}`);
    expect(res.headers['content-type']).toBe('application/xml');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    const answer = readEntitlement(res);
    expect(answer).toEqual({
      server: 'rm.example.com',
      class: 'myProduct',
      key: '03d59e663c1af9ac33a9949d1193505a8460731e',
      doctype: REFERENCE_DOCTYPE,
    });
    expect(res.text).not.toContain(customer);
  });

  it.each([
    ['& separators', `server=rm.example.com&class=myProduct&key=${customer}`],
    ['mixed separators and any order', `key=${customer}&server=rm.example.com;class=myProduct`],
    ['with remote_ip', `server=rm.example.com;class=myProduct;key=${customer};remote_ip=198.51.100.7`],
    ['class omitted', `server=rm.example.com;key=${customer}`],
    ['an empty class, as if omitted', `server=rm.example.com;class=;key=${customer}`],
    ['percent-encoded names and values', `%73erver=rm%2Eexample%2Ecom;class=my%50roduct;key=${enc(customer)}`],
    ['the server in another case', `server=RM.Example.COM;key=${customer}`],
    ['unknown parameters, ignored', `server=rm.example.com;key=${customer};version=2;x`],
    ['trailing and doubled separators', `;server=rm.example.com;;key=${customer}&`],
  ])('grants with %s', async (_label, query) => {
    expect(readEntitlement(await check(t, query))).toMatchObject({ server: 'rm.example.com', class: 'myProduct', key: product.realKey });
  });

  it.each([
    ['an unknown key', 'NOT_FOUND', 'server=rm.example.com;class=myProduct;key=nobody'],
    ['a suspended key', 'SUSPENDED', 'server=rm.example.com;class=myProduct;key=suspended-customer'],
    ['an expired key', 'EXPIRED', 'server=rm.example.com;class=myProduct;key=expired-customer'],
    ['a wrong server', 'SERVER_MISMATCH', 'server=third.example.com;class=myProduct;key=elsewhere-customer'],
    ['a wrong class', 'CLASS_MISMATCH', `server=rm.example.com;class=otherProduct;key=${customer}`],
    ['an unknown class', 'CLASS_MISMATCH', `server=rm.example.com;class=noSuchProduct;key=${customer}`],
    ['the key of another server', 'SERVER_MISMATCH', 'server=rm.example.com;key=elsewhere-customer'],
  ])('refuses %s with an empty 404 and logs %s', async (_label, code, query) => {
    const remoteIp = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    expectRefused(await check(t, `${query};remote_ip=${remoteIp}`));
    const key = /key=([^;&]*)/.exec(query)![1];
    const logged = (await decisions(t, { key })).find((d) => d.remoteIp === remoteIp);
    expect(logged).toMatchObject({ code, channel: 'check', via: 'local', key, remoteIp, callerIp: expect.stringMatching(/127\.0\.0\.1$/) });
  });

  it('grants a key that expires later, and a key for the class of another server only there', async () => {
    expect(readEntitlement(await check(t, 'server=rm.example.com;key=renewed-customer')).key).toBe(product.realKey);
    expect(readEntitlement(await check(t, 'server=other.example.com;class=myProduct;key=elsewhere-customer'))).toMatchObject({
      server: 'other.example.com',
      key: elsewhere.realKey,
    });
  });

  it.each([
    ['no query at all', ''],
    ['server missing', `class=myProduct;key=${customer}`],
    ['key missing', 'server=rm.example.com;class=myProduct'],
    ['key empty', 'server=rm.example.com;class=myProduct;key='],
    ['server empty', `server=;key=${customer}`],
    ['key given twice', `server=rm.example.com;key=${customer};key=nobody`],
    ['the same key given twice', `server=rm.example.com;key=${customer}&key=${customer}`],
    ['class given twice', `server=rm.example.com;class=myProduct;class=otherProduct;key=${customer}`],
    ['server given twice', `server=rm.example.com;server=rm.example.com;key=${customer}`],
    ['malformed percent-encoding', 'server=rm.example.com;key=%zz'],
    ['percent-encoding that is not UTF-8', 'server=rm.example.com;key=%ff%fe'],
    ['a key with a NUL byte', `server=rm.example.com;key=${enc(customer)}%00`],
    ['a very long key', `server=rm.example.com;key=${'k'.repeat(8000)}`],
    ['a very long server', `server=${'s'.repeat(8000)}.example.com;key=${customer}`],
    ['a very long class', `server=rm.example.com;class=${'c'.repeat(8000)};key=${customer}`],
    ['a key that is a prefix of a real one', 'server=rm.example.com;key=w45tv'],
    ['a key with a LIKE wildcard', 'server=rm.example.com;key=w45tv%25'],
    ['the key in another case', `server=rm.example.com;key=${customer.toUpperCase()}`],
    ['SQL in the key', `server=rm.example.com;key=${enc("' OR '1'='1")}`],
  ])('refuses %s with an empty 404', async (_label, query) => {
    expectRefused(await check(t, query));
  });

  it('answers many checks arriving at once each with its own decision', async () => {
    const queries = Array.from(
      { length: 40 },
      (_, i) =>
        [
          [`server=rm.example.com;key=${customer}`, product.realKey],
          ['server=rm.example.com;key=suspended-customer', null],
          [`server=rm.example.com;key=nobody-${i}`, null],
          ['server=other.example.com;key=elsewhere-customer', elsewhere.realKey],
          [`server=rm.example.com;class=otherProduct;key=${customer}`, null],
        ][i % 5],
    );
    const answers = await Promise.all(queries.map(([query]) => check(t, query as string)));
    answers.forEach((res, i) => {
      const expected = queries[i][1];
      if (expected === null) expectRefused(res);
      else expect(readEntitlement(res).key).toBe(expected);
    });
  });

  it('logs a key with control characters, shown replaced, without losing the log', async () => {
    const marker = uniqueName('ctl');
    expectRefused(await check(t, `server=rm.example.com;key=${marker}%00%07end`));
    expect((await decisions(t, { key: marker })).map((d) => [d.code, d.key])).toEqual([['NOT_FOUND', `${marker}\uFFFD\uFFFDend`]]);
  });

  it('logs a malformed query as BAD_REQUEST', async () => {
    const marker = uniqueName('dup');
    expectRefused(await check(t, `server=rm.example.com;key=${marker};key=again`));
    const logged = (await decisions(t, { code: 'BAD_REQUEST' })).find((d) => d.detail?.includes(marker));
    expect(logged).toMatchObject({ code: 'BAD_REQUEST', detail: expect.stringContaining('key given more than once') });
  });

  it('reads `+` as a space and %2B as a plus, as any form-encoded query', async () => {
    await makeVirtual(t, tenant.auth, { key: 'acme customer+1', classId: product.id });
    expect(readEntitlement(await check(t, 'server=rm.example.com;key=acme+customer%2B1')).key).toBe(product.realKey);
    expect(readEntitlement(await check(t, `server=rm.example.com;key=${enc('acme customer+1')}`)).key).toBe(product.realKey);
    expectRefused(await check(t, 'server=rm.example.com;key=acme+customer+1'));
  });

  it('matches keys with encoded separators and non-ASCII characters exactly', async () => {
    const key = 'kunde;nr=7&ä/ß?#%20';
    await makeVirtual(t, tenant.auth, { key, classId: product.id });
    expect(readEntitlement(await check(t, `server=rm.example.com;class=myProduct;key=${enc(key)}`)).key).toBe(product.realKey);
    expectRefused(await check(t, `server=rm.example.com;class=myProduct;key=${key.slice(0, 5)}`));
  });

  it('escapes XML special characters in the document, which still parses to the exact values', async () => {
    const tricky = await makeClass(t, { name: `a&b <c> "d" 'e' ]]>`, server: 'xml.example.com', realKey: `r&<k>"'</key><key>x` });
    const key = `<cust>&"'`;
    await makeVirtual(t, tenant.auth, { key, classId: tricky.id });
    const res = await check(t, `server=xml.example.com;class=${enc(tricky.name)};key=${enc(key)}`);
    expect(readEntitlement(res)).toMatchObject({ server: 'xml.example.com', class: tricky.name, key: tricky.realKey });
    expect(res.text).toContain('<key>r&amp;&lt;k&gt;&quot;&apos;&lt;/key&gt;&lt;key&gt;x</key>');
  });

  it('serves no session and no CSRF check: a repository sends no cookie and needs none', async () => {
    const res = await check(t, `server=rm.example.com;key=${customer}`, { cookie: 'portico.sid=forged', origin: 'https://evil.example' });
    expect(readEntitlement(res).key).toBe(product.realKey);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('answers the JSON variant with the reason code (platform admins only)', async () => {
    const verify = (body: Record<string, unknown>) => t.http.post('/api/v1/entitlements/verify').set('Authorization', t.admin).send(body);
    expect(
      (await verify({ server: 'rm.example.com', class: 'myProduct', key: customer, remoteIp: '198.51.100.9' }).expect(200)).body,
    ).toEqual({
      valid: true,
      code: 'VALID',
      key: product.realKey,
      class: 'myProduct',
    });
    for (const [body, code] of [
      [{ server: 'rm.example.com', key: 'nobody' }, 'NOT_FOUND'],
      [{ server: 'rm.example.com', key: 'suspended-customer' }, 'SUSPENDED'],
      [{ server: 'rm.example.com', key: 'expired-customer' }, 'EXPIRED'],
      [{ server: 'third.example.com', key: customer }, 'SERVER_MISMATCH'],
      [{ server: 'rm.example.com', class: 'otherProduct', key: customer }, 'CLASS_MISMATCH'],
    ] as const) {
      expect((await verify(body).expect(200)).body).toEqual({ valid: false, code });
    }
    const logged = (await decisions(t, { key: customer })).find((d) => d.channel === 'verify' && d.remoteIp === '198.51.100.9');
    expect(logged).toMatchObject({ code: 'VALID', via: 'local' });
    await t.http
      .post('/api/v1/entitlements/verify')
      .set('Authorization', tenant.auth)
      .send({ server: 'rm.example.com', key: customer })
      .expect(403);
    await t.http.post('/api/v1/entitlements/verify').send({ server: 'rm.example.com', key: customer }).expect(401);
    await verify({ server: 'rm.example.com' }).expect(400);
  });

  it('records every decision, aggregated: identical checks are one row with a count', async () => {
    const key = uniqueName('counted');
    await makeVirtual(t, tenant.auth, { key, classId: other.id });
    for (let i = 0; i < 5; i++) readEntitlement(await check(t, `server=rm.example.com;key=${key};remote_ip=203.0.113.77`));
    const rows = (await decisions(t, { key })).filter((d) => d.remoteIp === '203.0.113.77');
    expect(rows.reduce((n, d) => n + d.count, 0)).toBe(5);
    expect(rows.every((d) => d.code === 'VALID' && d.class === null && d.server === 'rm.example.com')).toBe(true);
  });

  describe('immediacy: a change is honoured by the very next check', () => {
    it('suspend, resume, expire, reassign and delete', async () => {
      const key = uniqueName('immediate');
      const entry = await makeVirtual(t, tenant.auth, { key, classId: product.id });
      const query = `server=rm.example.com;class=myProduct;key=${key}`;
      const patch = (body: Record<string, unknown>) =>
        t.http.patch(`/api/v1/entitlements/virtual/${entry.id}`).set('Authorization', tenant.auth).send(body).expect(200);
      readEntitlement(await check(t, query));
      await patch({ status: 'suspended' });
      expectRefused(await check(t, query));
      await patch({ status: 'active' });
      readEntitlement(await check(t, query));
      await patch({ expiresAt: new Date(Date.now() - 1000).toISOString() });
      expectRefused(await check(t, query));
      await patch({ expiresAt: null });
      readEntitlement(await check(t, query));
      await patch({ classId: other.id });
      expectRefused(await check(t, query));
      expect(readEntitlement(await check(t, `server=rm.example.com;key=${key}`)).key).toBe(other.realKey);
      await t.http.delete(`/api/v1/entitlements/virtual/${entry.id}`).set('Authorization', tenant.auth).expect(204);
      expectRefused(await check(t, `server=rm.example.com;key=${key}`));
    });

    it('changing the real key of a class is what the next document carries', async () => {
      const cls = await makeClass(t);
      const key = uniqueName('rekeyed');
      await makeVirtual(t, tenant.auth, { key, classId: cls.id });
      await t.http
        .put(`/api/v1/entitlements/classes/${cls.id}`)
        .set('Authorization', t.admin)
        .send({ name: cls.name, server: cls.server, realKey: 'rotated-real-key' })
        .expect(200);
      expect(readEntitlement(await check(t, `server=${cls.server};key=${key}`)).key).toBe('rotated-real-key');
    });

    it('a suspension through one instance is honoured by another instance on the same database', async () => {
      const second: NestExpressApplication = await createApp(
        new AppConfig({
          NODE_ENV: 'test',
          DATABASE_URL: t.db.url,
          MIGRATE_ON_START: 'false',
          ADMIN_API_TOKEN: ADMIN_TOKEN,
          PORTICO_SECRET_KEY: t.config.secretKey,
          LOG_LEVEL: 'silent',
        }),
      );
      await second.listen(0, '127.0.0.1');
      try {
        const other2 = { ...t, baseUrl: `http://127.0.0.1:${(second.getHttpServer().address() as { port: number }).port}` } as TestApp;
        const key = uniqueName('two-instances');
        const entry = await makeVirtual(t, tenant.auth, { key, classId: product.id });
        readEntitlement(await check(other2, `server=rm.example.com;key=${key}`));
        await t.http
          .patch(`/api/v1/entitlements/virtual/${entry.id}`)
          .set('Authorization', tenant.auth)
          .send({ status: 'suspended' })
          .expect(200);
        expectRefused(await check(other2, `server=rm.example.com;key=${key}`));
      } finally {
        await second.close();
      }
    });
  });

  describe('caller allow-list per server', () => {
    const server = 'restricted.example.com';
    let cls: ClassFixture;
    beforeAll(async () => {
      cls = await makeClass(t, { server });
      await makeVirtual(t, tenant.auth, { key: 'restricted-customer', classId: cls.id });
    });
    const put = (allowedIps: string[]) =>
      t.http.put(`/api/v1/entitlements/servers/${server}`).set('Authorization', t.admin).send({ allowedIps });

    it('refuses callers outside the list at once, other servers unaffected, and logs why', async () => {
      readEntitlement(await check(t, `server=${server};key=restricted-customer`));
      expect((await put(['203.0.113.5', '2001:db8::/32']).expect(200)).body).toMatchObject({
        server,
        allowedIps: ['203.0.113.5', '2001:db8::/32'],
      });
      expectRefused(await check(t, `server=${server};key=restricted-customer;remote_ip=127.0.0.1`));
      // remote_ip is the repository's client, not the caller: it opens nothing.
      expectRefused(await check(t, `server=${server};key=restricted-customer;remote_ip=203.0.113.5`));
      // Without TRUST_PROXY a forwarded-for header is not believed.
      expectRefused(await check(t, `server=${server};key=restricted-customer`, { 'x-forwarded-for': '203.0.113.5' }));
      readEntitlement(await check(t, `server=rm.example.com;key=${customer}`));
      expect((await decisions(t, { key: 'restricted-customer', code: 'CALLER_NOT_ALLOWED' })).length).toBeGreaterThan(0);
      // The JSON variant is for administrators and is not restricted by caller address.
      expect(
        (
          await t.http
            .post('/api/v1/entitlements/verify')
            .set('Authorization', t.admin)
            .send({ server, key: 'restricted-customer' })
            .expect(200)
        ).body.code,
      ).toBe('VALID');
    });

    it('lets listed callers in, by address or range, and everyone again when the list is emptied', async () => {
      await put(['127.0.0.0/8']).expect(200);
      readEntitlement(await check(t, `server=${server};key=restricted-customer`));
      await put(['203.0.113.5']).expect(200);
      expectRefused(await check(t, `server=${server};key=restricted-customer`));
      await put([]).expect(200);
      readEntitlement(await check(t, `server=${server};key=restricted-customer`));
      expect(
        (await t.http.get('/api/v1/entitlements/servers').set('Authorization', t.admin).expect(200)).body.map(
          (s: { server: string }) => s.server,
        ),
      ).not.toContain(server);
    });

    it('refuses entries that are not IPs or ranges, naming them', async () => {
      const res = await put(['10.0.0.1', 'example.com']).expect(400);
      expect(res.body.message).toContain('example.com');
      await put(['10.0.0.0/33']).expect(400);
      await t.http
        .put('/api/v1/entitlements/servers/not a host')
        .set('Authorization', t.admin)
        .send({ allowedIps: ['10.0.0.1'] })
        .expect(400);
      await t.http.put(`/api/v1/entitlements/servers/${server}`).set('Authorization', tenant.auth).send({ allowedIps: [] }).expect(403);
    });
  });

  it('answers HEAD like GET without a body, and other methods not at all', async () => {
    const res = await t.http.head(`/entitlements/check?server=rm.example.com;key=${customer}`);
    expect(res.status).toBe(200);
    expect((await t.http.post(`/entitlements/check?server=rm.example.com;key=${customer}`)).status).toBe(404);
    expect((await rawGet(t, '/entitlements/check/')).status).not.toBe(200);
  });
});
