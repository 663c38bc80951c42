import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { check, decisions, expectRefused, makeClass, makeVirtual, readEntitlement } from '../support/entitlements';
import { makeTenant } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const SERVER = 'crm.example.com';
const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const doc = (server: string, cls: string, key: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<!DOCTYPE entitlement [ <!ELEMENT entitlement (server, class, key)> <!ELEMENT server (#PCDATA)> <!ELEMENT class (#PCDATA)> <!ELEMENT key (#PCDATA)> ]>\n<entitlement><server>${esc(server)}</server><class>${esc(cls)}</class><key>${esc(key)}</key></entitlement>`;

/** A CRM on 127.0.0.1 that answers by customer key, and remembers what it was asked. */
class FakeCrm {
  server: Server;
  asked: { url: string; query: Record<string, string> }[] = [];
  flaky = 0;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  count(key: string): number {
    return this.asked.filter((a) => a.query.key === key).length;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const raw = (req.url ?? '').split('?')[1] ?? '';
    const query = Object.fromEntries(
      raw
        .split(';')
        .filter(Boolean)
        .map((p) => p.split('=').map((s) => decodeURIComponent(s)) as [string, string]),
    );
    this.asked.push({ url: req.url ?? '', query });
    const key = query.key ?? '';
    const xml = (body: string): void => void res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
    if (key.startsWith('grant')) return xml(doc(query.server, 'crmProduct', `REAL&<${key}>`));
    if (key === 'deny') return void res.writeHead(404).end();
    if (key === 'malformed') return xml('<entitlement><server>crm.example.com</server><class>c</class><key>k</entitlement>');
    if (key === 'not-xml') return xml('{"valid": true}');
    if (key === 'wrong-server') return xml(doc('evil.example.com', 'crmProduct', 'STOLEN'));
    if (key === 'extra-field')
      return xml('<entitlement><server>crm.example.com</server><class>c</class><key>k</key><admin>1</admin></entitlement>');
    if (key === 'entities') {
      return xml(
        '<?xml version="1.0"?><!DOCTYPE entitlement [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><entitlement><server>crm.example.com</server><class>c</class><key>&b;</key></entitlement>',
      );
    }
    if (key === 'slow') return void setTimeout(() => (res.writableEnded ? undefined : xml(doc(query.server, 'c', 'LATE'))), 1500).unref();
    if (key === 'error') return void res.writeHead(500).end('boom');
    if (key === 'redirect') return void res.writeHead(302, { location: '/elsewhere' }).end();
    if (key === 'flaky') return this.flaky++ === 0 ? void res.writeHead(503).end() : xml(doc(query.server, 'crmProduct', 'AFTER-RETRY'));
    res.writeHead(404).end();
  }
}

describe.each(databaseKinds())('entitlement delegation to a source (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let crm: FakeCrm;
  let sourceId: string;
  const admin = () => ({ Authorization: t.admin });

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    crm = new FakeCrm();
    await crm.start();
    const res = await t.http
      .post('/api/v1/entitlements/sources')
      .set(admin())
      .send({ server: SERVER, url: `${crm.url}/check?token=s3cret`, cacheSeconds: 60, timeoutMs: 300, allowPrivateNetwork: true })
      .expect(201);
    sourceId = res.body.id;
    expect(res.body).toMatchObject({ server: SERVER, className: null, cacheSeconds: 60, timeoutMs: 300, allowPrivateNetwork: true });
  });
  afterAll(async () => {
    await crm?.stop();
    await t?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    t.clock.reset();
    expect(problems.splice(0)).toEqual([]);
  });

  it('asks the source in the check format and answers its grant with a document of its own', async () => {
    const key = 'grant a;b&c=d/ü+%';
    const res = await check(t, `server=${SERVER};class=crmProduct;key=${encodeURIComponent(key)};remote_ip=198.51.100.23`);
    expect(readEntitlement(res)).toMatchObject({ server: SERVER, class: 'crmProduct', key: `REAL&<${key}>` });
    const asked = crm.asked.find((a) => a.query.key === key)!;
    expect(asked.url).toBe(`/check?token=s3cret;server=${SERVER};class=crmProduct;key=${encodeURIComponent(key)};remote_ip=198.51.100.23`);
    const logged = (await decisions(t, { key })).find((d) => d.remoteIp === '198.51.100.23');
    expect(logged).toMatchObject({ code: 'VALID', via: 'source', channel: 'check' });
  });

  it('caches a grant and a denial for cacheSeconds, then asks again', async () => {
    readEntitlement(await check(t, `server=${SERVER};key=grant-cached`));
    readEntitlement(await check(t, `server=${SERVER};key=grant-cached`));
    expectRefused(await check(t, `server=${SERVER};key=deny`));
    expectRefused(await check(t, `server=${SERVER};key=deny`));
    expect([crm.count('grant-cached'), crm.count('deny')]).toEqual([1, 1]);
    // Sixty-one seconds later.
    t.clock.advance(61_000);
    readEntitlement(await check(t, `server=${SERVER};key=grant-cached`));
    expectRefused(await check(t, `server=${SERVER};key=deny`));
    expect([crm.count('grant-cached'), crm.count('deny')]).toEqual([2, 2]);
  });

  it.each([
    ['a malformed document', 'malformed', 'malformed'],
    ['a body that is not XML', 'not-xml', 'malformed'],
    ['a document for another server', 'wrong-server', 'another server'],
    ['a document with an unexpected field', 'extra-field', 'malformed'],
    ['a document defining its own entities', 'entities', 'malformed'],
    ['a server error', 'error', 'HTTP 500'],
    ['a redirect', 'redirect', 'HTTP 302'],
    ['no answer within the timeout', 'slow', 'timeout'],
  ])('refuses %s with an empty 404 and never caches it', async (_label, key, detail) => {
    expectRefused(await check(t, `server=${SERVER};key=${key}`));
    expectRefused(await check(t, `server=${SERVER};key=${key}`));
    expect(crm.count(key)).toBe(2);
    const logged = (await decisions(t, { key, code: 'SOURCE_ERROR' }))[0];
    expect(logged).toMatchObject({ via: 'source', detail: expect.stringContaining(detail) });
    expect(logged.detail).not.toContain('s3cret');
  });

  it('does not cache a failure: the next check gets the recovered answer', async () => {
    expectRefused(await check(t, `server=${SERVER};key=flaky`));
    expect(readEntitlement(await check(t, `server=${SERVER};key=flaky`)).key).toBe('AFTER-RETRY');
  });

  it('delegates the JSON variant too, with the reason code', async () => {
    const verify = (key: string) => t.http.post('/api/v1/entitlements/verify').set(admin()).send({ server: SERVER, key }).expect(200);
    expect((await verify('grant-json')).body).toEqual({ valid: true, code: 'VALID', key: 'REAL&<grant-json>', class: 'crmProduct' });
    expect((await verify('deny')).body).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect((await verify('malformed')).body).toEqual({ valid: false, code: 'SOURCE_ERROR' });
  });

  it('takes precedence over local keys for its server, a class-specific source over the class-less one', async () => {
    const tenant = await makeTenant(t);
    const local = await makeClass(t, { name: 'special', server: SERVER, realKey: 'LOCAL-REAL' });
    await makeVirtual(t, tenant.auth, { key: 'grant-local-too', classId: local.id });
    expect(readEntitlement(await check(t, `server=${SERVER};class=special;key=grant-local-too`)).key).toBe('REAL&<grant-local-too>');

    const special = new FakeCrm();
    await special.start();
    try {
      const res = await t.http
        .post('/api/v1/entitlements/sources')
        .set(admin())
        .send({ server: SERVER, className: 'special', url: `${special.url}/special`, cacheSeconds: 0, allowPrivateNetwork: true })
        .expect(201);
      readEntitlement(await check(t, `server=${SERVER};class=special;key=grant-special`));
      readEntitlement(await check(t, `server=${SERVER};class=special;key=grant-special`));
      // cacheSeconds 0: asked every time.
      expect([special.count('grant-special'), crm.count('grant-special')]).toEqual([2, 0]);
      readEntitlement(await check(t, `server=${SERVER};class=other;key=grant-other`));
      expect([special.count('grant-other'), crm.count('grant-other')]).toEqual([0, 1]);

      // Without a source for the class and for the server, the local keys answer again.
      await t.http.delete(`/api/v1/entitlements/sources/${res.body.id}`).set(admin()).expect(204);
      await t.http.delete(`/api/v1/entitlements/sources/${sourceId}`).set(admin()).expect(204);
      expect(readEntitlement(await check(t, `server=${SERVER};class=special;key=grant-local-too`)).key).toBe('LOCAL-REAL');
      expectRefused(await check(t, `server=${SERVER};key=grant-gone`));
      expect(crm.count('grant-gone')).toBe(0);
    } finally {
      await special.stop();
      const again = await t.http
        .post('/api/v1/entitlements/sources')
        .set(admin())
        .send({ server: SERVER, url: `${crm.url}/check?token=s3cret`, cacheSeconds: 60, timeoutMs: 300, allowPrivateNetwork: true })
        .expect(201);
      sourceId = again.body.id;
    }
  });

  it('forgets cached answers when the source changes', async () => {
    readEntitlement(await check(t, `server=${SERVER};key=grant-changed`));
    await t.http
      .put(`/api/v1/entitlements/sources/${sourceId}`)
      .set(admin())
      .send({ server: SERVER, url: `${crm.url}/check?token=s3cret`, cacheSeconds: 120, timeoutMs: 300, allowPrivateNetwork: true })
      .expect(200);
    readEntitlement(await check(t, `server=${SERVER};key=grant-changed`));
    expect(crm.count('grant-changed')).toBe(2);
  });

  describe('outbound address policy', () => {
    it('refuses plain http and private addresses unless the source is marked private', async () => {
      const create = (body: Record<string, unknown>) =>
        t.http
          .post('/api/v1/entitlements/sources')
          .set(admin())
          .send({ server: 'guarded.example.com', ...body });
      expect((await create({ url: `${crm.url}/check` }).expect(400)).body.message).toMatch(/https/);
      expect((await create({ url: 'https://169.254.169.254/latest/meta-data' }).expect(400)).body.message).toMatch(/private|loopback/);
      expect((await create({ url: 'https://[::1]:8443/check' }).expect(400)).body.message).toMatch(/private|loopback/);
      await create({ url: 'https://user:pw@crm.example.net/check' }).expect(400);
      await create({ url: 'not a url' }).expect(400);
      await create({ url: 'ftp://crm.example.net/check' }).expect(400);
    });

    it('refuses at connect time a host name that resolves to a private address, asking nothing', async () => {
      const port = new URL(crm.url).port;
      const res = await t.http
        .post('/api/v1/entitlements/sources')
        .set(admin())
        .send({ server: 'rebind.example.com', url: `https://localhost:${port}/check`, timeoutMs: 1000 })
        .expect(201);
      const before = crm.asked.length;
      expectRefused(await check(t, 'server=rebind.example.com;key=grant-private'));
      expect(crm.asked.length).toBe(before);
      const logged = (await decisions(t, { key: 'grant-private' }))[0];
      expect(logged).toMatchObject({ code: 'SOURCE_ERROR', detail: expect.stringMatching(/refused/) });
      await t.http.delete(`/api/v1/entitlements/sources/${res.body.id}`).set(admin()).expect(204);
    });
  });

  it('manages sources through the API: validation, conflicts, platform admins only', async () => {
    const tenant = await makeTenant(t);
    const body = { server: 'Dup.Example.com', url: 'https://crm.example.net/check' };
    const created = await t.http.post('/api/v1/entitlements/sources').set(admin()).send(body).expect(201);
    expect(created.body).toMatchObject({
      server: 'dup.example.com',
      className: null,
      cacheSeconds: 60,
      timeoutMs: 3000,
      allowPrivateNetwork: false,
    });
    expect((await t.http.post('/api/v1/entitlements/sources').set(admin()).send(body).expect(409)).body.message).toMatch(
      /already has a source/,
    );
    await t.http
      .post('/api/v1/entitlements/sources')
      .set(admin())
      .send({ ...body, className: 'one' })
      .expect(201);
    await t.http
      .post('/api/v1/entitlements/sources')
      .set(admin())
      .send({ ...body, cacheSeconds: -1 })
      .expect(400);
    await t.http
      .post('/api/v1/entitlements/sources')
      .set(admin())
      .send({ ...body, timeoutMs: 10 })
      .expect(400);
    await t.http.get(`/api/v1/entitlements/sources/${created.body.id}`).set(admin()).expect(200);
    await t.http.get('/api/v1/entitlements/sources').set('Authorization', tenant.auth).expect(403);
    await t.http.get('/api/v1/entitlements/sources/not-a-uuid').set(admin()).expect(400);
    await t.http.delete(`/api/v1/entitlements/sources/${created.body.id}`).set(admin()).expect(204);
    await t.http.get(`/api/v1/entitlements/sources/${created.body.id}`).set(admin()).expect(404);
  });
});
