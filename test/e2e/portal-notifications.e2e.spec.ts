import { InboundReceipt } from '@portico/portal';
import { DataSource } from 'typeorm';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

interface RecordResult {
  id: string | null;
  status: 'created' | 'updated' | 'unchanged' | 'rejected';
  localId?: string;
  reason?: string;
}

/** POST /t/{key}/data/notifications: the portal shares its organizations and people; each record is upserted on its own. */
describe.each(databaseKinds())('data-sharing notifications (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let delivery = 0;

  const notify = (body: unknown, opts: { webhookId?: string | null; auth?: string; key?: string } = {}) => {
    const req = t.http.post(`/t/${opts.key ?? tenant.key}/data/notifications`).set('Authorization', opts.auth ?? tenant.auth);
    const id = opts.webhookId === undefined ? `msg_${kind}_${++delivery}` : opts.webhookId;
    if (id !== null) req.set('webhook-id', id);
    return req.send(body as object);
  };
  const statuses = (res: { body: { results: Record<string, RecordResult[]> } }, collection: string) =>
    res.body.results[collection].map((r) => r.status);
  const orgsByUid = async (externalUid: string) =>
    (await t.http.get('/api/v1/organizations').query({ externalUid }).set('Authorization', tenant.auth).expect(200)).body.items;
  const usersByEmail = async (email: string) =>
    (await t.http.get('/api/v1/users').query({ email }).set('Authorization', tenant.auth).expect(200)).body.items;
  const members = async (orgId: string) =>
    (await t.http.get(`/api/v1/organizations/${orgId}/members`).set('Authorization', tenant.auth).expect(200)).body.items as {
      email: string;
      role: string;
    }[];

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => {
    jest.restoreAllMocks();
    t.clock.reset();
    expect(problems.splice(0)).toEqual([]);
  });

  it('creates organizations and people with their memberships, recording the uids', async () => {
    const res = await notify({
      organizations: [{ id: 'grp-alpha', name: 'Alpha Ltd' }],
      people: [{ id: 'usr-ada', group_id: 'grp-alpha', email: 'ada@alpha.example', first_name: 'Ada', last_name: 'Byron', role: 'admin' }],
    }).expect(200);
    expect(res.body).toMatchObject({
      success: true,
      duplicate: false,
      results: {
        organizations: [{ id: 'grp-alpha', status: 'created', localId: expect.any(String) }],
        people: [{ id: 'usr-ada', status: 'created', localId: expect.any(String) }],
      },
    });
    const [org] = await orgsByUid('grp-alpha');
    expect(org).toMatchObject({ name: 'Alpha Ltd', tenantKey: tenant.key, id: res.body.results.organizations[0].localId });
    const [user] = await usersByEmail('ada@alpha.example');
    expect(user).toMatchObject({ firstName: 'Ada', lastName: 'Byron', externalUid: 'usr-ada', id: res.body.results.people[0].localId });
    expect(await members(org.id)).toMatchObject([{ email: 'ada@alpha.example', role: 'admin' }]);
    const links = await t.http.get('/api/v1/identity-links').query({ provider: 'portal' }).set('Authorization', tenant.auth).expect(200);
    expect(links.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entityType: 'organization', foreignId: 'grp-alpha', localId: org.id }),
        expect.objectContaining({ entityType: 'user', foreignId: 'usr-ada', localId: user.id }),
      ]),
    );
  });

  it('updates what changed and says unchanged for what did not', async () => {
    const base = {
      organizations: [{ id: 'grp-beta', name: 'Beta Ltd' }],
      people: [{ id: 'usr-bo', group_id: 'grp-beta', email: 'bo@beta.example', first_name: 'Bo', last_name: 'Beta', role: 'member' }],
    };
    await notify(base).expect(200);
    const same = await notify(base).expect(200); // another delivery (new webhook-id) with the same data
    expect(same.body.duplicate).toBe(false);
    expect([statuses(same, 'organizations'), statuses(same, 'people')]).toEqual([['unchanged'], ['unchanged']]);

    const renamed = await notify({ organizations: [{ id: 'grp-beta', name: 'Beta Group' }] }).expect(200);
    expect(statuses(renamed, 'organizations')).toEqual(['updated']);
    expect((await orgsByUid('grp-beta'))[0].name).toBe('Beta Group');

    const person = { ...base.people[0], last_name: 'Bright', email: 'bo.bright@beta.example', role: 'owner' };
    const changed = await notify({ people: [person] }).expect(200);
    expect(statuses(changed, 'people')).toEqual(['updated']);
    expect(await usersByEmail('bo@beta.example')).toEqual([]);
    expect(await usersByEmail('bo.bright@beta.example')).toMatchObject([{ lastName: 'Bright' }]);
    expect(await members((await orgsByUid('grp-beta'))[0].id)).toMatchObject([{ email: 'bo.bright@beta.example', role: 'owner' }]);
  });

  it('rejects bad records with a reason, applies the good ones, and leaves nothing half-made', async () => {
    const res = await notify({
      organizations: [
        { id: 'grp-gamma', name: 'Gamma Ltd' },
        { name: 'No id' },
        { id: 'grp-x', name: '' },
        { id: 'grp-y', name: 'y'.repeat(201) },
        'not an object',
      ],
      people: [
        { id: 'usr-good', group_id: 'grp-gamma', email: 'good@gamma.example', first_name: 'Good', last_name: 'One' },
        { id: 'usr-orphan', group_id: 'grp-unknown', email: 'orphan@gamma.example', first_name: 'Or', last_name: 'Phan' },
        { id: 'usr-bad-email', group_id: 'grp-gamma', email: 'not-an-email' },
        { id: 'usr-bad-role', group_id: 'grp-gamma', email: 'role@gamma.example', role: 'emperor' },
        { id: 'usr-proto', group_id: 'grp-gamma', email: 'proto@gamma.example', role: 'constructor' },
        { id: { nested: true }, email: 'nested@gamma.example' },
      ],
      invoices: [{ id: 'inv-1', amount: 10 }],
    }).expect(200);
    expect(statuses(res, 'organizations')).toEqual(['created', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(statuses(res, 'people')).toEqual(['created', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(res.body.results.invoices).toEqual([{ id: 'inv-1', status: 'rejected', reason: expect.stringMatching(/not supported/) }]);
    for (const r of [...res.body.results.organizations.slice(1), ...res.body.results.people.slice(1)])
      expect(r.reason).toEqual(expect.any(String));
    expect(res.body.results.organizations[2].reason).toMatch(/name/);
    expect(res.body.results.people[1].reason).toMatch(/grp-unknown/);
    expect(res.body.results.people[2].reason).toMatch(/email/);
    expect(res.body.results.people[3].reason).toMatch(/role/);
    expect(res.body.results.people[4].reason).toMatch(/role/);
    // The orphan's group was unknown: the person was not created without it.
    expect(await usersByEmail('orphan@gamma.example')).toEqual([]);
    expect(await usersByEmail('role@gamma.example')).toEqual([]);
    expect(await usersByEmail('good@gamma.example')).toHaveLength(1);
  });

  it('rejects a record that clashes with another one, without changing either', async () => {
    await notify({
      organizations: [
        { id: 'grp-one', name: 'Clash One' },
        { id: 'grp-two', name: 'Clash Two' },
      ],
    }).expect(200);
    const res = await notify({ organizations: [{ id: 'grp-two', name: 'Clash One' }] }).expect(200);
    expect(statuses(res, 'organizations')).toEqual(['rejected']);
    expect((await orgsByUid('grp-two'))[0].name).toBe('Clash Two');

    await notify({ people: [{ id: 'usr-first', email: 'first@clash.example', first_name: 'F', last_name: 'F' }] }).expect(200);
    const taken = await notify({ people: [{ id: 'usr-second', email: 'first@clash.example', first_name: 'S', last_name: 'S' }] }).expect(
      200,
    );
    expect(taken.body.results.people[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/another person/) });
    expect((await usersByEmail('first@clash.example'))[0]).toMatchObject({ firstName: 'F', externalUid: 'usr-first' });
  });

  it('applies organizations before the people who name them, answering in the order sent', async () => {
    const res = await notify({
      people: [{ id: 'usr-late', group_id: 'grp-late', email: 'late@order.example', first_name: 'La', last_name: 'Te' }],
      organizations: [{ id: 'grp-late', name: 'Late Ltd' }],
    }).expect(200);
    expect(Object.keys(res.body.results)).toEqual(['people', 'organizations']);
    expect([statuses(res, 'people'), statuses(res, 'organizations')]).toEqual([['created'], ['created']]);
  });

  describe('repeated deliveries', () => {
    it('applies a webhook-id once, whatever the repeat carries', async () => {
      const first = await notify({ organizations: [{ id: 'grp-dup', name: 'Dup Ltd' }] }, { webhookId: `msg_dup_${kind}` }).expect(200);
      expect(first.body.duplicate).toBe(false);
      const again = await notify({ organizations: [{ id: 'grp-dup', name: 'Dup Renamed' }] }, { webhookId: `msg_dup_${kind}` }).expect(200);
      expect(again.body).toMatchObject({
        success: true,
        duplicate: true,
        results: { organizations: [{ id: 'grp-dup', status: 'unchanged', reason: expect.stringMatching(/Repeated delivery/) }] },
      });
      expect((await orgsByUid('grp-dup'))[0].name).toBe('Dup Ltd');
      // The same id from another tenant is another delivery.
      const other = await makeTenant(t);
      const theirs = await notify(
        { organizations: [{ id: 'grp-dup', name: 'Dup Ltd' }] },
        { webhookId: `msg_dup_${kind}`, auth: other.auth, key: other.key },
      );
      expect(theirs.body).toMatchObject({ duplicate: false, results: { organizations: [{ status: 'created' }] } });
    });

    it('takes identical content without a webhook-id for a repeat, for ten minutes', async () => {
      const body = { organizations: [{ id: 'grp-same', name: 'Same Ltd' }] };
      expect((await notify(body, { webhookId: null }).expect(200)).body.duplicate).toBe(false);
      const repeat = await notify(body, { webhookId: null }).expect(200);
      expect(repeat.body.duplicate).toBe(true);
      // The group is cancelled; identical content later means it again.
      await t.http.delete(`/t/${tenant.key}/account/groups/grp-same`).set('Authorization', tenant.auth).expect(200);
      expect((await notify(body, { webhookId: null }).expect(200)).body.duplicate).toBe(true);
      expect(await orgsByUid('grp-same')).toEqual([]);
      t.clock.advance(11 * 60_000);
      const later = await notify(body, { webhookId: null }).expect(200);
      expect(later.body).toMatchObject({ duplicate: false, results: { organizations: [{ status: 'created' }] } });
      expect(await orgsByUid('grp-same')).toHaveLength(1);
    });

    it('answers 409 while a copy is being applied, and takes over a claim abandoned for five minutes', async () => {
      // A delivery whose request never finished (its server stopped half-way): claimed, no results.
      const ds = t.app.get(DataSource);
      const receipts = ds.getRepository(InboundReceipt);
      await receipts.save(
        receipts.create({
          tenantId: tenant.id,
          route: 'data.notifications',
          receiptKey: `id:msg_stuck_${kind}`,
          results: null,
          expiresAt: new Date(Date.now() + 86_400_000),
        }),
      );
      const body = { organizations: [{ id: 'grp-stuck', name: 'Stuck Ltd' }] };
      expectError(await notify(body, { webhookId: `msg_stuck_${kind}` }), 409, /being applied/);
      expect(await orgsByUid('grp-stuck')).toEqual([]);
      t.clock.advance(6 * 60_000);
      const retried = await notify(body, { webhookId: `msg_stuck_${kind}` }).expect(200);
      expect(retried.body).toMatchObject({ duplicate: false, results: { organizations: [{ status: 'created' }] } });
    });

    it('keeps rejected records rejected on a repeat', async () => {
      const body = { organizations: [{ id: 'grp-r' }] };
      await notify(body, { webhookId: `msg_rej_${kind}` }).expect(200);
      const again = await notify(body, { webhookId: `msg_rej_${kind}` }).expect(200);
      expect(again.body).toMatchObject({
        duplicate: true,
        results: { organizations: [{ status: 'rejected', reason: expect.any(String) }] },
      });
    });

    it('creates no duplicate when several deliveries of the same new records arrive at once', async () => {
      const body = {
        organizations: [{ id: 'grp-race', name: 'Race Ltd' }],
        people: [{ id: 'usr-race', group_id: 'grp-race', email: 'race@race.example', first_name: 'Ra', last_name: 'Ce', role: 'owner' }],
      };
      const answers = await Promise.all(Array.from({ length: 6 }, () => notify(body)));
      for (const a of answers) expect(a.status).toBe(200);
      const orgStatuses = answers.flatMap((a) => statuses(a, 'organizations'));
      const peopleStatuses = answers.flatMap((a) => statuses(a, 'people'));
      expect(orgStatuses.filter((s) => s === 'created')).toHaveLength(1);
      expect(peopleStatuses.filter((s) => s === 'created')).toHaveLength(1);
      const rejected = answers
        .flatMap((a) => [...a.body.results.organizations, ...a.body.results.people])
        .filter((r) => r.status === 'rejected');
      expect(rejected).toEqual([]);
      expect(await orgsByUid('grp-race')).toHaveLength(1);
      expect(await usersByEmail('race@race.example')).toHaveLength(1);
      expect(await members((await orgsByUid('grp-race'))[0].id)).toHaveLength(1);
    });

    it('applies one of several identical deliveries arriving at once, and tells the others', async () => {
      const body = { organizations: [{ id: 'grp-same-time', name: 'Same Time Ltd' }] };
      const answers = await Promise.all(Array.from({ length: 4 }, () => notify(body, { webhookId: `msg_same_time_${kind}` })));
      const applied = answers.filter((a) => a.status === 200 && a.body.duplicate === false);
      expect(applied).toHaveLength(1);
      for (const a of answers.filter((x) => x !== applied[0])) {
        expect(a.status === 409 || (a.status === 200 && a.body.duplicate === true)).toBe(true);
      }
      expect(await orgsByUid('grp-same-time')).toHaveLength(1);
    });
  });

  it('answers 400 to what is not a notification', async () => {
    expectError(await notify([{ id: 'x' }]), 400, /JSON object/);
    expectError(await notify({ organizations: { id: 'x' } }), 400, /organizations must be an array/);
    expectError(await notify({}), 400, /no collection/);
    expectError(await notify({ people: Array.from({ length: 1001 }, (_, i) => ({ id: `p${i}` })) }), 400, /at most 1000/);
    expectError(await notify({ organizations: [] }, { webhookId: 'x'.repeat(300) }), 400, /webhook-id/);
    const notJson = await t.http
      .post(`/t/${tenant.key}/data/notifications`)
      .set('Authorization', tenant.auth)
      .set('Content-Type', 'application/json')
      .send('{"organizations": [');
    expect(notJson.status).toBe(400);
  });

  it('is audited', async () => {
    const events = await t.http
      .get('/api/v1/audit-events')
      .query({ action: 'portal.notification.applied' })
      .set('Authorization', t.admin)
      .expect(200);
    expect(events.body.items[0]).toMatchObject({ tenantKey: expect.any(String), details: { counts: expect.any(Object) } });
  });
});
