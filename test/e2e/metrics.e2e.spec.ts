import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { freePort } from '../support/ports';
import { startTestApp, TestApp } from '../support/test-app';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** A family's type and its samples, read from the exposition text. */
interface Family {
  type: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined =>
    families.get(sample) ?? families.get(sample.replace(/_(bucket|sum|count|total|created)$/, ''));
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1], { type: type[2], samples: [] });
    if (!line || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`Not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    const family = familyOf(sample[1]);
    if (!family) throw new Error(`A sample without a # TYPE line: ${line}`);
    family.samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return families;
}

/** The sum of a family's samples named `name` whose labels include `where`. */
function total(families: Map<string, Family>, family: string, name: string, where: Record<string, string> = {}): number {
  return (families.get(family)?.samples ?? [])
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe.each(databaseKinds())('metrics (%s)', (kind) => {
  let t: TestApp;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    t = await startTestApp(kind, { METRICS_TOKEN, METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => t?.close());

  const scrape = async (): Promise<{ text: string; families: Map<string, Family> }> => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.text, families: parseExposition(res.text) };
  };

  it('refuses /metrics without the token or with a wrong one', async () => {
    const none = await t.http.get('/metrics').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}x`).expect(401);
    await t.http.get('/metrics').set('Authorization', t.admin).expect(401);
    await t.http
      .get('/metrics')
      .set('Authorization', `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`)
      .expect(401);
  });

  it('serves the HTTP families by route template, never by raw id', async () => {
    const tenant = await makeTenant(t);
    const org = await makeOrganization(t, tenant.auth);
    const user = await makeUser(t, tenant.auth, { organizationId: org.id });
    await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(200);
    await t.http.get('/no/such/page/0b6f9c1e-7f43-4a52-9d59-1b2c3d4e5f60').expect(404);
    const { text, families } = await scrape();
    expect(families.get('portico_http_request_duration_seconds')?.type).toBe('histogram');
    expect(
      total(families, 'portico_http_request_duration_seconds', 'portico_http_request_duration_seconds_count', {
        route: '/api/v1/users/:id',
        method: 'GET',
        status: '200',
      }),
    ).toBe(1);
    expect(
      total(families, 'portico_http_request_duration_seconds', 'portico_http_request_duration_seconds_count', {
        route: 'unmatched',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(text).not.toMatch(UUID);
  });

  it('serves the same families without a token on METRICS_PORT, and nothing else there', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(parseExposition(await res.text()).get('portico_http_request_duration_seconds')?.type).toBe('histogram');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/v1/users`)).status).toBe(404);
  });
});

describe('metrics switched off', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp('sqlite')));
  afterAll(async () => t?.close());

  it('has no /metrics without METRICS_TOKEN', async () => {
    await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(404);
  });
});
